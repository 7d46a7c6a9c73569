# Reference for models/online/kalman.ts: a Kalman filter of a random-walk regression written out
# with the textbook matrix formulas, sigma^2 explicit (not concentrated out), on a 3-state, 6-step
# case with a missing observation and state transitions (Q added) before some steps.
#   Rscript bench/r/kalman-fixture.R > models/online/__fixtures__/kalman.json
library(jsonlite)
sigma2 <- 2.5
X <- matrix(c(1.0,  0.4, -1.2,
              1.0, -0.7,  0.3,
              1.0,  1.1,  0.8,
              1.0,  0.2, -0.5,
              1.0, -1.3,  1.7,
              1.0,  0.6,  0.1), ncol = 3, byrow = TRUE)
y <- c(3.1, 1.4, NA, 2.2, 0.3, 2.9)
advance <- c(0, 1, 0, 0, 2, 1)
theta0 <- c(2.0, 0.5, -0.3)
P0u <- diag(c(1.0, 0.5, 2.0))              # P0 / sigma^2
Qu <- matrix(c(0.02, 0.005, 0.0,
               0.005, 0.01, 0.001,
               0.0,  0.001, 0.03), 3, byrow = TRUE)  # Q / sigma^2
theta <- theta0
P <- sigma2 * P0u
Q <- sigma2 * Qu
pred <- numeric(length(y)); anchorPred <- numeric(length(y)); Fu <- c(); v <- c(); thetas <- list()
anchor <- theta0                           # theta when the state last moved (a forecast issued then)
sqAnchor <- 0
for (t in seq_along(y)) {
  if (advance[t] > 0) anchor <- theta
  P <- P + advance[t] * Q                  # time update: theta_{t|t-1} = theta_{t-1|t-1}
  x <- X[t, ]
  pred[t] <- sum(x * theta)
  anchorPred[t] <- sum(x * anchor)
  if (!is.na(y[t])) {
    Ft <- drop(t(x) %*% P %*% x) + sigma2  # innovation variance
    K <- (P %*% x) / Ft                    # gain
    vt <- y[t] - pred[t]
    theta <- theta + drop(K) * vt
    P <- P - K %*% t(x) %*% P
    Fu <- c(Fu, Ft / sigma2); v <- c(v, vt)
    sqAnchor <- sqAnchor + (y[t] - anchorPred[t])^2
  }
  thetas[[t]] <- theta
}
n <- length(v)
s2hat <- mean(v^2 / Fu)
ll <- -0.5 * (n * log(2 * pi * s2hat) + sum(log(Fu)) + n)
cat(toJSON(list(
  sigma2 = sigma2, X = as.vector(t(X)), y = ifelse(is.na(y), "NaN", y), advance = advance,
  theta0 = theta0, P0 = as.vector(t(P0u)), Q = as.vector(t(Qu)),
  predicted = pred, fromAnchor = anchorPred, sumSqAnchor = sqAnchor, thetaAfter = thetas, theta = theta, P = as.vector(t(P / sigma2)),
  sigma2Hat = s2hat, logLik = ll
), digits = NA, auto_unbox = TRUE))
