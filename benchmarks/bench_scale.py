"""Benchmark: the full build (input + core + marts) against its alternatives, and how it grows.

For each configuration (persons at start x years of data) this runs, each in a fresh child
process, one after the other (never two at once):

1. the generator, only when the source folder is missing (``synthesise(seed=7)``, the default
   cluster, period ending 2025-12-31);
2. the full build, ``build_warehouse(source, warehouse)`` with the marts: validation of every
   table, the core tables, the overview marts and the whole indicator catalogue with its
   privacy gate;
3. with ``--pandas``: the pandas baseline of ``benchmarks/baseline_pandas.py`` (stays and three
   indicators by municipality x year from the same Parquet files), whose cells are then
   checked against klynge's ``marts__indicator_long``;
4. with ``--floor``: hand-written DuckDB SQL for the heaviest step (stays and the same three
   indicators straight from the Parquet files, no validation), checked the same way.

Time is wall-clock; CPU seconds (user + system of the child and its descendants) are reported
beside it because the machine is shared. Peak memory is measured two ways: the child's maximum
resident set size from ``wait4`` (the largest single process of the tree), and the sum of the
resident set sizes of the child and all its descendants, sampled every 0.2 s (the figure the
target is checked against; it is the larger one). The build's steps are timed by the build
itself (the manifest); the child also notes when each step started and ended, so that the
sampled memory is attributed to the stages input, core and marts.

Usage:
  python benchmarks/bench_scale.py --configs 100000,1000000,6000000 --pandas --floor
  python benchmarks/bench_scale.py --configs 1000000x2,1000000x3      # persons x years
Results: benchmarks/results/scale.json (every configuration's latest run, merged);
figures into docs/performance.md between the scale-benchmark markers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import machine, write_block  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
BEGIN, END = "<!-- scale-benchmark:begin -->", "<!-- scale-benchmark:end -->"
PANDAS_IDS = ("readmission_30d", "length_of_stay", "acute_admissions_65")

SYNTH = """
import sys, json
from datetime import date
from klynge.synth import synthesise
r = synthesise(sys.argv[1], persons=int(sys.argv[2]), seed=7, start=date(2026 - int(sys.argv[3]), 1, 1))
print(json.dumps({"persons": r.persons, "rows": r.rows, "seconds": r.seconds}))
"""
BUILD = """
import sys, json, time
from contextlib import contextmanager
from klynge.ingest import _report, build_warehouse
spans, step = [], _report.Timings.step
@contextmanager
def timed(self, name):
    t0 = time.time()
    with step(self, name):
        yield
    spans.append((name, t0, time.time()))
_report.Timings.step = timed
r = build_warehouse(sys.argv[1], sys.argv[2])
m = r.manifest
print(json.dumps({"timings": m["timings"], "spans": spans, "marts": m["marts"]["indicators"]["timings"],
                  "indicator_rows": m["marts"]["indicators"]["rows"], "core": m["core"],
                  "rows_read": sum(t["read"] for t in m["tables"].values()), "path": str(r.path)}))
"""
PANDAS = f"""
import sys, json
sys.path.insert(0, {str(ROOT / 'benchmarks')!r})
import baseline_pandas, pandas as pd
out = baseline_pandas.run(__import__('pathlib').Path(sys.argv[1]), pd.Timestamp(sys.argv[2]), pd.Timestamp(sys.argv[3]))
print(json.dumps(out, default=float))
"""


def run_child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; its JSON, wall and CPU seconds, peak memory (GB)."""
    samples: list[tuple[float, int]] = []
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        try:
            parent = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            total = 0
            try:
                for p in [parent, *parent.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
            except psutil.NoSuchProcess:
                break
            samples.append((time.time(), total))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else ""   # read before waiting: a full pipe would block
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"child failed ({status}): {code.strip().splitlines()[0]} {args}")
    return {"out": json.loads(out.strip().splitlines()[-1]), "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "maxrss_gb": usage.ru_maxrss / 2**20, "tree_peak_gb": max((s for _, s in samples), default=0) / 2**30,
            "samples": samples}


def stages(spans: list, samples: list) -> dict:
    """Seconds and sampled peak memory of the stages input (sources to period), core, marts."""
    groups = {"input": [s for s in spans if s[0] not in ("core", "marts", "total")],
              "core": [s for s in spans if s[0] == "core"], "marts": [s for s in spans if s[0] == "marts"]}
    out = {}
    for name, group in groups.items():
        if not group:
            continue
        lo, hi = min(s[1] for s in group), max(s[2] for s in group)
        peak = max((m for t, m in samples if lo <= t <= hi), default=0)
        out[name] = {"seconds": round(sum(s[2] - s[1] for s in group), 1), "peak_gb": round(peak / 2**30, 2)}
    return out


