"""Benchmark: the full indicator catalogue at 1M persons.

Synthesises a population (or reuses one), builds the warehouse without marts, then computes
every indicator in a fresh process, timing each. The baseline in the same run is a hand-written
DuckDB SQL query of the heaviest-looking step (30-day readmission from the stays), the floor an
analyst's direct SQL would reach.

Usage: python benchmarks/bench_indicators.py [--persons 1000000] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_foundation import machine, run_child, write_block  # noqa: E402

BEGIN, END = "<!-- indicators-benchmark:begin -->", "<!-- indicators-benchmark:end -->"

PREPARE = """
import sys, json, pathlib
from klynge.synth import synthesise
from klynge.ingest import build_warehouse
src, wh = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
if not (src / "klynge-source.json").exists():
    synthesise(src, persons=int(sys.argv[3]), seed=7)
r = build_warehouse(src, wh, marts=False)
print(json.dumps({"persons": r.tables["person"].accepted}))
"""
CATALOGUE = """
import sys, json, time, ibis
from klynge.warehouse import current_build
from klynge.indicators import compute_catalogue, gate_long
from klynge.indicators._run import geography
con = ibis.duckdb.connect(str(current_build(sys.argv[1]) / "klynge.duckdb"))
con.raw_sql("SET TimeZone='Europe/Copenhagen'")
t = time.perf_counter()
long, meta = compute_catalogue(con)
t_compute = time.perf_counter() - t
t = time.perf_counter(); gated = gate_long(long, geography(con)[0]); t_gate = time.perf_counter() - t
print(json.dumps({"timings": meta["timings"], "compute": t_compute, "gate": t_gate, "rows": len(gated),
                  "suppressed": float(gated["suppressed"].mean()), "left_out": gated.attrs.get("left_out", {})}))
"""
FLOOR = """
import sys, json, time, duckdb
from klynge.warehouse import current_build
con = duckdb.connect(str(current_build(sys.argv[1]) / "klynge.duckdb"), read_only=True)
con.execute("SET TimeZone='Europe/Copenhagen'")
q = '''
with a as (select * from core__stay where is_admission and branch = 'somatic'),
     n as (select *, min(case when acute then start_time end) over (partition by person_id order by start_time
             rows between 1 following and unbounded following) as next_acute from a)
select date_trunc('month', discharge_date) m, count(*) n, sum((next_acute <= end_time + interval 30 day)::int) r
from n where not died_in_stay and discharge_date is not null group by all'''
t = time.perf_counter(); con.execute(q).fetchall(); print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--work", default=str(Path(__file__).parent / "out"))
    ap.add_argument("--reuse", action="store_true", help="Reuse an existing warehouse of this size.")
    args = ap.parse_args()
    work = Path(args.work)
    src, wh = work / f"src-{args.persons}", work / f"wh-ind-{args.persons}"
    if args.reuse and (wh / "current").exists():
        prep = {"persons": json.loads((wh / "current" / "manifest.json").read_text())["tables"]["person"]["accepted"]}
    else:
        prep, _, _ = run_child(PREPARE, str(src), str(wh), str(args.persons))
    cat, cat_wall, cat_mem = run_child(CATALOGUE, str(wh))
    floor, _, _ = run_child(FLOOR, str(wh))
    result = {"persons": prep["persons"], "catalogue_wall": cat_wall, "catalogue_peak_gb": cat_mem,
              "compute": cat["compute"], "gate": cat["gate"], "rows": cat["rows"], "timings": cat["timings"],
              "suppressed": cat["suppressed"], "left_out": cat["left_out"],
              "floor_readmission_sql": floor["seconds"], "machine": machine(), "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(result, indent=1))
    out = Path(__file__).parent / "results" / "indicators.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    write_doc(result)


def write_doc(r: dict) -> None:
    t = r["timings"]
    lines = [BEGIN, "", f"Machine: {r['machine']} (run {r['date']}). Command: `python benchmarks/bench_indicators.py "
             f"--persons {r['persons'] if r['persons'] < 10 else 1_000_000}`.", "",
             f"{len(t)} indicators on {r['persons']:,} persons of one health cluster (the synthetic default, Fyn: "
             f"9 municipalities; 2021-2025): computing the whole catalogue took "
             f"**{r['compute']:.0f} s** (process wall {r['catalogue_wall']:.0f} s, peak {r['catalogue_peak_gb']:.1f} GB), "
             f"the privacy gate (counting rule and audit) {r['gate']:.1f} s, giving {r['rows']:,} rows of which "
             f"{100 * r['suppressed']:.1f} % have a suppressed count"
             f"{'' if not r['left_out'] else ' (left out: ' + json.dumps(r['left_out']) + ')'}. Baseline in the same run: a hand-written "
             f"DuckDB SQL for monthly 30-day readmission straight from the stays took {r['floor_readmission_sql']:.2f} s; "
             f"klynge's readmission indicator (all periods, geographies, strata, intervals and standardisation) took "
             f"{t.get('readmission_30d', float('nan')):.2f} s.", "",
             "| indicator | seconds |", "|---|---:|"]
    lines += [f"| {k} | {v:.2f} |" for k, v in sorted(t.items(), key=lambda kv: -kv[1])]
    lines += ["", END]
    write_block(BEGIN, END, "\n".join(lines), "Indicator catalogue")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
