"""Source folders: file kinds and part files, row numbers, columns, unknown files, the period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_support import Built, csv_text, minimal_rows

from klynge.contracts import TABLES
from klynge.ingest import BuildError


def _parquet(rows: list[dict[str, object]] | pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows), sink)
    return sink.getvalue().to_pybytes()


def test_rows_are_numbered_across_part_files(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    contacts, prescriptions = rows.pop("gp_contact"), rows.pop("prescription")
    bad_contact = {**contacts[0], "contact_id": "G9", "kind": "visit"}
    # The second CSV part has its columns in another order, and no provider_id column.
    second_part = [
        {k: p[k] for k in ("ddd", "atc", "dispensing_date", "person_id")}
        for p in (prescriptions[0], {**prescriptions[0], "atc": "bad atc"})
    ]
    built = build(
        rows,
        files={
            "gp_contact/part-00000.parquet": _parquet(contacts),
            "gp_contact/part-00001.parquet": _parquet([contacts[0] | {"contact_id": "G3"}, bad_contact]),
            "gp_contact/_SUCCESS": b"",
            "prescription/part-0.csv": csv_text(prescriptions).encode(),
            "prescription/part-1.csv": csv_text(second_part).encode(),
        },
    )
    assert built.reasons("gp_contact") == {4: "kind: not an allowed code: 'visit'"}
    atc = TABLES["prescription"].column("atc").pattern
    assert built.reasons("prescription") == {3: f"atc: does not match the pattern {atc}: 'bad atc'"}
    assert built.accepted_ids("gp_contact", "contact_id") == {"G1", "G2", "G3"}
    tables = built.result.manifest["tables"]
    assert tables["gp_contact"]["source"] == [
        "gp_contact/part-00000.parquet",
        "gp_contact/part-00001.parquet",
    ]
    assert (tables["gp_contact"]["format"], tables["prescription"]["format"]) == ("parquet", "csv")


def test_unknown_files_are_ignored_and_listed(build: Callable[..., Built]) -> None:
    built = build(
        minimal_rows(),
        files={
            "notes.txt": b"hello",
            "old/person.csv": b"x",
            ".DS_Store": b"",
            "persons.csv": b"person_id\n",
        },
    )
    assert built.result.manifest["ignored"] == ["notes.txt", "old/", "persons.csv"]


def test_column_names_match_case_insensitively_and_extra_columns_are_kept(
    build: Callable[..., Built],
) -> None:
    rows = minimal_rows()
    rows["person"] = [
        {"Person_ID": r["person_id"], "BIRTH_DATE": r["birth_date"], "Sex": r["sex"], "kommune_note": "Ærø"}
        for r in rows["person"]
    ]  # and no death_date column
    rows["person"][0]["Sex"] = "K"
    built = build(rows)
    assert built.result.manifest["tables"]["person"]["extra_columns"] == ["kommune_note"]
    assert built.quarantine("person") == [
        {
            "_row": 1,
            "person_id": "P1",
            "birth_date": "1950-01-01",
            "sex": "K",
            "kommune_note": "Ærø",
            "reason": "sex: not an allowed code: 'K'",
        }
    ]
    assert {r["person_id"]: r["death_date"] for r in built.accepted("person")} == {"P2": None, "P3": None}


def test_typed_parquet_columns_are_used_and_others_converted(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    services = pa.table(
        {
            "service_id": ["S1", "S2", "S3"],
            "person_id": ["P3", "P3", "P3"],
            "municipality_code": pa.array([851, 851, 851], pa.int64()),  # a number where text is expected
            "service_code": ["H1.1", "H1.2", "H1.3"],
            "service_group": ["personal_care"] * 3,
            "start_date": pa.array([date(2024, 2, 1), date(2024, 3, 1), date(2024, 3, 1)], pa.date32()),
            "end_date": ["2024-06-30", "2024-30-06", None],  # text where a date is expected
            "minutes_per_week": pa.array([90.5, 30.0, None], pa.float32()),
        }
    )
    del rows["municipal_service"]
    built = build(rows, files={"municipal_service.parquet": _parquet(services)})
    assert built.reasons("municipal_service") == {2: "end_date: not a valid date: '2024-30-06'"}
    got = {r["service_id"]: r for r in built.accepted("municipal_service")}
    assert got["S1"]["municipality_code"] == "851"
    assert (got["S1"]["end_date"], got["S1"]["minutes_per_week"]) == (date(2024, 6, 30), 90.5)
    assert got["S3"]["end_date"] is None


@pytest.mark.parametrize(
    ("metadata", "argument", "expected"),
    [
        (None, None, (date(2024, 1, 1), date(2024, 5, 31), "data")),
        (
            '{"period_start": "2023-01-01", "period_end": "2023-12-31", "council": "Ærø"}',
            None,
            (date(2023, 1, 1), date(2023, 12, 31), "klynge-source.json"),
        ),
        (
            '{"period_start": "2023-01-01", "period_end": "2023-12-31"}',
            (date(2022, 7, 1), date(2022, 12, 31)),
            (date(2022, 7, 1), date(2022, 12, 31), "argument"),
        ),
    ],
)
def test_the_period_is_given_declared_or_derived(
    build: Callable[..., Built],
    fake_core: list[tuple[date, date]],
    metadata: str | None,
    argument: tuple[date, date] | None,
    expected: tuple[date, date, str],
) -> None:
    files = {"klynge-source.json": metadata.encode()} if metadata else {}
    built = build(minimal_rows(), files=files, period=argument)
    start, end, origin = expected
    assert built.result.manifest["period"] == {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "origin": origin,
    }
    assert fake_core == [(start, end)]
    if metadata:
        assert built.result.manifest["source_metadata"]["period_start"] == "2023-01-01"


def test_no_events_and_no_period_is_fatal(build: Callable[..., Built], tmp_path: Path) -> None:
    rows = {t: r for t, r in minimal_rows().items() if t in {"person", "residence"}}
    with pytest.raises(BuildError, match="cannot derive the period: no accepted events"):
        build(rows)
    assert not list((tmp_path / "warehouse" / "builds").iterdir())
