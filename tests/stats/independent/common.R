# Helpers shared by the independent oracle scripts (base R only).
# These scripts are NOT part of klynge: they were run once to produce tests/stats/expected/.

expected_dir <- function(...) {
  args <- commandArgs(trailingOnly = FALSE)
  script <- sub("^--file=", "", args[grep("^--file=", args)])
  root <- normalizePath(file.path(dirname(script), "..", "expected"))
  file.path(root, ...)
}

samples_dir <- function(...) {
  root <- Sys.getenv("KLYNGE_SAMPLES", "/work/shared/samples")
  file.path(root, ...)
}

# Write a data frame with full double precision (17 significant digits).
write_expected <- function(df, path) {
  dir.create(dirname(path), showWarnings = FALSE, recursive = TRUE)
  out <- df
  for (col in names(out)) {
    if (is.double(out[[col]])) {
      v <- out[[col]]
      s <- sprintf("%.17g", v)
      s[is.na(v)] <- ""
      s[is.infinite(v) & v > 0] <- "inf"
      s[is.infinite(v) & v < 0] <- "-inf"
      out[[col]] <- s
    } else if (is.logical(out[[col]])) {
      out[[col]] <- ifelse(out[[col]], "True", "False")
    }
  }
  write.csv(out, path, row.names = FALSE, quote = TRUE, na = "")
  cat("wrote", path, "\n")
}
