"""What an indicator's logic gets: the warehouse, the period and its own parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis

from klynge.core import input_table


@dataclass
class Context:
    """Passed to `units(ctx)` of every indicator's `logic.py`."""

    con: Any
    start: date
    end: date
    params: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> ibis.Table:
        """A warehouse table: `input__*` by canonical name (empty if absent), or any other by full name."""
        if "__" in name:
            return self.con.table(name)
        return input_table(self.con, name)

    @property
    def stays(self) -> ibis.Table:
        return self.con.table("core__stay")

    @property
    def admissions(self) -> ibis.Table:
        """Somatic admissions (stays of at least 12 hours), eSundhed LPR3 definition (§2.1)."""
        s = self.stays
        return s.filter(s.is_admission, s.branch == "somatic")

    def lit(self, d: date) -> ibis.Value:
        return ibis.literal(d)
