# Independent oracle for klynge.stats.rate_ratio and poisson_regression (base R + MASS).
# Run once: Rscript tests/stats/independent/oracle_rates.R -> tests/stats/expected/rate_ratio.csv,
# regression_data.csv, regression_poisson.csv, regression_cluster.csv, regression_negbin.csv.

this_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(this_dir, "common.R"))
tight <- glm.control(epsilon = 1e-14, maxit = 100)

# --- two-group rate ratios: b (intervention) versus a (reference) ---
cases <- data.frame(
  events_a = c(30, 41, 7, 120, 3, 0, 12, 15, 250),
  time_a   = c(1000, 28010, 1200.5, 35000, 840, 1000, 900, 500, 100000),
  events_b = c(15, 28, 15, 95, 9, 15, 0, 15, 310),
  time_b   = c(1000, 19017, 1100, 36500, 760, 1000, 1100, 500, 90000),
  conf     = c(0.95, 0.95, 0.90, 0.99, 0.95, 0.95, 0.95, 0.95, 0.95)
)
rows <- list()
for (i in seq_len(nrow(cases))) {
  cs <- cases[i, ]
  # exact: poisson.test with x = c(b, a), T = c(time_b, time_a) estimates (b/Tb) / (a/Ta)
  ex <- poisson.test(c(cs$events_b, cs$events_a), c(cs$time_b, cs$time_a), conf.level = cs$conf)
  rows[[length(rows) + 1]] <- data.frame(case = i, method = "exact", cs,
    irr = unname(ex$estimate), ci_low = ex$conf.int[1], ci_high = ex$conf.int[2], p_value = ex$p.value)
  if (cs$events_a > 0 && cs$events_b > 0) {
    d <- data.frame(events = c(cs$events_a, cs$events_b), time = c(cs$time_a, cs$time_b), b = c(0, 1))
    fit <- glm(events ~ b + offset(log(time)), family = poisson, data = d, control = tight)
    est <- coef(summary(fit))["b", ]
    z <- qnorm(1 - (1 - cs$conf) / 2)
    rows[[length(rows) + 1]] <- data.frame(case = i, method = "wald", cs,
      irr = exp(est[["Estimate"]]), ci_low = exp(est[["Estimate"]] - z * est[["Std. Error"]]),
      ci_high = exp(est[["Estimate"]] + z * est[["Std. Error"]]), p_value = est[["Pr(>|z|)"]])
  }
}
write_expected(do.call(rbind, rows), expected_dir("rate_ratio.csv"))

# --- regression: areas x years with a covariate, over-dispersed counts ---
set.seed(11)
areas <- sprintf("K%02d", 1:12)
d <- expand.grid(year = 2019:2023, area = areas, stringsAsFactors = FALSE)
d$period <- ifelse(d$year >= 2021, "after", "before")
d$share_old <- round(runif(nrow(d), 0.15, 0.30), 3)
area_effect <- rnorm(length(areas), 0, 0.25)[match(d$area, areas)]
d$person_years <- round(runif(nrow(d), 8000, 40000))
mu <- d$person_years * 0.02 * exp(area_effect + 2 * (d$share_old - 0.2) - 0.15 * (d$period == "after"))
d$events <- rnbinom(nrow(d), mu = mu, size = 15)
write_expected(d, expected_dir("regression_data.csv"))

tidy <- function(est, se, names) {
  z <- qnorm(0.975)
  data.frame(term = names, estimate = est, std_error = se, rate_ratio = exp(est),
             ci_low = exp(est - z * se), ci_high = exp(est + z * se), p_value = 2 * pnorm(-abs(est / se)))
}

# Poisson GLM, model-based standard errors.
fit <- glm(events ~ period + share_old + offset(log(person_years)), family = poisson, data = d, control = tight)
write_expected(tidy(coef(fit), sqrt(diag(vcov(fit))), names(coef(fit))), expected_dir("regression_poisson.csv"))

# Cluster-robust (sandwich) covariance written out by hand:
#   V = c * B^-1 (sum_g s_g s_g') B^-1,  c = G/(G-1) * (N-1)/(N-K),
# with B the Fisher information X'WX and s_g the summed scores X'(y - mu) of cluster g.
X <- model.matrix(fit); mu_hat <- fitted(fit)
bread <- solve(t(X) %*% (X * mu_hat))
scores <- X * (d$events - mu_hat)
meat <- crossprod(rowsum(scores, d$area))
G <- length(unique(d$area)); N <- nrow(X); K <- ncol(X)
V <- G / (G - 1) * (N - 1) / (N - K) * bread %*% meat %*% bread
write_expected(tidy(coef(fit), sqrt(diag(V)), names(coef(fit))), expected_dir("regression_cluster.csv"))
if (requireNamespace("sandwich", quietly = TRUE)) {
  check <- sqrt(diag(sandwich::vcovCL(fit, cluster = ~area, type = "HC1")))
  stopifnot(all(abs(check / sqrt(diag(V)) - 1) < 1e-8))
}

# Negative binomial (NB2): maximise the log-likelihood directly; standard errors from the
# observed information (numerical Hessian) of all parameters, log(alpha) included.
Xnb <- model.matrix(~ period + share_old, data = d)
nll <- function(par) {
  beta <- par[-length(par)]; alpha <- exp(par[length(par)])
  m <- exp(drop(Xnb %*% beta) + log(d$person_years))
  -sum(dnbinom(d$events, size = 1 / alpha, mu = m, log = TRUE))
}
start <- c(coef(fit), log(0.1))
opt <- optim(start, nll, method = "BFGS", control = list(reltol = 1e-14, maxit = 1000))
opt <- optim(opt$par, nll, method = "Nelder-Mead", control = list(reltol = 1e-15, maxit = 5000))
opt <- optim(opt$par, nll, method = "BFGS", hessian = TRUE, control = list(reltol = 1e-15, maxit = 1000))
se <- sqrt(diag(solve(opt$hessian)))
nb <- tidy(opt$par[-length(opt$par)], se[-length(se)], colnames(Xnb))
nb$alpha <- exp(opt$par[length(opt$par)])
write_expected(nb, expected_dir("regression_negbin.csv"))
if (requireNamespace("MASS", quietly = TRUE)) {
  ref <- MASS::glm.nb(events ~ period + share_old + offset(log(person_years)), data = d)
  stopifnot(all(abs(coef(ref) - nb$estimate) < 1e-4))
}
