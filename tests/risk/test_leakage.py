"""The leakage guard: features at an index date do not change when everything after it does."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import ibis
import pandas as pd
import pytest

from klynge.core import input_table, replace_table, stays_expr
from klynge.risk import AsOf, features_at, outcomes_at
from klynge.warehouse import current_build

DAY = dt.date(2024, 1, 1)
EVENTS = {  # table -> (date column, id column to make inserted copies unique)
    "gp_contact": ("contact_date", "contact_id"), "lab_result": ("sample_time", None),
    "prescription": ("dispensing_date", None), "vaccination": ("vaccination_date", None),
    "functional_assessment": ("assessment_date", None), "appointment": ("start_time", "appointment_id"),
    "message": ("sent_time", "message_id"),
}
SPANS = {"municipal_service": ("start_date", "end_date", "service_id"), "residence": ("valid_from", "valid_to", None),
         "gp_listing": ("valid_from", "valid_to", None)}


def _future_rewritten(src, dst, day):
    """Copy the build and replace its future: drop rows from ``day`` on, insert shifted copies
    of the last 300 days (ids prefixed X, numbers changed), push known ends and deaths later."""
    shutil.copy(src, dst)
    db = duckdb.connect(str(dst))
    db.execute("SET TimeZone = 'Europe/Copenhagen'")
    d = f"DATE '{day}'"
    ts = f"TIMESTAMPTZ '{day} 00:00:00'"

    def cut(col, table):
        kind = db.execute(f"SELECT data_type FROM information_schema.columns WHERE table_name='input__{table}' "
                          f"AND column_name='{col}'").fetchone()[0]
        return ts if "TIME" in kind else d

    for table, (col, key) in EVENTS.items():
        c = cut(col, table)
        db.execute(f"DELETE FROM input__{table} WHERE {col} >= {c}")
        rep = [f"{col} + INTERVAL 300 DAY AS {col}"] + ([f"'X' || {key} AS {key}"] if key else [])
        if table == "lab_result":
            rep.append("value * 3 + 7 AS value")
        db.execute(f"INSERT INTO input__{table} SELECT * REPLACE ({', '.join(rep)}) FROM input__{table} "
                   f"WHERE {col} >= {c} - INTERVAL 300 DAY")
    for table, (start, end, key) in SPANS.items():
        db.execute(f"DELETE FROM input__{table} WHERE {start} >= {d}")
        db.execute(f"UPDATE input__{table} SET {end} = {end} + INTERVAL 30 DAY WHERE {end} >= {d}")
        rep = [f"{start} + INTERVAL 300 DAY AS {start}", f"{end} + INTERVAL 300 DAY AS {end}"]
        if key:
            rep += [f"'X' || {key} AS {key}", "minutes_per_week * 3 AS minutes_per_week"]
        db.execute(f"INSERT INTO input__{table} SELECT * REPLACE ({', '.join(rep)}) FROM input__{table} "
                   f"WHERE {start} >= {d} - INTERVAL 300 DAY")
    # Hospital contacts: future ones replaced by shifted copies (with their diagnoses); a
    # contact running over the day ends later.
    db.execute(f"DELETE FROM input__diagnosis WHERE contact_id IN (SELECT contact_id FROM input__hospital_contact "
               f"WHERE start_time >= {ts})")
    db.execute(f"DELETE FROM input__hospital_contact WHERE start_time >= {ts}")
    db.execute(f"UPDATE input__hospital_contact SET end_time = end_time + INTERVAL 2 DAY WHERE end_time >= {ts}")
    db.execute(f"INSERT INTO input__diagnosis SELECT * REPLACE ('X' || contact_id AS contact_id) FROM input__diagnosis "
               f"WHERE contact_id IN (SELECT contact_id FROM input__hospital_contact WHERE start_time >= {ts} - INTERVAL 300 DAY)")
    db.execute(f"INSERT INTO input__hospital_contact SELECT * REPLACE ('X' || contact_id AS contact_id, "
               f"start_time + INTERVAL 300 DAY AS start_time, end_time + INTERVAL 300 DAY AS end_time, 'ATA1' AS priority) "
               f"FROM input__hospital_contact WHERE start_time >= {ts} - INTERVAL 300 DAY")
    db.execute(f"UPDATE input__person SET death_date = death_date + INTERVAL 5 DAY WHERE death_date >= {d}")
    db.close()
    con = ibis.duckdb.connect(str(dst))
    con.raw_sql("SET TimeZone = 'Europe/Copenhagen'")
    stays = stays_expr(input_table(con, "hospital_contact"), input_table(con, "person"), input_table(con, "diagnosis"))
    replace_table(con, "core__stay", stays)
    return con


@pytest.fixture(scope="module")
def rewritten(synthetic_warehouse, tmp_path_factory):
    src = current_build(synthetic_warehouse[0]) / "klynge.duckdb"
    return _future_rewritten(src, tmp_path_factory.mktemp("leak") / "klynge.duckdb", DAY)


def test_features_ignore_everything_after_the_index_date(con, rewritten):
    original = features_at(con, DAY)
    changed = features_at(rewritten, DAY)
    assert len(original) > 30_000
    pd.testing.assert_frame_equal(original, changed)


def test_the_rewrite_did_change_the_future(con, rewritten):
    # Without this the test above could pass on a rewrite that changed nothing.
    later = DAY + dt.timedelta(days=120)
    a, b = features_at(con, later), features_at(rewritten, later)
    assert not a[["gp_contacts_12m", "acute_admissions_12m"]].equals(b[["gp_contacts_12m", "acute_admissions_12m"]])
    assert not outcomes_at(con, [DAY]).equals(outcomes_at(rewritten, [DAY]))


def test_asof_hides_future_rows_and_refuses_unknown_tables(con):
    view = AsOf(con, DAY)
    assert pd.Timestamp(view.table("input__gp_contact").contact_date.max().execute()) < pd.Timestamp(DAY)
    services = view.table("input__municipal_service")
    assert services.filter(services.end_date >= DAY).count().execute() == 0
    with pytest.raises(PermissionError, match="no as-of rule"):
        view.table("marts__cost")
