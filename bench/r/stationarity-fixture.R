# Fixture for models/arima/arima.test.ts (isStable, the step-down stationarity test): AR
# polynomials 1 − Σ phi_i B^i and R's verdict by root finding, all(Mod(polyroot(c(1, -phi))) > 1).
# Random orders 1–8 (coefficients drawn directly, and from random roots near the unit circle so
# both verdicts occur near the boundary), expanded daily seasonal products
# (1 − φ1 B − φ2 B²)(1 − Φ B^s) at s = 24 and 48, and MA polynomials 1 + Σ theta_j B^j with R's
# invertibility verdict all(Mod(polyroot(c(1, theta))) > 1).
# For the seasonal products the verdict is taken from the factors (see below).
# Polynomials whose smallest root modulus is within 1e-6 of 1 are left out at random (a root
# finder cannot call them); the exact unit roots (Φ = 1) are kept, their verdict is known.
# Regenerate: Rscript bench/r/stationarity-fixture.R (from the repository root).
suppressPackageStartupMessages(library(jsonlite))
set.seed(20261207)

min_mod <- function(poly) min(Mod(polyroot(poly)))
ar_case <- function(phi, label) list(label = label, phi = I(phi), stationary = all(Mod(polyroot(c(1, -phi))) > 1), minModulus = min_mod(c(1, -phi)))

from_roots <- function(p) {
  # p roots of modulus 0.8–1.25, complex ones in conjugate pairs, so the coefficients are real.
  roots <- c()
  while (length(roots) < p) {
    r <- runif(1, 0.8, 1.25)
    if (p - length(roots) >= 2 && runif(1) < 0.6) {
      a <- runif(1, 0, pi)
      roots <- c(roots, r * exp(1i * a), r * exp(-1i * a))
    } else {
      roots <- c(roots, r * sample(c(-1, 1), 1))
    }
  }
  # polynomial with these roots, scaled to constant term 1: prod (1 − B / root)
  poly <- 1
  for (z in roots) poly <- c(poly, 0) - c(0, poly) / z
  -Re(poly[-1])
}

cases <- list()
for (i in 1:150) {
  p <- sample(1:8, 1)
  phi <- if (i %% 2 == 0) runif(p, -1, 1) / sqrt(p) * 1.6 else from_roots(p)
  cs <- ar_case(phi, sprintf("random-%d", i))
  if (abs(cs$minModulus - 1) > 1e-6) cases[[length(cases) + 1]] <- cs
}

seasonal <- function(phi1, phi2, Phi, s) {
  short <- c(phi1, phi2)
  out <- numeric(s + length(short))
  out[seq_along(short)] <- short
  out[s] <- out[s] + Phi
  out[s + seq_along(short)] <- out[s + seq_along(short)] - Phi * short
  out
}
for (s in c(24, 48)) {
  for (Phi in c(0.5, 0.75, 0.77, 0.8, 0.95, 0.999, 1.0, 1.001)) {
    for (short in list(c(0.6, 0), c(0.9, -0.2), c(1.2, -0.35))) {
      cs <- ar_case(seasonal(short[1], short[2], Phi, s), sprintf("(1-%gB-(%g)B^2)(1-%gB^%d)", short[1], short[2], Phi, s))
      # The verdict comes from the factors: polyroot on the expanded degree-26/50 polynomial is
      # off by up to ~1e-4 in modulus (it calls Φ = 0.999 at lag 48 non-stationary, and puts Φ = 1's
      # unit roots a rounding error either side of 1). Its own verdict is kept as rPolyroot.
      cs$rPolyroot <- cs$stationary
      cs$stationary <- all(Mod(polyroot(c(1, -short))) > 1) && abs(Phi) < 1
      cases[[length(cases) + 1]] <- cs
    }
  }
}

ma <- list()
for (i in 1:60) {
  q <- sample(1:4, 1)
  theta <- if (i %% 2 == 0) runif(q, -1, 1) * 1.4 / sqrt(q) else -from_roots(q)
  m <- min_mod(c(1, theta))
  if (abs(m - 1) > 1e-6) ma[[length(ma) + 1]] <- list(label = sprintf("ma-%d", i), theta = I(theta), invertible = all(Mod(polyroot(c(1, theta))) > 1), minModulus = m)
}

write_json(list(ar = cases, ma = ma), "models/arima/__fixtures__/r-stationarity.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
cat(sprintf("%d AR cases (%d stationary), %d MA cases (%d invertible)\n", length(cases), sum(sapply(cases, `[[`, "stationary")), length(ma), sum(sapply(ma, `[[`, "invertible"))))
