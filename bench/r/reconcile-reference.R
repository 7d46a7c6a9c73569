# Reference reconciliations for forecast/reconcile (forecast/reconcile/reference.test.ts).
#
# Regenerate (from the repository root):
#   apt-get install r-cran-corpcor r-cran-jsonlite   # or install.packages(c("corpcor", "jsonlite"))
#   Rscript bench/r/reconcile-reference.R
# It writes test/fixtures/reconcile/seven-node.json: a 7-node hierarchy (T → A, B; A → AA, AB;
# B → BA, BB) with seeded base forecasts (mean and P10/P50/P90), residuals (two of them missing)
# and history, and the reconciled values of every method computed here the textbook way, dense:
# quantiles as in forecast/reconcile/apply.ts (bottom base spreads around the reconciled means);
# P = (S' W^-1 S)^-1 S' W^-1 with solve(), the Schäfer–Strimmer lambda from corpcor, and the
# shrunk covariance from corpcor's cov.shrink. gridcast computes the same numbers through the
# constraint form and a Gram-matrix lambda, so agreement checks both.
suppressPackageStartupMessages({ library(corpcor); library(jsonlite) })

set.seed(20240611)
ids <- c("T", "A", "B", "AA", "AB", "BA", "BB")
parents <- c(NA, "T", "T", "A", "A", "B", "B")
S <- rbind(c(1, 1, 1, 1), c(1, 1, 0, 0), c(0, 0, 1, 1), diag(4))
n <- nrow(S)
H <- 6
levels <- c("0.1", "0.5", "0.9")
z <- qnorm(as.numeric(levels))

# Base forecasts: a coherent daily shape plus independent errors, so they are not coherent.
bottom_level <- c(40, 25, 60, 35)
shape <- 1 + 0.2 * sin(2 * pi * (8:(7 + H)) / 24)
truth <- outer(shape, bottom_level) %*% t(S) # H × n
mean <- truth + matrix(rnorm(H * n, 0, 3), H, n)
# Aggregate bands narrower than the sum of their bottoms' (errors partly cancel), and AB's band
# narrow, so AB's P10 or P90 sits on the wrong side of its mean somewhere (the noise is larger than
# its half-band) and the sorting across levels is exercised.
spread <- as.vector(S %*% c(2, 1.5, 3, 2.5)) * c(0.3, 0.45, 0.45, 1, 0.1, 1, 1)
quantiles <- lapply(z, function(zq) mean + outer(rep(1, H), zq * spread) + matrix(rnorm(H * n, 0, 0.5), H, n))

# Residuals: a shared factor and own noise per bottom; aggregates carry their bottoms' errors
# plus their own. Two entries are missing (a gap in a backtest).
Tres <- 40
common <- rnorm(Tres)
res_b <- sapply(c(2, 1.5, 3, 2.5), function(s) s * (0.6 * common + 0.8 * rnorm(Tres)))
res <- res_b %*% t(S) + matrix(rnorm(Tres * n, 0, 1), Tres, n)
res[5, 2] <- NA
res[17, 6] <- NA

# History (actuals) for top-down; the root's meter reads 1 % above the sum of its bottoms, and
# one bottom value is missing.
Thist <- 48
hist_b <- outer(1 + 0.2 * sin(2 * pi * (1:Thist) / 24), bottom_level) + matrix(rnorm(Thist * 4, 0, 2), Thist, 4)
hist <- hist_b %*% t(S)
hist[, 1] <- hist[, 1] * 1.01
hist[9, 5] <- NA

# --- projections P (m × n) ---
gls <- function(W) {
  Wi <- solve(W)
  solve(t(S) %*% Wi %*% S) %*% t(S) %*% Wi
}
P_bu <- cbind(matrix(0, 4, 3), diag(4))
ok <- complete.cases(hist[, c(1, 4:7)]) & hist[, 1] != 0
prop <- colMeans(hist[ok, 4:7] / hist[ok, 1])
prop <- prop / sum(prop)
P_td <- cbind(prop, matrix(0, 4, n - 1))
P_ols <- gls(diag(n))
P_wls <- gls(diag(rowSums(S)))
X <- res[complete.cases(res), ]
lambda <- estimate.lambda(X, verbose = FALSE)
W_shr <- unclass(cov.shrink(X, lambda = lambda, lambda.var = 0, verbose = FALSE))
attr(W_shr, "lambda") <- NULL
attr(W_shr, "lambda.estimated") <- NULL
attr(W_shr, "lambda.var") <- NULL
attr(W_shr, "lambda.var.estimated") <- NULL
# cov.shrink with lambda.var = 0 is λ·diag(Σ̂) + (1 − λ)·Σ̂ with Σ̂ = cov(X): say so, by checking.
Sigma <- cov(X)
stopifnot(isTRUE(all.equal(W_shr, lambda * diag(diag(Sigma)) + (1 - lambda) * Sigma, check.attributes = FALSE, tolerance = 1e-12)))
P_mint <- gls(W_shr)
# wls-var: W = diag of each series' residual variance over its own non-missing values (divisor
# count − 1), as forecast/reconcile/residuals.ts seriesVariances.
P_wlsvar <- gls(diag(apply(res, 2, var, na.rm = TRUE)))

node_values <- function(mean_m, q_list) {
  setNames(lapply(seq_len(n), function(i) list(mean = mean_m[, i], quantiles = setNames(lapply(q_list, function(q) q[, i]), levels))), ids)
}
reconcile <- function(P) {
  b <- P %*% t(mean) # m × H reconciled bottom means
  # Each bottom keeps its own base spread around its reconciled mean, sorted across the levels at
  # every step; aggregates are sums of those bottom quantiles (their base quantiles are not used).
  bottom_rows <- 4:7
  b_q <- lapply(quantiles, function(q) b + t(q[, bottom_rows] - mean[, bottom_rows]))
  for (j in 1:4) for (h in 1:H) {
    v <- sort(sapply(b_q, function(bq) bq[j, h]))
    for (k in seq_along(levels)) b_q[[k]][j, h] <- v[k]
  }
  node_values(t(S %*% b), lapply(b_q, function(bq) t(S %*% bq)))
}
series <- function(mat) setNames(lapply(seq_len(n), function(i) mat[, i]), ids)

fixture <- list(
  source = "bench/r/reconcile-reference.R (R corpcor estimate.lambda and cov.shrink, dense solve())",
  nodes = lapply(seq_len(n), function(i) if (is.na(parents[i])) list(id = ids[i]) else list(id = ids[i], parent = parents[i])),
  levels = levels,
  base = node_values(mean, quantiles),
  residuals = series(res),
  history = series(hist),
  residualStepsUsed = nrow(X),
  historyStepsUsed = sum(ok),
  lambda = lambda,
  expected = list(
    "bottom-up" = reconcile(P_bu),
    "top-down" = reconcile(P_td),
    "ols" = reconcile(P_ols),
    "wls" = reconcile(P_wls),
    "wls-var" = reconcile(P_wlsvar),
    "mint-shrink" = reconcile(P_mint)
  )
)
out <- file.path("test", "fixtures", "reconcile", "seven-node.json")
dir.create(dirname(out), recursive = TRUE, showWarnings = FALSE)
writeLines(toJSON(fixture, auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE), out)
cat(sprintf("wrote %s (lambda %.6f, %d residual steps, %d history steps)\n", out, lambda, nrow(X), sum(ok)))
