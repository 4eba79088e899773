"""Problems that make a build impossible stop it with one clear `BuildError`, and touch nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_support import csv_text, minimal_rows, write_source

from klynge.ingest import BuildError, build_warehouse
from klynge.warehouse._layout import build_lock

pytestmark = pytest.mark.usefixtures("fake_core")


def _fails(source: Path, warehouse: Path, match: str) -> BuildError:
    with pytest.raises(BuildError, match=match) as caught:
        build_warehouse(source, warehouse)
    # Nothing was published and nothing is left behind.
    assert not (warehouse / "current").exists()
    assert not list((warehouse / "builds").glob("*")) if (warehouse / "builds").exists() else True
    return caught.value


def test_missing_source_folder(tmp_path: Path) -> None:
    _fails(tmp_path / "nowhere", tmp_path / "warehouse", r"nowhere: the source folder does not exist")


def test_missing_required_table(tmp_path: Path) -> None:
    rows = minimal_rows()
    del rows["residence"]
    source = write_source(tmp_path / "source", rows)
    _fails(
        source,
        tmp_path / "warehouse",
        r"source: required table\(s\) residence missing; expected e.g. residence.csv, residence.parquet",
    )


def test_missing_required_column_in_csv(tmp_path: Path) -> None:
    rows = minimal_rows()
    for row in rows["person"]:
        del row["birth_date"]
    source = write_source(tmp_path / "source", rows)
    error = _fails(
        source, tmp_path / "warehouse", r"^person.csv: required column 'birth_date' of table 'person'"
    )
    assert "found: person_id, sex, death_date" in str(error)


def test_missing_required_column_in_one_parquet_part(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", minimal_rows())
    (source / "gp_contact.csv").unlink()
    parts = source / "gp_contact"
    parts.mkdir()
    good = pa.Table.from_pylist(minimal_rows()["gp_contact"])
    pq.write_table(good, parts / "part-00000.parquet")
    pq.write_table(good.drop_columns(["kind"]), parts / "part-00001.parquet")
    _fails(source, tmp_path / "warehouse", r"^gp_contact/part-00001.parquet: required column 'kind'")


def test_unreadable_parquet_file(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", minimal_rows())
    (source / "hospital_contact.csv").unlink()
    (source / "hospital_contact.parquet").write_bytes(b"PAR1 this is not parquet")
    _fails(source, tmp_path / "warehouse", r"^hospital_contact.parquet: not a readable Parquet file")


def test_parquet_with_corrupt_data_pages(tmp_path: Path) -> None:
    # The footer is intact (the header check passes); the data itself cannot be decoded.
    source = write_source(tmp_path / "source", minimal_rows())
    (source / "hospital_contact.csv").unlink()
    rows = [{**minimal_rows()["hospital_contact"][0], "contact_id": f"C{i}"} for i in range(3000)]
    path = source / "hospital_contact.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, compression="snappy", use_dictionary=False)
    data = bytearray(path.read_bytes())
    data[8:2000] = b"A" * 1992
    path.write_bytes(bytes(data))
    _fails(source, tmp_path / "warehouse", r"^hospital_contact.parquet: cannot read the file; it is corrupt")


def test_csv_with_a_malformed_line_names_the_line_with_cpr_masked(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", minimal_rows())
    text = csv_text(minimal_rows()["gp_contact"]) + 'G9,010150-1234,2024-01-01,phone,K1,,"unterminated\n'
    (source / "gp_contact.csv").write_text(text, encoding="utf-8")
    error = _fails(
        source,
        tmp_path / "warehouse",
        r"^gp_contact.csv: cannot read the file; it is corrupt or malformed \(.*CSV Error on Line: 4",
    )
    assert "G9,XXXXXX-XXXX,2024-01-01" in str(error)
    assert "010150" not in str(error)


def test_two_sources_for_one_table(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", minimal_rows())
    pq.write_table(pa.Table.from_pylist(minimal_rows()["person"]), source / "person.parquet")
    _fails(source, tmp_path / "warehouse", r"table 'person' has more than one source")


def test_unreadable_source_metadata(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", minimal_rows())
    (source / "klynge-source.json").write_text('{"period_start": "2024-13-01", "period_end": "2024-12-31"}')
    _fails(source, tmp_path / "warehouse", r"klynge-source.json: period_start must be a date YYYY-MM-DD")


def test_a_second_concurrent_build_is_refused(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", minimal_rows())
    warehouse = tmp_path / "warehouse"
    with build_lock(warehouse):
        _fails(source, warehouse, r"another build is running in .*warehouse")
    assert build_warehouse(source, warehouse).tables["person"].accepted == 3


def test_a_period_that_ends_before_it_starts(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", minimal_rows())
    with pytest.raises(BuildError, match=r"the period ends \(2024-01-01\) before it starts \(2024-12-31\)"):
        build_warehouse(source, tmp_path / "warehouse", period=(date(2024, 12, 31), date(2024, 1, 1)))
    assert not (tmp_path / "warehouse").exists()
