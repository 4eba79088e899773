"""The privacy gate: every aggregate leaves klynge through it (CLI, API, dashboard, export).

Rules (domain reference §7.1, conventions item 9):

- Primary suppression: counts from 1 to ``min_cell - 1`` (default 1-4, as Statistics Denmark
  and Sundhedsdatastyrelsen) are suppressed and flagged; suppressed is not the same as 0, and 0
  is published as 0.
- Derived values (rates, means, percentages) resting on a suppressed count are suppressed too.
- Complementary suppression: no suppressed cell may be recovered from totals, margins or
  sibling cells, across every :class:`Hierarchy` of the table at once.
- Optional rounding of published counts to a multiple of 5, as RUKS does.
- Person-level rows never leave through the gate.

:func:`gate_table` returns a :class:`GatedTable`, the only thing renderers accept
(:func:`assert_gated`); :func:`gate` applies the same rules and returns the DataFrame.
See docs/privacy.md.
"""

from klynge.privacy._gate import GatedTable, assert_gated, gate, gate_table
from klynge.privacy._hierarchy import Hierarchy
from klynge.privacy._policy import DEFAULT_POLICY, Policy
from klynge.privacy._render import render_count, render_value

__all__ = [
    "DEFAULT_POLICY",
    "GatedTable",
    "Hierarchy",
    "Policy",
    "assert_gated",
    "gate",
    "gate_table",
    "render_count",
    "render_value",
]
