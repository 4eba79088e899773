"""Validate a whole source table against the model, as one Ibis expression.

Per row: the column rules of `klynge.ingest._rules`. Per table: primary-key duplicates,
references to accepted rows of other tables, and events within the person's life. The result
has one row per source row, with ``reason`` NULL for a row to accept and the reasons, joined
by ``"; "``, for a row to quarantine: no row is ever dropped.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from klynge.contracts import Reference, Table
from klynge.ingest._rules import (
    IBIS_TYPES,
    as_text,
    column_reasons,
    join_reasons,
    mask_cpr,
    order_reasons,
    typed_value,
    when,
)

# A residence must lie in one of the 98 municipalities: every population figure is by
# municipality, and a resident of an unknown one would be counted nowhere.
EXTRA_REFERENCES: dict[str, tuple[Reference, ...]] = {
    "residence": (Reference("municipality_code", "ref__municipality", "municipality_code"),),
}

Lookup = Callable[[str], ir.Table]
"""Give the accepted rows of a table by reference name (``person``, ``ref__municipality``)."""


def accepted_name(reference_table: str) -> str:
    """The warehouse table holding the accepted rows a reference points at."""
    return reference_table if reference_table.startswith("ref__") else f"input__{reference_table}"


def validate(raw: ir.Table, table: Table, lookup: Lookup) -> ir.Table:
    """Check every row of ``raw`` against ``table``'s rules.

    Parameters
    ----------
    raw
        The source rows: ``_row`` plus source columns under their canonical names.
    table
        The model's table.
    lookup
        Gives the accepted rows of referenced tables (those are validated first).

    Returns
    -------
    ibis.expr.types.Table
        ``_row``, the canonical columns in the model's types, and ``reason``.
    """
    values: dict[str, ir.Value] = {}
    reasons: list[ir.StringValue] = []
    for column in table.columns:
        if column.name in raw.columns:
            values[column.name] = typed_value(raw[column.name], column)
            reasons += column_reasons(column, raw[column.name], values[column.name])
        else:  # a column the source does not have is missing in every row
            values[column.name] = ibis.null(IBIS_TYPES[column.dtype])
            if not column.nullable:
                reasons.append(ibis.literal(f"{column.name}: missing required value"))
    reasons += order_reasons(table, values)
    checked = raw.select(_row=raw["_row"], **values, _why_row=join_reasons(reasons))
    if table.primary_key:
        checked = _flag_duplicates(checked, table.primary_key)
    references = table.references + EXTRA_REFERENCES.get(table.name, ())
    for index, reference in enumerate(references):
        life = table.event_column if reference.table == "person" else None
        checked = _check_reference(checked, reference, lookup(reference.table), f"_why_ref{index}", life)
    why = [checked[c] for c in checked.columns if c.startswith("_why")]
    return checked.select("_row", *table.column_names, reason=join_reasons(why))


def _flag_duplicates(checked: ir.Table, key: tuple[str, ...]) -> ir.Table:
    """Of rows sharing a primary key, keep the first in source order; the later are duplicates.

    Only rows that pass the per-row rules take part: a damaged first copy of a record does
    not push out an intact second copy.
    """
    valid = checked["_why_row"].isnull()
    window = ibis.window(group_by=[*(checked[k] for k in key), valid], order_by=checked["_row"])
    later = ibis.row_number().over(window) > 0
    complete = ibis.and_(*(checked[k].notnull() for k in key))
    return checked.mutate(_why_dup=when(valid & complete & later, f"duplicate {', '.join(key)}"))


def _check_reference(
    checked: ir.Table, reference: Reference, target: ir.Table, name: str, event_column: str | None
) -> ir.Table:
    """Flag values with no accepted row to point at, and (for a person) events outside life.

    ``target`` rows are unique on the referenced column (it is the primary key), so the left
    join keeps exactly one row per source row.
    """
    key = f"{name}_key"
    right = {key: target[reference.target_column]}
    if event_column is not None:
        right |= {f"{name}_birth": target["birth_date"], f"{name}_death": target["death_date"]}
    targets = target.select(**right)
    joined = checked.left_join(targets, checked[reference.column] == targets[key])
    reasons = [when(joined[reference.column].notnull() & joined[key].isnull(), f"unknown {reference.column}")]
    if event_column is not None:
        reasons += _life_reasons(joined, event_column, joined[f"{name}_birth"], joined[f"{name}_death"])
    return joined.select(*checked.columns, **{name: join_reasons(reasons)})


def _life_reasons(
    joined: ir.Table, event_column: str, birth: ir.DateValue, death: ir.DateValue
) -> list[ir.StringValue]:
    """An event must fall within the person's life, compared as Danish calendar days.

    One day after death is tolerated: registrations dated the day after a death (a contact
    closed after midnight, a prescription booked the next morning) are routine.
    """
    event = joined[event_column]
    day = event.date() if event.type().is_timestamp() else event
    return [
        when(day < birth, f"{event_column}: before the person's birth"),
        when(
            day > death + ibis.interval(days=1), f"{event_column}: more than 1 day after the person's death"
        ),
    ]


def accepted_rows(checked: ir.Table, table: Table) -> ir.Table:
    """The rows without a reason, with exactly the model's columns."""
    return checked.filter(checked["reason"].isnull()).select(*table.column_names)


def quarantined_rows(raw: ir.Table, checked: ir.Table) -> ir.Table:
    """The rows with a reason: ``_row``, every source column as (CPR-masked) text, ``reason``."""
    bad = checked.filter(checked["reason"].notnull()).select("_row", "reason")
    joined = raw.inner_join(bad, "_row")
    texts = {c: mask_cpr(as_text(joined[c])) for c in raw.columns if c != "_row"}
    return joined.select("_row", **texts, reason=joined["reason"]).order_by("_row")
