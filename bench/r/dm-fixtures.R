# Fixtures for core/stats/dm.test.ts: R forecast::dm.test on the same numbers.
# Run from the repository root: Rscript bench/r/dm-fixtures.R
# Writes core/stats/__fixtures__/dm.json. The confidence interval is not part of dm.test:
# it is mean(d) -/+ qt(1 - (1 - level)/2, n - 1) * sqrt(dv) / k, the standard error the
# HLN-corrected statistic divides by (so the interval excludes 0 exactly when the two-sided
# test rejects at 1 - level).
suppressMessages(library(forecast))
suppressWarnings(library(jsonlite, quietly = TRUE)) -> ok

# The variance dm.test used (it falls back to h = 1 when the acf estimate is not positive).
dm_var <- function(d, h) {
  d.cov <- acf(d, na.action = na.omit, lag.max = h - 1, type = "covariance", plot = FALSE)$acf[, , 1]
  sum(c(d.cov[1], 2 * d.cov[-1])) / length(d)
}

cases <- list()
level <- 0.95
for (seed in c(1, 7, 42, 2024)) {
  for (n in c(30, 200)) {
    set.seed(seed)
    # Autocorrelated errors, the second model slightly worse, as a day-ahead challenger would be.
    e1 <- as.numeric(arima.sim(list(ar = 0.6), n = n)) * 10
    e2 <- e1 * 0.7 + as.numeric(arima.sim(list(ar = 0.3), n = n)) * 8 + 0.5
    for (h in c(1, 2, 24)) {
      if (h >= n / 2) next
      for (power in c(1, 2)) {
        for (alt in c("two.sided", "less", "greater")) {
          t <- withCallingHandlers(dm.test(e1, e2, alternative = alt, h = h, power = power),
                                   warning = function(w) invokeRestart("muffleWarning"))
          hUsed <- as.numeric(t$parameter[1])
          d <- abs(e1)^power - abs(e2)^power
          dv <- dm_var(d, hUsed)
          k <- ((n + 1 - 2 * hUsed + (hUsed / n) * (hUsed - 1)) / n)^(1 / 2)
          se <- sqrt(dv) / k
          q <- qt(1 - (1 - level) / 2, df = n - 1)
          cases[[length(cases) + 1]] <- list(
            seed = seed, h = h, power = power, alternative = alt,
            e1 = e1, e2 = e2,
            statistic = as.numeric(t$statistic), pValue = t$p.value, hUsed = hUsed,
            meanLossDiff = mean(d), ci = c(mean(d) - q * se, mean(d) + q * se), level = level)
        }
      }
    }
  }
}
# A case whose acf variance at h = 24 is negative: dm.test proceeds with h = 1.
e1 <- rep(c(5, -5, 4, -6), 10) + seq(0, 3.9, by = 0.1)
e2 <- rep(c(1, 2, -1, 3), 10)
for (alt in c("two.sided")) {
  t <- withCallingHandlers(dm.test(e1, e2, alternative = alt, h = 24, power = 2), warning = function(w) invokeRestart("muffleWarning"))
  d <- abs(e1)^2 - abs(e2)^2
  hUsed <- as.numeric(t$parameter[1])
  dv <- dm_var(d, hUsed); n <- length(d)
  k <- ((n + 1 - 2 * hUsed + (hUsed / n) * (hUsed - 1)) / n)^(1 / 2)
  se <- sqrt(dv) / k; q <- qt(0.975, df = n - 1)
  cases[[length(cases) + 1]] <- list(seed = 0, h = 24, power = 2, alternative = alt, e1 = e1, e2 = e2,
    statistic = as.numeric(t$statistic), pValue = t$p.value, hUsed = hUsed, negativeVariance = dm_var(d, 24),
    meanLossDiff = mean(d), ci = c(mean(d) - q * se, mean(d) + q * se), level = 0.95)
}
writeLines(jsonlite::toJSON(cases, digits = NA, auto_unbox = TRUE), "core/stats/__fixtures__/dm.json")
cat(length(cases), "cases written\n")
