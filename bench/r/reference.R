# R reference for gridcast's day-ahead accuracy bench: mgcv::bam with the features of gridcast's
# GAM, then forecast::auto.arima on the GAM's recent residuals, on the same origins as the bench.
#
# usage: Rscript reference.R DATA.csv ORIGINS.csv OUT.csv HORIZON [WINDOW_DAYS] [REFIT_EVERY]
#   DATA.csv    ts,load,temp,temp_fc,holiday   one row per hour, in order; temp = observed,
#               temp_fc = the temperature the horizon sees (forecast as issued, or observed again)
#   ORIGINS.csv origin                         1-based row numbers; the model sees rows < origin
#   OUT.csv     origin,step,mean,p10,p50,p90,fit_sec
suppressPackageStartupMessages({ library(mgcv); library(forecast) })

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 4) stop("usage: Rscript reference.R DATA.csv ORIGINS.csv OUT.csv HORIZON [WINDOW_DAYS] [REFIT_EVERY]")
horizon <- as.integer(args[4])
window_days <- if (length(args) >= 5) as.integer(args[5]) else 42L
refit_every <- if (length(args) >= 6) as.integer(args[6]) else 1L

d <- read.csv(args[1], stringsAsFactors = FALSE)
origins <- read.csv(args[2])$origin
ts <- as.POSIXct(d$ts, format = "%Y-%m-%dT%H:%M:%S", tz = "UTC")
n <- nrow(d)

# Calendar as the bench's timestamps are local clock hours written as UTC.
wd <- as.integer(format(ts, "%u"))  # 1 = Monday
daytype <- ifelse(d$holiday == 1, "holiday", ifelse(wd == 6, "sat", ifelse(wd == 7, "sun", "weekday")))
feat <- data.frame(
  load = d$load,
  hour = as.integer(format(ts, "%H")),
  doy = as.integer(format(ts, "%j")),
  daytype = factor(daytype, levels = c("weekday", "sat", "sun", "holiday")),
  trend = as.numeric(ts - ts[1], units = "days") / 365.25
)
# Temperature features are rebuilt per origin: observed temps before the origin, the horizon's
# own (forecast) temps after it, so smoothed temperatures never mix in unseen observations.
temp_features <- function(temp) {
  sm24 <- stats::filter(temp, rep(1 / 24, 24), sides = 1)
  sm24[is.na(sm24)] <- temp[is.na(sm24)]
  es <- temp
  for (i in 2:length(temp)) es[i] <- 0.95 * es[i - 1] + 0.05 * temp[i]
  data.frame(temp = temp, temp24 = as.numeric(sm24), temp_es = es, lag3 = c(rep(temp[1], 3), head(temp, -3)))
}

form <- load ~ daytype + s(hour, by = daytype, bs = "cc", k = 24) + s(temp, k = 12) + ti(temp, hour, k = c(6, 8), bs = c("tp", "cc")) +
  s(temp24, k = 8) + s(temp_es, k = 8) + s(lag3, k = 8) + s(doy, bs = "cc", k = 12) + trend

out <- list()
gam_fit <- NULL
for (j in seq_along(origins)) {
  o <- origins[j]
  t0 <- Sys.time()
  temp <- d$temp
  temp[o:(o + horizon - 1)] <- d$temp_fc[o:(o + horizon - 1)]
  x <- cbind(feat, temp_features(temp))
  hist <- x[1:(o - 1), ]
  hist <- hist[is.finite(hist$load), ]
  if (is.null(gam_fit) || (j - 1) %% refit_every == 0) {
    gam_fit <- bam(form, data = hist, discrete = TRUE, nthreads = 1, knots = list(hour = c(-0.5, 23.5), doy = c(0.5, 366.5)))
  }
  recent <- max(1, o - window_days * 24):(o - 1)
  r <- x$load[recent] - as.numeric(predict(gam_fit, newdata = x[recent, ]))
  r[!is.finite(r)] <- 0
  ar <- auto.arima(ts(r, frequency = 24), d = 0, D = 0, max.p = 3, max.q = 2, max.P = 1, max.Q = 0, stepwise = TRUE, approximation = TRUE)
  fa <- forecast(ar, h = horizon, level = 80)
  base <- as.numeric(predict(gam_fit, newdata = x[o:(o + horizon - 1), ]))
  mean <- base + as.numeric(fa$mean)
  fit_sec <- as.numeric(Sys.time() - t0, units = "secs")
  out[[j]] <- data.frame(origin = o, step = seq_len(horizon), mean = mean,
                         p10 = base + as.numeric(fa$lower[, 1]), p50 = mean, p90 = base + as.numeric(fa$upper[, 1]), fit_sec = fit_sec)
}
write.csv(do.call(rbind, out), args[3], row.names = FALSE)
