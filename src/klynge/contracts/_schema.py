"""The building blocks of the canonical data model: tables, columns and their rules.

The model is declared once (in `_tables.py`) and used for three things: validating every
source row at build time, creating the warehouse tables, and generating `docs/data-model.md`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

DType = Literal["string", "int", "float", "date", "timestamp", "bool"]

# A Danish CPR number: DDMMYY followed by four digits, with or without a hyphen.
# Used to refuse raw CPR numbers anywhere outside the identity store.
CPR_PATTERN = r"(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{2}-?[0-9]{4}"


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    Parameters
    ----------
    name : column name.
    dtype : logical type; timestamps are instants (stored with time zone, shown in Danish time).
    description : what the column means, in English.
    nullable : whether the value may be missing.
    codes : the allowed values, if the column is a closed code set.
    pattern : a regular expression every non-missing value must match in full.
    min, max : numeric bounds (inclusive).
    cpr_check : refuse values that look like a raw CPR number.
    """

    name: str
    dtype: DType
    description: str
    nullable: bool = False
    codes: tuple[str, ...] | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    cpr_check: bool = False

    def __post_init__(self) -> None:
        if self.pattern is not None:
            re.compile(self.pattern)


@dataclass(frozen=True)
class Reference:
    """A foreign key: `column` must exist in `table.target_column` among accepted rows."""

    column: str
    table: str
    target_column: str


@dataclass(frozen=True)
class Order:
    """`later` must not be before `earlier` when both are present."""

    earlier: str
    later: str
    strict: bool = False


@dataclass(frozen=True)
class Table:
    """One canonical table.

    `event_column`, when set, must lie within the person's life (not before birth, not more
    than one day after death): events of a person who was not alive are data errors.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = False
    primary_key: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    orders: tuple[Order, ...] = ()
    event_column: str | None = None
    sector: str = "all"
    codes_doc: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")
