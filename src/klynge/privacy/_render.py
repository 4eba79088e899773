"""Text for gated numbers: Danish number formats, and '<5' where a value is suppressed."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from klynge.privacy._policy import DEFAULT_POLICY, Policy

_SEPARATORS = {"da": (".", ","), "en": (",", ".")}


def _is_missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def render_value(
    value: object, suppressed: bool, decimals: int = 1, lang: str = "da", *, policy: Policy = DEFAULT_POLICY
) -> str:
    """Text for a gated number: '<5' when suppressed, '' when missing, else formatted.

    Danish (``lang="da"``) writes 1.234,5; English (``"en"``) writes 1,234.5. Halves round up
    (away from zero).

    Example
    -------
    >>> render_value(1234.5, False), render_value(1234.5, False, 2, "en"), render_value(0.3, True)
    ('1.234,5', '1,234.50', '<5')
    """
    if lang not in _SEPARATORS:
        raise ValueError(f"lang must be one of {sorted(_SEPARATORS)}, got {lang!r}")
    if suppressed:
        return f"<{policy.min_cell}"
    if _is_missing(value):
        return ""
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    # Half up, as tables are read (12,25 -> 12,3), not the binary half-even of format().
    rounded = Decimal(repr(number)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # no '-0,0'
    thousands, point = _SEPARATORS[lang]
    return text.replace(",", "\0").replace(".", point).replace("\0", thousands)


def render_count(
    value: object, suppressed: bool, policy: Policy = DEFAULT_POLICY, *, lang: str = "da"
) -> str:
    """Text for a gated count: '<5' when suppressed, Danish thousands separator otherwise.

    Example
    -------
    >>> render_count(1234, False), render_count(None, True), render_count(0, False)
    ('1.234', '<5', '0')
    """
    if not suppressed and not _is_missing(value):
        value = int(value)  # type: ignore[call-overload]
    return render_value(value, suppressed, 0, lang, policy=policy)
