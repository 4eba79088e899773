"""The gated overview is computed once per build and kept in `<warehouse>/cache/`."""

from __future__ import annotations

import pandas as pd

from klynge.warehouse import current_build
from klynge.web._views import Dashboard


def test_the_gated_overview_is_kept_per_build_and_read_back_unchanged(dashboard, synthetic_warehouse):
    wh = synthetic_warehouse[0]
    kept = sorted((wh / "cache").glob("overview-*.parquet"))
    assert len(kept) == 1 and current_build(wh).name in kept[0].name
    again = Dashboard.load(wh)
    first, second = dashboard.overview.frame, again.overview.frame
    pd.testing.assert_frame_equal(first.reset_index(drop=True), second.reset_index(drop=True))
    # What was kept is the gated table: no small count, and suppressed cells are marked.
    shown = second["n"].dropna()
    assert not shown.between(1, 4).any()
    assert (second["n_suppressed"] == (second["n"].isna() & second["n_suppressed"])).all()
    assert second["n_suppressed"].any()