def compare(warehouse: Path, cells: dict) -> dict:
    """Cells of the baseline against klynge's published table: municipality x year, all persons."""
    import duckdb
    import pandas as pd

    con = duckdb.connect(str(warehouse / "klynge.duckdb"), read_only=True)
    k = con.execute(
        "SELECT indicator_id, geo_code AS municipality_code, period AS year, n_units, numerator, denominator, "
        "suppressed FROM marts__indicator_long WHERE level = 'municipality' AND period_type = 'year' "
        f"AND stratum_type = 'all' AND indicator_id IN {tuple(PANDAS_IDS)}").df()
    con.close()
    report = {}
    for ind, rows in cells.items():
        b = pd.DataFrame(rows)
        m = k[k.indicator_id == ind].merge(b, on=["municipality_code", "year"], how="outer", suffixes=("", "_b"),
                                           indicator=True)
        both = m[(m["_merge"] == "both") & ~m["suppressed"].astype(bool)]
        same = ((both["numerator"] - both["numerator_b"]).abs() <= 1e-6 * both["numerator"].abs().clip(lower=1)) & \
               ((both["denominator"] - both["denominator_b"]).abs() <= 1e-6 * both["denominator"].abs().clip(lower=1))
        report[ind] = {"cells_compared": int(len(both)), "equal": int(same.sum()),
                       "only_klynge": int((m["_merge"] == "left_only").sum()),
                       "only_baseline": int((m["_merge"] == "right_only").sum()),
                       "suppressed_in_klynge": int(m["suppressed"].fillna(False).astype(bool).sum())}
    return report


def config_key(persons: int, years: int) -> str:
    return f"{persons}x{years}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default="100000,1000000,6000000",
                    help="comma-separated PERSONS or PERSONSxYEARS (default 5 years, 2021-2025)")
    ap.add_argument("--src-root", default="/tmp/scale", help="source folders src-<persons>[-<years>y]; kept")
    ap.add_argument("--work", default="/tmp/scale/bench", help="warehouses (deleted after each run)")
    ap.add_argument("--pandas", action="store_true", help="also run the pandas baseline and compare")
    ap.add_argument("--floor", action="store_true", help="also run the DuckDB SQL floor and compare")
    ap.add_argument("--note", default="", help="a note on the run (e.g. the machine was shared)")
    ap.add_argument("--keep", action="store_true", help="keep the warehouses")
    ap.add_argument("--results", default=str(RESULTS), help="JSON to merge into (the doc is written from it)")
    args = ap.parse_args()
    for spec in args.configs.split(","):
        persons, _, years = spec.partition("x")
        persons, years = int(persons), int(years or 5)
        src = Path(args.src_root) / (f"src-{persons}" + (f"-{years}y" if years != 5 else ""))
        row: dict = {"persons_start": persons, "years": years, "machine": machine(), "date": time.strftime("%Y-%m-%d"),
                     "note": args.note, "load_before": os.getloadavg()[0]}
        if not (src / "person").exists():
            gen = run_child(SYNTH, str(src), str(persons), str(years))
            row["generate"] = {"wall": gen["wall"], "peak_gb": gen["tree_peak_gb"]}
        wh = Path(args.work) / f"wh-{config_key(persons, years)}"
        shutil.rmtree(wh, ignore_errors=True)
        build = run_child(BUILD, str(src), str(wh))
        b = build["out"]
        row["build"] = {"wall": build["wall"], "cpu": build["cpu"], "maxrss_gb": build["maxrss_gb"],
                        "tree_peak_gb": build["tree_peak_gb"], "timings": b["timings"], "indicators": b["marts"],
                        "stages": stages(b["spans"], build["samples"]), "rows_read": b["rows_read"],
                        "core": b["core"], "indicator_rows": b["indicator_rows"]}
        _save(config_key(persons, years), row, Path(args.results))   # kept if an alternative fails
        start, end = f"{2026 - years}-01-01", "2025-12-31"
        if args.pandas:
            pdr = run_child(PANDAS, str(src), start, end)
            row["pandas"] = {"wall": pdr["wall"], "cpu": pdr["cpu"], "tree_peak_gb": pdr["tree_peak_gb"],
                             "timings": pdr["out"]["timings"], "stays": pdr["out"]["stays"],
                             "check": compare(Path(b["path"]), pdr["out"]["cells"])}
        if args.floor:
            fl = run_child(FLOOR_CHILD, str(src), start, end)
            row["floor"] = {"wall": fl["wall"], "cpu": fl["cpu"], "tree_peak_gb": fl["tree_peak_gb"],
                            "timings": fl["out"]["timings"], "stays": fl["out"]["stays"],
                            "check": compare(Path(b["path"]), fl["out"]["cells"])}
        row["load_after"] = os.getloadavg()[0]
        print(json.dumps({k: v for k, v in row.items()}, default=str), flush=True)
        _save(config_key(persons, years), row, Path(args.results))
        if not args.keep:
            shutil.rmtree(wh, ignore_errors=True)
    write_doc(json.loads(Path(args.results).read_text()))


