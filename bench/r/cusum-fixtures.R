# Reference CUSUM paths for monitoring/stats/cusum.test.ts.
#
# Regenerate (from the repository root): Rscript bench/r/cusum-fixtures.R
# qcc is not installed here, so the tabular CUSUM recursion is written out as in Montgomery,
# "Introduction to Statistical Quality Control", section 9.1 (C+ = max(0, x - k + C+), C- = max(0, -x - k + C-)),
# independently of the TypeScript, on seeded data with a step; it writes
# monitoring/stats/__fixtures__/cusum-r.json (z, k, the two statistics at every step, first alarm for h).
suppressPackageStartupMessages(library(jsonlite))
set.seed(42)
z <- c(rnorm(60), rnorm(40, mean = -1.5))
k <- 0.5
h <- 5
up <- numeric(length(z)); down <- numeric(length(z))
cu <- 0; cd <- 0
for (t in seq_along(z)) {
  cu <- max(0, cu + z[t] - k); cd <- max(0, cd - z[t] - k)
  up[t] <- cu; down[t] <- cd
}
first <- which(up > h | down > h)[1]
write_json(list(z = z, k = k, h = h, up = up, down = down, alarm = first - 1),
           "monitoring/stats/__fixtures__/cusum-r.json", digits = NA, auto_unbox = TRUE)
