"""Text for gated numbers: Danish number formats and the mark for suppressed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from klynge.privacy import Policy, gate_table, render_count, render_value


@pytest.mark.parametrize(
    ("value", "suppressed", "text"),
    [
        (0, False, "0"),
        (5, False, "5"),
        (1234, False, "1.234"),
        (1234567, False, "1.234.567"),
        (np.int64(42), False, "42"),
        (pd.NA, True, "<5"),
        (None, False, ""),
        (float("nan"), False, ""),
    ],
)
def test_render_count(value, suppressed, text):
    assert render_count(value, suppressed) == text


def test_render_count_follows_the_policy_and_language():
    assert render_count(None, True, Policy(min_cell=10)) == "<10"
    assert render_count(1234, False, lang="en") == "1,234"


@pytest.mark.parametrize(
    ("value", "decimals", "lang", "text"),
    [
        (1234.5, 1, "da", "1.234,5"),
        (1234.5, 1, "en", "1,234.5"),
        (1234567.891, 2, "da", "1.234.567,89"),
        (0.125, 3, "da", "0,125"),
        (12.0, 0, "da", "12"),
        (-1234.25, 1, "da", "-1.234,3"),
        (12.25, 1, "da", "12,3"),
        (2.675, 2, "en", "2.68"),
        (-0.01, 1, "da", "0,0"),
        (float("inf"), 1, "da", "∞"),
    ],
)
def test_render_value_danish_and_english(value, decimals, lang, text):
    assert render_value(value, False, decimals, lang) == text


def test_render_value_suppressed_and_missing():
    assert render_value(0.4, True, 1) == "<5"
    assert render_value(float("nan"), False, 1) == "" and render_value(pd.NA, False, 1) == ""
    with pytest.raises(ValueError, match="lang"):
        render_value(1.0, False, 1, "de")


def test_a_gated_table_renders_row_by_row():
    gated = gate_table(
        pd.DataFrame({"n": [0, 3, 1234], "rate": [0.0, 1.5, 12.25]}), ["n"], derived={"rate": ["n"]}
    )
    frame = gated.frame
    counts = [
        render_count(v, s, gated.policy) for v, s in zip(frame["n"], frame["n_suppressed"], strict=True)
    ]
    rates = [render_value(v, s, 1) for v, s in zip(frame["rate"], frame["rate_suppressed"], strict=True)]
    assert counts == ["0", "<5", "1.234"] and rates == ["0,0", "<5", "12,3"]
