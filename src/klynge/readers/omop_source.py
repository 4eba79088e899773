"""Finding and loading the tables of an OMOP CDM v5.4 extract (CSV or Parquet) into DuckDB.

Every table is loaded with all its columns as text (lower-case names), so that CSV and
Parquet sources look the same to the mapping queries: a Parquet ``DATE`` becomes
``2020-01-31`` and a ``TIMESTAMP`` ``2020-01-31 08:00:00``, exactly as an OMOP CSV writes them.
Columns the reader may use but the file lacks are added as empty; a missing *required*
column makes the source unreadable (``ValueError``), as for a canonical source. A CSV line
DuckDB cannot parse (too many or too few fields, a broken quote) is kept aside as a rejected
line with its line number, so the reader can quarantine it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from klynge.ingest._encoding import detect_encoding, transcode_legacy

# The OMOP tables the reader uses: required columns, then the optional ones it reads.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "person": (
        ("person_id", "gender_concept_id", "year_of_birth"),
        ("month_of_birth", "day_of_birth", "birth_datetime", "location_id", "provider_id", "care_site_id",
         "person_source_value"),
    ),
    "death": (("person_id", "death_date"), ("death_datetime",)),
    "observation_period": (
        ("observation_period_id", "person_id", "observation_period_start_date", "observation_period_end_date"), (),
    ),
    "visit_occurrence": (
        ("visit_occurrence_id", "person_id", "visit_concept_id", "visit_start_date"),
        ("visit_start_datetime", "visit_end_date", "visit_end_datetime", "provider_id", "care_site_id",
         "admitted_from_concept_id", "preceding_visit_occurrence_id"),
    ),
    "condition_occurrence": (
        ("condition_occurrence_id", "person_id", "condition_start_date"),
        ("condition_concept_id", "condition_start_datetime", "condition_type_concept_id", "condition_status_concept_id",
         "visit_occurrence_id", "condition_source_value", "condition_source_concept_id"),
    ),
    "drug_exposure": (
        ("drug_exposure_id", "person_id", "drug_concept_id", "drug_exposure_start_date"),
        ("drug_exposure_start_datetime", "drug_type_concept_id", "visit_occurrence_id", "drug_source_value",
         "drug_source_concept_id"),
    ),
    "measurement": (
        ("measurement_id", "person_id", "measurement_date"),
        ("measurement_concept_id", "measurement_datetime", "value_as_number", "unit_concept_id", "range_low",
         "range_high", "provider_id", "visit_occurrence_id", "measurement_source_value",
         "measurement_source_concept_id", "unit_source_value"),
    ),
    "procedure_occurrence": (
        ("procedure_occurrence_id", "person_id", "procedure_date"),
        ("procedure_concept_id", "procedure_datetime", "visit_occurrence_id", "procedure_source_value",
         "procedure_source_concept_id"),
    ),
    "location": (
        ("location_id",),
        ("state", "county", "location_source_value", "country_concept_id", "country_source_value"),
    ),
    "care_site": (("care_site_id",), ("care_site_name", "place_of_service_concept_id", "place_of_service_source_value")),
    "provider": (("provider_id",), ("specialty_concept_id", "care_site_id", "specialty_source_value")),
    "concept": (("concept_id", "vocabulary_id", "concept_code"), ("concept_name", "concept_class_id")),
    "concept_relationship": (("concept_id_1", "concept_id_2", "relationship_id"), ("invalid_reason",)),
    "concept_ancestor": (("ancestor_concept_id", "descendant_concept_id"), ("min_levels_of_separation",)),
}
SUFFIXES = (".csv", ".parquet")
CODEMAP_FILE = "klynge-codemap.csv"  # read by klynge.readers._codemap


@dataclass
class Rejected:
    """A CSV line DuckDB could not parse."""

    file: str
    line: int
    error: str
    text: str


@dataclass
class Loaded:
    """The OMOP tables found in a source folder, as DuckDB tables ``omop_<name>`` of text."""

    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, list[Rejected]] = field(default_factory=dict)
    empty: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    transcoded: dict[str, str] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Whether the source has the table (possibly empty)."""
        return name in self.files


