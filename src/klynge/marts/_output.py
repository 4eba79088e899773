"""From an aggregate expression to the tidy DataFrame a public mart function returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis.expr.types as ir
import pandas as pd

from klynge.privacy import gate


def finish(
    expr: ir.Table,
    order: Sequence[str],
    counts: Sequence[str],
    derived: Mapping[str, Sequence[str]] | None = None,
    *,
    gated: bool = True,
) -> pd.DataFrame:
    """Execute ``expr`` (a small aggregate) in a fixed row order and, if ``gated``, gate it.

    The privacy gate suppresses the small ``counts`` (1-4 by default) and blanks each
    ``derived`` value (a rate, a cost, a mean population) resting on a suppressed count.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"k": ["a", "b"], "n": [3, 10], "rate": [0.3, 0.5]})
    >>> finish(t, ["k"], ["n"], {"rate": ["n"]})["rate"].tolist()
    [nan, 0.5]
    """
    frame = expr.order_by(list(order)).to_pandas().reset_index(drop=True)
    for column in counts:
        frame[column] = frame[column].astype("int64")
    if not gated:
        return frame
    return gate(frame, list(counts), derived={k: list(v) for k, v in (derived or {}).items()})
