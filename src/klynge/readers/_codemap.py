"""Source codes shared by the FHIR and OMOP readers: the original coding, a code map, unmapped codes.

Every mapped ``diagnosis``, ``procedure``, ``lab_result`` and ``prescription`` row keeps the
coding it was taken or mapped from in ``source_system`` / ``source_code`` (`source`). A record
that carries only codes klynge cannot map to the canonical code (SNOMED CT for a diagnosis,
LOINC for a lab result, RxNorm for a drug) is out of scope with a reason naming the vocabulary
(`only_in`), and its code is counted (`Unmapped`): the manifest lists the 20 most frequent
unmapped codes per table, so a council can see what a mapping table would buy.

A council that has such a table puts it in the source folder as ``klynge-codemap.csv``
(`CodeMap`)::

    source_system,source_code,target_table,target_code
    http://snomed.info/sct,22298006,diagnosis,DI219
    LOINC,2339-0,lab_result,NPU02192
    RxNorm,1191,prescription,B01AC06

A system is matched by any of its names (``http://snomed.info/sct``, ``SNOMED`` and
``urn:oid:2.16.840.1.113883.6.96`` are the same), so one file serves FHIR and OMOP sources.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from klynge.contracts import TABLES

if TYPE_CHECKING:
    from klynge.readers._base import Staging

CODEMAP_FILE = "klynge-codemap.csv"
TARGETS = {"diagnosis": "diagnosis_code", "procedure": "procedure_code", "lab_result": "npu_code",
           "prescription": "atc"}
"""The canonical tables with a source code, and the column a code map fills."""
TOP = 20

# The names of a code system in FHIR (URIs, OIDs) and OMOP (vocabulary_id), by display name.
_NAMES: dict[str, tuple[str, ...]] = {
    "SNOMED CT": ("http://snomed.info/sct", "urn:oid:2.16.840.1.113883.6.96", "SNOMED"),
    "LOINC": ("http://loinc.org", "urn:oid:2.16.840.1.113883.6.1", "LOINC"),
    "RxNorm": ("http://www.nlm.nih.gov/research/umls/rxnorm", "urn:oid:2.16.840.1.113883.6.88", "RxNorm"),
    "RxNorm Extension": ("RxNorm Extension",),
    "ICD-10": ("http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-dk", "urn:oid:2.16.840.1.113883.6.3",
               "ICD10", "ICD10GM"),
    "ICD-10-CM": ("http://hl7.org/fhir/sid/icd-10-cm", "ICD10CM"),
    "SKS": ("urn:oid:1.2.208.176.2.4", "http://medcomfhir.dk/ig/terminology/CodeSystem/sks", "https://sks.dk", "SKS"),
    "NPU": ("urn:oid:1.2.208.176.2.1", "http://npu-terminology.org",
            "http://medcomfhir.dk/ig/terminology/CodeSystem/npu", "NPU"),
    "ATC": ("http://www.whocc.no/atc", "http://www.whocc.no/atc/", "urn:oid:2.16.840.1.113883.6.73", "ATC"),
    "CVX": ("http://hl7.org/fhir/sid/cvx", "CVX"),
    "CPT4": ("http://www.ama-assn.org/go/cpt", "CPT4"),
}
_NAME_OF = {alias.lower(): name for name, aliases in _NAMES.items() for alias in (name, *aliases)}
_SYSTEM = re.compile(TABLES["diagnosis"].column("source_system").pattern or ".*")
_CODE = re.compile(TABLES["diagnosis"].column("source_code").pattern or ".*")


def vocabulary(system: str | None) -> str:
    """The display name of a code system (``http://snomed.info/sct`` and ``SNOMED`` -> SNOMED CT)."""
    if not system:
        return "an unknown code system"
    return _NAME_OF.get(system.strip().lower(), system.strip())


def only_in(label: str, systems: list[str | None], table: str) -> str:
    """The out-of-scope reason of a record coded only in ``systems`` (named, sorted, once each)."""
    names = ", ".join(sorted({vocabulary(s) for s in systems})) or "an unknown code system"
    wanted = {"diagnosis": "ICD-10/SKS coding", "procedure": "SKS procedure coding", "lab_result": "NPU coding",
              "prescription": "ATC coding"}[table]
    return f"{label} coded only in {names} (no {wanted})"


def source(system: str | None, code: str | None) -> dict[str, str | None]:
    """The ``source_system``/``source_code`` of a row; a pair outside the model's patterns is left empty.

    A source code is provenance: an odd one (a free-text OMOP source value) must not make the
    validation refuse an otherwise good row.
    """
    system, code = (system or "").strip(), (code or "").strip()
    if _SYSTEM.fullmatch(system) and _CODE.fullmatch(code):
        return {"source_system": system, "source_code": code}
    return {"source_system": None, "source_code": None}


def _key(system: str, code: str) -> tuple[str, str]:
    system = system.strip().lower()
    return _NAME_OF.get(system, system), code.strip().upper()


def vocabulary_sql(expr: str) -> str:
    """SQL for `vocabulary` of a text expression (DuckDB)."""
    whens = " ".join(f"WHEN '{alias.replace(chr(39), chr(39) * 2)}' THEN '{name}'" for alias, name in _NAME_OF.items())
    return f"(CASE lower(coalesce({expr}, '')) WHEN '' THEN 'an unknown code system' {whens} ELSE {expr} END)"


@dataclass
class CodeMap:
    """A council's mapping of source codes onto canonical codes (``klynge-codemap.csv``)."""

    entries: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """(target table, system display name, upper-case code) -> canonical code."""
    used: Counter[str] = field(default_factory=Counter)

    @classmethod
    def load(cls, folder: Path) -> CodeMap:
        """The code map of a source folder (empty without a file).

        Raises
        ------
        ValueError
            A missing column, an unknown target table, a target code the model refuses, or a
            source code mapped to two different targets (the line is named).
        """
        path = Path(folder) / CODEMAP_FILE
        if not path.is_file():
            return cls()
        codemap = cls()
        text = path.read_text(encoding="utf-8-sig")
        reader = csv.DictReader(io.StringIO(text), delimiter=";" if text.split("\n", 1)[0].count(";") > text.split(
            "\n", 1)[0].count(",") else ",")
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = {"source_system", "source_code", "target_table", "target_code"} - set(header)
        if missing:
            raise ValueError(f"{CODEMAP_FILE}: missing column(s) {sorted(missing)}; expected "
                             "source_system,source_code,target_table,target_code")
        reader.fieldnames = header
        for line, row in enumerate(reader, start=2):
            values = {k: (row.get(k) or "").strip() for k in ("source_system", "source_code", "target_table",
                                                                "target_code")}
            if not any(values.values()):
                continue
            table, target = values["target_table"], values["target_code"].upper()
            if table not in TARGETS:
                raise ValueError(f"{CODEMAP_FILE}:{line}: target_table {table!r} is not one of {', '.join(TARGETS)}")
            pattern = TABLES[table].column(TARGETS[table]).pattern or ".*"
            if not re.fullmatch(pattern, target):
                raise ValueError(f"{CODEMAP_FILE}:{line}: target_code {target!r} is not a valid {TARGETS[table]} "
                                 f"(pattern {pattern})")
            if not values["source_system"] or not values["source_code"]:
                raise ValueError(f"{CODEMAP_FILE}:{line}: source_system and source_code are required")
            key = (table, *_key(values["source_system"], values["source_code"]))
            if codemap.entries.get(key, target) != target:
                raise ValueError(f"{CODEMAP_FILE}:{line}: {values['source_system']} {values['source_code']} is "
                                 f"mapped to both {codemap.entries[key]} and {target} for {table}")
            codemap.entries[key] = target
        return codemap

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, table: str, system: str | None, code: str | None) -> str | None:
        """The canonical code a source code maps to in ``table`` (counted as used), or None."""
        if not self.entries or not system or not code:
            return None
        target = self.entries.get((table, *_key(system, code)))
        if target is not None:
            self.used[table] += 1
        return target

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(table, system, code, target) for every name of each system, for a SQL join.

        The code is upper-case; join on ``upper(code)``.
        """
        aliases: dict[str, list[str]] = {}
        for alias, name in _NAME_OF.items():
            aliases.setdefault(name, []).append(alias)
        out = []
        for (table, name, code), target in self.entries.items():
            for alias in {name.lower(), *aliases.get(name, [])}:
                out.append((table, alias, code, target))
        return out

    def note(self, staging: Staging) -> None:
        """Say in the manifest how many rows the code map mapped, per table."""
        if self.entries:
            used = ", ".join(f"{t} {n}" for t, n in sorted(self.used.items())) or "none"
            staging.note(f"{CODEMAP_FILE}: {len(self.entries)} mapping(s) read; records whose code was mapped "
                         f"with it: {used}")


@dataclass
class Unmapped:
    """The source codes of records out of scope because their code system does not map."""

    codes: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)

    def add(self, table: str, system: str | None, code: str | None, count: int = 1) -> None:
        """Count ``count`` records of ``table`` with this unmapped code."""
        self.codes.setdefault(table, Counter())[(system or "?", code or "?")] += count

    def note(self, staging: Staging, top: int = TOP) -> None:
        """One manifest note per table: the ``top`` most frequent unmapped codes with their counts."""
        for table, counts in sorted(self.codes.items()):
            listed = "; ".join(f"{s}|{c}: {n}" for (s, c), n in
                               sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top])
            staging.note(f"unmapped source codes, {table}: {sum(counts.values())} record(s), {len(counts)} distinct "
                         f"code(s); the {min(top, len(counts))} most frequent (system|code: records): {listed}")


__all__ = ["CODEMAP_FILE", "TARGETS", "CodeMap", "Unmapped", "only_in", "source", "vocabulary", "vocabulary_sql"]
