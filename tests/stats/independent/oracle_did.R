# Independent oracle for klynge.stats.did (base R glm; sandwich when available, as a cross-check).
# Model: events ~ treated + factor(unit) + factor(period) + offset(log(exposure)), Poisson.
# Cluster-robust covariance on unit written out by hand (c = G/(G-1) (N-1)/(N-K)).
# Event study: indicators for each period relative to adoption (treated units only), reference -1;
# without never-treated units the earliest relative period is a second reference.
# Run once: Rscript tests/stats/independent/oracle_did.R
#   -> tests/stats/expected/did_panel_<name>.csv, did_<name>.csv, did_<name>_event_study.csv

this_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(this_dir, "common.R"))
tight <- glm.control(epsilon = 1e-14, maxit = 100)

make_panel <- function(adoption, n_periods, effect, seed, empty_unit = FALSE) {
  set.seed(seed)
  units <- sprintf("U%02d", seq_along(adoption))
  p <- expand.grid(period = seq_len(n_periods), unit = units, stringsAsFactors = FALSE)
  p$exposure <- round(runif(nrow(p), 2000, 6000), 1)
  a <- adoption[match(p$unit, units)]
  p$treated <- as.integer(!is.na(a) & p$period >= a)
  unit_eff <- rnorm(length(units), 0, 0.3)[match(p$unit, units)]
  mu <- p$exposure * 0.01 * exp(unit_eff + 0.03 * p$period) * ifelse(p$treated == 1, effect, 1)
  p$events <- rpois(nrow(p), mu)
  if (empty_unit) p$events[p$unit == units[length(units)]] <- 0
  p[, c("unit", "period", "exposure", "treated", "events")]
}

cluster_se <- function(fit, cluster) {
  X <- model.matrix(fit); mu <- fitted(fit); y <- fit$y
  bread <- solve(t(X) %*% (X * mu))
  meat <- crossprod(rowsum(X * (y - mu), cluster))
  G <- length(unique(cluster)); N <- nrow(X); K <- ncol(X)
  sqrt(diag(G / (G - 1) * (N - 1) / (N - K) * bread %*% meat %*% bread))
}

estimates <- function(fit, terms, se) {
  est <- coef(fit)[terms]; z <- qnorm(0.975)
  data.frame(term = terms, estimate = est, std_error = se[terms], rate_ratio = exp(est),
             ci_low = exp(est - z * se[terms]), ci_high = exp(est + z * se[terms]),
             p_value = 2 * pnorm(-abs(est / se[terms])))
}

panels <- list(
  staggered = make_panel(c(5, 5, 7, 7, 9, 9, NA, NA, NA), 12, 0.75, 1),
  all_treated = make_panel(c(4, 5, 7, 4, 6, 8), 10, 0.8, 2),
  with_empty_unit = make_panel(c(4, 4, 6, NA, NA, NA, NA), 8, 1.2, 3, empty_unit = TRUE)
)
for (name in names(panels)) {
  p <- panels[[name]]
  write_expected(p, expected_dir(paste0("did_panel_", name, ".csv")))
  q <- p[ave(p$events, p$unit, FUN = sum) > 0, ]  # units without events carry no information
  f <- glm(events ~ treated + factor(unit) + factor(period) + offset(log(exposure)),
           family = poisson, data = q, control = tight)
  se_model <- sqrt(diag(vcov(f))); se_cluster <- cluster_se(f, q$unit)
  if (requireNamespace("sandwich", quietly = TRUE)) {
    check <- sqrt(diag(sandwich::vcovCL(f, cluster = ~unit, type = "HC1")))
    stopifnot(abs(check[["treated"]] / se_cluster[["treated"]] - 1) < 1e-6)
  }
  main <- rbind(cbind(cov_type = "model", estimates(f, "treated", se_model)),
                cbind(cov_type = "cluster", estimates(f, "treated", se_cluster)))
  write_expected(main, expected_dir(paste0("did_", name, ".csv")))

  adoption <- ave(ifelse(q$treated == 1, q$period, NA), q$unit, FUN = function(v) suppressWarnings(min(v, na.rm = TRUE)))
  rel <- ifelse(is.finite(adoption), q$period - adoption, NA)
  refs <- -1
  if (!any(is.na(rel))) refs <- c(refs, min(rel))
  levels <- setdiff(sort(unique(rel[!is.na(rel)])), refs)
  for (k in levels) q[[paste0("rel", ifelse(k < 0, "m", "p"), abs(k))]] <- as.integer(!is.na(rel) & rel == k)
  terms <- paste0("rel", ifelse(levels < 0, "m", "p"), abs(levels))
  fe <- glm(as.formula(paste("events ~", paste(terms, collapse = " + "),
                             "+ factor(unit) + factor(period) + offset(log(exposure))")),
            family = poisson, data = q, control = tight)
  for (cov_type in c("model", "cluster")) {
    se <- if (cov_type == "model") sqrt(diag(vcov(fe))) else cluster_se(fe, q$unit)
    es <- estimates(fe, terms, se)
    es$relative_period <- levels
    es$cov_type <- cov_type
    write_expected(es[, c("cov_type", "relative_period", "rate_ratio", "ci_low", "ci_high", "p_value")],
                   expected_dir(paste0("did_", name, "_event_study_", cov_type, ".csv")))
  }
}
