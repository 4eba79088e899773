"""The LPR3 reader against the synthetic population (canonical -> LPR3 extract -> canonical) and
end-to-end through ``build_warehouse(..., format="lpr3")``."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from lpr3_support import UNITS, read, write

from klynge.ingest import build_warehouse
from klynge.readers import DANISH
from klynge.readers._base import as_text
from klynge.readers.lpr3_write import write_lpr3
from klynge.synth import synthesise
from klynge.warehouse import open_warehouse

HOSPITAL = ("hospital_unit", "hospital_contact", "diagnosis", "procedure")


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lpr3-synth") / "source"
    synthesise(out, persons=300, start=date(2023, 1, 1), end=date(2023, 12, 31), seed=3)
    return out


def _local_time_read_back(value: Any) -> Any:
    """What an instant becomes after a trip through Danish local time: in the autumn hour that
    occurs twice, the second (winter-time) instant reads back as the first (LPR3 has no offset)."""
    if isinstance(value, datetime) and value.astimezone(DANISH).fold == 1:
        return value - timedelta(hours=1)
    return value


def _canonical(source: Path, table: str) -> list[dict[str, str | None]]:
    rows = ds.dataset(source / table, format="parquet").to_table().to_pylist()
    return [{k: as_text(_local_time_read_back(v)) for k, v in row.items()} for row in rows]


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in row.values())


@pytest.mark.parametrize("variant", ["csv-cp1252-organisationer", "parquet-canonical-units"])
def test_synthetic_hospital_tables_survive_the_round_trip(population: Path, tmp_path: Path, variant: str) -> None:
    extract = tmp_path / "extract"
    if variant.startswith("csv"):
        written = write_lpr3(population, extract, delimiter=";", encoding="cp1252")
    else:
        written = write_lpr3(population, extract, fmt="parquet", organisationer=False)
        shutil.copytree(population / "hospital_unit", extract / "hospital_unit")
    got = read(extract, tmp_path / "read")
    tables = HOSPITAL if variant.startswith("csv") else HOSPITAL[1:]
    for table in tables:
        original = _canonical(population, table)
        # The source columns say where a code came from (SKS, as in the extract): provenance, not data.
        assert all(row.get("source_system") in (None, "SKS") for row in got.staged[table])
        staged = [{k: v for k, v in row.items() if k not in ("source_record", "source_system", "source_code")}
                  for row in got.staged[table]]
        assert len(original) > 0
        assert sorted(staged, key=_key) == sorted(original, key=_key), table
        assert got.counts(table) == {"read": len(original), "mapped": len(original), "quarantined": 0, "out_of_scope": 0}
    assert written["kontakter"] == len(got.staged["hospital_contact"])
    assert written["procedurer_kirurgi"] + written["procedurer_andre"] == len(got.staged["procedure"])


def test_synthetic_extract_builds_like_the_canonical_source(population: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    write_lpr3(population, source)
    for entry in ("person", "residence", "gp_listing", "klynge-source.json"):
        (shutil.copytree if (population / entry).is_dir() else shutil.copy)(population / entry, source / entry)
    result = build_warehouse(source, tmp_path / "wh", format="lpr3", marts=False)
    tables = result.manifest["tables"]
    for table in HOSPITAL:
        n = ds.dataset(population / table, format="parquet").count_rows()
        assert (tables[table]["read"], tables[table]["accepted"], tables[table]["quarantined"],
                tables[table]["out_of_scope"]) == (n, n, 0, 0), table
        assert tables[table]["format"] == "lpr3"
    assert tables["person"]["format"] == "parquet"  # the canonical file beside the extract
    assert result.manifest["reader"]["files"] == [
        "diagnoser.csv", "kontakter.csv", "organisationer.csv", "procedurer_andre.csv", "procedurer_kirurgi.csv"]
    con = open_warehouse(tmp_path / "wh")
    stays = con.table("core__stay").count().execute()
    assert stays > 0


def test_end_to_end_build_counts_reader_and_validation_together(tmp_path: Path) -> None:
    source = write(tmp_path / "source", {
        "person.csv": """
            person_id,birth_date,sex,death_date
            PA,1950-01-01,F,
            PB,1980-06-15,M,
        """,
        "residence.csv": """
            person_id,municipality_code,valid_from,valid_to
            PA,461,1950-01-01,
            PB,461,1980-06-15,
        """,
        "hospital_unit.csv": UNITS,
        "kontakter.csv": """
            dw_ek_kontakt;cpr_encrypted;dato_start;tidspunkt_start;dato_slut;tidspunkt_slut;kontakttype;prioritet;sorenhed_ans
            1;PA;2024-03-01;09:30;2024-03-02;11:00;ALCA00;ATA1;U1
            2;PB;2024-03-05;10:00;2024-03-05;10:30;ALCA00;ATA9;U1
            3;PB;2024-03-05;xx;;;ALCA00;ATA1;U1
            4;PB;2024-03-06;10:00;;;ALCA20;ATA3;U2
            5;PZ;2024-03-07;10:00;2024-03-07;11:00;ALCA03;ATA3;U2
        """,
        "diagnoser.csv": """
            dw_ek_kontakt;diagnosekode;diagnosetype;senere_afkraeftet
            1;DI500;A;Nej
            1;DJ44;B;Nej
            1;XX;B;Nej
            3;DI500;A;Nej
            4;DF200;A;Nej
        """,
    })
    result = build_warehouse(source, tmp_path / "wh", format="lpr3", marts=False)
    tables = result.manifest["tables"]

    def counts(table: str) -> tuple[int, int, int, int]:
        entry = tables[table]
        return entry["read"], entry["accepted"], entry["quarantined"], entry["out_of_scope"]

    # Contacts: 1 accepted; 3 quarantined by the reader (bad time), 2 (priority ATA9) and
    # 5 (unknown person PZ) by the validation; 4 (kontakttype ALCA20) out of scope.
    assert counts("hospital_contact") == (5, 1, 3, 1)
    # Diagnoses: two of contact 1 accepted; XX refused by the validation; that of contact 3
    # quarantined by the reader; that of contact 4 out of scope with it.
    assert counts("diagnosis") == (5, 2, 2, 1)
    assert counts("person") == (2, 2, 0, 0) and tables["person"]["format"] == "csv"
    assert result.manifest["reader"]["tables"]["hospital_contact"]["quarantine_reasons"] == {"not a time of day: 'xx'": 1}
    con = open_warehouse(tmp_path / "wh")
    contact = con.table("input__hospital_contact").execute().to_dict("records")
    assert [(c["contact_id"], c["specialty"], c["start_time"]) for c in contact] == [
        ("1", "emergency", datetime(2024, 3, 1, 9, 30, tzinfo=DANISH))]  # the same instant as 08:30 UTC


def test_the_repeated_autumn_hour_reads_back_as_its_first_occurrence(tmp_path: Path) -> None:
    canonical = tmp_path / "canonical"
    canonical.mkdir()
    utc = pa.timestamp("us", tz="UTC")
    first, second = datetime(2024, 10, 27, 0, 30, tzinfo=UTC), datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    pq.write_table(pa.table({
        "contact_id": ["K1", "K2"], "person_id": ["P1", "P2"],
        "start_time": pa.array([first, second], utc), "end_time": pa.array([None, None], utc),
        "contact_type": ["ALCA00"] * 2, "priority": ["ATA1"] * 2, "contact_reason": [None, None],
        "hospital_id": ["H1"] * 2, "unit_id": ["U1"] * 2, "specialty": ["emergency"] * 2, "branch": ["somatic"] * 2,
    }), canonical / "hospital_contact.parquet")
    extract = tmp_path / "extract"
    write_lpr3(canonical, extract, organisationer=False)
    write(extract, {"hospital_unit.csv": UNITS})
    assert (extract / "kontakter.csv").read_text().count("2024-10-27;02:30:00") == 2  # both are 02:30 in Denmark
    got = read(extract, tmp_path / "read")
    assert [c["start_time"] for c in got.staged["hospital_contact"]] == [first.isoformat(), first.isoformat()]
