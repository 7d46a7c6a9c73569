# R reference for short, weather-free histories (issue 12): a plain mgcv GAM on the calendar,
#   load ~ daytype + s(tod, by = daytype, bs = "cc") + s(trend)
# then forecast::auto.arima on the last 14 days of its residuals (daily seasonal AR allowed, no
# differencing, as bench/r/reference.R), refitted at every origin.
# daytype: working day / Saturday / Sunday (public holidays as Sunday). The main effect of daytype
# is added because by-factor smooths are centred (without it every day type has the same level).
#
# usage: Rscript short-reference.R DATA.csv ORIGINS.csv OUT.csv HORIZON STEPS_PER_DAY [RESIDUAL_DAYS]
#   DATA.csv    load,tod,dow,holiday   one row per step, in order; tod = local time of day in hours
#               (0 <= tod < 24), dow = local ISO weekday (1 = Monday), holiday = 1 on public holidays
#   ORIGINS.csv origin                 1-based row numbers; the model sees rows < origin
#   OUT.csv     origin,step,mean,p10,p50,p90,fit_sec
suppressPackageStartupMessages({ library(mgcv); library(forecast) })

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 5) stop("usage: Rscript short-reference.R DATA.csv ORIGINS.csv OUT.csv HORIZON STEPS_PER_DAY [RESIDUAL_DAYS]")
horizon <- as.integer(args[4])
per_day <- as.integer(args[5])
residual_days <- if (length(args) >= 6) as.integer(args[6]) else 14L

d <- read.csv(args[1])
origins <- read.csv(args[2])$origin
daytype <- ifelse(d$holiday == 1 | d$dow == 7, "sunday", ifelse(d$dow == 6, "saturday", "workday"))
x <- data.frame(load = d$load, tod = d$tod, daytype = factor(daytype, levels = c("workday", "saturday", "sunday")),
                trend = (seq_len(nrow(d)) - 1) / per_day)

out <- list()
for (o in origins) {
  t0 <- Sys.time()
  hist <- x[1:(o - 1), ]
  hist <- hist[is.finite(hist$load), ]
  g <- gam(load ~ daytype + s(tod, by = daytype, bs = "cc") + s(trend), data = hist, method = "REML", knots = list(tod = c(0, 24)))
  recent <- max(1, o - residual_days * per_day):(o - 1)
  r <- x$load[recent] - as.numeric(predict(g, newdata = x[recent, ]))
  r[!is.finite(r)] <- 0
  # The order search of bench/r/reference.R (a daily seasonal AR allowed, no differencing): an
  # unrestricted seasonal search at period 48 takes minutes per origin.
  ar <- auto.arima(ts(r, frequency = per_day), d = 0, D = 0, max.p = 3, max.q = 2, max.P = 1, max.Q = 0, stepwise = TRUE, approximation = TRUE)
  fa <- forecast(ar, h = horizon, level = 80)
  targets <- o:(o + horizon - 1)
  base <- as.numeric(predict(g, newdata = x[targets, ]))
  fit_sec <- as.numeric(Sys.time() - t0, units = "secs")
  out[[length(out) + 1]] <- data.frame(origin = o, step = seq_len(horizon), mean = base + as.numeric(fa$mean),
    p10 = base + as.numeric(fa$lower[, 1]), p50 = base + as.numeric(fa$mean), p90 = base + as.numeric(fa$upper[, 1]), fit_sec = fit_sec)
}
write.csv(do.call(rbind, out), args[3], row.names = FALSE)
