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

from klynge.contracts import TABLES, Reference, Table
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


def validate(raw: ir.Table, table: Table, lookup: Lookup, repeated: ir.Table | None = None) -> ir.Table:
    """Check every row of ``raw`` against ``table``'s rules.

    Parameters
    ----------
    raw
        The source rows: ``_row`` plus source columns under their canonical names.
    table
        The model's table.
    lookup
        Gives the accepted rows of referenced tables (those are validated first).
    repeated
        `repeated_keys` of ``raw``, computed (and best stored) beforehand; without it the
        duplicates are found within this expression.

    Returns
    -------
    ibis.expr.types.Table
        ``_row``, the canonical columns in the model's types, and ``reason``.
    """
    references = table.references + EXTRA_REFERENCES.get(table.name, ())
    # The referenced rows are joined first: a value found among them passed the same pattern
    # and CPR rules there, so those (regular expression) rules run only for the other rows.
    names = [f"_why_ref{index}" for index in range(len(references))]
    lives = [table.event_column if r.table == "person" else None for r in references]
    joined = raw
    for reference, name, life in zip(references, names, lives, strict=True):
        joined = _join_reference(joined, table, reference, lookup(reference.table), name, life)
    known = {r.column: joined[f"{name}_key"].notnull() for r, name in zip(references, names, strict=True)
             if _same_rules(table, r)}
    carried = [c for c in joined.columns if c.startswith("_why_ref")]
    checked = _row_checked(joined, table, known, carried)
    if table.primary_key:
        checked = _flag_duplicates(checked, table.primary_key, repeated)
    for reference, name, life in zip(references, names, lives, strict=True):
        checked = _reference_reasons(checked, reference, name, life)
    why = [checked[c] for c in ("_why_row", "_why_dup", *names) if c in checked.columns]
    return checked.select("_row", *table.column_names, reason=join_reasons(why))


def _same_rules(table: Table, reference: Reference) -> bool:
    """Whether a value accepted in the referenced column passed every pattern and CPR rule of ours."""
    target = TABLES.get(reference.table)
    if target is None:  # a reference table (ref__*), not a validated input table
        return False
    ours, theirs = table.column(reference.column), target.column(reference.target_column)
    same_pattern = ours.pattern is None or ours.pattern == theirs.pattern
    return same_pattern and (theirs.cpr_check or not ours.cpr_check) and ours.dtype == theirs.dtype


def _row_checked(
    raw: ir.Table, table: Table, known: dict[str, ir.BooleanValue] | None = None, keep: list[str] | None = None
) -> ir.Table:
    """``_row``, the typed columns and ``_why_row``: the reasons of the per-row rules.

    ``known`` gives, per column, where its value is one a referenced table accepted under the
    same pattern and CPR rules (those rules are then not evaluated); ``keep`` names columns
    of ``raw`` to carry along.
    """
    values = _typed_values(raw, table)
    known = known or {}
    reasons: list[ir.StringValue] = []
    for column in table.columns:
        if column.name in raw.columns:
            reasons += column_reasons(column, raw[column.name], values[column.name], known.get(column.name))
        elif not column.nullable:  # a column the source does not have is missing in every row
            reasons.append(ibis.literal(f"{column.name}: missing required value"))
    reasons += order_reasons(table, values)
    extra = {c: raw[c] for c in keep or ()}
    return raw.select(_row=raw["_row"], **values, _why_row=join_reasons(reasons), **extra)


def _typed_values(raw: ir.Table, table: Table) -> dict[str, ir.Value]:
    """Each of the model's columns in its type (NULL where missing, not convertible or absent)."""
    return {
        c.name: typed_value(raw[c.name], c) if c.name in raw.columns else ibis.null(IBIS_TYPES[c.dtype])
        for c in table.columns
    }


