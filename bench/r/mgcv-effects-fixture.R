# Reference partial effects of R mgcv for models/gam/effects.mgcv.test.ts.
#
# Regenerate (from the repository root, after bench/r/mgcv-fixture.R):
#   apt-get install r-cran-mgcv r-cran-jsonlite   # or install.packages(c("mgcv", "jsonlite"))
#   Rscript bench/r/mgcv-effects-fixture.R
# For the fixtures additive-reml and interaction-reml of test/fixtures/mgcv, it refits the same
# formula on the same data and writes test/fixtures/mgcv/effects-<name>.json: each smooth's
# partial effect and standard error on the grid plot.gam draws it on (100 points from the first to
# the last knot; 40 × 40 for a tensor product), from predict.gam(type = "terms", se.fit = TRUE) —
# the term's columns times its coefficients, se from Vp restricted to them, as plot.gam's default
# (seWithMean = FALSE) — and each factor level's coefficient with sqrt(diag(Vp)).
suppressPackageStartupMessages({ library(mgcv); library(jsonlite) })

dir <- file.path("test", "fixtures", "mgcv")
grid <- function(xp, n) seq(min(xp), max(xp), length.out = n)

effects <- function(name, form, knots) {
  fx <- fromJSON(file.path(dir, paste0(name, ".json")))
  d <- as.data.frame(fx$data)
  d$facf <- factor(d$fac, levels = 0:2)
  b <- gam(form, data = d, method = fx$criterion, knots = knots)
  base <- as.list(sapply(d[, c("x1", "x2", "x3", "x4")], mean))
  frame <- function(cols, n) {
    nd <- as.data.frame(lapply(base, function(v) rep(v, n)))
    for (k in names(cols)) nd[[k]] <- cols[[k]]
    nd$fac <- if (is.null(cols$fac)) 0 else cols$fac
    nd$facf <- factor(nd$fac, levels = 0:2)
    nd
  }
  terms <- lapply(b$smooth, function(s) {
    if (is.null(s$margin)) {
      x <- grid(s$xp, 100)
      cols <- setNames(list(x), s$term)
      if (s$by != "NA") cols$fac <- rep(as.numeric(as.character(s$by.level)), length(x))
      nd <- frame(cols, length(x))
      p <- predict(b, nd, type = "terms", se.fit = TRUE)
      list(label = s$label, x = x, fit = as.numeric(p$fit[, s$label]), se = as.numeric(p$se.fit[, s$label]))
    } else {
      x <- grid(s$margin[[1]]$xp, 40)
      z <- grid(s$margin[[2]]$xp, 40)
      g <- expand.grid(z = z, x = x) # x slowest: index i * length(z) + j
      cols <- setNames(list(g$x, g$z), s$term)
      nd <- frame(cols, nrow(g))
      p <- predict(b, nd, type = "terms", se.fit = TRUE)
      list(label = s$label, x = x, z = z, fit = as.numeric(p$fit[, s$label]), se = as.numeric(p$se.fit[, s$label]))
    }
  })
  para <- grep("^facf", names(coef(b)), value = TRUE)
  idx <- match(para, names(coef(b)))
  factor <- lapply(seq_along(para), function(i) list(label = para[i], coefficient = unname(coef(b)[idx[i]]), se = sqrt(b$Vp[idx[i], idx[i]])))
  out <- list(source = name, mgcvVersion = as.character(packageVersion("mgcv")), terms = terms, factor = factor)
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE), file.path(dir, paste0("effects-", name, ".json")))
  cat(name, ":", length(terms), "smooths,", length(factor), "factor levels\n")
}

effects("additive-reml", y ~ facf + s(x1, bs = "cr", k = 10) + s(x2, bs = "cc", k = 8, by = facf) + te(x3, x4, bs = "cr", k = c(5, 5)), list(x2 = c(0, 24)))
effects("interaction-reml", y ~ s(x3, bs = "cr", k = 6) + s(x4, bs = "cr", k = 6) + ti(x3, x4, bs = c("cr", "cc"), k = c(5, 6)), NULL)