def find(source: Path) -> tuple[dict[str, Path], list[str]]:
    """The OMOP table files in ``source`` by lower-case table name, and the other file names.

    Raises
    ------
    ValueError
        When a table is present twice (``person.csv`` and ``PERSON.parquet``).
    """
    found: dict[str, Path] = {}
    others: list[str] = []
    for entry in sorted(source.iterdir()):
        name, suffix = entry.stem.lower(), entry.suffix.lower()
        if not entry.is_file() or suffix not in SUFFIXES or name not in COLUMNS:
            if not entry.name.startswith(".") and entry.name != CODEMAP_FILE:
                others.append(entry.name)
            continue
        if name in found:
            raise ValueError(f"OMOP table {name} is present twice ({found[name].name} and {entry.name}); keep one")
        found[name] = entry
    return found, others


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load(con: duckdb.DuckDBPyConnection, source: Path, scratch: Path) -> Loaded:
    """Load every OMOP table of ``source`` into ``con`` as ``omop_<name>`` (all text).

    Tables the source lacks are created empty, so the mapping queries need no special cases.
    A CSV file in Windows-1252 or Latin-1 is transcoded to UTF-8 in ``scratch`` first, as for a
    canonical source (`klynge.ingest._encoding`).

    Raises
    ------
    ValueError
        A table present twice, or a file lacking a required column, or a file DuckDB cannot read.
    """
    found, others = find(source)
    loaded = Loaded(ignored=others)
    for name, (required, optional) in COLUMNS.items():
        path = found.get(name)
        table = f"omop_{name}"
        wanted = (*required, *optional)
        if path is None or path.stat().st_size == 0:
            con.execute(f"CREATE TABLE {table} AS SELECT "
                        + ", ".join(f"NULL::VARCHAR AS {c}" for c in wanted) + " WHERE false")
            if path is not None:
                loaded.files[name] = path
                loaded.empty.append(path.name)
            continue
        loaded.files[name] = path
        try:
            if path.suffix.lower() == ".csv":
                readable = path
                if detect_encoding(path) == "legacy":
                    readable = scratch / f"{name}.csv"
                    loaded.transcoded[path.name] = transcode_legacy(path, readable)
                csv = f"read_csv({_literal(str(readable))}, header=true, all_varchar=true"
                probe = csv + ", ignore_errors=true)"
                scan = csv + f", store_rejects=true, rejects_table='rej_{name}', rejects_scan='rejscan_{name}')"
            else:
                probe = scan = f"read_parquet({_literal(str(path))})"
            present = {c.lower(): c for c in con.sql(f"SELECT * FROM {probe} LIMIT 0").columns}
        except duckdb.Error as error:
            raise ValueError(f"{path.name}: cannot read it ({str(error).splitlines()[0]})") from None
        missing = [c for c in required if c not in present]
        if missing:
            raise ValueError(f"{path.name}: lacks the required OMOP column(s) {', '.join(missing)}")
        columns = [
            f"NULLIF(TRIM(CAST({_quote(present[c])} AS VARCHAR)), '') AS {c}" if c in present else f"NULL::VARCHAR AS {c}"
            for c in wanted
        ]
        try:
            con.execute(f"CREATE TABLE {table} AS SELECT {', '.join(columns)} FROM {scan}")
        except duckdb.Error as error:
            raise ValueError(f"{path.name}: cannot read it ({str(error).splitlines()[0]})") from None
        loaded.rows[name] = con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        if path.suffix.lower() == ".csv":
            bad = con.sql(f"SELECT DISTINCT line, error_type, csv_line FROM rej_{name} ORDER BY line").fetchall()
            if bad:
                loaded.rejected[name] = [Rejected(path.name, int(line), str(kind), str(text)) for line, kind, text in bad]
    return loaded


__all__ = ["COLUMNS", "Loaded", "Rejected", "find", "load"]
