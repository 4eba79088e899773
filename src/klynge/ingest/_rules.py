"""The per-row rules of the model, as Ibis expressions: types, required values, codes,
patterns, bounds, raw CPR numbers and column order.

Each rule gives a *reason* expression: a text such as ``"sex: not an allowed code: 'X'"`` when
the rule is broken, NULL otherwise. Values quoted in a reason are CPR-masked first, so that no
CPR number in clear reaches the quarantine.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from klynge.contracts import CPR_PATTERN, Column, Table

# Canonical logical types as Ibis types; a timestamp is an instant (DuckDB TIMESTAMPTZ).
IBIS_TYPES: dict[str, dt.DataType] = {
    "string": dt.string,
    "int": dt.int64,
    "float": dt.float64,
    "date": dt.date,
    "timestamp": dt.Timestamp(timezone="UTC"),
    "bool": dt.boolean,
}
NO_REASON = ibis.null("string")


def when(condition: ir.BooleanValue, reason: str | ir.StringValue) -> ir.StringValue:
    """``reason`` where ``condition`` holds, else NULL (also when the condition is NULL)."""
    return condition.ifelse(reason, NO_REASON)


def join_reasons(reasons: list[ir.StringValue]) -> ir.StringValue:
    """All non-NULL reasons joined by ``"; "``, or NULL when there is none."""
    if not reasons:
        return NO_REASON
    return ibis.literal("; ").join(reasons).nullif("")


def as_text(value: ir.Value) -> ir.StringValue:
    """A value's text form (the value itself for text sources such as CSV)."""
    return value if value.type().is_string() else value.cast("string")


def mask_cpr(text: ir.StringValue) -> ir.StringValue:
    """Privacy rule: a value that contains a CPR number has every digit replaced by ``X``.

    Masking the whole value, not only the match, also hides a CPR number written with odd
    separators around it, at the cost of hiding other digits of that value too.
    """
    return text.re_search(CPR_PATTERN).ifelse(text.re_replace("[0-9]", "X"), text)


def _shown(text: ir.StringValue) -> ir.StringValue:
    return "'" + mask_cpr(text) + "'"


def _same_type(source: dt.DataType, target: dt.DataType) -> bool:
    if target.is_timestamp():
        # Any time-zone-aware timestamp is an instant already; a naive one needs a zone.
        return bool(source.is_timestamp() and source.timezone is not None)
    return bool(source.copy(nullable=True) == target.copy(nullable=True))


def typed_value(raw: ir.Value, column: Column) -> ir.Value:
    """The value in the model's type, or NULL where it is missing or not convertible.

    An empty text is missing. Text is kept as it is, spaces included (trimming every value
    costs more than all the other rules together at national scale); the engine's conversion
    of text to numbers, dates and times ignores surrounding spaces. A source column already of
    the right type is used as it is, without a cast (a float still loses NaN and infinity).
    Naive timestamps are read in the session time zone (Danish time); texts with an offset keep
    it. Around the daylight-saving changes a naive time in the spring gap (2024-03-31 02:30) is
    moved an hour forward, and one in the repeated autumn hour (2024-10-27 02:30) is read as the
    second occurrence (winter time).
    """
    target = IBIS_TYPES[column.dtype]
    if column.dtype == "string":
        return as_text(raw).nullif("")
    if _same_type(raw.type(), target):
        value = raw
    else:
        text = as_text(raw)
        if column.dtype == "int":
            # Only whole numbers: a plain cast would round '12.5' to 13 without a word.
            text = text.re_search(r"^\s*[+-]?[0-9]+\s*$").ifelse(text, ibis.null("string"))
        value = text.try_cast(target)
    if column.dtype == "float":
        # NaN and infinity are not measurements.
        value = (value.isnan() | value.isinf()).ifelse(ibis.null(target), value)
    return value


def column_reasons(
    column: Column, raw: ir.Value, value: ir.Value, known: ir.BooleanValue | None = None
) -> list[ir.StringValue]:
    """The reasons a column's value breaks the model (each NULL when it does not).

    Parameters
    ----------
    column
        The model's column.
    raw
        The value as read from the source.
    value
        The same value in the model's type (from `typed_value`).
    known
        True where the value is one that passed the same pattern and CPR rules elsewhere (an
        accepted row of the table it references): those rules are skipped there. They are the
        costly ones (regular expressions), and a referencing column repeats values many times.
    """
    name, text = column.name, as_text(raw)
    # A date, time, whole number or truth value of the model's type is missing only when NULL,
    # and is always valid: formatting every date and time as text to look for an empty one
    # would cost more than all the other rules of the table. (A float may be NaN, which one
    # engine counts as NULL and the other does not: it is checked through its text.)
    typed = column.dtype not in ("string", "float") and _same_type(raw.type(), IBIS_TYPES[column.dtype])
    missing = raw.isnull() if typed else text.isnull() | (text == "")
    reasons = []
    if not column.nullable:
        reasons.append(when(missing, f"{name}: missing required value"))
    if column.dtype != "string" and not typed:
        reasons.append(
            when(~missing & value.isnull(), f"{name}: not a valid {column.dtype}: " + _shown(text))
        )
    if column.codes is not None:
        reasons.append(when(~value.isin(column.codes), f"{name}: not an allowed code: " + _shown(text)))
    if column.pattern is not None:
        reasons.append(_unless(known, when(
            ~value.re_search(f"^(?:{column.pattern})$"),
            f"{name}: does not match the pattern {column.pattern}: " + _shown(text),
        )))
    if column.min is not None:
        reasons.append(when(value < column.min, f"{name}: below the minimum {column.min:g}: " + _shown(text)))
    if column.max is not None:
        reasons.append(when(value > column.max, f"{name}: above the maximum {column.max:g}: " + _shown(text)))
    if column.cpr_check:
        looks_like = when(text.re_search(CPR_PATTERN), f"{name}: looks like a CPR number: " + _shown(text))
        reasons.append(_unless(known, looks_like))
    return reasons


def _unless(known: ir.BooleanValue | None, reason: ir.StringValue) -> ir.StringValue:
    """``reason``, evaluated only where ``known`` is not true (a CASE: the engines skip the rest)."""
    return reason if known is None else known.ifelse(NO_REASON, reason)


def order_reasons(table: Table, values: dict[str, ir.Value]) -> list[ir.StringValue]:
    """The reasons a row breaks an `Order` of the table (e.g. an end before its start)."""
    reasons = []
    for order in table.orders:
        earlier, later = values[order.earlier], values[order.later]
        if order.strict:
            reasons.append(when(later <= earlier, f"{order.later} not after {order.earlier}"))
        else:
            reasons.append(when(later < earlier, f"{order.later} before {order.earlier}"))
    return reasons
