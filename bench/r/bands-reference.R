# Reference sampled bands for forecast/reconcile/probabilistic.ts (bands-reference.test.ts).
#
# Regenerate (from the repository root; needs only jsonlite):
#   Rscript bench/r/bands-reference.R
# It writes test/fixtures/reconcile/bands.json: the 7-node hierarchy of reconcile-reference.R
# (T → A, B; A → AA, AB; B → BA, BB), seeded base forecasts (mean, P10/P50/P90, one level out of
# order), 60 complete residual steps, and the quantiles of every node computed here the plain way:
# one path per residual step (all 60, so no random choice is involved), each node's value the
# base quantile function at (rank − ½)/60 of its residual among the 60, the quantile function
# linear in qnorm() scores through the sorted base quantiles (extended linearly beyond them), each
# path reconciled with a dense P = (S' W^-1 S)^-1 S' W^-1, node quantiles by quantile(type = 5).
suppressPackageStartupMessages(library(jsonlite))

set.seed(20261207)
ids <- c("T", "A", "B", "AA", "AB", "BA", "BB")
parents <- c(NA, "T", "T", "A", "A", "B", "B")
S <- rbind(c(1, 1, 1, 1), c(1, 1, 0, 0), c(0, 0, 1, 1), diag(4))
n <- nrow(S)
H <- 4
levels <- c(0.1, 0.5, 0.9)
zl <- qnorm(levels)

bottom_level <- c(40, 25, 60, 35)
mean <- matrix(rep(as.vector(S %*% bottom_level), each = H), H, n) + matrix(rnorm(H * n, 0, 3), H, n)
spread <- as.vector(S %*% c(2, 1.5, 3, 2.5)) * c(0.5, 0.6, 0.6, 1, 1, 1, 1)
quantiles <- lapply(zl, function(z) mean + outer(rep(1, H), z * spread) + matrix(rnorm(H * n, 0, 0.3), H, n))
# AB's P10 above its P50 at the first step: the sort across levels is exercised.
quantiles[[1]][1, 5] <- quantiles[[2]][1, 5] + 0.7

Tres <- 60
common <- rnorm(Tres)
res_b <- sapply(c(2, 1.5, 3, 2.5), function(s) s * (0.6 * common + 0.8 * rnorm(Tres)))
res <- res_b %*% t(S) + matrix(rnorm(Tres * n, 0, 1), Tres, n)

gls <- function(W) {
  Wi <- solve(W)
  solve(t(S) %*% Wi %*% S) %*% t(S) %*% Wi
}
P <- list(
  "bottom-up" = cbind(matrix(0, 4, 3), diag(4)),
  "ols" = gls(diag(n)),
  "wls-var" = gls(diag(apply(res, 2, var)))
)

K <- Tres
u <- (seq_len(K) - 0.5) / K
zk <- qnorm(u)
seg <- pmin(pmax(findInterval(zk, zl), 1), length(zl) - 1)
wt <- (zk - zl[seg]) / (zl[seg + 1] - zl[seg])
rk <- apply(res, 2, rank) # T × n, 1-based, no ties

bands <- function(Pm) {
  out <- lapply(seq_len(n), function(i) list(mean = numeric(H), quantiles = lapply(levels, function(l) numeric(H))))
  for (h in seq_len(H)) {
    Y <- matrix(0, K, n)
    for (i in seq_len(n)) {
      q <- sort(sapply(quantiles, function(m) m[h, i]))
      grid <- q[seg] + wt * (q[seg + 1] - q[seg])
      Y[, i] <- grid[rk[, i]]
    }
    R <- Y %*% t(Pm) %*% t(S) # K × n reconciled paths
    m <- S %*% Pm %*% mean[h, ]
    for (i in seq_len(n)) {
      out[[i]]$mean[h] <- m[i]
      qs <- quantile(R[, i], levels, type = 5, names = FALSE)
      for (l in seq_along(levels)) out[[i]]$quantiles[[l]][h] <- qs[l]
    }
  }
  setNames(lapply(out, function(o) list(mean = o$mean, quantiles = setNames(o$quantiles, as.character(levels)))), ids)
}

fixture <- list(
  source = "bench/r/bands-reference.R (dense solve(), qnorm(), quantile(type = 5))",
  nodes = lapply(seq_len(n), function(i) if (is.na(parents[i])) list(id = ids[i]) else list(id = ids[i], parent = parents[i])),
  levels = as.character(levels),
  base = setNames(lapply(seq_len(n), function(i) list(mean = mean[, i], quantiles = setNames(lapply(quantiles, function(q) q[, i]), as.character(levels)))), ids),
  residuals = setNames(lapply(seq_len(n), function(i) res[, i]), ids),
  expected = lapply(P, bands)
)
out <- file.path("test", "fixtures", "reconcile", "bands.json")
writeLines(toJSON(fixture, auto_unbox = TRUE, digits = NA, pretty = FALSE), out)
cat(sprintf("wrote %s\n", out))
