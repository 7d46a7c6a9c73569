# Reference numbers for models/selection/evidence.test.ts: R forecast::dm.test on daily validation
# losses (MAPE %), one-sided ("the preferred candidate's loss is greater"), h = 1, power = 1.
# Run from the repository root: Rscript bench/r/evidence-dm.R
suppressMessages(library(forecast))
show <- function(p, a) {
  t <- dm.test(p, a, alternative = "greater", h = 1, power = 1)
  cat(sprintf("statistic %.12f p %.12f\n", t$statistic, t$p.value))
}
show(c(9.1, 10.4, 8.7, 11.2), c(8.2, 9.0, 8.9, 9.6))
show(c(2.1, 1.8, 2.6, 1.9, 2.4, 2.0, 2.2), c(1.2, 1.1, 1.5, 1.0, 1.6, 1.3, 1.2))
