"""Benchmark: the same warehouse build on DuckDB and on Spark (local[2]), at 100k persons or more.

Each engine builds the same synthetic source (``synthesise(seed=7)``, the default cluster) in a
fresh child process: input, core and marts, i.e. everything ``klynge build`` does. We report
wall time per build step (from the manifest) and peak memory. For Spark, peak memory is the sum
of the peak resident sets (VmHWM) of the Python driver process and its JVM child, since the
Python process alone is only the thin end; the JVM's is read just before the session stops.
The load average of the machine during each run is reported too: the machine is shared.

Usage: python benchmarks/bench_engines.py [--persons 100000] [--work DIR] [--spark-memory 4g]
Figures are written into docs/performance.md between the engines markers; a run at one size
keeps the figures of the others.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_foundation import machine, write_block  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "engines.json"
BEGIN, END = "<!-- engines-benchmark:begin -->", "<!-- engines-benchmark:end -->"

SYNTH = """
import sys, json
from klynge.synth import synthesise
r = synthesise(sys.argv[1], persons=int(sys.argv[2]), seed=7)
print(json.dumps({"persons": r.persons, "rows": r.rows}))
"""
BUILD = """
import sys, json, os, time
engine, memory = sys.argv[3], sys.argv[4]
t0 = time.perf_counter()
jvm = 0
conf = None
if engine == "spark":
    import psutil
    from klynge.ingest._engine_spark import spark_session
    conf = {"spark.master": "local[2]", "spark.driver.memory": memory}
    session, _ = spark_session(conf)   # started here, so the build reuses it and leaves it running
started = time.perf_counter() - t0
from klynge.ingest import build_warehouse
r = build_warehouse(sys.argv[1], sys.argv[2], engine=engine, spark_conf=conf)
if engine == "spark":
    for child in psutil.Process().children(recursive=True):
        if "java" in child.name():
            status = open(f"/proc/{child.pid}/status").read()
            jvm = max(jvm, int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM"))))
    session.stop()
print(json.dumps({"timings": r.manifest["timings"], "indicators": r.manifest["marts"]["indicators"]["timings"],
                  "session_start": started, "jvm_peak_kb": jvm}))
"""


def run_child(code: str, *args: str) -> tuple[dict, float, float, float]:
    """Run ``code`` in a fresh interpreter; its JSON output, wall s, peak RSS GB, mean load average."""
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"child failed ({status}): {args}")
    return json.loads(out.strip().splitlines()[-1]), wall, usage.ru_maxrss / 1024 / 1024, (load0 + os.getloadavg()[0]) / 2


def stages(timings: dict[str, float]) -> dict[str, float]:
    """Build steps grouped: sources+reference, input (all tables), period+core, marts, DuckDB load."""
    inputs = sum(v for k, v in timings.items() if k.startswith("input:"))
    return {"read+reference": timings.get("sources", 0) + timings.get("reference", 0), "input": inputs,
            "core": timings.get("period", 0) + timings.get("core", 0), "marts": timings.get("marts", 0),
            "duckdb load": timings.get("duckdb", 0), "total": timings.get("total", 0)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--work", default=str(ROOT / "benchmarks" / "out"))
    ap.add_argument("--spark-memory", default="4g")
    args = ap.parse_args()
    work = Path(args.work)
    src = work / f"engines-src-{args.persons}"
    if not (src / "person").exists():
        run_child(SYNTH, str(src), str(args.persons))
    runs = {}
    for engine in ("duckdb", "spark"):
        wh = work / f"engines-wh-{engine}"
        shutil.rmtree(wh, ignore_errors=True)
        out, wall, rss, load = run_child(BUILD, str(src), str(wh), engine, args.spark_memory)
        peak = rss + out["jvm_peak_kb"] / 1024 / 1024
        runs[engine] = {"wall": wall, "peak_gb": peak, "python_gb": rss, "jvm_gb": out["jvm_peak_kb"] / 1024 / 1024,
                        "load": load, "session_start": out["session_start"], "stages": stages(out["timings"]),
                        "indicators": out["indicators"]}
        print(engine, json.dumps(runs[engine]), flush=True)
        shutil.rmtree(wh, ignore_errors=True)
    result = {"persons": args.persons, "machine": machine(), "date": time.strftime("%Y-%m-%d"),
              "spark_memory": args.spark_memory, "runs": runs}
    results = load_results()
    results[str(args.persons)] = result
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"sizes": results}, indent=1))
    write_doc(results)


def load_results() -> dict[str, dict]:
    """Earlier results by number of persons (a run at one size keeps those at other sizes)."""
    if not RESULTS.exists():
        return {}
    data = json.loads(RESULTS.read_text())
    if "sizes" in data:
        return data["sizes"]
    return {str(data["persons"]): data}  # the format of a single size


def write_doc(results: dict[str, dict]) -> None:
    sizes = sorted(results.values(), key=lambda r: r["persons"])
    lines = [BEGIN, "", "Command: `python benchmarks/bench_engines.py --persons N [--spark-memory 4g]` (one size per "
             "run; results are merged in `benchmarks/results/engines.json`). Full build (input, core, marts) of "
             "`synthesise(persons=N, seed=7)` in a fresh process per engine; Spark `local[2]`. Peak memory for "
             "Spark is the Python driver's plus the JVM's peak resident set. *DuckDB load* is what is left of "
             "loading a Spark build's Parquet tables into `klynge.duckdb` after the marts: the input and core "
             "tables are loaded in the background while the marts run (inside the marts' time). On Spark two "
             "indicators run at a time, so their times below overlap.", "",
             "| persons | engine | wall s | read + reference | input (validation) | core | marts | DuckDB load | "
             "peak GB | load average | Spark ÷ DuckDB |", "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for result in sizes:
        duck, spark = result["runs"]["duckdb"], result["runs"]["spark"]
        ratio = spark["wall"] / duck["wall"]
        for name, run in (("DuckDB", duck), (f"Spark local[2], driver {result['spark_memory']}", spark)):
            s = run["stages"]
            memory = f"{run['peak_gb']:.2f}" + (f" ({run['python_gb']:.2f} + JVM {run['jvm_gb']:.2f})"
                                                if run["jvm_gb"] else "")
            lines.append(f"| {result['persons']:,} | {name} | {run['wall']:.0f} | {s['read+reference']:.1f} "
                         f"| {s['input']:.1f} | {s['core']:.1f} | {s['marts']:.1f} | {s['duckdb load']:.1f} "
                         f"| {memory} | {run['load']:.1f} | {'' if run is duck else f'**{ratio:.2f}×**'} |")
    lines += [""]
    for result in sizes:
        duck, spark = result["runs"]["duckdb"], result["runs"]["spark"]
        ratio = spark["wall"] / duck["wall"]
        slowest = sorted(spark["indicators"], key=lambda k: -spark["indicators"][k])[:3]
        lines.append(
            f"- {result['persons']:,} persons ({result['machine']}; run {result['date']}): Spark ÷ DuckDB "
            f"**{ratio:.2f}×** (target: within 3×; {'met' if ratio <= 3 else 'not met'}). Spark's session start "
            f"{spark['session_start']:.1f} s (in the wall time). Slowest indicators on Spark: "
            + ", ".join(f"{k} {spark['indicators'][k]:.1f} s (DuckDB {duck['indicators'].get(k, 0):.1f} s)"
                        for k in slowest) + ".")
    lines += ["", END]
    write_block(BEGIN, END, "\n".join(lines), "DuckDB and Spark")


if __name__ == "__main__":
    main()
