# R reference for gridcast's day-ahead accuracy bench: mgcv::bam with the features of gridcast's
# GAM, then forecast::auto.arima on the GAM's recent residuals, on the same origins as the bench.
#
# usage: Rscript reference.R DATA.csv ORIGINS.csv OUT.csv HORIZON [WINDOW_DAYS] [REFIT_EVERY]
#   DATA.csv    ts,load,temp,temp_fc,holiday   one row per hour, in order; temp = observed,
#               temp_fc = the temperature forecast as issued (NA where none: observed used)
#   ORIGINS.csv origin                         1-based row numbers; the model sees rows < origin
#   OUT.csv     origin,variant,step,mean,p10,p50,p90,fit_sec   variant: observed | forecast
#               (the horizon read with observed or with forecast temperatures; same fits)
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
daytype <- ifelse(d$holiday == 1, 8L, wd)  # Mon..Sun, holiday
hourgroup <- c(1, 2, 2, 2, 3, 4, 5, 6)[daytype]  # Monday, Tue-Thu, Friday, Saturday, Sunday, holiday
feat <- data.frame(
  load = d$load,
  hour = as.integer(format(ts, "%H")),
  doy = (as.integer(format(ts, "%j")) - 0.5) / 366,
  daytype = factor(daytype),
  hourgroup = factor(hourgroup),
  trend = as.numeric(ts - ts[1], units = "days") / 365.25
)
# Temperature features are rebuilt per origin: observed temps before the origin, the horizon's
# own (forecast) temps after it, so smoothed temperatures never mix in unseen observations.
expsmooth <- function(x, half_life) {
  a <- 1 - 2^(-1 / half_life)
  as.numeric(stats::filter(a * x, 1 - a, method = "recursive", init = x[1]))
}
roll <- function(x, f) {
  m <- embed(c(rep(x[1], 23), x), 24)
  apply(m, 1, f)
}
temp_features <- function(temp) {
  temp[is.na(temp)] <- mean(temp, na.rm = TRUE)
  data.frame(temp = temp, ts24 = expsmooth(temp, 24), ts72 = expsmooth(temp, 72), ts168 = expsmooth(temp, 168), ts504 = expsmooth(temp, 504),
             tmax24 = roll(temp, max), tmin24 = roll(temp, min))
}

# Same terms as gridcast's GAM (models/gam/load-formula.ts): log load, day type incl. holidays,
# daily profile by hour group, annual cycle, trend, te(temp, hour), smoothed temperatures with
# half-lives 24/72/168/504 h, trailing 24 h max and min.
form <- log(load) ~ daytype + s(hour, by = hourgroup, bs = "cc", k = 13) + s(doy, bs = "cc", k = 14) + s(trend, k = 4) +
  te(temp, hour, bs = c("cr", "cc"), k = c(8, 7)) + s(ts24, k = 6) + s(ts72, k = 6) + s(ts168, k = 6) + s(ts504, k = 6) +
  s(tmax24, k = 6) + s(tmin24, k = 6)

out <- list()
gam_fit <- NULL
for (j in seq_along(origins)) {
  o <- origins[j]
  t0 <- Sys.time()
  x <- cbind(feat, temp_features(d$temp))
  hist <- x[1:(o - 1), ]
  hist <- hist[is.finite(hist$load) & hist$load > 0, ]
  if (is.null(gam_fit) || (j - 1) %% refit_every == 0) {
    gam_fit <- bam(form, data = hist, discrete = TRUE, nthreads = 1, knots = list(hour = c(0, 24), doy = c(0, 1)))
  }
  recent <- max(1, o - window_days * 24):(o - 1)
  r <- log(x$load[recent]) - as.numeric(predict(gam_fit, newdata = x[recent, ]))
  r[!is.finite(r)] <- 0
  ar <- auto.arima(ts(r, frequency = 24), d = 0, D = 0, max.p = 3, max.q = 2, max.P = 1, max.Q = 0, stepwise = TRUE, approximation = TRUE)
  fa <- forecast(ar, h = horizon, level = 80)
  fit_sec <- as.numeric(Sys.time() - t0, units = "secs")
  targets <- o:(o + horizon - 1)
  for (variant in c("observed", "forecast")) {
    temp <- d$temp
    if (variant == "forecast") temp[targets] <- ifelse(is.na(d$temp_fc[targets]), d$temp[targets], d$temp_fc[targets])
    xv <- cbind(feat, temp_features(temp))
    base <- as.numeric(predict(gam_fit, newdata = xv[targets, ]))
    # Log-scale ARIMA quantiles mapped back; the median is the mean's back-transform without bias correction.
    out[[length(out) + 1]] <- data.frame(origin = o, variant = variant, step = seq_len(horizon), mean = exp(base + as.numeric(fa$mean)),
      p10 = exp(base + as.numeric(fa$lower[, 1])), p50 = exp(base + as.numeric(fa$mean)), p90 = exp(base + as.numeric(fa$upper[, 1])), fit_sec = fit_sec)
  }
}
write.csv(do.call(rbind, out), args[3], row.names = FALSE)
