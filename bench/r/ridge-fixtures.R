# Fixtures for monitoring/stats/ridge.test.ts: ridge regression with an unpenalised intercept and
# the penalty chosen by generalised cross-validation, computed here with explicit matrices
# (hat matrix H = Xc (Xc'Xc + n*lambda*I)^-1 Xc' on centred columns), not the way the TypeScript
# does it (Cholesky, trace identity). Run from the repository root: Rscript bench/r/ridge-fixtures.R
# Writes monitoring/stats/__fixtures__/ridge.json.
suppressWarnings(library(jsonlite, quietly = TRUE)) -> ok
scales <- c(0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
ridge <- function(x, y) {
  n <- nrow(x); k <- ncol(x)
  xc <- scale(x, center = TRUE, scale = FALSE); yc <- y - mean(y)
  meanVar <- mean(colSums(xc^2) / n)
  fits <- lapply(scales, function(g) {
    lambda <- g * meanVar
    a <- solve(t(xc) %*% xc + n * lambda * diag(k))
    beta <- a %*% t(xc) %*% yc
    h <- xc %*% a %*% t(xc)
    df <- sum(diag(h))
    rss <- sum((yc - xc %*% beta)^2)
    list(lambda = lambda, beta = as.numeric(beta), df = df, gcv = n * rss / (n - df)^2,
         intercept = mean(y) - sum(as.numeric(beta) * colMeans(x)))
  })
  best <- fits[[which.min(sapply(fits, function(f) f$gcv))]]
  list(weights = best$beta, intercept = best$intercept, lambda = best$lambda, gcv = best$gcv, df = best$df,
       gcvs = sapply(fits, function(f) f$gcv))
}
cases <- list()
for (seed in c(1, 2, 3)) {
  for (k in c(1, 5, 12)) {
    set.seed(seed)
    n <- 120
    common <- rnorm(n, sd = 0.05)
    x <- sapply(1:k, function(j) common * runif(1, 0.5, 1.5) + rnorm(n, sd = 0.02 * j))
    x <- matrix(x, nrow = n)
    y <- 0.01 + 0.8 * common + rnorm(n, sd = 0.03)
    r <- ridge(x, y)
    cases[[length(cases) + 1]] <- c(list(seed = seed, x = unname(split(x, row(x))), y = y), r)
  }
}
dir.create("monitoring/stats/__fixtures__", showWarnings = FALSE)
writeLines(toJSON(cases, digits = NA, auto_unbox = TRUE), "monitoring/stats/__fixtures__/ridge.json")
cat("wrote", length(cases), "cases\n")
