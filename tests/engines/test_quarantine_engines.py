"""Quarantine and time parsing agree across engines, on a hand-made source with planted bad rows.

The source is small and hand-made (three persons, their residences, contacts, ...), in CSV and
in Parquet of text columns, with rows planted to break each kind of rule, and naive Danish
times around both daylight-saving changes. The full core runs on it; marts are left out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from engines_support import build_with, differences, warehouse_tables

sys.path.insert(0, str(Path(__file__).parents[1] / "ingest"))
from ingest_support import minimal_rows, write_source  # noqa: E402

from klynge.ingest import BuildResult  # noqa: E402
from klynge.warehouse._layout import DATABASE  # noqa: E402

_CONTACT = minimal_rows()["hospital_contact"][1]


def _contact(contact_id: str, start: str, end: str, person: str = "P1") -> dict[str, str]:
    return {**_CONTACT, "contact_id": contact_id, "person_id": person, "start_time": start, "end_time": end}


def planted_rows() -> dict[str, list[dict[str, str]]]:
    rows = minimal_rows()
    rows["person"] += [
        {"person_id": "P4", "birth_date": "1990-01-01", "sex": "X", "death_date": ""},  # row 4: bad code
        {"person_id": "P1", "birth_date": "1950-01-01", "sex": "F", "death_date": ""},  # row 5: duplicate
        {"person_id": "P6", "birth_date": "1990-13-01", "sex": "M", "death_date": ""},  # row 6: no date
        {"person_id": "P7", "birth_date": "", "sex": "M", "death_date": ""},  # row 7: missing
        {"person_id": "P8", "birth_date": "2000-01-01", "sex": "F", "death_date": "1999-12-31"},  # 8: order
    ]
    rows["residence"] += [
        {"person_id": "P9", "municipality_code": "101", "valid_from": "2000-01-01", "valid_to": ""},  # unknown
        {"person_id": "P2", "municipality_code": "999", "valid_from": "2000-01-01", "valid_to": ""},  # no such
    ]
    rows["hospital_contact"] += [
        _contact("C3", "2024-10-27 02:30:00", "2024-10-27 09:00:00"),  # the repeated autumn hour
        _contact("C4", "2024-03-31 02:30:00", "2024-03-31 09:00:00"),  # the spring gap
        _contact("C5", "2024-10-27T02:30:00+02:00", "2024-10-27 02:10+01:00"),  # offsets
        _contact("C6", "2024-10-26 22:00:00", "2024-10-27 22:00:00"),  # a stay across the change
        _contact("C7", "2024-05-12 09:30:00", "2024-05-12 08:00:00"),  # ends before it starts
        _contact("C8", "2024-08-01 10:00:00", "2024-08-02 10:00:00", "P3"),  # after P3's death
        _contact("C9", "not a time", ""),
    ]
    rows["gp_contact"].append({**rows["gp_contact"][0], "contact_id": "G3", "person_id": "0101901234"})
    rows["prescription"].append({"person_id": "P2", "dispensing_date": "2024-04-02", "atc": "C07AB02",
                                 "ddd": "thirty"})
    return rows


@pytest.fixture(scope="module", params=["csv", "parquet"])
def planted_source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_source(tmp_path_factory.mktemp(f"planted-{request.param}"), planted_rows(), fmt=request.param)


@pytest.fixture(scope="module")
def planted_builds(planted_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], BuildResult]:
    """The build of the planted source (input and core), once per engine."""
    built: dict[str, BuildResult] = {}

    def get(engine: str) -> BuildResult:
        if engine not in built:
            built[engine] = build_with(engine, planted_source, tmp_path_factory.mktemp(f"planted-{engine}"), marts=False)
        return built[engine]

    return get


def _quarantine(path: Path) -> dict[str, list[dict]]:
    return {f.stem: pq.read_table(f).to_pylist() for f in sorted((path / "quarantine").glob("*.parquet"))}


def test_quarantine_rows_and_reasons_agree(engine: str, planted_builds: Callable[[str], BuildResult]) -> None:
    built, planted_oracle = planted_builds(engine), planted_builds("duckdb")
    assert built.manifest["tables"] == planted_oracle.manifest["tables"]
    assert _quarantine(built.path) == _quarantine(planted_oracle.path)
    reasons = {t: {r["_row"]: r["reason"] for r in rows} for t, rows in _quarantine(built.path).items()}
    assert sorted(reasons["person"]) == [4, 5, 6, 7, 8]
    assert "duplicate person_id" in reasons["person"][5]
    assert sorted(reasons["residence"]) == [4, 5]
    assert sorted(reasons["hospital_contact"]) == [7, 8, 9]
    assert "looks like a CPR number" in reasons["gp_contact"][3]
    assert "0101901234" not in str(reasons)


def test_input_and_core_tables_agree(engine: str, planted_builds: Callable[[str], BuildResult]) -> None:
    built, planted_oracle = planted_builds(engine), planted_builds("duckdb")
    oracle, tables = warehouse_tables(planted_oracle.path / DATABASE), warehouse_tables(built.path / DATABASE)
    assert sorted(tables) == sorted(oracle)
    assert {name: d for name in oracle if (d := differences(oracle[name], tables[name]))} == {}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_naive_times_are_danish_time(engine: str, planted_builds: Callable[[str], BuildResult]) -> None:
    """Naive times are Danish: the repeated autumn hour is read as its second occurrence
    (winter time), a time in the spring gap is moved an hour on, offsets are kept; a stay
    across the autumn change lasts its real 25 hours."""
    built = planted_builds(engine)
    tables = warehouse_tables(built.path / DATABASE)
    contacts = tables["input__hospital_contact"].set_index("contact_id")
    starts = {c: contacts.loc[c, "start_time"].to_pydatetime() for c in ("C3", "C4", "C5")}
    assert starts == {"C3": _utc("2024-10-27 01:30"), "C4": _utc("2024-03-31 01:30"), "C5": _utc("2024-10-27 00:30")}
    stays = tables["core__stay"].set_index("first_contact_id")
    assert stays.loc["C6", "duration_hours"] == 25.0
    assert str(stays.loc["C6", "discharge_date"])[:10] == "2024-10-27"


def test_typed_instants_are_kept_as_they_are(engine: str, tmp_path: Path) -> None:
    """A Parquet source with instants (timestamps adjusted to UTC) keeps them to the microsecond,
    also in the repeated autumn hour, where a text form of the time would be ambiguous."""
    import pyarrow as pa

    rows = minimal_rows()
    source = write_source(tmp_path / "source", rows, fmt="parquet")
    first_hour = datetime(2024, 10, 27, 0, 30, 0, 123456, tzinfo=UTC)  # 02:30:00.123456 summer time
    second_hour = datetime(2024, 10, 27, 1, 30, tzinfo=UTC)  # 02:30 winter time
    contacts = [{**_CONTACT, "contact_id": f"T{i}", "person_id": "P1", "start_time": start, "end_time": start}
                for i, start in enumerate((first_hour, second_hour), 1)]
    schema = pa.schema([(c, pa.timestamp("us", tz="UTC") if c.endswith("_time") else pa.string()) for c in _CONTACT])
    pq.write_table(pa.Table.from_pylist(contacts, schema=schema), source / "hospital_contact.parquet")
    built = build_with(engine, source, tmp_path / "warehouse", marts=False)
    got = warehouse_tables(built.path / DATABASE)["input__hospital_contact"].set_index("contact_id")
    assert {c: got.loc[c, "start_time"].to_pydatetime() for c in ("T1", "T2")} == {"T1": first_hour, "T2": second_hour}
    assert built.manifest["tables"]["hospital_contact"]["quarantined"] == 0
