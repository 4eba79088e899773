"""The published indicator table, read once for every export format.

The exports read ``marts__indicator_long``, the table the privacy gate wrote at build time and
that ``klynge indicators show``, the API and the dashboard read too: there is no other path to
indicator results. Before anything is written, :func:`check_gated` re-checks the gate's marks
(no published count of 1-4, nothing derived from a suppressed count shown), so a table that was
not gated, or was edited, is refused rather than exported.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

LEVELS = ("municipality", "cluster", "council", "region", "country")
PERIOD_TYPES = ("month", "quarter", "year")
COUNTS = ("n_units", "n_events")
DERIVED = ("numerator", "denominator", "value", "ci_low", "ci_high", "std_value", "std_ci_low", "std_ci_high",
           "expected", "smr", "smr_ci_low", "smr_ci_high")

# The exported columns, in order, with their meaning (docs/outputs.md repeats this table).
COLUMNS: dict[str, str] = {
    "indicator_id": "Indicator id (see `klynge indicators list`).",
    "indicator_version": "Version of the indicator definition (semantic version).",
    "period_type": "month, quarter or year.",
    "period": "The period: 2024 (year), 2024-Q1 (quarter) or 2024-01 (month).",
    "period_start": "First day of the period (ISO date).",
    "period_end": "Last day of the period, inclusive (ISO date).",
    "level": "Geographic level: municipality, cluster, council, region or country.",
    "geo_code": "Code of the area: municipality code (3 digits), cluster id, council id, region code (1081-1085) "
                "or DK.",
    "geo_name": "Name of the area.",
    "stratum_type": "all, sex or age_group.",
    "stratum": "all; F or M; 0-19, 20-64, 65-79 or 80+.",
    "n_units": "Units counted (index admissions, discharges, deaths, persons, events). Empty when suppressed.",
    "n_events": "Units with an event (the numerator's count). Empty when suppressed.",
    "numerator": "Numerator (events, or a sum such as bed days or days). Empty when suppressed.",
    "denominator": "Denominator (units, or person-years for rates). Empty when suppressed.",
    "value": "Crude value in `unit` (numerator / denominator x multiplier). Empty when suppressed.",
    "ci_low": "Lower limit of the 95 % confidence interval of `value`.",
    "ci_high": "Upper limit of the 95 % confidence interval of `value`.",
    "std_value": "Age-sex directly standardised value (whole population as standard).",
    "std_ci_low": "Lower 95 % limit of `std_value`.",
    "std_ci_high": "Upper 95 % limit of `std_value`.",
    "expected": "Expected numerator with the whole population's rates (indirect standardisation).",
    "smr": "Observed / expected (indirectly standardised ratio).",
    "smr_ci_low": "Lower 95 % limit of `smr`.",
    "smr_ci_high": "Upper 95 % limit of `smr`.",
    "unit": "Unit of `value` (Danish text, e.g. pct., pr. 1.000 personår).",
    "multiplier": "Multiplier of `value` (100 for %, 1000 for per 1,000).",
    "suppressed": "true when the privacy gate hid this cell's value (and everything derived from its counts).",
    "n_units_suppressed": "true when `n_units` is hidden.",
    "n_events_suppressed": "true when `n_events` is hidden.",
    "run_id": "Id of the indicator run that computed the table.",
    "run_at": "When the indicator run happened (UTC).",
    "package_version": "klynge version of the run.",
    "codelist_versions": "Code lists and their versions used by the run.",
}

_TEXT = ("indicator_id", "indicator_version", "period_type", "period", "level", "geo_code", "geo_name", "stratum_type",
         "stratum", "unit", "run_id", "run_at", "package_version", "codelist_versions")
_FLAGS = ("suppressed", "n_units_suppressed", "n_events_suppressed")
_KEY = ["indicator_id", "period_type", "period", "level", "geo_code", "stratum_type", "stratum"]


class NotGatedError(RuntimeError):
    """The indicator table lacks the privacy gate's marks, or breaks them: nothing is exported."""


