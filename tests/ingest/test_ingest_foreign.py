"""A build from a foreign format: the reader's counts join the build's, and nothing is lost.

A toy reader (registered for the test only) reads a JSON-lines file of persons and contacts,
so the wiring is tested apart from the real readers (which have their own tests).
"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from ingest_support import minimal_rows, write_source

from klynge import readers
from klynge.ingest import BuildError, build_warehouse
from klynge.readers import Staging, TimeError, parse_instant
from klynge.warehouse import open_warehouse

RECORDS = [
    {"kind": "person", "id": "P1", "born": "1950-01-01", "sex": "F"},
    {"kind": "person", "id": "P2", "born": "1980-06-15", "sex": "M"},
    {"kind": "person", "id": "P3", "born": "1940-03-03", "sex": "F", "died": "2024-06-30"},
    {"kind": "person", "id": "P4", "born": "1990", "sex": "M"},            # reader: imprecise date
    {"kind": "person", "id": "P5", "born": "1991-01-01", "sex": "X"},      # build: unknown sex
    {"kind": "person", "id": "P6", "born": "1992-01-01", "sex": "F", "test": True},  # out of scope
    {"kind": "contact", "id": "C1", "person": "P1", "start": "2024-03-31T00:30:00Z"},
    {"kind": "contact", "id": "C2", "person": "P9", "start": "2024-04-01T10:00:00+02:00"},  # unknown person
    {"kind": "allergy", "person": "P1"},                                    # out of scope
]


def _toy_read(source: Path, staging: Staging) -> None:
    for number, line in enumerate((source / "toy.jsonl").read_text().splitlines(), start=1):
        record, label = json.loads(line), f"toy.jsonl:{number}"
        if record["kind"] == "allergy":
            staging.out_of_scope("person", "allergies are not modelled")
        elif record["kind"] == "person":
            if record.get("test"):
                staging.out_of_scope("person", "test patient")
                continue
            if len(record["born"]) != 10:
                staging.quarantine("person", label, f"imprecise date {record['born']!r}", record)
                continue
            row = {"person_id": record["id"], "birth_date": record["born"], "sex": record["sex"],
                   "death_date": record.get("died")}
            staging.add("person", row, label)
        else:
            start = parse_instant(record["start"])
            staging.add("hospital_contact", {
                "contact_id": record["id"], "person_id": record["person"], "start_time": start,
                "end_time": None, "contact_type": "ALCA00", "priority": "ATA1", "hospital_id": "H1",
                "unit_id": "U1", "specialty": "internal_medicine", "branch": "somatic"}, label)


@pytest.fixture
def toy_format(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    module = types.ModuleType("klynge_toy_reader")
    module.read = _toy_read  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "klynge_toy_reader", module)
    monkeypatch.setitem(readers.FORMATS, "toy", "klynge_toy_reader")
    yield


def _source(tmp_path: Path) -> Path:
    rows = minimal_rows()
    canonical = {"residence": rows["residence"]}  # the reader produces no residence
    source = write_source(tmp_path / "source", canonical)
    (source / "toy.jsonl").write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    return source


def test_counts_reconcile_across_reader_and_validation(tmp_path: Path, toy_format: None, fake_core: Any) -> None:
    result = build_warehouse(_source(tmp_path), tmp_path / "wh", format="toy", marts=False)
    person = result.manifest["tables"]["person"]
    # 7 person records: 3 accepted, P4 quarantined by the reader, P5 by the build, P6 and the allergy out of scope.
    assert (person["read"], person["accepted"], person["quarantined"], person["out_of_scope"]) == (7, 3, 2, 2)
    assert person["out_of_scope_reasons"] == {"allergies are not modelled": 1, "test patient": 1}
    contact = result.manifest["tables"]["hospital_contact"]
    assert (contact["read"], contact["accepted"], contact["quarantined"], contact["out_of_scope"]) == (2, 1, 1, 0)
    for entry in result.manifest["tables"].values():
        assert entry["read"] == entry["accepted"] + entry["quarantined"] + entry["out_of_scope"]
    assert result.manifest["format"] == "toy"
    assert result.manifest["reader"]["tables"]["person"]["quarantine_reasons"] == {"imprecise date '1990'": 1}
    # The canonical residence file beside the foreign one was used.
    assert result.manifest["tables"]["residence"]["accepted"] == 3


def test_quarantine_files_of_reader_and_build(tmp_path: Path, toy_format: None, fake_core: Any) -> None:
    result = build_warehouse(_source(tmp_path), tmp_path / "wh", format="toy", marts=False)
    by_reader = pq.read_table(result.path / "quarantine" / "source__person.parquet").to_pylist()
    assert [(r["source_record"], r["reason"]) for r in by_reader] == [("toy.jsonl:4", "imprecise date '1990'")]
    by_build = pq.read_table(result.path / "quarantine" / "person.parquet").to_pylist()
    assert [r["source_record"] for r in by_build] == ["toy.jsonl:5"]
    assert "sex" in by_build[0]["reason"]


def test_instants_keep_their_offset(tmp_path: Path, toy_format: None, fake_core: Any) -> None:
    build_warehouse(_source(tmp_path), tmp_path / "wh", format="toy", marts=False)
    con = open_warehouse(tmp_path / "wh")
    start = con.table("input__hospital_contact").execute()["start_time"].iloc[0]
    assert start.to_pydatetime().astimezone(UTC) == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)


def test_unknown_format_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="unknown source format 'hl7v2'"):
        build_warehouse(tmp_path, tmp_path / "wh", format="hl7v2")


def test_a_failing_reader_leaves_the_warehouse_untouched(tmp_path: Path, toy_format: None, fake_core: Any) -> None:
    source = _source(tmp_path)
    build_warehouse(source, tmp_path / "wh", format="toy", marts=False)
    before = sorted(p.name for p in (tmp_path / "wh" / "builds").iterdir())
    (source / "toy.jsonl").write_text("{not json\n")
    with pytest.raises(BuildError, match="cannot read it as toy"):
        build_warehouse(source, tmp_path / "wh", format="toy", marts=False)
    assert sorted(p.name for p in (tmp_path / "wh" / "builds").iterdir()) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-31T00:30:00Z", datetime(2024, 3, 31, 0, 30, tzinfo=UTC)),
        ("2024-03-31T02:30:00", datetime(2024, 3, 31, 1, 30, tzinfo=UTC)),   # spring gap: moved forward
        ("2024-10-27T02:30:00", datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),  # autumn: the earlier (summer) hour
        ("2024-07-01", datetime(2024, 6, 30, 22, 0, tzinfo=UTC)),            # a date: Danish midnight
        ("2024-01-15T12:00:00.250+01:00", datetime(2024, 1, 15, 11, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_time_rule(text: str, expected: datetime) -> None:
    assert parse_instant(text) == expected


@pytest.mark.parametrize("text", ["2024", "2024-03", "yesterday", "2024-13-01T00:00:00Z"])
def test_time_rule_refuses(text: str) -> None:
    with pytest.raises(TimeError):
        parse_instant(text)


def test_a_required_table_with_nothing_mapped_says_why(tmp_path: Path, toy_format: None, fake_core: Any) -> None:
    source = _source(tmp_path)
    (source / "toy.jsonl").write_text(json.dumps(RECORDS[3]) + "\n")  # only P4, imprecise birth date
    with pytest.raises(BuildError, match=r"1 record\(s\) for the required table 'person'.*imprecise date"):
        build_warehouse(source, tmp_path / "wh", format="toy", marts=False)
