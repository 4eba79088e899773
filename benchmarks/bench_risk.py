"""Benchmark: training and evaluating the risk models at 1M persons.

Uses an existing warehouse (default: the shared 1M benchmark warehouse) read-only: a shadow
warehouse folder under --work links to its current build, so models, cards and scores are
written under --work and the shared folder is never modified. Runs `klynge.risk.train` in a
fresh process and reports the time of each step, the peak memory and the test-period metrics
beside the discrimination of the generator's true risks.

Usage: python benchmarks/bench_risk.py [--warehouse /tmp/bench/wh-ind-1000000] [--work DIR]
       [--max-train-rows 1000000] [--train-quarters 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_foundation import machine, run_child, write_block

BEGIN, END = "<!-- risk-benchmark:begin -->", "<!-- risk-benchmark:end -->"

TRAIN = """
import sys, json, time
from pathlib import Path
from klynge.risk import default_settings, train
from klynge.warehouse import open_warehouse
wh, rows, quarters, threads = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = default_settings(open_warehouse(wh), max_train_rows=rows, threads=threads or None)
s = type(s)(**{**s.__dict__, "train_dates": s.train_dates[-quarters:]})
t = time.perf_counter()
r = train(wh, s)
ev = r["evaluation"]
out = {"total": time.perf_counter() - t, "timings": r["timings"], "train_rows": r["train_rows"],
       "rows_used": min(rows, r["train_rows"]), "test_rows": ev["test_rows"],
       "train_dates": s.to_json()["train_dates"], "test_dates": s.to_json()["test_dates"],
       "models": {k: {m: v[m] for m in ("auc", "auc_low", "auc_high", "brier", "calibration_slope",
                                        "calibration_intercept", "events")} for k, v in ev["models"].items()},
       "truth": {k: {m: v[m] for m in ("auc", "auc_low", "auc_high", "brier")} for k, v in ev["truth"].items()
                 if isinstance(v, dict)},
       "rule": ev["rule"]}
print(json.dumps(out))
"""


def shadow(warehouse: Path, work: Path) -> Path:
    """A warehouse folder under ``work`` whose current build is the shared one (read-only)."""
    build = (warehouse / "current").resolve()
    wh = work / f"wh-risk-{build.name}"
    (wh / "builds").mkdir(parents=True, exist_ok=True)
    link = wh / "builds" / build.name
    if not link.exists():
        link.symlink_to(build)
    if not (wh / "current").exists():
        (wh / "current").symlink_to(Path("builds") / build.name)
    return wh


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", default="/tmp/bench/wh-ind-1000000")
    ap.add_argument("--work", default="/tmp/bench-risk")
    ap.add_argument("--max-train-rows", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=1, help="Threads for fitting (0: all cores).")
    ap.add_argument("--train-quarters", type=int, default=5)
    args = ap.parse_args()
    wh = shadow(Path(args.warehouse), Path(args.work))
    persons = json.loads((wh / "current" / "manifest.json").read_text())["tables"]["person"]["accepted"]
    r, wall, peak = run_child(TRAIN, str(wh), str(args.max_train_rows), str(args.train_quarters), str(args.threads))
    result = {**r, "persons": persons, "wall": wall, "peak_gb": peak, "machine": machine(),
              "date": time.strftime("%Y-%m-%d"), "max_train_rows": args.max_train_rows, "threads": args.threads}
    print(json.dumps(result, indent=1))
    out = Path(__file__).parent / "results" / "risk.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    write_doc(result)


def write_doc(r: dict) -> None:
    t = r["timings"]
    lines = [BEGIN, "", (f"Machine: {r['machine']} (run {r['date']}). Command: `python benchmarks/bench_risk.py` "
                         f"(the 1M benchmark warehouse, read-only)."), "",
             (f"{r['persons']:,} persons (2021-2025). Training index dates {', '.join(r['train_dates'])}: "
             f"{r['train_rows']:,} person-dates, {r['rows_used']:,} used to fit four models (logistic and "
             f"gradient boosting x 30 days and 12 months). Test dates {', '.join(r['test_dates'])}: "
             f"{r['test_rows']:,} person-dates. Whole run **{r['total']:.0f} s** (process wall {r['wall']:.0f} s, "
             f"peak {r['peak_gb']:.1f} GB; fitting with {r['threads'] or 'all'} thread(s) on a machine shared "
              f"with other work)."), "",
             "| step | seconds |", "|---|---:|"]
    lines += [f"| {k} | {v:.1f} |" for k, v in t.items()]
    lines += ["", "| model | events | AUC (95 % CI) | Brier | calibration slope / intercept |", "|---|---:|---:|---:|---:|"]
    for k, m in r["models"].items():
        lines.append(f"| {k} | {m['events']:,} | {m['auc']:.3f} ({m['auc_low']:.3f}-{m['auc_high']:.3f}) | "
                     f"{m['brier']:.4f} | {m['calibration_slope']:.2f} / {m['calibration_intercept']:.2f} |")
    for k, m in r["truth"].items():
        lines.append(f"| {k}: the generator's true risk | | {m['auc']:.3f} ({m['auc_low']:.3f}-{m['auc_high']:.3f}) | "
                     f"{m['brier']:.4f} | |")
    rule = r["rule"]
    lines += ["", (f"The home-care rule (rise > {rule['share']:.0%} over 8 weeks) among {rule['eligible']:,} eligible "
              f"person-dates (65+, personal care now and 8 weeks before): sensitivity "
              f"{rule['rule']['sensitivity']:.3f}, PPV {rule['rule']['ppv']:.3f}; the 30-day gradient boosting model "
              f"flagging as many of them: sensitivity {rule['acute_30d/hgb']['sensitivity']:.3f}, "
              f"PPV {rule['acute_30d/hgb']['ppv']:.3f}."), "", END]
    write_block(BEGIN, END, "\n".join(lines), "Risk models")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
