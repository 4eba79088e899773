"""Hospital units of an LPR3 extract: where a contact's hospital, specialty and branch come from.

An LPR3 contact names only its responsible SOR unit (``sorenhed_ans``); klynge's contact also
carries the unit's hospital, main specialty and branch. They are looked up, in this order:

1. the council's canonical ``hospital_unit`` file beside the extract (``hospital_unit.csv``,
   ``.parquet`` or a folder): the curated register wins, and the build ingests it as usual;
2. else the extract's ``organisationer`` table (LPR_F_ORGANISATIONER), which the reader then
   also maps into canonical ``hospital_unit`` rows (one per SOR unit: its latest version).

A contact whose unit is in neither is quarantined with the reason; without either source
the extract cannot be read at all (`BuildError`).
"""

from __future__ import annotations

from pathlib import Path

from klynge.ingest._errors import BuildError
from klynge.readers import lpr3_values as values
from klynge.readers._base import Staging, mask_cpr
from klynge.readers._time import TimeError
from klynge.readers.lpr3_files import ExtractFile, canonical_file, resolve, rows

Unit = tuple[str, str, str] | str
"""``(hospital_id, specialty, branch)`` of a usable unit, or why it cannot be used."""

CANONICAL = {
    "unit_id": ("unit_id",), "hospital_id": ("hospital_id",),
    "specialty": ("specialty",), "branch": ("branch",),
}
ORGANISATIONER = {
    "unit": ("sorenhed", "sor_kode", "sor"),
    "hospital": ("sundhedsinstitution", "sygehus", "hospital_id"),
    "hospital_name": ("sundhedsinstitution_tekst", "sygehus_tekst", "hospital_name"),
    "unit_name": ("sorenhed_tekst", "sor_tekst", "unit_name"),
    "specialty": ("hovedspeciale", "speciale", "specialty"),
    "region": ("region", "region_kode", "region_code"),
    "valid_from": ("gyldig_fra",),
}


def unit_lookup(source: Path, files: list[ExtractFile], staging: Staging) -> tuple[dict[str, Unit], str]:
    """The unit register of the extract, and a phrase naming where it came from.

    Raises
    ------
    BuildError
        When there is neither a canonical hospital_unit file nor an organisationer table.
    """
    canonical = canonical_file(source, "hospital_unit")
    organisationer = [f for f in files if f.table == "organisationer"]
    if canonical:
        if organisationer:
            staging.note(
                "organisationer was not read: the canonical hospital_unit file beside the extract "
                "is the unit register (its rows are not counted by the reader)"
            )
        return _canonical(canonical, source), "hospital_unit file"
    if organisationer:
        return _organisationer(organisationer, staging), "organisationer"
    raise BuildError(
        f"{source}: no unit register: put the council's canonical hospital_unit.csv beside the "
        "extract, or include the extract's organisationer table (sorenhed, sundhedsinstitution, "
        "hovedspeciale); a contact's hospital, specialty and branch come from its unit"
    )


def _canonical(paths: list[Path], source: Path) -> dict[str, Unit]:
    lookup: dict[str, Unit] = {}
    for path in paths:
        label = str(path.relative_to(source))
        names = resolve(path, label, CANONICAL, tuple(CANONICAL))
        for _where, record in rows(path, label):
            if isinstance(record, str) or not record.get(names["unit_id"] or ""):
                continue  # the build quarantines it when it validates the file
            fields = [record.get(names[key] or "") for key in ("hospital_id", "specialty", "branch")]
            unit = record[names["unit_id"] or ""] or ""
            if all(fields):
                lookup.setdefault(unit, (fields[0] or "", fields[1] or "", fields[2] or ""))
            else:
                lookup.setdefault(unit, f"unit {unit} in {label} lacks its hospital, specialty or branch")
    return lookup


def _organisationer(files: list[ExtractFile], staging: Staging) -> dict[str, Unit]:
    """Map organisationer rows to hospital_unit (the latest version per SOR unit)."""
    latest: dict[str, tuple[str, str, dict[str, str | None]]] = {}  # unit -> (valid_from, where, row)
    for file in files:
        names = resolve(file.path, file.label, ORGANISATIONER, ("unit", "hospital", "specialty"))
        for where, record in rows(file.path, file.label):
            if isinstance(record, str):
                staging.quarantine("hospital_unit", where, mask_cpr(record))
                continue
            row = {key: record.get(col) if col else None for key, col in names.items()}
            unit = row["unit"]
            if not unit:
                staging.quarantine("hospital_unit", where, "missing sorenhed", record)
                continue
            try:
                since = values.iso_date(row["valid_from"]) if row["valid_from"] else ""
            except TimeError as error:
                staging.quarantine("hospital_unit", where, mask_cpr(f"gyldig_fra: {error}"), record)
                continue
            if unit in latest:
                if since > latest[unit][0]:  # a newer version replaces; on a tie the first read stays
                    latest[unit] = (since, where, row)
                staging.out_of_scope(
                    "hospital_unit", "an older version of the SOR unit (klynge keeps one row per unit: the latest gyldig_fra)"
                )
                continue
            latest[unit] = (since, where, row)
    lookup: dict[str, Unit] = {}
    for unit, (_since, where, row) in latest.items():
        lookup[unit] = _stage_unit(unit, where, row, staging)
    return lookup


def _stage_unit(unit: str, where: str, row: dict[str, str | None], staging: Staging) -> Unit:
    hospital, name = row["hospital"], row["specialty"]
    if not hospital:
        reason = "missing sundhedsinstitution"
        staging.quarantine("hospital_unit", where, reason, row)
        return f"unit {unit}: {reason} in organisationer"
    specialty = values.specialty(name)
    if specialty is None:
        reason = f"hovedspeciale {name!r} has no canonical specialty" if name else "missing hovedspeciale"
        staging.quarantine("hospital_unit", where, mask_cpr(reason), row)
        return f"unit {unit}: {reason} (map it in a canonical hospital_unit.csv)"
    branch = values.branch(specialty)
    staging.add("hospital_unit", {
        "unit_id": unit, "hospital_id": hospital,
        "hospital_name": row["hospital_name"] or hospital, "unit_name": row["unit_name"] or unit,
        "specialty": specialty, "branch": branch, "region_code": values.region_code(row["region"]),
    }, where)
    return (hospital, specialty, branch)
