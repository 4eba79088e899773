"""What the OMOP mapping queries share: the verdict of each record and its accounting.

Each OMOP table is classified by one DuckDB query into a table ``cls_<name>`` with a verdict
per record: ``M`` (map), ``Q|reason`` (quarantine) or ``O|reason`` (out of scope), and the
canonical table it is attributed to (``_target``). Out-of-scope records are only counted (one
grouped query, no Python loop), quarantined ones are streamed into the quarantine, and mapped
ones are streamed in batches into the staging, where their dates and times are read by the rule
of `klynge.readers._time` (a bad one is quarantined then).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from klynge.readers._base import mask_cpr
from klynge.readers._time import TimeError

if TYPE_CHECKING:
    import duckdb

    from klynge.readers._base import Staging

BATCH = 50_000
GP_LABEL = r"general practi|family (practice|medicine|physician)|almen ?(praksis|medicin)|praktiserende l.ge"


def ids(values: tuple[int, ...]) -> str:
    """A SQL list of concept ids."""
    return "(" + ", ".join(str(v) for v in values) + ")"


def split(verdict: str) -> tuple[str, str]:
    """``Q|reason`` -> ``("Q", "reason")``."""
    return verdict[0], verdict[2:]


def account(con: duckdb.DuckDBPyConnection, staging: Staging, cls: str, table: str, prefix: str, key: str,
            raw: list[str]) -> Iterator[dict[str, Any]]:
    """Count the out-of-scope records of ``cls``, quarantine its Q records, yield its M rows."""
    for target, verdict, n in con.sql(
        f"SELECT _target, _verdict, count(*) FROM {cls} WHERE _verdict LIKE 'O|%' GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        staging.out_of_scope(target or table, split(verdict)[1], n)
    columns = ", ".join(raw)
    query = f"SELECT _target, _verdict, {columns} FROM {cls} WHERE _verdict LIKE 'Q|%' ORDER BY _order"
    for batch in con.sql(query).to_arrow_reader(BATCH):
        for row in batch.to_pylist():
            target, verdict = row.pop("_target"), row.pop("_verdict")
            staging.quarantine(target or table, mask_cpr(f"{prefix}/{row[key]}"), split(verdict)[1], row)
    for batch in con.sql(f"SELECT * FROM {cls} WHERE _verdict = 'M' ORDER BY _order").to_arrow_reader(BATCH):
        yield from batch.to_pylist()


def raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The source columns of an OMOP table (kept with a quarantined record)."""
    return list(con.sql(f"SELECT * FROM omop_{table} LIMIT 0").columns)


def map_rows(staging: Staging, rows: Iterator[dict[str, Any]], table: str, prefix: str, key: str, raw: list[str],
             build: Callable[[dict[str, Any]], dict[str, Any]], status: dict[str, str] | None = None,
             target_of: Callable[[dict[str, Any]], str] | None = None) -> None:
    """Stage each mapped row built by ``build``; quarantine it when a date or number is bad."""
    for row in rows:
        target = target_of(row) if target_of else table
        name = mask_cpr(f"{prefix}/{row[key]}")
        try:
            mapped = build(row)
        except (TimeError, ValueError) as error:  # a bad date, time or number
            staging.quarantine(target, name, str(error), {c: row[c] for c in raw})
            if status is not None:
                status[row[key]] = "quarantined"
            continue
        staging.add(target, mapped, name)
        if status is not None:
            status[row[key]] = "hospital" if target == "hospital_contact" else "gp"


__all__ = ["BATCH", "GP_LABEL", "account", "ids", "map_rows", "raw_columns", "split"]
