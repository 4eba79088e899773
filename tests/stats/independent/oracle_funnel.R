# Independent oracle for klynge.stats.funnel (base R).
# Spiegelhalter (2005) Stat Med 24:1185, appendix: exact limits with interpolation,
#   r_p = qbinom(p, n, theta) [or qpois(p, n * theta)],
#   a   = (F(r_p) - p) / (F(r_p) - F(r_p - 1)),  limit = (r_p - a) / n,
# and the normal approximation theta +/- z * sqrt(theta (1 - theta) / n) [or sqrt(theta / n)].
# Limits are clipped to [0, 1] for proportions and at 0 for rates.
# Run once: Rscript tests/stats/independent/oracle_funnel.R -> tests/stats/expected/funnel.csv

this_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(this_dir, "common.R"))

exact_limit <- function(p, n, theta, kind) {
  if (kind == "binomial") {
    r <- qbinom(p, n, theta); Fr <- pbinom(r, n, theta); Fm <- pbinom(r - 1, n, theta)
  } else {
    r <- qpois(p, n * theta); Fr <- ppois(r, n * theta); Fm <- ppois(r - 1, n * theta)
  }
  (r - (Fr - p) / (Fr - Fm)) / n
}
normal_limit <- function(p, n, theta, kind) {
  v <- if (kind == "binomial") theta * (1 - theta) else theta
  theta + qnorm(p) * sqrt(v / n)
}

units <- list(
  binomial = data.frame(events = c(0, 1, 3, 5, 12, 30, 45, 80, 160, 400, 2),
                        denominator = c(1, 2, 10, 50, 60, 200, 300, 1000, 1500, 4000, 3)),
  poisson = data.frame(events = c(0, 1, 2, 9, 14, 40, 75, 130, 500),
                       denominator = c(0.5, 2, 10, 60.5, 100, 310, 820.25, 1000, 5200))
)
targets <- c(binomial = 0.1, poisson = 0.12)
rows <- list()
for (kind in names(units)) {
  u <- units[[kind]]; theta <- targets[[kind]]
  upper_bound <- if (kind == "binomial") 1 else Inf
  for (method in c("exact", "normal")) {
    f <- if (method == "exact") exact_limit else normal_limit
    out <- data.frame(kind = kind, method = method, u, observed = u$events / u$denominator, target = theta)
    for (lev in list(c("95", 0.025), c("998", 0.001))) {
      p <- as.numeric(lev[2])
      out[[paste0("lower_", lev[1])]] <- pmin(pmax(f(p, u$denominator, theta, kind), 0), upper_bound)
      out[[paste0("upper_", lev[1])]] <- pmin(pmax(f(1 - p, u$denominator, theta, kind), 0), upper_bound)
    }
    for (lev in c("95", "998")) {
      out[[paste0("outside_", lev)]] <- out$observed < out[[paste0("lower_", lev)]] |
        out$observed > out[[paste0("upper_", lev)]]
    }
    rows[[length(rows) + 1]] <- out
  }
}
write_expected(do.call(rbind, rows), expected_dir("funnel.csv"))
