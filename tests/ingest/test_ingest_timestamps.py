"""Timestamps are instants: an offset in the text is honoured, a naive text is Danish local time.

Daylight saving time in Denmark, as the build handles it (DuckDB's ICU time zones):

* 2024-03-31 02:00-02:59 does not exist (clocks jump from 02:00 to 03:00). A naive time in the
  gap is accepted and read as if the clocks had already moved: 02:30 becomes 03:30 summer
  time, i.e. 01:30 UTC.
* 2024-10-27 02:00-02:59 happens twice (clocks go back from 03:00 to 02:00). A naive time in
  that hour is ambiguous; it is accepted and read as the *second* occurrence, in winter time:
  02:30 becomes 02:30+01:00, i.e. 01:30 UTC. Sources that need the first occurrence must send
  an offset (``2024-10-27T02:30:00+02:00``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
from ingest_support import Built, minimal_rows

# start_time text -> the instant it must become (UTC), or None when it must be quarantined.
CASES = {
    "2024-03-31T01:30:00+01:00": datetime(2024, 3, 31, 0, 30, tzinfo=UTC),  # offset honoured
    "2024-01-15T10:00:00Z": datetime(2024, 1, 15, 10, 0, tzinfo=UTC),
    "2024-01-15 10:00:00": datetime(2024, 1, 15, 9, 0, tzinfo=UTC),  # naive winter time, +01:00
    "2024-07-15 10:00": datetime(2024, 7, 15, 8, 0, tzinfo=UTC),  # naive summer time, +02:00
    "2024-03-31 01:59:00": datetime(2024, 3, 31, 0, 59, tzinfo=UTC),  # last minute of winter time
    "2024-03-31 02:30:00": datetime(2024, 3, 31, 1, 30, tzinfo=UTC),  # in the spring gap
    "2024-03-31 03:00:00": datetime(2024, 3, 31, 1, 0, tzinfo=UTC),  # first minute of summer time
    "2024-10-27 01:30:00": datetime(2024, 10, 26, 23, 30, tzinfo=UTC),  # before the repeated hour
    "2024-10-27 02:30:00": datetime(2024, 10, 27, 1, 30, tzinfo=UTC),  # ambiguous: the second one
    "2024-10-27T02:30:00+02:00": datetime(2024, 10, 27, 0, 30, tzinfo=UTC),  # the first one, by offset
    "2024-02-30 10:00:00": None,
    "yesterday": None,
}


def test_timestamp_texts_become_the_right_instants(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    first = rows["hospital_contact"][0]
    rows["hospital_contact"] = [
        {**first, "contact_id": f"T{i}", "start_time": text, "end_time": ""} for i, text in enumerate(CASES)
    ]
    built = build(rows)
    accepted = {r["contact_id"]: r["start_time"] for r in built.accepted("hospital_contact")}
    for i, (text, expected) in enumerate(CASES.items()):
        if expected is None:
            assert built.reasons("hospital_contact")[i + 1] == f"start_time: not a valid timestamp: '{text}'"
        else:
            assert accepted[f"T{i}"] == expected, text


def test_parquet_timestamps_naive_are_danish_and_aware_are_kept(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    contacts = pa.Table.from_pylist(rows.pop("hospital_contact"))
    naive = pa.array([datetime(2024, 7, 1, 12, 0), datetime(2024, 1, 1, 12, 0)], pa.timestamp("us"))
    aware = pa.array([datetime(2024, 7, 1, 12, 0, tzinfo=UTC)] * 2, pa.timestamp("us", tz="UTC"))
    contacts = contacts.set_column(2, "start_time", naive).set_column(3, "end_time", aware)
    path = "hospital_contact.parquet"
    sink = pa.BufferOutputStream()
    pq.write_table(contacts, sink)
    built = build(rows, files={path: sink.getvalue().to_pybytes()})
    got = {r["contact_id"]: (r["start_time"], r["end_time"]) for r in built.accepted("hospital_contact")}
    assert got["C1"] == (datetime(2024, 7, 1, 10, 0, tzinfo=UTC), datetime(2024, 7, 1, 12, 0, tzinfo=UTC))
    assert got["C2"][0] == datetime(2024, 1, 1, 11, 0, tzinfo=UTC)
