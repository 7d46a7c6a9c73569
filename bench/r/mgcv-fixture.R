# Reference fits of R mgcv for the GAM test (models/gam/gam.mgcv.test.ts).
#
# Regenerate (from the repository root):
#   apt-get install r-cran-mgcv r-cran-jsonlite   # or install.packages(c("mgcv", "jsonlite"))
#   Rscript bench/r/mgcv-fixture.R
# It writes test/fixtures/mgcv/<name>.json: the simulated data (seeded), the knots mgcv placed, and
# mgcv's fitted values, EDF per smooth, smoothing parameters and criterion. Our GAM is fitted on the
# same data with the same knots and must agree (see the test for the tolerances).
suppressPackageStartupMessages({ library(mgcv); library(jsonlite) })

out_dir <- file.path("test", "fixtures", "mgcv")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

simulate <- function(n, seed) {
  set.seed(seed)
  x1 <- runif(n); x2 <- runif(n, 0, 24); x3 <- runif(n); x4 <- runif(n)
  fac <- sample(0:2, n, replace = TRUE)
  f1 <- sin(2 * pi * x1) * 2 + x1
  f2 <- cos(2 * pi * x2 / 24) * (1 + 0.5 * fac) + 0.5 * sin(4 * pi * x2 / 24)
  f34 <- 1.5 * exp(-((x3 - 0.5)^2 + (x4 - 0.3)^2) / 0.1)
  y <- 1 + 0.7 * fac + f1 + f2 + f34 + rnorm(n, sd = 0.6)
  data.frame(y, x1, x2, x3, x4, fac)
}

write_fixture <- function(name, b, d, terms, criterion) {
  smooths <- lapply(b$smooth, function(s) {
    idx <- s$first.para:s$last.para
    marg <- if (!is.null(s$margin)) lapply(s$margin, function(m) m$xp) else list(s$xp)
    list(label = s$label, edf = sum(b$edf[idx]), knots = marg)
  })
  fx <- list(
    name = name,
    mgcvVersion = as.character(packageVersion("mgcv")),
    criterion = criterion,
    terms = terms,
    data = as.list(d),
    fitted = as.numeric(fitted(b)),
    smooths = smooths,
    sp = as.numeric(b$sp),
    sig2 = b$sig2,
    edfTotal = sum(b$edf)
  )
  writeLines(toJSON(fx, digits = NA, auto_unbox = TRUE), file.path(out_dir, paste0(name, ".json")))
  cat(name, ": edf", round(sapply(smooths, function(s) s$edf), 3), "\n")
}

d <- simulate(600, 20261127)
d$facf <- factor(d$fac)
# cr + cyclic by factor + tensor product, the shapes the load model uses.
form <- y ~ facf + s(x1, bs = "cr", k = 10) + s(x2, bs = "cc", k = 8, by = facf) + te(x3, x4, bs = "cr", k = c(5, 5))
terms <- list(
  list(kind = "factor", variable = "fac", levels = 3),
  list(kind = "s", variable = "x1", bs = "cr", k = 10),
  list(kind = "s", variable = "x2", bs = "cc", k = 8, by = "fac", byLevels = 3),
  list(kind = "te", variables = c("x3", "x4"), bs = c("cr", "cr"), k = c(5, 5))
)
knots <- list(x2 = c(0, 24))
dd <- d[, c("y", "x1", "x2", "x3", "x4", "fac")]
b_reml <- gam(form, data = d, method = "REML", knots = knots)
write_fixture("additive-reml", b_reml, dd, terms, "REML")
b_gcv <- gam(form, data = d, method = "GCV.Cp", knots = knots)
write_fixture("additive-gcv", b_gcv, dd, terms, "GCV")

# Main effects plus a pure interaction (ti), as the load model's temperature × season term.
form_ti <- y ~ s(x3, bs = "cr", k = 6) + s(x4, bs = "cr", k = 6) + ti(x3, x4, bs = c("cr", "cc"), k = c(5, 6))
terms_ti <- list(
  list(kind = "s", variable = "x3", bs = "cr", k = 6),
  list(kind = "s", variable = "x4", bs = "cr", k = 6),
  list(kind = "ti", variables = c("x3", "x4"), bs = c("cr", "cc"), k = c(5, 6))
)
set.seed(20261128)
di <- dd
di$y <- sin(2 * pi * d$x3) + cos(2 * pi * d$x4) + 3 * (d$x3 - 0.5) * sin(2 * pi * d$x4) + rnorm(nrow(d), sd = 0.4)
b_ti <- gam(form_ti, data = di, method = "REML")
write_fixture("interaction-reml", b_ti, di, terms_ti, "REML")
