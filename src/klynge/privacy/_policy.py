"""The disclosure-control policy: how small numbers are protected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """How small numbers are protected on their way out of klynge.

    Parameters
    ----------
    min_cell
        Smallest count that may be published. Counts from 1 to ``min_cell - 1`` are
        suppressed (primary suppression); 0 is published as 0. Statistics Denmark and
        Sundhedsdatastyrelsen use 5 (domain reference §7.1).
    complementary
        Also suppress further cells so that no suppressed cell can be recovered from totals,
        margins or sibling cells (secondary suppression). Only switch off for tables that
        have no additive relations at all.
    audit
        After the counting rule, prove with linear programs that no suppressed cell can be
        pinned down by combining several relations, and suppress more where it can. Exact but
        costly on large multi-hierarchy tables (minutes to hours for a national indicator
        table); the indicator build turns it off and relies on the counting rule.
    round_to
        When set, published counts are rounded to the nearest multiple of ``round_to``
        (half up), as the RUKS workbooks round to 5. A non-zero count never rounds to 0.

    Example
    -------
    >>> Policy()
    Policy(min_cell=5, complementary=True, round_to=None, audit=True)
    >>> Policy(min_cell=10, round_to=5).round_to
    5
    """

    min_cell: int = 5
    complementary: bool = True
    round_to: int | None = None
    audit: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.min_cell, bool) or not isinstance(self.min_cell, int) or self.min_cell < 1:
            raise ValueError(f"min_cell must be a whole number >= 1, got {self.min_cell!r}")
        if self.round_to is not None and (
            isinstance(self.round_to, bool) or not isinstance(self.round_to, int) or self.round_to < 1
        ):
            raise ValueError(f"round_to must be None or a whole number >= 1, got {self.round_to!r}")


DEFAULT_POLICY = Policy()
