# Independent oracle for klynge.stats.qic: run and control charts re-implemented in base R
# from the documented rules of qicharts2 (Anhøj 2014/2015; Montgomery) -- not qicharts2's code,
# which cannot be installed here. Run once: Rscript tests/stats/independent/oracle_spc.R
# Reads the public qicharts2 sample data from $KLYNGE_SAMPLES (default /work/shared/samples)
# and writes tests/stats/expected/qic/<case>_points.csv and <case>_summary.csv.
# For sample-data cases only computed columns are written (the data stay in shared/).

this_dir <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(this_dir, "common.R"))

num_list <- function(s) if (is.na(s) || s == "") integer(0) else as.integer(strsplit(s, ";")[[1]])

# Centre line, per-point limits and plotted values of one part.
#   v: plotted value (y/n or y), y: numerator, n: denominator, use: points for the centre line.
part_lines <- function(v, y, n, chart, use, screened) {
  k <- length(v)
  none <- rep(NA_real_, k)
  if (chart == "run") {
    return(list(v = v, cl = median(v[use], na.rm = TRUE), lcl = none, ucl = none))
  }
  if (chart == "mr") {
    mr <- if (k > 1) c(NA, abs(v[2:k] - v[1:(k - 1)])) else NA_real_
    centre <- mean(mr[use], na.rm = TRUE)
    return(list(v = mr, cl = centre, lcl = rep(0, k), ucl = rep(3.267 * centre, k)))
  }
  if (chart == "i") {
    base_v <- v[use]
    ranges <- if (length(base_v) > 1) abs(base_v[-1] - base_v[-length(base_v)]) else numeric(0)
    avg <- mean(ranges, na.rm = TRUE)
    if (screened) {
      kept <- ranges[!is.na(ranges) & ranges <= 3.267 * avg]
      avg <- if (length(kept)) mean(kept) else NaN
    }
    centre <- mean(v[use], na.rm = TRUE)
    s <- rep(avg / 1.128, k)
    return(list(v = v, cl = centre, lcl = centre - 3 * s, ucl = centre + 3 * s))
  }
  if (chart == "c") {
    centre <- mean(y[use], na.rm = TRUE)
    s <- rep(sqrt(centre), k)
    return(list(v = y, cl = centre, lcl = pmax(centre - 3 * s, 0), ucl = centre + 3 * s))
  }
  ok <- use & !is.na(y)
  centre <- if (sum(n[ok]) > 0) sum(y[ok]) / sum(n[ok]) else NaN
  s <- if (chart == "p") sqrt(centre * (1 - centre) / n) else sqrt(centre / n)
  lcl <- pmax(centre - 3 * s, 0)
  ucl <- centre + 3 * s
  if (chart == "p") ucl <- pmin(ucl, 1)
  list(v = v, cl = centre, lcl = lcl, ucl = ucl)
}

# Anhøj rules: longest run and number of crossings, ignoring points on the centre line.
anhoej <- function(v, cl) {
  side <- sign(v - cl)
  side <- side[!is.na(side) & side != 0]
  m <- length(side)
  if (m == 0) return(list(n_useful = 0L, longest_run = NA, longest_run_max = NA,
                          n_crossings = NA, n_crossings_min = NA, signal = FALSE))
  runs <- rle(side)$lengths
  lr <- max(runs); nc <- length(runs) - 1
  lr_max <- round(log2(m)) + 3
  nc_min <- qbinom(0.05, m - 1, 0.5)
  list(n_useful = m, longest_run = lr, longest_run_max = lr_max, n_crossings = nc,
       n_crossings_min = nc_min, signal = lr > lr_max || nc < nc_min)
}

spc <- function(y, n, chart, parts, freeze, exclude, multiply, screened) {
  k <- length(y)
  has_n <- !is.null(n)
  if (!has_n) n <- rep(NA_real_, k)
  missing <- is.na(y) | (has_n & (is.na(n) | n == 0))
  y[missing] <- NA
  if (has_n) n[missing] <- NA
  v <- if (has_n && chart != "c") y / n else y
  pos <- seq_len(k)
  part <- findInterval(pos - 1, c(0, parts))  # break point b ends a part after point b
  baseline <- pos <= ifelse(is.na(freeze), k, freeze)
  include <- !(pos %in% exclude)
  points <- list(); summary <- list()
  for (p in sort(unique(part))) {
    i <- which(part == p)
    L <- part_lines(v[i], y[i], n[i], chart, (baseline & include)[i], screened)
    pv <- L$v
    lcl <- ifelse(is.na(pv), NA, L$lcl); ucl <- ifelse(is.na(pv), NA, L$ucl)
    cl <- rep(L$cl, length(i))
    R <- anhoej(pv[include[i]], cl[include[i]])
    sig <- !is.na(pv) & !is.na(ucl) & (pv * multiply > ucl * multiply | pv * multiply < lcl * multiply)
    runs_signal <- R$signal && chart != "mr"
    points[[p]] <- data.frame(y = y[i], n = n[i], part = p, y_plot = pv * multiply, cl = cl * multiply,
                              lcl = lcl * multiply, ucl = ucl * multiply, sigma_signal = sig,
                              runs_signal = rep(runs_signal, length(i)))
    avg <- function(a) { a <- a[!is.na(a)]; if (length(a)) mean(a) else NA_real_ }
    summary[[p]] <- data.frame(part = p, n_obs = sum(include[i]), n_useful = R$n_useful,
                               longest_run = as.numeric(R$longest_run), longest_run_max = as.numeric(R$longest_run_max),
                               n_crossings = as.numeric(R$n_crossings), n_crossings_min = as.numeric(R$n_crossings_min),
                               runs_signal = runs_signal, cl = L$cl * multiply,
                               lcl = avg(lcl * multiply), ucl = avg(ucl * multiply), n_sigma_signals = sum(sig))
  }
  list(points = do.call(rbind, points), summary = do.call(rbind, summary))
}