def repeated_keys(raw: ir.Table, table: Table) -> ir.Table:
    """Primary keys shared by several rows that pass the per-row rules, with the first such row.

    Columns ``_dup_<key column>`` and ``_dup_first``. Found cheaply: keys whose hash occurs
    more than once are candidates (a superset: hashes may collide), and only the candidates'
    rows are checked in full and grouped by the exact key. A source without duplicates gives
    an empty table after one pass over the key column.
    """
    key = table.primary_key
    values = _typed_values(raw, table)
    keyed = raw.select(_row=raw["_row"], **{k: values[k] for k in key})
    complete = ibis.and_(*(keyed[k].notnull() for k in key))
    hashed = keyed.filter(complete).mutate(_dup_hash=_key_hash(keyed, key))
    counts = hashed.group_by("_dup_hash").aggregate(_dup_n=hashed.count())
    candidates = counts.filter(counts["_dup_n"] > 1).select("_dup_hash")
    rows = raw.mutate(_dup_hash=_key_hash(raw, key, values)).semi_join(candidates, "_dup_hash")
    checked = _row_checked(rows, table)
    complete = ibis.and_(*(checked[k].notnull() for k in key))
    contenders = checked.filter(checked["_why_row"].isnull() & complete)
    grouped = contenders.group_by(*key).aggregate(
        _dup_first=contenders["_row"].min(), _dup_n=contenders.count()
    )
    grouped = grouped.filter(grouped["_dup_n"] > 1)
    return grouped.select(_dup_first="_dup_first", **{f"_dup_{k}": k for k in key})


def _key_hash(
    t: ir.Table, key: tuple[str, ...], values: dict[str, ir.Value] | None = None
) -> ir.IntegerValue:
    """A hash of the typed key (of ``values`` when given, else of ``t``'s columns)."""
    cols = [values[k] if values is not None else t[k] for k in key]
    if len(cols) == 1:
        return cols[0].hash()
    return ibis.literal("\x1f").join([c.cast("string") for c in cols]).hash()


def _flag_duplicates(checked: ir.Table, key: tuple[str, ...], repeated: ir.Table | None = None) -> ir.Table:
    """Of rows sharing a primary key, keep the first in source order; the later are duplicates.

    Only rows that pass the per-row rules take part: a damaged first copy of a record does
    not push out an intact second copy. ``repeated`` (from `repeated_keys`) names the keys
    that occur more than once among those rows and their first row.
    """
    # A join with the few repeated keys; a window over the key would sort every row with all
    # its columns (and spill at scale).
    if repeated is None:
        valid = checked["_why_row"].isnull()
        complete = ibis.and_(*(checked[k].notnull() for k in key))
        contenders = checked.filter(valid & complete)
        repeated = contenders.group_by(*key).aggregate(
            _dup_first=contenders["_row"].min(), _dup_n=contenders.count()
        )
        repeated = repeated.filter(repeated["_dup_n"] > 1).select(
            _dup_first="_dup_first", **{f"_dup_{k}": k for k in key}
        )
    joined = checked.left_join(repeated, [checked[k] == repeated[f"_dup_{k}"] for k in key])
    # `_dup_first` is NULL for a key seen once (and for invalid or incomplete rows' keys alike).
    later = joined["_why_row"].isnull() & (joined["_row"] > joined["_dup_first"])
    flag = when(later, f"duplicate {', '.join(key)}")
    return joined.select(*checked.columns, _why_dup=flag)


def _join_reference(
    raw: ir.Table, table: Table, reference: Reference, target: ir.Table, name: str, event_column: str | None
) -> ir.Table:
    """``raw`` with the referenced key (``<name>_key``, NULL when not found) and, for a person,
    the birth and death dates (``<name>_birth``, ``<name>_death``).

    ``target`` rows are unique on the referenced column (it is the primary key), so the left
    join keeps exactly one row per source row.
    """
    key = f"{name}_key"
    right = {key: target[reference.target_column]}
    if event_column is not None:
        right |= {f"{name}_birth": target["birth_date"], f"{name}_death": target["death_date"]}
    targets = target.select(**right)
    if reference.column not in raw.columns:  # absent from the source: NULL in every row, never looked up
        return raw.mutate(**{c: ibis.null(targets[c].type()) for c in targets.columns})
    value = typed_value(raw[reference.column], table.column(reference.column))
    joined = raw.left_join(targets, value == targets[key])
    return joined.select(*raw.columns, *targets.columns)


def _reference_reasons(checked: ir.Table, reference: Reference, name: str, event_column: str | None) -> ir.Table:
    """Flag values with no accepted row to point at, and (for a person) events outside life."""
    key = checked[f"{name}_key"]
    reasons = [when(checked[reference.column].notnull() & key.isnull(), f"unknown {reference.column}")]
    if event_column is not None:
        reasons += _life_reasons(checked, event_column, checked[f"{name}_birth"], checked[f"{name}_death"])
    keep = [c for c in checked.columns if not c.startswith(f"{name}_")]
    return checked.select(*keep, **{name: join_reasons(reasons)})


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
