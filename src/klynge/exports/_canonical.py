"""``export_canonical``: the accepted canonical tables as a Frictionless Data Package.

This is person-level data (pseudonymous): only a role allowed ``pseudonymised.read`` (the
pseudonymised analyst) may run it, and every attempt, allowed or refused, is written to the
audit log with who, what, when and how many rows (never person ids or CPR numbers: a bulk
export names no subjects). Free text that a pseudonymised analyst may not read (the text of
letters) is left empty, as in the citizen overview.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from klynge.contracts import TABLES

REFERENCE_TABLES = ("region", "municipality", "health_cluster", "health_council")
# Columns a pseudonymised analyst never sees (docs/access.md): exported empty.
WITHHELD = {("message", "text")}
PERMISSION = "pseudonymised.read"
AUDIT_ACTION = "canonical.export"

_FRICTIONLESS_TYPE = {"string": "string", "int": "integer", "float": "number", "date": "date",
                      "timestamp": "datetime", "bool": "boolean"}
_REFERENCE_DOC = {
    "region": ("The 5 regions.", ("region_code",), {
        "region_code": "Region code (1081-1085).", "iso_code": "ISO 3166-2 code (DK-81 ... DK-85).",
        "name": "Name of the region.", "seat": "Seat of the regional council."}),
    "municipality": ("The 98 municipalities.", ("municipality_code",), {
        "municipality_code": "Official 3-digit municipality code.", "name": "Name of the municipality.",
        "region_code": "Region of the municipality.", "cluster_id": "Health cluster (sundhedsklynge) 2022-26.",
        "population_thousands_approx": "Approximate population in thousands."}),
    "health_cluster": ("The 22 health clusters (sundhedsklynger) 2022-26.", ("cluster_id",), {
        "cluster_id": "Cluster id (1-22).", "name": "Name of the cluster.", "region_code": "Region of the cluster.",
        "acute_hospital": "The cluster's acute hospital."}),
    "health_council": ("Municipality -> health council (sundhedsråd) mapping used by the build.",
                       ("municipality_code",), {
        "municipality_code": "Official 3-digit municipality code.", "council_id": "Health council id.",
        "council_name": "Name of the health council."}),
}


@dataclass(frozen=True)
class CanonicalExport:
    """What ``export_canonical`` wrote: the folder, rows per table and the audit entry."""

    folder: Path
    rows: dict[str, int]
    audit: dict[str, Any]


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _select(raw: Any, table: str, columns: list[str], types: dict[str, str], withheld: set[str], fmt: str) -> str:
    parts = []
    for col in columns:
        if col in withheld:
            parts.append(f"CAST(NULL AS {types[col]}) AS \"{col}\"")
        elif fmt == "csv" and types[col].startswith("TIMESTAMP"):
            # ISO 8601 in UTC with Z, readable by every tool; microseconds only where there are any.
            ts = f"timezone('UTC', \"{col}\")"
            parts.append(f"CASE WHEN epoch_us(\"{col}\") % 1000000 = 0 THEN strftime({ts}, '%Y-%m-%dT%H:%M:%SZ') "
                         f"ELSE strftime({ts}, '%Y-%m-%dT%H:%M:%S.%fZ') END AS \"{col}\"")
        else:
            parts.append(f"\"{col}\"")
    return f"SELECT {', '.join(parts)} FROM {table}"


def _copy(raw: Any, query: str, path: Path, fmt: str) -> None:
    options = "(FORMAT parquet, COMPRESSION zstd)" if fmt == "parquet" else "(FORMAT csv, HEADER, DELIMITER ',')"
    raw.execute(f"COPY ({query}) TO {_sql_path(path)} {options}")


def _field(column: Any) -> dict[str, Any]:
    f: dict[str, Any] = {"name": column.name, "type": _FRICTIONLESS_TYPE[column.dtype], "description": column.description}
    constraints: dict[str, Any] = {}
    if not column.nullable:
        constraints["required"] = True
    if column.codes:
        constraints["enum"] = list(column.codes)
    if column.pattern:
        constraints["pattern"] = column.pattern
    if column.min is not None:
        constraints["minimum"] = column.min
    if column.max is not None:
        constraints["maximum"] = column.max
    if constraints:
        f["constraints"] = constraints
    return f


def _resource(name: str, path: str, fmt: str, description: str, schema: dict[str, Any], rows: int) -> dict[str, Any]:
    res: dict[str, Any] = {"name": name, "path": path, "profile": "tabular-data-resource", "format": fmt,
                           "mediatype": "application/vnd.apache.parquet" if fmt == "parquet" else "text/csv",
                           "description": description, "schema": schema, "stats": {"rows": rows}}
    if fmt == "csv":
        res["encoding"] = "utf-8"
        res["dialect"] = {"delimiter": ",", "header": True, "doubleQuote": True}
    return res


def datapackage(rows: dict[str, int], fmt: str, *, run_id: str, period: dict[str, str]) -> dict[str, Any]:
    """The Frictionless (Tabular) Data Package descriptor of an export, from `klynge.contracts`."""
    resources = []
    for name, table in TABLES.items():
        if name not in rows:
            continue
        schema: dict[str, Any] = {"fields": [_field(c) for c in table.columns], "missingValues": [""]}
        withheld = [c for t, c in WITHHELD if t == name]
        for field in schema["fields"]:
            if field["name"] in withheld:
                field["description"] += " Withheld in this export (always empty)."
        if table.primary_key:
            schema["primaryKey"] = list(table.primary_key)
        if table.references:
            schema["foreignKeys"] = [{"fields": [r.column], "reference": {"resource": r.table, "fields": [r.target_column]}}
                                     for r in table.references]
        resources.append(_resource(name, f"{name}.{fmt}", fmt, table.description, schema, rows[name]))
    for name in REFERENCE_TABLES:
        description, key, columns = _REFERENCE_DOC[name]
        fields = [{"name": c, "type": "number" if c == "population_thousands_approx" else "string", "description": d}
                  for c, d in columns.items()]
        schema = {"fields": fields, "missingValues": [""], "primaryKey": list(key)}
        resources.append(_resource(f"ref_{name}", f"reference/{name}.{fmt}", fmt, description, schema,
                                   rows[f"ref__{name}"]))
    return {
        "profile": "tabular-data-package",
        "name": "klynge-canonical",
        "title": "klynge canonical input tables (pseudonymous)",
        "description": "The accepted rows of every canonical input table of one klynge build, and the reference "
                       "tables it used. Person-level, pseudonymous: handle as personal data. Re-read it with "
                       "`klynge build --source <this folder>`.",
        "version": run_id,
        "licenses": [{"name": "other-closed", "title": "Personal data: not for redistribution"}],
        "sources": [{"title": f"klynge build {run_id}"}],
        "klynge": {"run_id": run_id, "period": period, "withheld": sorted(f"{t}.{c}" for t, c in WITHHELD)},
        "resources": resources,
    }


def export_canonical(warehouse: Path | str, out: Path | str, *, format: Literal["parquet", "csv"] = "parquet",
                     principal: Any, purpose: str = "analysis") -> CanonicalExport:
    """Export the accepted canonical tables (``input__*``) and the reference tables (``ref__*``).

    ``out`` (new or empty) receives one ``<table>.parquet`` (or ``.csv``) per canonical table,
    ``reference/<name>.<format>``, ``klynge-source.json`` (the build's period) and
    ``datapackage.json`` (a Frictionless Tabular Data Package: fields, types, descriptions,
    constraints, primary and foreign keys, from `klynge.contracts`). ``klynge build --source out``
    reads it back into the same tables (with the default council mapping; pass
    ``reference/health_council.csv`` as ``council_mapping`` when the build used another).

    Only a principal allowed ``pseudonymised.read`` may export; otherwise
    `klynge.access.AccessDenied` is raised, nothing is written and the refusal is logged.

    Examples
    --------
    >>> from klynge.access import Principal, Role
    >>> analyst = Principal("ana", Role.PSEUDONYMISED_ANALYST, "region:1083")
    >>> export_canonical("wh", "export", principal=analyst, purpose="readmission study")  # doctest: +SKIP
    """
    from klynge.access import AccessDenied, audit_log, authorize
    from klynge.warehouse import open_warehouse, read_manifest

    if format not in ("parquet", "csv"):
        raise ValueError(f"unknown format {format!r}; use parquet or csv")
    if not purpose.strip():
        raise ValueError("an export needs a purpose (why the data are needed)")
    warehouse, out = Path(warehouse), Path(out)
    log = audit_log(warehouse)
    manifest = read_manifest(warehouse)
    what = f"canonical tables of build {manifest['run_id']} as {format}"
    try:
        authorize(principal, PERMISSION)
    except AccessDenied as exc:
        log.append(principal, AUDIT_ACTION, purpose=purpose, what=f"{what}: refused ({exc})", outcome="denied")
        raise
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; export into a new folder")
    (out / "reference").mkdir(parents=True, exist_ok=True)
    raw = open_warehouse(warehouse).con
    rows: dict[str, int] = {}
    for name, table in TABLES.items():
        types = {r[0]: r[1] for r in raw.sql(f"DESCRIBE input__{name}").fetchall()}
        withheld = {c for t, c in WITHHELD if t == name}
        _copy(raw, _select(raw, f"input__{name}", table.column_names, types, withheld, format), out / f"{name}.{format}",
              format)
        rows[name] = int(raw.sql(f"SELECT count(*) FROM input__{name}").fetchall()[0][0])
    for name in REFERENCE_TABLES:
        columns = list(_REFERENCE_DOC[name][2])
        types = {r[0]: r[1] for r in raw.sql(f"DESCRIBE ref__{name}").fetchall()}
        _copy(raw, _select(raw, f"ref__{name}", columns, types, set(), format), out / "reference" / f"{name}.{format}",
              format)
        rows[f"ref__{name}"] = int(raw.sql(f"SELECT count(*) FROM ref__{name}").fetchall()[0][0])
    period = {"period_start": manifest["period"]["start"], "period_end": manifest["period"]["end"]}
    (out / "klynge-source.json").write_text(json.dumps({**period, "exported_from": manifest["run_id"]}, indent=2) + "\n",
                                            encoding="utf-8")
    package = datapackage(rows, format, run_id=manifest["run_id"],
                          period={"start": period["period_start"], "end": period["period_end"]})
    (out / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    entry = log.append(principal, AUDIT_ACTION, purpose=purpose, what=f"{what}: {sum(rows.values())} rows -> {out.name}",
                       rows=rows, build_run_id=manifest["run_id"], format=format, permission=PERMISSION,
                       outcome="allowed")
    return CanonicalExport(out, rows, entry)
