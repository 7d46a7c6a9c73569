# R side of bench/speed.ts: mgcv::bam(discrete = TRUE) refitted at every origin, then
# forecast::auto.arima on the GAM's recent residuals, day-ahead, on the origins gridcast uses.
# Features are gridcast's own feature table (written by the bench), so both fit the same columns.
#
# usage: Rscript speed-reference.R FEATURES.csv ORIGINS.csv OUT.csv HORIZON WINDOW_DAYS STEPS_PER_DAY
#   FEATURES.csv  y,hour,dayType,hourGroup,doy,trend,temp,temp_s6h,temp_s24h,temp_s72h  one row per step
#   ORIGINS.csv   origin   1-based row numbers; the model sees rows < origin
#   OUT.csv       origin,step,mean,fit_sec
# Prints the wall and CPU seconds of the loop (fits, residuals, ARIMA, predictions; reading excluded).
suppressPackageStartupMessages({ library(mgcv); library(forecast) })

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 6) stop("usage: Rscript speed-reference.R FEATURES.csv ORIGINS.csv OUT.csv HORIZON WINDOW_DAYS STEPS_PER_DAY")
horizon <- as.integer(args[4])
window_days <- as.integer(args[5])
per_day <- as.integer(args[6])

x <- read.csv(args[1])
x$dayType <- factor(x$dayType)
x$hourGroup <- factor(x$hourGroup)
origins <- read.csv(args[2])$origin

# Seven smooths: the daily profile by hour group, annual cycle, trend, temperature by time of day,
# and three exponentially smoothed temperatures (half-lives 6, 24, 72 h), on log load.
form <- log(y) ~ dayType + s(hour, by = hourGroup, bs = "cc", k = 13) + s(doy, bs = "cc", k = 14) + s(trend, k = 4) +
  te(temp, hour, bs = c("cr", "cc"), k = c(10, 12)) + s(temp_s6h, k = 6) + s(temp_s24h, k = 6) + s(temp_s72h, k = 6)

out <- vector("list", length(origins))
t_all <- Sys.time()
cpu_all <- proc.time()
for (j in seq_along(origins)) {
  o <- origins[j]
  t0 <- Sys.time()
  hist <- x[1:(o - 1), ]
  hist <- hist[is.finite(hist$y) & hist$y > 0, ]
  g <- bam(form, data = hist, discrete = TRUE, nthreads = 1, knots = list(hour = c(0, 24), doy = c(0, 1)))
  recent <- max(1, o - window_days * per_day):(o - 1)
  r <- log(x$y[recent]) - as.numeric(predict(g, newdata = x[recent, ]))
  r[!is.finite(r)] <- 0
  ar <- auto.arima(ts(r, frequency = per_day), d = 0, D = 0, max.p = 3, max.q = 2, max.P = 1, max.Q = 0, stepwise = TRUE, approximation = TRUE)
  targets <- o:(o + horizon - 1)
  base <- as.numeric(predict(g, newdata = x[targets, ]))
  fa <- forecast(ar, h = horizon)
  out[[j]] <- data.frame(origin = o, step = seq_len(horizon), mean = exp(base + as.numeric(fa$mean)), fit_sec = as.numeric(Sys.time() - t0, units = "secs"))
}
cpu <- proc.time() - cpu_all
cat(sprintf("wall_sec %.3f\ncpu_sec %.3f\n", as.numeric(Sys.time() - t_all, units = "secs"), cpu[["user.self"]] + cpu[["sys.self"]]))
write.csv(do.call(rbind, out), args[3], row.names = FALSE)
