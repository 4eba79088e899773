"""OMOP CDM v5.4 reader: ``klynge build --source DIR --format omop``.

Reads the OMOP tables of ``DIR`` (CSV or Parquet, file names in any case: ``person.csv``,
``PERSON.parquet``) with DuckDB and maps them onto the canonical model (``docs/inputs.md``):

=====================  ======================================  =================================
OMOP                   canonical                               kept
=====================  ======================================  =================================
PERSON, DEATH          person                                  every person with sex 8507/8532
LOCATION               residence                               Danish municipality codes only
VISIT_OCCURRENCE       hospital_contact, gp_contact            inpatient, emergency, outpatient,
                                                               GP office/home/telehealth visits
CONDITION_OCCURRENCE   diagnosis                               ICD-10 on hospital contacts
DRUG_EXPOSURE          prescription                            with an ATC code
MEASUREMENT            lab_result                              with an NPU/DNK code
PROCEDURE_OCCURRENCE   procedure                               SKS codes on hospital contacts
OBSERVATION_PERIOD     (person, out of scope)                  start used as residence start
=====================  ======================================  =================================

CONCEPT, CONCEPT_RELATIONSHIP and CONCEPT_ANCESTOR, when present, name the vocabularies of
source codes and link RxNorm drugs to ATC. OMOP times have no time zone: they are Danish local
time (`klynge.readers._time`) unless ``klynge-omop.json`` in the source folder says otherwise.

``klynge-omop.json`` (optional; every key optional)::

    {"timezone": "UTC", "default_municipality": "101"}

* ``timezone``: the zone of the extract's times (default ``Europe/Copenhagen``).
* ``default_municipality``: a municipality code given as residence to every person the source
  places in no Danish municipality. It is configuration, not data: the manifest says so.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pyarrow as pa

from klynge.contracts import load_reference
from klynge.readers import omop_events as events
from klynge.readers import omop_visits as visits
from klynge.readers import omop_person as persons
from klynge.readers._codemap import CODEMAP_FILE, CodeMap, Unmapped
from klynge.readers._time import DANISH, TimeError, parse_day, parse_instant
from klynge.readers.omop_source import Loaded, load

if TYPE_CHECKING:
    from klynge.readers._base import Staging

SETTINGS_FILE = "klynge-omop.json"
# The canonical table a damaged (unparsable) CSV line of an OMOP table is attributed to.
ATTRIBUTED = {
    "person": "person", "death": "person", "observation_period": "person", "location": "residence",
    "visit_occurrence": "hospital_contact", "condition_occurrence": "diagnosis", "drug_exposure": "prescription",
    "measurement": "lab_result", "procedure_occurrence": "procedure",
}


@dataclass(frozen=True)
class Settings:
    """The reader's options, from ``klynge-omop.json`` in the source folder."""

    timezone: str = "Europe/Copenhagen"
    default_municipality: str | None = None

    @classmethod
    def load(cls, source: Path) -> Settings:
        """Read the settings file of ``source`` (defaults without one).

        Raises
        ------
        ValueError
            Invalid JSON, an unknown key, an unknown time zone or municipality code.
        """
        path = source / SETTINGS_FILE
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{SETTINGS_FILE}: not valid JSON ({error})") from None
        if not isinstance(data, dict):
            raise ValueError(f"{SETTINGS_FILE}: expected a JSON object")
        unknown = set(data) - {"timezone", "default_municipality"}
        if unknown:
            raise ValueError(f"{SETTINGS_FILE}: unknown key(s) {sorted(unknown)}; expected timezone, default_municipality")
        settings = cls(**data)
        try:
            ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"{SETTINGS_FILE}: unknown time zone {settings.timezone!r}") from None
        if settings.default_municipality is not None:
            codes = set(load_reference()["municipality"]["municipality_code"].astype(str).str.zfill(3))
            if str(settings.default_municipality) not in codes:
                raise ValueError(f"{SETTINGS_FILE}: default_municipality {settings.default_municipality!r} "
                                 "is not a Danish municipality code")
        return settings


def _reason(error: ValueError, text: str | None) -> str:
    return str(error) if isinstance(error, TimeError) else f"no such date: {text!r}"


