"""Benchmark: the shared citizen overview at 1M persons.

Times, on an existing warehouse (read-only; state goes to its own folder): the synthetic identity
store for every person, care relations and the full record of a clinician's look (authorisation,
consent, assembly and audit entry) for a sample of citizens, the same look through the HTTP API,
the audit log's verification, and an argon2id login. The floor is one hand-written DuckDB query
per table for one citizen's rows (what the assembly must at least read).

Usage: python benchmarks/bench_citizen.py --warehouse /tmp/bench/wh-ind-1000000 [--sample 40] [--work DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_foundation import machine, run_child, write_block

BEGIN, END = "<!-- citizen-benchmark:begin -->", "<!-- citizen-benchmark:end -->"

CHILD = r"""
import sys, json, time, statistics, warnings
from datetime import date
from pathlib import Path
from klynge.warehouse import open_warehouse, read_manifest
from klynge.identity import synthesise_identity_store
from klynge.access import Principal, Role
from klynge.citizen.app import create_citizen_app
from klynge.access._security import SecuritySettings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

TABLES = ("input__hospital_contact", "input__municipal_service", "input__functional_assessment", "input__gp_contact",
          "input__lab_result", "input__prescription", "input__vaccination", "input__message", "input__appointment")
wh, state, n = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
out = {}
con = open_warehouse(wh)
t = time.perf_counter(); store = synthesise_identity_store(con, state, seed=1)
out["identity_store_s"] = time.perf_counter() - t; out["persons"] = store.count()
end = date.fromisoformat(read_manifest(wh)["period"]["end"])
app = create_citizen_app(wh, state_dir=state, as_of=end, security=SecuritySettings(rate_per_minute=10**6))
svc = app.state.citizen
ids = [r[0] for r in con.con.sql(f"SELECT person_id FROM input__residence WHERE valid_to IS NULL "
                                 f"USING SAMPLE {n} ROWS (reservoir, 1)").fetchall()]

def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))]

def looks(tag):
    rel_t, read_t, floor_t, sizes = [], [], [], []
    raw = svc._cursor().con
    for pid in ids:
        t = time.perf_counter(); rel = svc.relations(pid); rel_t.append(time.perf_counter() - t)
        org = sorted(o for o in rel.organisations if o.startswith("municipality:"))[0]
        t = time.perf_counter(); rec = svc.read(Principal("bench", Role.CLINICIAN, org), pid, purpose="treatment")
        read_t.append(time.perf_counter() - t); sizes.append(rec["timeline_total"])
        t = time.perf_counter()
        for table in TABLES:
            raw.execute(f"SELECT * FROM {table} WHERE person_id = ?", [pid]).fetchall()
        floor_t.append(time.perf_counter() - t)
    out[tag] = dict(relations=statistics.median(rel_t), relations_p95=q(rel_t, .95), read=statistics.median(read_t),
                    read_p95=q(read_t, .95), floor=statistics.median(floor_t))
    out["items_median"], out["items_max"] = statistics.median(sizes), max(sizes)

looks("warehouse")
t = time.perf_counter(); svc.build_index(); out["index_build_s"] = time.perf_counter() - t
looks("index")
client = TestClient(app)
api_t = []
for pid in ids:
    org = sorted(o for o in svc.relations(pid).organisations if o.startswith("municipality:"))[0]
    user = "api-" + org.replace(":", "-")
    svc.users.add(user, Role.CLINICIAN, org, None)
    token = svc.users.open_session(user).token
    t = time.perf_counter()
    r = client.get(f"/api/citizens/{pid}?purpose=treatment", headers={"Authorization": f"Bearer {token}"})
    api_t.append(time.perf_counter() - t)
    assert r.status_code == 200, r.status_code
out["api"] = statistics.median(api_t); out["api_p95"] = q(api_t, .95)
svc.users.add("bench", Role.CLINICIAN, "municipality:101", "a benchmark password")
t = time.perf_counter(); r = client.post("/api/auth/login", json={"user": "bench", "password": "a benchmark password"})
out["login_s"] = time.perf_counter() - t
out["n"] = len(ids)
print(json.dumps(out))
"""

VERIFY = r"""
import sys, json, time
from pathlib import Path
from klynge.access import AuditLog, Principal, Role
log = AuditLog(Path(sys.argv[1]) / "audit.jsonl")
p = Principal("bench", Role.CLINICIAN, "municipality:101")
n = int(sys.argv[2])
t = time.perf_counter()
for i in range(n):
    log.append(p, "citizen.read", purpose="treatment", subjects=[f"P0-{i}"], what="overview")
append = time.perf_counter() - t
t = time.perf_counter(); ok = log.verify().ok; verify = time.perf_counter() - t
print(json.dumps({"entries": n, "append_s": append, "verify_s": verify, "ok": ok}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", type=Path, default=Path("/tmp/bench/wh-ind-1000000"))
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--audit-entries", type=int, default=20000)
    ap.add_argument("--work", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-citizen-"))
    work.mkdir(parents=True, exist_ok=True)
    res, wall, rss = run_child(CHILD, str(args.warehouse), str(work / "state"), str(args.sample))
    aud, _, _ = run_child(VERIFY, str(work / "audit"), str(args.audit_entries))
    ms = lambda s: f"{s * 1000:,.0f} ms"
    block = f"""{BEGIN}
Measured by `benchmarks/bench_citizen.py` on {machine()}; warehouse of {res['persons']:,} persons
(read-only; state and index in a separate folder), as of the end of its period; {res['n']} random
residents, each looked at by a clinician of their municipality. One fresh process.

| step | warehouse: median | p95 | person index: median | p95 |
|---|---:|---:|---:|---:|
| care relations (residence, GP listing, stays, bookings) | {ms(res['warehouse']['relations'])} | {ms(res['warehouse']['relations_p95'])} | {ms(res['index']['relations'])} | {ms(res['index']['relations_p95'])} |
| a clinician's look: authorise, consent, assemble the record, audit entry | {ms(res['warehouse']['read'])} | {ms(res['warehouse']['read_p95'])} | {ms(res['index']['read'])} | {ms(res['index']['read_p95'])} |
| floor: one `SELECT * WHERE person_id = ?` per event table | {ms(res['warehouse']['floor'])} | | {ms(res['index']['floor'])} | |
| the look through the HTTP API (bearer token, JSON) | | | {ms(res['api'])} | {ms(res['api_p95'])} |

Records had a median of {res['items_median']:,.0f} timeline items (max {res['items_max']:,}). The person index
(`klynge citizen index`: the tables the record reads, sorted by person_id) took {res['index_build_s']:.0f} s to
build. Once per run: synthetic identity store for every person {res['identity_store_s']:.1f} s; argon2id login
{ms(res['login_s'])}; audit log: {aud['entries']:,} appends {aud['append_s']:.1f} s
({aud['append_s'] / aud['entries'] * 1e6:,.0f} µs each, with fsync), verification of the chain {aud['verify_s']:.2f} s.
Whole child process {wall:.0f} s, peak RSS {rss:.2f} GB.
{END}"""
    write_block(BEGIN, END, block, "Citizen overview")
    print(block)


if __name__ == "__main__":
    main()
