"""The privacy gate: every aggregate leaves klynge through `gate`.

Counts from 1 to `min_cell - 1` (default 1-4, as Statistics Denmark and Sundhedsdatastyrelsen
do, domain reference §7.1) are suppressed and marked as suppressed, which is not the same as 0.
This first version does primary suppression; complementary suppression across totals and
sibling cells arrives with the indicator catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Policy:
    """How small numbers are protected."""

    min_cell: int = 5


DEFAULT_POLICY = Policy()


def gate(table: pd.DataFrame, counts: list[str], policy: Policy = DEFAULT_POLICY) -> pd.DataFrame:
    """Return a copy of `table` in which small counts are suppressed.

    Each column in `counts` becomes a nullable integer column; a cell with 0 < value <
    `policy.min_cell` is set to missing and flagged in `<column>_suppressed`.

    Example
    -------
    >>> gate(pd.DataFrame({"n": [0, 3, 12]}), ["n"])["n"].tolist()
    [0, <NA>, 12]
    """
    out = table.copy()
    for col in counts:
        values = pd.to_numeric(out[col]).astype("Int64")
        small = (values > 0) & (values < policy.min_cell)
        out[col] = values.mask(small)
        out[f"{col}_suppressed"] = small.fillna(False).astype(bool)
    out.attrs["privacy_policy"] = policy
    return out


def render_count(value: object, suppressed: bool, policy: Policy = DEFAULT_POLICY) -> str:
    """Text for a gated count: '<5' when suppressed, Danish thousands separator otherwise."""
    if suppressed:
        return f"<{policy.min_cell}"
    if value is None or value is pd.NA:
        return ""
    return f"{int(value):,}".replace(",", ".")


__all__ = ["DEFAULT_POLICY", "Policy", "gate", "render_count"]
