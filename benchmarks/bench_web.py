"""Benchmark: every dashboard page and API answer at 1M persons, p95 under 300 ms.

Serves the app with uvicorn on 127.0.0.1 in this process and requests each page and API
endpoint over HTTP (httpx), for random filter combinations (area among those with data, age
group, sex, period type and period) drawn with a fixed seed. "Cold" requests are each
combination's first request (the app computes the answer); "warm" repeats them (the app's
cache of recent answers). The warehouse needs the overview marts and the indicator table; a
warehouse built with ``marts=False`` gets them with ``--prepare`` (written into a copy).

Usage: python benchmarks/bench_web.py --warehouse DIR [--prepare] [--per-endpoint 40]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_foundation import machine, write_block

BEGIN, END = "<!-- web-benchmark:begin -->", "<!-- web-benchmark:end -->"
ENDPOINTS = ["/api/meta", "/api/overview", "/api/indicators", "/api/indicators/{id}", "/api/targets", "/api/risk",
             "/", "/indicators", "/indicators/{id}", "/targets", "/risk", "/evaluation", "/docs"]


def prepare(warehouse: Path) -> None:
    """Write the overview marts and the indicator table into a writable warehouse."""
    import ibis

    from klynge.indicators import write_indicators
    from klynge.marts import write_overview
    from klynge.warehouse import current_build

    con = ibis.duckdb.connect(str(current_build(warehouse) / "klynge.duckdb"))
    con.raw_sql("SET TimeZone='Europe/Copenhagen'")
    write_overview(con)
    write_indicators(con)
    con.disconnect()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _combos(dash, n: int, rng: random.Random) -> list[str]:
    frame = dash.overview.gated.frame
    geos = sorted(set(frame.loc[frame["n"].fillna(0) > 0, "geo"]))
    out = []
    for _ in range(n):
        pt = rng.choice(["year", "quarter", "month"])
        periods = dash.indicators.periods[pt]
        q = {"geo": rng.choice(geos), "age": rng.choice(["all", "all", "0-19", "20-64", "65-79", "80+"]),
             "sex": rng.choice(["all", "all", "F", "M"]), "period_type": pt,
             "period": rng.choice(periods[-8:]) if periods else "", "lang": rng.choice(["da", "da", "en"])}
        out.append("&".join(f"{k}={v.replace('+', '%2B').replace(':', '%3A')}" for k, v in q.items() if v))
    return out


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--prepare", action="store_true", help="Write marts and indicators into the warehouse first.")
    ap.add_argument("--per-endpoint", type=int, default=40)
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    wh = Path(args.warehouse)
    if args.prepare:
        prepare(wh)

    import httpx
    import uvicorn

    from klynge.warehouse import read_manifest
    from klynge.web import create_app

    persons = read_manifest(wh)["tables"]["person"]["accepted"]
    t0 = time.perf_counter()
    app = create_app(wh, config={"warm": False})
    startup = time.perf_counter() - t0
    dash = app.state.dashboard
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    rng = random.Random(5)
    ids = list(dash.indicators.info)
    results = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        t = time.perf_counter()
        client.get("/static/vega-bundle.js")
        bundle_first = time.perf_counter() - t
        for endpoint in ENDPOINTS:
            combos = _combos(dash, args.per_endpoint, rng)
            urls = [endpoint.replace("{id}", rng.choice(ids)) + "?" + q for q in combos]
            cold, warm = [], []
            for url in urls:
                t = time.perf_counter()
                r = client.get(url)
                cold.append(time.perf_counter() - t)
                assert r.status_code == 200, (url, r.status_code, r.text[:200])
            for url in urls:
                t = time.perf_counter()
                client.get(url)
                warm.append(time.perf_counter() - t)
            results[endpoint] = {"n": len(urls), "cold_p50": statistics.median(cold), "cold_p95": _pct(cold, 95),
                                 "cold_max": max(cold), "warm_p95": _pct(warm, 95)}
            print(endpoint, {k: round(v * 1000) if k != "n" else v for k, v in results[endpoint].items()}, flush=True)
    server.should_exit = True
    thread.join(timeout=10)
    frame = dash.overview.gated.frame
    municipalities = frame.loc[frame["geo"].str.startswith("municipality:") & (frame["n"].fillna(0) > 0), "geo"].nunique()
    result = {"persons": persons, "municipalities": int(municipalities), "startup": startup, "overview_gate": dash.overview.seconds,
              "overview_rows": len(dash.overview.gated), "bundle_first": bundle_first, "endpoints": results,
              "machine": machine(), "date": time.strftime("%Y-%m-%d"),
              "load": os.getloadavg()[0]}
    out = Path(__file__).parent / "results" / "web.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    if not args.no_doc:
        write_doc(result)


def write_doc(r: dict) -> None:
    worst = max(v["cold_p95"] for v in r["endpoints"].values())
    intro = (f"Machine: {r['machine']} (run {r['date']}, load average {r['load']:.1f} at the end: other work was "
             "running). Command: `python benchmarks/bench_web.py --warehouse WH` on a warehouse of "
             f"{r['persons']:,} persons in {r['municipalities']} municipalities (2021-2025) with the overview marts "
             "and the indicator table.")
    startup = (f"Start-up (loading the warehouse, gating the overview's {r['overview_rows']:,} cells in "
               f"{r['overview_gate']:.1f} s, copying the indicator table into memory) took **{r['startup']:.1f} s**; "
               f"the Vega bundle is built once, on its first request ({r['bundle_first']:.1f} s). Each endpoint was "
               "requested over HTTP for random filter combinations (area with data, age group, sex, period type and "
               "period, language). Cold = each combination's first request; warm = repeated (the app keeps recent "
               f"answers). Slowest cold 95th percentile: **{worst * 1000:.0f} ms** (target: under 300 ms).")
    lines = [BEGIN, "", intro, "", startup, "",
             "| endpoint | requests | cold p50 ms | cold p95 ms | cold max ms | warm p95 ms |",
             "|---|---:|---:|---:|---:|---:|"]
    for k, v in r["endpoints"].items():
        lines.append(f"| `{k}` | {v['n']} | {v['cold_p50'] * 1000:.0f} | {v['cold_p95'] * 1000:.0f} | "
                     f"{v['cold_max'] * 1000:.0f} | {v['warm_p95'] * 1000:.0f} |")
    lines += ["", END]
    write_block(BEGIN, END, "\n".join(lines), "Dashboard and API")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
