"""``build_core`` materialises the core tables from the ``input__*`` tables of a warehouse."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis

from klynge.core import build_core, input_table

PERIOD = (dt.date(2024, 6, 1), dt.date(2024, 7, 31))

CONTACTS = """
    contact_id | person_id | start_time       | end_time         | contact_type
    c1         | p1        | 2024-06-30 22:00 | 2024-07-01 01:30 | ALCA00
    c2         | p1        | 2024-07-01 03:00 | 2024-07-01 12:00 | ALCA00
    c3         | p2        | 2024-07-10 09:00 | 2024-07-10 09:30 | ALCA03
    c4         | p2        | 2024-07-11 09:00 | 2024-07-11 10:00 | ALCA00
"""


def warehouse(tables: Any, *, with_diagnoses: bool = True) -> Any:
    """A fresh DuckDB warehouse in UTC holding the input tables of two persons."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    inputs = {
        "person": tables.canonical("person", """
            person_id | birth_date | sex
            p1        | 1940-07-15 | F
            p2        | 2001-01-01 | M
        """),
        "residence": tables.canonical("residence", """
            person_id | municipality_code | valid_from
            p1        | 101               | 1990-01-01
            p2        | 147               | 2001-01-01
        """),
        "hospital_contact": tables.canonical("hospital_contact", CONTACTS),
    }
    if with_diagnoses:
        inputs["diagnosis"] = tables.canonical("diagnosis", """
            contact_id | diagnosis_code
            c1         | DJ189
        """)
    for name, table in inputs.items():
        con.create_table(f"input__{name}", table)
    return con


def test_build_core_creates_the_tables_and_counts_their_rows(tables: Any) -> None:
    con = warehouse(tables)
    counts = build_core(con, *PERIOD)
    # p1: one stay (c1+c2, gap 1.5 h); p2: c4 only (c3 is virtual). p1 turns 84 on 15 July
    # (80-84 throughout); person-time: 2 persons × 2 months, one cell each.
    assert counts == {"core__stay": 2, "core__contact_stay": 3, "core__person_time": 4}
    assert {n: con.table(n).count().execute() for n in counts} == counts
    stay = con.to_pyarrow(con.table("core__stay").order_by("stay_id")).to_pylist()
    keys = ("stay_id", "action_diagnosis", "admission_date", "discharge_date")
    assert [tuple(s[k] for k in keys) for s in stay] == [
        ("p1:c1", "DJ189", dt.date(2024, 6, 30), dt.date(2024, 7, 1)),  # Danish dates, not UTC ones
        ("p2:c4", None, dt.date(2024, 7, 11), dt.date(2024, 7, 11)),
    ]
    person_time = con.to_pyarrow(con.table("core__person_time")).to_pylist()
    assert sum(r["person_days"] for r in person_time) == 2 * 61


def test_build_core_replaces_tables_and_tolerates_absent_optional_inputs(tables: Any) -> None:
    con = warehouse(tables, with_diagnoses=False)
    first = build_core(con, *PERIOD)
    assert build_core(con, *PERIOD) == first
    assert con.to_pyarrow(con.table("core__stay").action_diagnosis).to_pylist() == [None, None]
    assert input_table(con, "diagnosis").count().execute() == 0


class _Connection:
    """Stands in for an Ibis connection: only its engine name matters to `map_queries`."""

    def __init__(self, name: str) -> None:
        self.name = name


def test_independent_queries_run_two_at_a_time_on_spark_and_keep_their_order() -> None:
    import threading
    import time

    from klynge.core import concurrent_queries, map_queries

    running, most = 0, 0
    lock = threading.Lock()

    def work(item: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05 * (5 - item))  # the first items finish last
        with lock:
            running -= 1
        return item * 10

    assert list(map_queries(_Connection("pyspark"), work, range(5))) == [0, 10, 20, 30, 40]
    assert most == concurrent_queries(_Connection("pyspark")) == 2
    most = 0
    assert list(map_queries(_Connection("duckdb"), work, range(5))) == [0, 10, 20, 30, 40]
    assert most == 1  # one DuckDB connection runs one query at a time


def test_stays_built_in_buckets_of_persons_equal_those_built_at_once(synthetic_warehouse, monkeypatch) -> None:
    """A large population is built in buckets of persons; the tables are the same as in one piece."""
    from klynge.core import _build

    con = ibis.duckdb.connect()
    con.raw_sql(f"ATTACH '{synthetic_warehouse[0] / 'current' / 'klynge.duckdb'}' AS wh (READ_ONLY)")
    for name in ("person", "residence", "hospital_contact", "diagnosis"):
        con.raw_sql(f"CREATE TABLE input__{name} AS SELECT * FROM wh.input__{name}")
    contacts = con.table("input__hospital_contact").count().execute()
    monkeypatch.setattr(_build, "CONTACTS_PER_BUCKET", contacts // 3)  # 4 buckets
    assert _build._stay_buckets(con, con.table("input__hospital_contact")) == 4
    period = synthetic_warehouse[1].manifest["period"]
    counts = build_core(con, dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"]))
    assert counts["core__stay"] > 1000
    for name in ("core__stay", "core__contact_stay", "core__person_time"):
        for a, b in ((name, f"wh.{name}"), (f"wh.{name}", name)):
            extra = con.raw_sql(f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})").fetchone()[0]
            assert extra == 0, (name, a)
    assert not [t for (t,) in con.raw_sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()]
