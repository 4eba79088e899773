"""Benchmark: synthetic generation and warehouse build at 100k, 1M and 6M persons.

Each step runs in a fresh child process; we report its wall time and peak memory (the
child's maximum resident set size), plus the per-step timings the build writes to its
manifest. The build here is the input and core layers; the marts (indicator catalogue) are
measured by bench_indicators.py. The baseline, measured in the same run, is a plain DuckDB load of the same Parquet
files with no validation: the floor the build's validation is compared against.

Usage: python benchmarks/bench_foundation.py [--sizes 100000,1000000,6000000] [--work DIR]
Figures are written into docs/performance.md between the foundation markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
RESULTS = ROOT / "benchmarks" / "results" / "foundation.json"   # every size's latest run, merged
BEGIN, END = "<!-- foundation-benchmark:begin -->", "<!-- foundation-benchmark:end -->"

SYNTH = """
import sys, json
from klynge.synth import synthesise
r = synthesise(sys.argv[1], persons=int(sys.argv[2]), seed=7)
print(json.dumps({"persons": r.persons, "rows": r.rows, "seconds": r.seconds}))
"""
BUILD = """
import sys, json
from klynge.ingest import build_warehouse
r = build_warehouse(sys.argv[1], sys.argv[2], marts=False)   # marts: bench_indicators.py
print(json.dumps({"timings": r.manifest.get("timings", {})}))
"""
FLOOR = """
import sys, json, duckdb, pathlib, time
src = pathlib.Path(sys.argv[1]); db = pathlib.Path(sys.argv[2]) / "floor.duckdb"
db.parent.mkdir(parents=True, exist_ok=True); db.unlink(missing_ok=True)
con = duckdb.connect(str(db)); con.execute("SET enable_progress_bar = false"); t = time.perf_counter()
for d in sorted(p for p in src.iterdir() if p.is_dir() and p.name != "truth"):
    con.execute(f"CREATE TABLE {d.name} AS SELECT * FROM read_parquet('{d}/*.parquet')")
con.close(); print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def run_child(code: str, *args: str) -> tuple[dict, float, float]:
    """Run `code` in a fresh interpreter; return its JSON output, wall seconds and peak RSS in GB."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    # Read the output before waiting: a child that fills the pipe would otherwise block forever.
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"child failed ({status}): {code.splitlines()[2]} {args}")
    return json.loads(out.strip().splitlines()[-1]), wall, usage.ru_maxrss / 1024 / 1024


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    import duckdb
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000,6000000")
    ap.add_argument("--work", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args()
    work = Path(args.work)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        src, wh = work / f"src-{n}", work / f"wh-{n}"
        shutil.rmtree(wh, ignore_errors=True)
        gen, gen_wall, gen_mem = run_child(SYNTH, str(src), str(n))
        floor, floor_wall, floor_mem = run_child(FLOOR, str(src), str(work / f"floor-{n}"))
        build, build_wall, build_mem = run_child(BUILD, str(src), str(wh))
        shutil.rmtree(work / f"floor-{n}", ignore_errors=True)
        events = sum(v for k, v in gen["rows"].items() if k not in ("person", "hospital_unit"))
        rows.append((n, gen["persons"], events, gen_wall, gen_mem, gen["seconds"], floor_wall, floor_mem,
                     build_wall, build_mem, build["timings"], machine(), time.strftime("%Y-%m-%d")))
        print(rows[-1], flush=True)
        _save(rows[-1])
        shutil.rmtree(src, ignore_errors=True)
        shutil.rmtree(wh, ignore_errors=True)
    write_doc(sorted(json.loads(RESULTS.read_text()).values()))


def _save(row: tuple) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    saved[str(row[0])] = list(row)
    RESULTS.write_text(json.dumps(saved, indent=1))


def write_doc(rows: list) -> None:
    machines = sorted({f"{r[11]} (run {r[12]})" for r in rows})
    lines = [BEGIN, "", "Machine: " + "; ".join(machines) + ". Command: `python benchmarks/bench_foundation.py "
             "--sizes 100000,1000000,6000000` (each size can be run alone; results are merged).", "",
             "| persons at start | persons total | source rows (all tables) | generate s | generate peak GB "
             "| plain DuckDB load s (baseline) | build s | build peak GB | build ÷ baseline |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, total, events, gw, gm, _gs, fw, _fm, bw, bm, _bt, *_ in rows:
        lines.append(f"| {n:,} | {total:,} | {events:,} | {gw:.1f} | {gm:.2f} | {fw:.1f} | {bw:.1f} | {bm:.2f} "
                     f"| {bw / fw:.1f}× |")
    lines += ["", "Time per step (seconds):", "",
              "| persons | generate: simulate / events / write | build steps |", "|---:|---|---|"]
    for n, _t, _e, _gw, _gm, gs, _fw, _fm, _bw, _bm, bt, *_ in rows:
        g = " / ".join(f"{gs.get(k, 0):.1f}" for k in ("simulate", "events", "write"))
        b = ", ".join(f"{k} {v:.1f}" for k, v in bt.items())
        lines.append(f"| {n:,} | {g} | {b} |")
    lines += ["", END]
    write_block(BEGIN, END, "\n".join(lines), "Foundation: generation and build")


def write_block(begin: str, end: str, block: str, heading: str) -> None:
    """Replace the marked block of docs/performance.md (or append it under `heading`)."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    if begin in text:
        text = text.split(begin)[0] + block + text.split(end, 1)[1]
    else:
        text += f"\n## {heading}\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
