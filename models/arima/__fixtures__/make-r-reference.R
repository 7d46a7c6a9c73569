# Reference numbers for arima.test.ts, from R's forecast package.
# Regenerate with: Rscript models/arima/__fixtures__/make-r-reference.R (from the repository root)
suppressPackageStartupMessages(library(forecast))
library(jsonlite)
set.seed(42)
n <- 1000
y <- 5 + arima.sim(model = list(ar = c(0.5, -0.3), ma = 0.4), n = n)
arma <- Arima(y, order = c(2, 0, 1), include.mean = TRUE, method = "CSS")
fa <- forecast(arma, h = 48)
ar2 <- Arima(y, order = c(2, 0, 0), include.mean = TRUE, method = "CSS")
out <- list(
  y = as.numeric(y),
  arma = list(
    ar = unname(coef(arma)[c("ar1", "ar2")]),
    ma = unname(coef(arma)["ma1"]),
    mean = unname(coef(arma)["intercept"]),
    sigma2 = arma$sigma2,
    forecast = as.numeric(fa$mean),
    se = as.numeric((fa$upper[, "95%"] - fa$mean) / qnorm(0.975))
  ),
  ar2 = list(ar = unname(coef(ar2)[c("ar1", "ar2")]), mean = unname(coef(ar2)["intercept"]))
)
write_json(out, "models/arima/__fixtures__/r-reference.json", digits = NA, auto_unbox = TRUE)