def period_bounds(period_type: str, period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a period label (``2024``, ``2024-Q2``, ``2024-03``).

    Examples
    --------
    >>> [str(d.date()) for d in period_bounds("quarter", "2024-Q2")]
    ['2024-04-01', '2024-06-30']
    """
    if period_type == "year":
        start = pd.Timestamp(f"{period}-01-01")
        return start, start + pd.offsets.YearEnd(0)
    if period_type == "quarter":
        year, q = period.split("-Q")
        start = pd.Timestamp(int(year), 3 * (int(q) - 1) + 1, 1)
        return start, start + pd.offsets.QuarterEnd(0)
    if period_type == "month":
        start = pd.Timestamp(f"{period}-01")
        return start, start + pd.offsets.MonthEnd(0)
    raise ValueError(f"unknown period type {period_type!r}")


def check_gated(frame: pd.DataFrame) -> None:
    """Refuse a table that does not carry, or does not keep, the privacy gate's marks.

    Raises
    ------
    NotGatedError
        A flag column is missing, a published count is between 1 and 4, or a value resting on
        a suppressed count is shown.
    """
    missing = [c for c in (*_FLAGS, *(f"{c}_suppressed" for c in DERIVED)) if c not in frame.columns]
    if missing:
        raise NotGatedError(f"marts__indicator_long has no privacy marks ({', '.join(missing)}): rebuild the warehouse")
    for c in COUNTS:
        shown = frame.loc[~frame[f"{c}_suppressed"].astype(bool), c].dropna()
        if shown.between(1, 4).any():
            raise NotGatedError(f"marts__indicator_long shows a {c} between 1 and 4: not a gated table")
        if frame.loc[frame[f"{c}_suppressed"].astype(bool), c].notna().any():
            raise NotGatedError(f"marts__indicator_long shows a suppressed {c}")
    for c in DERIVED:
        if frame.loc[frame[f"{c}_suppressed"].astype(bool), c].notna().any():
            raise NotGatedError(f"marts__indicator_long shows a suppressed {c}")


def _as_list(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def read_indicators(warehouse: Path | str, *, indicators: list[str] | None = None,
                    level: str | list[str] | None = None, period: str | list[str] | None = None) -> pd.DataFrame:
    """The gated indicator table (or a selection) with the exported columns, typed.

    Parameters
    ----------
    warehouse
        Warehouse folder.
    indicators
        Indicator ids; default all.
    level
        One or more of municipality, cluster, council, region, country; default all.
    period
        Period types (month, quarter, year) or periods (``2024``, ``2024-Q1``, ``2024-01``);
        default all.

    Examples
    --------
    >>> read_indicators("wh", indicators=["readmission_30d"], level="region", period="year")  # doctest: +SKIP
    """
    from klynge.indicators import registry
    from klynge.warehouse import open_warehouse

    ids, levels, periods = _as_list(indicators), _as_list(level), _as_list(period)
    unknown = sorted(set(ids or []) - set(registry()))
    if unknown:
        raise ValueError(f"unknown indicator(s): {', '.join(unknown)}; see `klynge indicators list`")
    bad = sorted(set(levels or []) - set(LEVELS))
    if bad:
        raise ValueError(f"unknown level(s) {', '.join(bad)}; use {', '.join(LEVELS)}")
    con = open_warehouse(Path(warehouse))
    t = con.table("marts__indicator_long")
    if ids:
        t = t.filter(t.indicator_id.isin(ids))
    if levels:
        t = t.filter(t.level.isin(levels))
    if periods:
        types = [p for p in periods if p in PERIOD_TYPES]
        labels = [p for p in periods if p not in PERIOD_TYPES]
        t = t.filter(t.period_type.isin(types or ["-"]) | t.period.isin(labels or ["-"]))
    frame = t.execute()
    check_gated(frame)
    return typed(frame)


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The exported columns in order, with fixed types and the key order of rows."""
    out = pd.DataFrame(index=frame.index)
    bounds = {k: period_bounds(*k) for k in frame[["period_type", "period"]].drop_duplicates()
              .itertuples(index=False, name=None)}
    for col in COLUMNS:
        if col in ("period_start", "period_end"):
            i = 0 if col == "period_start" else 1
            out[col] = [bounds[(pt, p)][i].date() for pt, p in zip(frame["period_type"], frame["period"], strict=True)]
        elif col in _TEXT:
            out[col] = frame[col].astype("string")
        elif col in _FLAGS:
            out[col] = frame[col].fillna(False).astype(bool)
        elif col in COUNTS:
            out[col] = pd.to_numeric(frame[col]).round().astype("Int64")
        else:
            out[col] = pd.to_numeric(frame[col]).astype("float64")
    order = {"month": 0, "quarter": 1, "year": 2}
    out = out.assign(_pt=out["period_type"].map(order)).sort_values(["indicator_id", "_pt", *_KEY[2:]])
    return out.drop(columns="_pt").reset_index(drop=True)
