# Reference values for monitoring/stats/excursions.test.ts and effective-tests.test.ts.
#
# Regenerate (from the repository root):
#   apt-get install r-base r-cran-jsonlite r-cran-mvtnorm   # or install.packages(c("jsonlite", "mvtnorm"))
#   Rscript bench/r/drift-calibration-fixtures.R
# It writes monitoring/stats/__fixtures__/drift-calibration.json:
#   upcrossing: P(X_t < h <= X_{t+1}) for a standard bivariate normal pair with correlation rho,
#     as pnorm(h) - pmvnorm(upper = c(h, h), corr, algorithm = TVPACK(abseps = 1e-14)) (Genz's
#     bivariate normal, mvtnorm), which excursions.ts computes as 2 T(h, sqrt((1 - rho)/(1 + rho)))
#     with Owen's T;
#   correlation: cor(x) of seeded series;
#   eigen: eigen(corr, symmetric = TRUE)$values and Galwey's (sum sqrt(l))^2 / sum(l) on them.
# Made with R 4.2.2, mvtnorm 1.1-3.
suppressPackageStartupMessages({ library(jsonlite); library(mvtnorm) })
set.seed(20261208)

upcrossing <- list()
for (rho in c(0, 0.5, 0.9, 0.97, 0.99)) {
  for (h in c(0, 0.5, 1.5, 2.5, 4)) {
    R <- matrix(c(1, rho, rho, 1), 2)
    p <- pnorm(h) - pmvnorm(upper = c(h, h), corr = R, algorithm = TVPACK(abseps = 1e-14))[1]
    upcrossing[[length(upcrossing) + 1]] <- list(h = h, rho = rho, p = p)
  }
}

n <- 60
z <- rnorm(n)
x <- cbind(z + rnorm(n, sd = 0.1), z + rnorm(n, sd = 0.3), -z + rnorm(n, sd = 0.5), rnorm(n))
C <- cor(x)
l <- eigen(C, symmetric = TRUE)$values
l <- pmax(l, 0)
galwey <- sum(sqrt(l))^2 / sum(l)

out <- list(
  upcrossing = upcrossing,
  correlation = list(series = lapply(seq_len(ncol(x)), function(j) x[, j]), corr = as.vector(C), eigen = l, galwey = galwey)
)
write(toJSON(out, digits = NA, auto_unbox = TRUE), "monitoring/stats/__fixtures__/drift-calibration.json")