FLOOR_CHILD = f"""
import sys, json
sys.path.insert(0, {str(ROOT / 'benchmarks')!r})
import floor_sql
print(json.dumps(floor_sql.run(sys.argv[1], sys.argv[2], sys.argv[3]), default=float))
"""


def _save(key: str, row: dict, results: Path = RESULTS) -> None:
    results.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(results.read_text()) if results.exists() else {}
    saved[key] = row
    results.write_text(json.dumps(saved, indent=1, default=str))


def write_doc(saved: dict) -> None:
    rows = sorted(saved.values(), key=lambda r: (r["years"], r["persons_start"]))
    machines = sorted({f"{r['machine']} (run {r['date']})" for r in rows})
    lines = [BEGIN, "", "Machine: " + "; ".join(machines) + ". Command: `python benchmarks/bench_scale.py "
             "--configs 100000,1000000,6000000 --pandas --floor` (configurations can be run alone; results "
             "are merged in `benchmarks/results/scale.json`).", "",
             "| persons at start | years | source rows | build s | CPU s | peak GB (tree) | input s / GB | core s / GB "
             "| marts s / GB | load avg before/after |", "|---:|---:|---:|---:|---:|---:|---|---|---|---|"]
    def num(x, fmt: str) -> str:   # a figure, or "–" where the run did not measure it
        return "–" if x is None else format(x, fmt)

    for r in rows:
        b, st = r["build"], r["build"]["stages"]
        cell = {k: f"{st[k]['seconds']:.0f} / {num(st[k]['peak_gb'], '.1f')}" if k in st else "" for k in ("input", "core", "marts")}
        lines.append(f"| {r['persons_start']:,} | {r['years']} | {b['rows_read']:,} | {b['wall']:.0f} | {num(b['cpu'], '.0f')} "
                     f"| {num(b['tree_peak_gb'], '.2f')} | {cell['input']} | {cell['core']} | {cell['marts']} "
                     f"| {r['load_before']:.1f} / {num(r.get('load_after'), '.1f')} |")
    alts = [r for r in rows if "pandas" in r or "floor" in r]
    if alts:
        lines += ["", "The same stays and three indicators (readmission_30d, length_of_stay, acute_admissions_65) by "
                  "municipality x year, computed three ways from the same Parquet files:", "",
                  "| persons × years | klynge full build s | klynge core + 3 indicators s | pandas s (peak GB) "
                  "| DuckDB SQL floor s (peak GB) | pandas ÷ klynge (full / same work) | cells equal (pandas; floor) |",
                  "|---:|---:|---:|---:|---:|---|---|"]
        for r in alts:
            b = r["build"]
            same = b["timings"].get("core", 0) + sum(b["indicators"].get(i, 0) for i in PANDAS_IDS)
            p, f = r.get("pandas"), r.get("floor")
            ps = f"{p['wall']:.1f} ({p['tree_peak_gb']:.1f})" if p else ""
            fs = f"{f['wall']:.1f} ({f['tree_peak_gb']:.1f})" if f else ""
            ratio = f"{p['wall'] / b['wall']:.2f}× / {p['wall'] / same:.2f}×" if p else ""

            def eq(x):
                return ", ".join(f"{v['equal']}/{v['cells_compared']}" for v in x["check"].values()) if x else "-"
            lines.append(f"| {r['persons_start']:,} × {r['years']} y | {b['wall']:.0f} | {same:.1f} | {ps} | {fs} | {ratio} "
                         f"| {eq(p)}; {eq(f)} |")
    lines += ["", END]
    write_block(BEGIN, END, "\n".join(lines), "Scale: the full build, its alternatives, growth")


if __name__ == "__main__":
    main()