# Synthetic inputs (written with the results so the tests can replay them).
set.seed(2024)
synthetic <- list(
  syn_i_missing_exclude = list(y = c(10.2, 9.8, 11.1, 10.4, NA, 9.6, 10.9, 10.1, 25.0, 10.3, 9.9, 10.7, 10.0, 11.3, 9.4)),
  syn_run_ties = list(y = c(5, 3, 5, 7, 5, 6, 5, 4, 5, 8, 2, 5)),
  syn_run_shift = list(y = round(c(rnorm(12, 10, 1), rnorm(12, 13, 1)), 2)),
  syn_run_parts = list(y = round(c(rnorm(8, 10), rnorm(8, 14), rnorm(8, 9)), 2)),
  syn_one_point_run = list(y = 4.5),
  syn_one_point_i = list(y = 4.5),
  syn_all_equal_i = list(y = rep(3, 10)),
  syn_all_equal_run = list(y = rep(3, 10)),
  syn_p_tiny_n = list(y = c(0, 1, 1, 2, 0, 3, 1, 0, 2, 1, 5), n = c(1, 2, 1, 4, 0, 9, 3, 2, 8, 5, 6)),
  syn_c_freeze = list(y = c(rpois(12, 8), rpois(10, 15))),
  syn_mr_parts = list(y = round(c(rnorm(10, 50, 4), rnorm(10, 60, 8)), 1)),
  syn_i_freeze_exclude = list(y = round(c(rnorm(15, 20, 2), rnorm(10, 18, 2)), 2)),
  syn_u_missing = list(y = c(3, 5, NA, 4, 7, 2, 6, 0, 4, 5), n = c(120, 150, 130, 0, 160, 90, 140, 100, NA, 110)),
  syn_i_ratio = list(y = c(30, 42, 35, 50, 28, 39, 44, 36), n = c(300, 350, 320, 330, 310, 340, 360, 300))
)

cases <- read.csv(file.path(this_dir, "qic_cases.csv"), colClasses = "character")
for (r in seq_len(nrow(cases))) {
  cs <- cases[r, ]
  if (cs$source == "synthetic") {
    d <- synthetic[[cs$case]]; y <- d$y; n <- d$n
    raw <- data.frame(y = y)
    if (!is.null(n)) raw$n <- n
    write_expected(raw, expected_dir("qic", paste0(cs$case, "_input.csv")))
  } else {
    path <- samples_dir("qicharts2", sub("^sample:", "", cs$source))
    if (!file.exists(path)) { cat("skip", cs$case, "(no sample data)\n"); next }
    data <- read.csv(path, check.names = FALSE)
    y <- as.numeric(data[[cs$y_col]])
    n <- if (cs$n_col == "") NULL else as.numeric(data[[cs$n_col]])
  }
  parts <- if (cs$part == "period") sum(data$period == "pre") else num_list(cs$part)
  freeze <- if (cs$freeze == "") NA else as.integer(cs$freeze)
  res <- spc(y, n, cs$chart, parts, freeze, num_list(cs$exclude), as.numeric(cs$multiply),
             as.logical(cs$screened_mr))
  pts <- res$points
  if (cs$source != "synthetic") pts <- pts[, c("part", "cl", "lcl", "ucl", "sigma_signal", "runs_signal")]
  write_expected(pts, expected_dir("qic", paste0(cs$case, "_points.csv")))
  write_expected(res$summary, expected_dir("qic", paste0(cs$case, "_summary.csv")))
}

# Anhøj & Olesen (2014) limits for 10-100 useful points, from the rules' definitions.
m <- 10:100
write_expected(data.frame(n_useful = m, longest_run_max = round(log2(m)) + 3,
                          n_crossings_min = qbinom(0.05, m - 1, 0.5)),
               expected_dir("anhoej_limits.csv"))
