# Independent oracle for klynge.stats.standardise_* (base R + epitools when available).
# Direct: DSR = sum(w_i d_i / n_i), w_i = standard shares; Fay & Feuer (1997) gamma limits
#   lower = qgamma(a/2, shape = y^2/v, scale = v/y), upper = qgamma(1-a/2, shape = (y+wm)^2/(v+wm^2),
#   scale = (v+wm^2)/(y+wm)), v = sum(w_i^2 d_i / n_i^2), wm = max(w_i / n_i); lower = 0 when y = 0.
# Indirect: E = sum(n_i * R_i), SMR = O / E with poisson.test(O, E) exact limits.
# Run once: Rscript tests/stats/independent/oracle_standardise.R
#   -> tests/stats/expected/standardise_data.csv, standardise_direct.csv, standardise_indirect.csv

this_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(this_dir, "common.R"))

set.seed(7)
strata <- paste(rep(c("0-44", "45-64", "65-74", "75-84", "85+"), 2), rep(c("F", "M"), each = 5))
standard <- c(180000, 140000, 60000, 35000, 12000, 185000, 138000, 55000, 28000, 7000)
std_rates <- c(0.0004, 0.002, 0.008, 0.02, 0.06, 0.0006, 0.003, 0.011, 0.028, 0.08)
areas <- c("Aabenraa", "Billund", "Fanø", "Læsø", "Odense", "Zero")
d <- do.call(rbind, lapply(areas, function(a) {
  size <- if (a == "Odense") 20 else if (a %in% c("Fanø", "Læsø")) 0.3 else 2
  pop <- round(standard * size * runif(10, 0.5, 1.5) / 10)
  ev <- rpois(10, pop * std_rates * runif(1, 0.7, 1.4))
  if (a == "Zero") ev[] <- 0
  if (a == "Læsø") { pop[5] <- 0; ev[5] <- 0 }
  data.frame(area = a, stratum = strata, events = ev, population = pop, standard = standard,
             standard_rate = std_rates)
}))
write_expected(d, expected_dir("standardise_data.csv"))

conf_levels <- c(0.95, 0.90)
direct <- list(); indirect <- list()
for (a in areas) for (conf in conf_levels) {
  x <- d[d$area == a, ]
  alpha <- 1 - conf
  w <- x$standard / sum(x$standard)
  ok <- x$population > 0
  y <- sum(w[ok] * x$events[ok] / x$population[ok])
  v <- sum(w[ok]^2 * x$events[ok] / x$population[ok]^2)
  wm <- max(w[ok] / x$population[ok])
  lower <- if (y > 0) qgamma(alpha / 2, shape = y^2 / v, scale = v / y) else 0
  upper <- qgamma(1 - alpha / 2, shape = (y + wm)^2 / (v + wm^2), scale = (v + wm^2) / (y + wm))
  if (y > 0 && all(ok) && requireNamespace("epitools", quietly = TRUE)) {
    ref <- epitools::ageadjust.direct(x$events, x$population, stdpop = x$standard, conf.level = conf)
    stopifnot(abs(ref[["adj.rate"]] / y - 1) < 1e-12, abs(ref[["lci"]] / lower - 1) < 1e-10,
              abs(ref[["uci"]] / upper - 1) < 1e-10)
  }
  direct[[length(direct) + 1]] <- data.frame(area = a, conf = conf, events = sum(x$events),
    population = sum(x$population), crude_rate = sum(x$events) / sum(x$population),
    rate = y, ci_low = lower, ci_high = upper)
  observed <- sum(x$events); expected <- sum(x$population * x$standard_rate)
  pt <- poisson.test(observed, expected, conf.level = conf)
  indirect[[length(indirect) + 1]] <- data.frame(area = a, conf = conf, observed = observed,
    expected = expected, smr = observed / expected, ci_low = pt$conf.int[1], ci_high = pt$conf.int[2])
}
write_expected(do.call(rbind, direct), expected_dir("standardise_direct.csv"))
write_expected(do.call(rbind, indirect), expected_dir("standardise_indirect.csv"))