class Clock:
    """OMOP dates and times read by klynge's rule, in the extract's time zone."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.danish = self.zone.key == DANISH.key

    def _aware(self, text: str) -> str:
        """A naive date-time of the extract as text with its offset (dates stay dates)."""
        if self.danish or len(text) <= 10:
            return text
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text  # parse_instant says what is wrong with it
        return value.replace(tzinfo=self.zone).isoformat() if value.tzinfo is None else text

    def instant(self, text: str | None, what: str) -> datetime | None:
        """An instant (None stays None); a bad one raises TimeError naming ``what``."""
        try:
            return parse_instant(None if text is None else self._aware(text))
        except ValueError as error:  # TimeError, or a date that does not exist (2024-02-30)
            raise TimeError(f"{what}: {_reason(error, text)}") from None

    def day(self, text: str | None, what: str) -> date | None:
        """The Danish calendar day of a date or date-time."""
        try:
            return parse_day(None if text is None else self._aware(text))
        except ValueError as error:
            raise TimeError(f"{what}: {_reason(error, text)}") from None


def _register(con: duckdb.DuckDBPyConnection, name: str, key: str, status: dict[str, str]) -> None:
    frame = pa.table({key: pa.array(list(status), pa.string()), "status": pa.array(list(status.values()), pa.string())})
    con.register(f"{name}_arrow", frame)
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def read(source: Path, staging: Staging) -> None:
    """Read the OMOP CDM v5.4 extract in ``source`` into canonical tables (module docstring).

    Raises
    ------
    ValueError
        No PERSON table, a table present twice or lacking a required column, an unreadable file,
        or a bad ``klynge-omop.json``.
    """
    source = Path(source)
    settings = Settings.load(source)
    codemap, unmapped = CodeMap.load(source), Unmapped()
    clock = Clock(settings.timezone)
    with tempfile.TemporaryDirectory(prefix="klynge-omop-") as tmp:
        con = duckdb.connect(str(Path(tmp) / "omop.duckdb"))
        try:
            con.execute(f"SET temp_directory = '{Path(tmp) / 'spill'}'; SET preserve_insertion_order = true")
            loaded = load(con, source, Path(tmp) / "utf8")
            if not loaded.has("person"):
                raise ValueError("no PERSON table (person.csv or person.parquet) in the source")
            staging.report.files.extend(sorted(p.name for p in loaded.files.values()))
            _rejected(loaded, staging)
            person_status, births = persons.read_persons(con, staging)
            _register(con, "person_status", "person_id", person_status)
            persons.observation_periods(con, staging)
            persons.residences(con, staging, births, settings)
            visits.dims(con)
            _register_codemap(con, codemap)
            visit_status = visits.visits(con, staging, clock)
            _register(con, "visit_status", "visit_occurrence_id", visit_status)
            events.conditions(con, staging)
            events.drugs(con, staging, clock)
            events.measurements(con, staging, clock)
            events.procedures(con, staging, clock)
            codemap.used.update({t: n for t, n in events.unmapped_codes(con, unmapped).items() if n})
        finally:
            con.close()
    _notes(loaded, settings, staging)
    codemap.note(staging)
    unmapped.note(staging)


def _register_codemap(con: duckdb.DuckDBPyConnection, codemap: CodeMap) -> None:
    """The council's code map (``klynge-codemap.csv``) as table ``codemap`` (tbl, system, code, target)."""
    rows = codemap.rows()
    frame = pa.table({name: pa.array([r[i] for r in rows], pa.string())
                      for i, name in enumerate(("tbl", "system", "code", "target"))})
    con.register("codemap_arrow", frame)
    con.execute("CREATE TABLE codemap AS SELECT * FROM codemap_arrow")
    con.unregister("codemap_arrow")


def _rejected(loaded: Loaded, staging: Staging) -> None:
    """Quarantine the CSV lines DuckDB could not parse, under the table they belong to."""
    for name, lines in loaded.rejected.items():
        table = ATTRIBUTED.get(name)
        if table is None:
            staging.note(f"{lines[0].file}: {len(lines)} malformed line(s) skipped")
            continue
        for line in lines:
            staging.quarantine(table, f"{line.file}:{line.line}", f"malformed CSV line ({line.error.lower()})",
                               line.text)


def _notes(loaded: Loaded, settings: Settings, staging: Staging) -> None:
    if settings.timezone != DANISH.key:
        staging.note(f"OMOP times read as {settings.timezone} (klynge-omop.json), not Danish local time")
    else:
        staging.note("OMOP times have no time zone; they were read as Danish local time")
    for name, encoding in loaded.transcoded.items():
        staging.note(f"{name}: not UTF-8, read as {encoding}")
    if loaded.empty:
        staging.note(f"empty file(s): {', '.join(loaded.empty)}")
    if loaded.ignored:
        staging.note(f"not read (not mapped by the OMOP reader): {', '.join(loaded.ignored)}")


__all__ = ["CODEMAP_FILE", "SETTINGS_FILE", "Clock", "Settings", "read"]
