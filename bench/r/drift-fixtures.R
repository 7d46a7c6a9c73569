# Reference values of the drift statistics for monitoring/stats/stats.test.ts.
#
# Regenerate (from the repository root):
#   apt-get install r-base r-cran-jsonlite     # or install.packages("jsonlite")
#   Rscript bench/r/drift-fixtures.R
# It writes monitoring/stats/__fixtures__/drift.json: seeded inputs and R's outputs of
#   ks.test(x, y)                       exact (m*n < 10000, with and without ties) and asymptotic;
#   chisq.test(rbind(a, b))             2 x k homogeneity (Yates only on 2 x 2, as R's default);
#   p.adjust(p, "holm" / "BH");
# and hand computations (R has no reference implementation installed for them):
#   PSI on the reference's deciles (quantile type 7, bins (-Inf, c1], ..., (c9, Inf), empty share 1e-4);
#   W1 through the two sorted quantile functions on the merged grid of i/m and j/n, divided by sd(ref).
# Made with R 4.2.2; ks.test's exact branch with ties needs R >= 4.2 (psmirnov).
suppressPackageStartupMessages(library(jsonlite))
set.seed(20261206)

ks_case <- function(name, x, y, exact = NULL) {
  r <- suppressWarnings(ks.test(x, y, exact = exact))
  list(name = name, x = x, y = y, exact = if (is.null(exact)) NULL else exact,
       statistic = unname(r$statistic), p_value = r$p.value, r_exact = isTRUE(r$exact),
       ties = length(unique(c(x, y))) < length(x) + length(y))
}
ks <- list(
  ks_case("small, no ties", rnorm(8), rnorm(11, 0.8)),
  ks_case("small, shifted", rnorm(14, 20), rnorm(60, 22, 3)),
  ks_case("small, ties", round(rnorm(12, 5, 2)), round(rnorm(15, 6, 2))),
  ks_case("small, identical", c(1, 2, 3, 4, 5), c(1, 2, 3, 4, 5)),
  ks_case("medium exact, ties", round(rnorm(60, 10, 3), 1), round(rnorm(90, 10.5, 3), 1)),
  ks_case("large asymptotic", rnorm(300), rnorm(400, 0.1)),
  ks_case("large asymptotic, ties", round(rnorm(500, 0, 2)), round(rnorm(250, 0.3, 2))),
  ks_case("large, x < 1 branch", rnorm(200), rnorm(200)),
  ks_case("forced asymptotic", rnorm(20), rnorm(25, 1), exact = FALSE)
)

chisq_case <- function(name, a, b) {
  r <- suppressWarnings(chisq.test(rbind(a, b)))
  list(name = name, a = a, b = b, statistic = unname(r$statistic), df = unname(r$parameter), p_value = r$p.value)
}
chisq <- list(
  chisq_case("2x2 (Yates)", c(30, 12), c(25, 20)),
  chisq_case("2x3 day types", c(10, 2, 2), c(300, 60, 60)),
  chisq_case("2x3 shifted", c(5, 6, 3), c(300, 60, 60)),
  chisq_case("2x5", as.numeric(rpois(5, 40)), as.numeric(rpois(5, 60))),
  chisq_case("2x8 large", as.numeric(rpois(8, 500)), as.numeric(rpois(8, 800)))
)

p <- c(0.01, 0.04, 0.03, 0.005, 0.2, 0.8, 0.04)
adjust <- list(p = p, holm = p.adjust(p, "holm"), BH = p.adjust(p, "BH"))
p2 <- runif(12)^3
adjust2 <- list(p = p2, holm = p.adjust(p2, "holm"), BH = p.adjust(p2, "BH"))

psi_hand <- function(ref, cur, eps = 1e-4) {
  cuts <- unique(quantile(ref, (1:9) / 10, type = 7, names = FALSE))
  breaks <- c(-Inf, cuts, Inf)
  q <- as.numeric(table(cut(ref, breaks, right = TRUE))) / length(ref)
  r <- as.numeric(table(cut(cur, breaks, right = TRUE))) / length(cur)
  q <- pmax(q, eps); r <- pmax(r, eps)
  sum((r - q) * log(r / q))
}
w1_hand <- function(a, b) {
  a <- sort(a); b <- sort(b); m <- length(a); n <- length(b)
  u <- sort(unique(c((1:m) / m, (1:n) / n)))
  du <- diff(c(0, u)); mid <- u - du / 2
  sum(abs(a[ceiling(mid * m)] - b[ceiling(mid * n)]) * du)
}
eff_case <- function(name, ref, cur) {
  list(name = name, reference = ref, recent = cur, psi = psi_hand(ref, cur),
       w1 = w1_hand(ref, cur), w1_normalised = w1_hand(ref, cur) / sd(ref))
}
effects <- list(
  eff_case("same distribution", rnorm(200, 15, 4), rnorm(60, 15, 4)),
  eff_case("heatwave +8", rnorm(90, 18, 3), rnorm(14, 26, 3)),
  eff_case("ties and empty bins", round(rnorm(100, 5, 1)), round(rnorm(40, 9, 1))),
  eff_case("unequal sizes", rexp(37), rexp(11, 0.5))
)

out <- list(r_version = R.version.string, ks = ks, chisq = chisq, adjust = list(adjust, adjust2), effects = effects)
dir.create(file.path("monitoring", "stats", "__fixtures__"), recursive = TRUE, showWarnings = FALSE)
write_json(out, file.path("monitoring", "stats", "__fixtures__", "drift.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null")
cat("wrote monitoring/stats/__fixtures__/drift.json\n")
