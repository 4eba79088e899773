"""Hierarchies: the additive relations along one dimension of a table.

A table may hold cells at several levels of a dimension at once (municipalities, their health
cluster, their region and the whole country; months, quarters and years). Each parent cell is
the sum of its child cells when all other dimensions are equal, and an attacker who sees the
published cells can use every such relation. The gate needs to know them all.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^\d{4}$")


def period_parent(label: Hashable) -> Hashable | None:
    """Parent of a period label: month '2024-03' -> quarter '2024-Q1' -> year '2024' -> none.

    Example
    -------
    >>> period_parent("2024-03"), period_parent("2024-Q1"), period_parent("2024")
    ('2024-Q1', '2024', None)
    """
    text = str(label)
    if m := _MONTH.match(text):
        return f"{m.group(1)}-Q{(int(m.group(2)) - 1) // 3 + 1}"
    if m := _QUARTER.match(text):
        return m.group(1)
    if _YEAR.match(text):
        return None
    raise ValueError(f"not a period label (YYYY-MM, YYYY-Qn or YYYY): {label!r}")


@dataclass(frozen=True)
class Hierarchy:
    """One dimension of a table and its additive relations, child value -> parent value.

    Values of all levels live in the same column (a long table), so labels must be distinct
    across levels. A value's parent comes from ``parents``, else from ``rule``, else it is
    ``total`` (when given); the top value has no parent. Build one with the helpers
    :meth:`flat`, :meth:`from_parent_map`, :meth:`from_levels` and :meth:`periods`.

    Parameters
    ----------
    column
        The dimension column of the table.
    parents
        Pairs (child, parent).
    rule
        A function child -> parent (or None) for values not in ``parents``.
    total
        Parent of every value that has no other parent (the grand total, e.g. 'all').

    Example
    -------
    >>> h = Hierarchy.from_parent_map("area", {"101": "C1", "147": "C1", "C1": "R84"}, total="DK")
    >>> h.ancestors("101")
    ['C1', 'R84', 'DK']
    """

    column: str
    parents: tuple[tuple[Hashable, Hashable], ...] = ()
    rule: Callable[[Hashable], Hashable | None] | None = None
    total: Hashable | None = None
    _lookup: dict[Hashable, Hashable] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[Hashable, Hashable] = {}
        for child, parent in self.parents:
            if lookup.setdefault(child, parent) != parent:
                raise ValueError(
                    f"{self.column}: {child!r} has two parents, {lookup[child]!r} and {parent!r}"
                )
        object.__setattr__(self, "_lookup", lookup)

    @classmethod
    def flat(cls, column: str, total: Hashable = "all") -> Hierarchy:
        """Every value is a child of ``total`` (sex F/M -> 'all'; age bands -> 'all').

        Example
        -------
        >>> Hierarchy.flat("sex").parent("F")
        'all'
        """
        return cls(column, total=total)

    @classmethod
    def from_parent_map(
        cls, column: str, parents: Mapping[Hashable, Hashable], *, total: Hashable | None = None
    ) -> Hierarchy:
        """Several levels from a mapping child -> parent (municipality -> cluster -> region).

        Example
        -------
        >>> Hierarchy.from_parent_map("area", {"101": "R84"}, total="DK").ancestors("101")
        ['R84', 'DK']
        """
        return cls(column, parents=tuple(parents.items()), total=total)

    @classmethod
    def from_levels(
        cls, column: str, frame: pd.DataFrame, levels: Sequence[str], *, total: Hashable | None = None
    ) -> Hierarchy:
        """Levels from the columns of a reference table, finest first.

        Example
        -------
        >>> ref = pd.DataFrame({"municipality": ["101", "147"], "region": ["R84", "R84"]})
        >>> Hierarchy.from_levels("area", ref, ["municipality", "region"], total="DK").ancestors("147")
        ['R84', 'DK']
        """
        pairs = (
            frame[[child, parent]].drop_duplicates().itertuples(index=False, name=None)
            for child, parent in itertools.pairwise(levels)
        )
        return cls(column, parents=tuple(p for level in pairs for p in level), total=total)

    @classmethod
    def periods(cls, column: str, *, total: Hashable | None = None) -> Hierarchy:
        """Months 'YYYY-MM' -> quarters 'YYYY-Qn' -> years 'YYYY' (-> ``total`` when given).

        Example
        -------
        >>> Hierarchy.periods("period").ancestors("2024-11")
        ['2024-Q4', '2024']
        """
        return cls(column, rule=period_parent, total=total)

    def parent(self, value: Hashable) -> Hashable | None:
        """The parent value, or None for the top of the hierarchy."""
        if self.total is not None and value == self.total:
            return None
        if value in self._lookup:
            return self._lookup[value]
        found = self.rule(value) if self.rule is not None else None
        return found if found is not None else self.total

    def ancestors(self, value: Hashable) -> list[Hashable]:
        """Parent, grandparent, ... up to the top; raises on a cycle."""
        chain: list[Hashable] = []
        current = self.parent(value)
        while current is not None:
            if current == value or current in chain:
                raise ValueError(f"{self.column}: the hierarchy has a cycle through {current!r}")
            chain.append(current)
            current = self.parent(current)
        return chain
