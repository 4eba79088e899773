"""The additive relations of a long table: which rows are the sum of which other rows.

Every relation ("sub-table") is one parent row and its child rows along one hierarchy, all
other key columns equal. A child's parent is its nearest ancestor that is present in the table
for the same values of the other key columns, so a table with months and years but no quarters
still relates each year to its months, and a missing row counts as a published zero (which is
conservative: the attacker is assumed to know more, never less).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from klynge.privacy._hierarchy import Hierarchy


@dataclass(frozen=True)
class Relations:
    """Membership of rows in relations: entry i says row ``row[i]`` is in relation ``rel[i]``.

    ``is_parent[i]`` marks the one parent row of each relation; ``n_rel`` counts relations.
    """

    rel: np.ndarray
    row: np.ndarray
    is_parent: np.ndarray
    n_rel: int

    @classmethod
    def empty(cls) -> Relations:
        """No relations at all."""
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, np.zeros(0, dtype=bool), 0)


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64), pd.Index(uniques)


def group_ids(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Dense id (0..groups-1) of each row's combination of values in ``columns``.

    Example
    -------
    >>> group_ids(pd.DataFrame({"a": [1, 1, 2], "b": ["x", "x", "y"]}), ["a", "b"]).tolist()
    [0, 0, 1]
    """
    ids = np.zeros(len(frame), dtype=np.int64)
    for col in columns:
        codes, uniques = _codes(frame[col])
        # Combining two ids stays below rows * values, so it never overflows int64.
        ids = pd.factorize(ids * max(len(uniques), 1) + codes)[0].astype(np.int64)
    return ids


def check_unique_key(frame: pd.DataFrame, key: Sequence[str]) -> None:
    """Raise unless ``key`` identifies each row: an aggregate table has one row per cell."""
    if not key:
        return
    ids = group_ids(frame, key)
    if len(ids) and np.bincount(ids).max() > 1:
        first = frame.loc[pd.Series(ids).duplicated(keep=False).to_numpy(), list(key)].head(2)
        raise ValueError(
            f"the key columns {list(key)} do not identify the rows (pass every other splitting column "
            f"in base=): {first.to_dict('records')}"
        )


def _ancestor_table(hierarchy: Hierarchy, uniques: pd.Index) -> np.ndarray:
    """Codes of each value's ancestors that occur in the column, nearest first, -1 padded."""
    position = {value: i for i, value in enumerate(uniques)}
    chains = [[position[a] for a in hierarchy.ancestors(v) if a in position] for v in uniques]
    depth = max((len(c) for c in chains), default=0)
    table = np.full((len(uniques), depth), -1, dtype=np.int64)
    for i, chain in enumerate(chains):
        table[i, : len(chain)] = chain
    return table


def _parent_rows(frame: pd.DataFrame, hierarchy: Hierarchy, others: Sequence[str]) -> np.ndarray:
    """For each row, the row of its nearest present ancestor with the same other keys, or -1."""
    codes, uniques = _codes(frame[hierarchy.column])
    ancestors = _ancestor_table(hierarchy, uniques)
    parent = np.full(len(frame), -1, dtype=np.int64)
    if ancestors.shape[1] == 0:
        return parent
    width = len(uniques)
    context = group_ids(frame, others)
    index = pd.Index(context * width + codes)
    for level in range(ancestors.shape[1]):
        candidate = ancestors[codes, level]
        open_rows = np.flatnonzero((parent < 0) & (candidate >= 0))
        if not len(open_rows):
            break
        found = index.get_indexer(context[open_rows] * width + candidate[open_rows])
        parent[open_rows[found >= 0]] = found[found >= 0]
    return parent


def build_relations(frame: pd.DataFrame, hierarchies: Sequence[Hierarchy], base: Sequence[str]) -> Relations:
    """All relations parent = sum(children) of ``frame`` along each hierarchy.

    Example
    -------
    >>> t = pd.DataFrame({"sex": ["F", "M", "all"], "n": [2, 7, 9]})
    >>> r = build_relations(t, [Hierarchy.flat("sex")], [])
    >>> r.n_rel, r.row.tolist(), r.is_parent.tolist()
    (1, [0, 1, 2], [False, False, True])
    """
    columns = [h.column for h in hierarchies]
    rels, rows, parents = [], [], []
    offset = 0
    for hierarchy in hierarchies:
        others = [c for c in [*columns, *base] if c != hierarchy.column]
        parent = _parent_rows(frame, hierarchy, others)
        child = np.flatnonzero(parent >= 0)
        heads = np.unique(parent[child])
        rels += [offset + parent[child], offset + heads]
        rows += [child, heads]
        parents += [np.zeros(len(child), dtype=bool), np.ones(len(heads), dtype=bool)]
        offset += len(frame)
    if not rels:
        return Relations.empty()
    rel = np.concatenate(rels)
    # Relation ids are parent rows offset per hierarchy; make them dense.
    dense, uniques = pd.factorize(rel)
    return Relations(dense.astype(np.int64), np.concatenate(rows), np.concatenate(parents), len(uniques))


@dataclass(frozen=True)
class Equations:
    """The relations as linear equations over cells, cell = row * columns + count column.

    Entry i puts coefficient ``coef[i]`` (+1 parent, -1 child) on cell ``cell[i]`` in equation
    ``eq[i]``: the sum over each equation is 0.
    """

    eq: np.ndarray
    cell: np.ndarray
    coef: np.ndarray
    n_eq: int
    n_cell: int


def equations(
    relations: Relations, margins: Sequence[tuple[int, Sequence[int]]], n_rows: int, n_columns: int
) -> Equations:
    """Row relations (one copy per count column) and margins (one per row) as equations.

    Example
    -------
    >>> r = Relations(np.zeros(3, int), np.arange(3), np.array([0, 0, 1], bool), 1)
    >>> e = equations(r, [], 3, 1)
    >>> e.cell.tolist(), e.coef.tolist()
    ([0, 1, 2], [-1, -1, 1])
    """
    eqs, cells, coefs = [], [], []
    sign = np.where(relations.is_parent, 1, -1).astype(np.int8)
    for j in range(n_columns):
        eqs.append(j * relations.n_rel + relations.rel)
        cells.append(relations.row * n_columns + j)
        coefs.append(sign)
    offset = n_columns * relations.n_rel
    rows = np.arange(n_rows, dtype=np.int64)
    for total, parts in margins:
        for col, s in [(total, 1), *((p, -1) for p in parts)]:
            eqs.append(offset + rows)
            cells.append(rows * n_columns + col)
            coefs.append(np.full(n_rows, s, dtype=np.int8))
        offset += n_rows
    if not eqs:
        none = np.zeros(0, dtype=np.int64)
        return Equations(none, none, np.zeros(0, dtype=np.int8), 0, n_rows * n_columns)
    return Equations(
        np.concatenate(eqs), np.concatenate(cells), np.concatenate(coefs), offset, n_rows * n_columns
    )
