"""Turn an indicator's `cases.yaml` into a tiny warehouse and compute the indicator on it.

A case file holds a period, persons (with their municipality), the rows of any other canonical
table, and the expected ungated figures. Persons live in their municipality from birth.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis
import pandas as pd
import yaml

from klynge.contracts import TABLES
from klynge.indicators import compute_catalogue
from klynge.ingest import build_warehouse
from klynge.warehouse import current_build

DEFAULTS = {
    "hospital_contact": {"contact_type": "ALCA00", "priority": "ATA1", "contact_reason": "ALCC01",
                         "hospital_id": "H1", "unit_id": "H1-med", "specialty": "internal_medicine",
                         "branch": "somatic"},
    "diagnosis": {"diagnosis_type": "A", "refuted": False},
    "gp_contact": {"kind": "consultation", "clinic_id": "C1"},
    "municipal_service": {"municipality_code": "461"},
    "message": {"sender_sector": "hospital", "receiver_sector": "gp", "sender_id": "H1", "receiver_id": "C1"},
}


def load_cases(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_source(spec: dict, folder: Path) -> Path:
    folder.mkdir(parents=True)
    persons = spec["persons"]
    tables: dict[str, list[dict]] = {
        "person": [{k: p.get(k) for k in ("person_id", "birth_date", "sex", "death_date")} for p in persons],
        "residence": [{"person_id": p["person_id"], "municipality_code": str(p.get("municipality", "461")),
                       "valid_from": p["birth_date"], "valid_to": None} for p in persons],
    }
    for name, rows in (spec.get("tables") or {}).items():
        if name not in TABLES:
            raise KeyError(f"cases: unknown table {name!r}")
        tables[name] = [{**DEFAULTS.get(name, {}), **row} for row in rows]
    for name, rows in tables.items():
        cols = TABLES[name].column_names
        df = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
        df.to_csv(folder / f"{name}.csv", index=False)
    return folder


def compute_case(spec: dict, indicator_id: str, tmp: Path) -> pd.DataFrame:
    """Build the case's warehouse (without marts) and return the ungated long table."""
    source = write_source(spec, tmp / "source")
    start, end = (date.fromisoformat(str(d)) for d in spec["period"])
    build = build_warehouse(source, tmp / "warehouse", period=(start, end), marts=False)
    quarantined = {t: c.quarantined for t, c in build.tables.items() if c.quarantined}
    assert not quarantined, f"case rows were quarantined: {quarantined}"
    con = ibis.duckdb.connect(str(current_build(tmp / "warehouse") / "klynge.duckdb"))
    con.raw_sql("SET TimeZone='Europe/Copenhagen'")
    try:
        long, _ = compute_catalogue(con, [indicator_id], period=(start, end))
    finally:
        con.disconnect()
    return long


def select(long: pd.DataFrame, expect: dict) -> pd.Series:
    """The one row an expectation is about (default: whole population, all strata)."""
    keys = {"period_type": "year", "level": "country", "stratum_type": "all", "stratum": "all"} | {
        k: str(v) for k, v in expect.items() if k in ("period_type", "period", "level", "geo_code", "stratum_type",
                                                     "stratum")}
    rows = long
    for k, v in keys.items():
        rows = rows[rows[k].astype(str) == v]
    assert len(rows) == 1, f"expected one row for {keys}, found {len(rows)}"
    return rows.iloc[0]
