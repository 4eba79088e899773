"""Complementary (secondary) suppression: no suppressed cell may be recovered from the others.

Rule (domain reference §7.1, item 3): in every relation parent = sum(children), in which exactly
one cell is hidden, a second cell is suppressed: the smallest non-zero published child (ties
broken by a hash of the row's key, so the result does not depend on row order), or else the
parent. This is repeated over all relations of all hierarchies, count column by count column,
and over the margins (total columns) of each row, until nothing changes. The audit
(`_audit`) then proves each small count safe against the whole system of relations at once,
and asks for more suppression where it cannot.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from klynge.privacy._audit import disclosed, repair_choices
from klynge.privacy._relations import Relations, equations

_MAX_ROUNDS = 100


def _unsafe(
    relations: Relations, values: np.ndarray, hidden: np.ndarray, suppressed: np.ndarray
) -> np.ndarray:
    """Relations that give a suppressed cell away.

    - The only hidden cell is a suppressed one: it is the difference of the others. A missing
      cell is hidden from everybody, so a relation whose only hidden cell is missing reveals
      nothing, and one with a missing and a suppressed cell has two unknowns.
    - The parent is published and every hidden child is a 1: since 0 is always published, an
      attacker knows a suppressed cell is at least 1, so hidden children that sum to their
      number are all pinned to 1.
    """
    rel, row = relations.rel, relations.row
    n_hidden = np.bincount(rel, weights=hidden[row], minlength=relations.n_rel)
    n_suppressed = np.bincount(rel, weights=suppressed[row], minlength=relations.n_rel)
    parent = np.empty(relations.n_rel, dtype=np.int64)
    parent[rel[relations.is_parent]] = row[relations.is_parent]
    n_children = n_hidden - hidden[parent]
    hidden_sum = np.bincount(rel, weights=np.where(hidden[row], values[row], 0), minlength=relations.n_rel)
    hidden_sum -= np.where(hidden[parent], values[parent], 0)
    all_ones = ~hidden[parent] & (n_children >= 2) & (hidden_sum == n_children) & (n_suppressed == n_hidden)
    return ((n_hidden == 1) & (n_suppressed == 1)) | all_ones


def _smallest_per_relation(
    relations: Relations, entries: np.ndarray, values: np.ndarray, tiebreak: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Among membership ``entries``, the smallest value per relation: (relations, rows)."""
    rows = relations.row[entries]
    order = np.lexsort((tiebreak[rows], values[rows], relations.rel[entries]))
    rels = relations.rel[entries][order]
    first = np.unique(rels, return_index=True)[1]
    return rels[first], rows[order][first]


def close_column(
    relations: Relations,
    values: np.ndarray,
    missing: np.ndarray,
    suppressed: np.ndarray,
    tiebreak: np.ndarray,
) -> bool:
    """Suppress cells of one count column in place until no relation is unsafe.

    Returns whether any cell was added.

    Example
    -------
    >>> from klynge.privacy._relations import Relations
    >>> r = Relations(np.zeros(4, int), np.arange(4), np.array([0, 0, 0, 1], bool), 1)
    >>> s = np.array([True, False, False, False])  # cells 2 + 9 + 7 = 18; the 2 is suppressed
    >>> close_column(r, np.array([2, 9, 7, 18]), np.zeros(4, bool), s, np.arange(4)), s.tolist()
    (True, [True, False, True, False])
    """
    added = False
    stuck = np.zeros(relations.n_rel, dtype=bool)
    published = values > 0
    while True:
        hidden = suppressed | missing
        unsafe = _unsafe(relations, values, hidden, suppressed) & ~stuck
        if not unsafe.any():
            return added
        open_entry = unsafe[relations.rel] & ~hidden[relations.row] & published[relations.row]
        child = np.flatnonzero(open_entry & ~relations.is_parent)
        served, rows = _smallest_per_relation(relations, child, values, tiebreak)
        # No non-zero child left to suppress: the parent goes instead.
        unserved = np.ones(relations.n_rel, dtype=bool)
        unserved[served] = False
        parent = np.flatnonzero(open_entry & relations.is_parent & unserved[relations.rel])
        chosen = np.concatenate([rows, relations.row[parent]])
        # A relation with nothing left to suppress cannot be helped by looping again.
        helped = np.zeros(relations.n_rel, dtype=bool)
        helped[served] = True
        helped[relations.rel[parent]] = True
        stuck |= unsafe & ~helped
        if len(chosen):
            suppressed[chosen] = True
            added = True


def close_margins(
    margins: Sequence[tuple[int, Sequence[int]]],
    values: np.ndarray,
    missing: np.ndarray,
    suppressed: np.ndarray,
) -> bool:
    """The same rule across columns of a row, where a total column is the sum of part columns.

    ``values``, ``missing`` and ``suppressed`` are (rows, count columns); ``margins`` pairs
    the position of a total column with the positions of its parts. Changes ``suppressed`` in
    place and returns whether any cell was added.

    Example
    -------
    >>> s = np.array([[True, False, False]])  # parts 3 and 8, total 11
    >>> close_margins([(2, [0, 1])], np.array([[3, 8, 11]]), np.zeros((1, 3), bool), s), s.tolist()
    (True, [[True, True, False]])
    """
    added = False
    changed = True
    while changed:
        changed = False
        for total, parts in margins:
            cols = [*parts, total]
            hid = suppressed[:, cols] | missing[:, cols]
            unsafe = (hid.sum(axis=1) == 1) & (suppressed[:, cols].sum(axis=1) == 1)
            if not unsafe.any():
                continue
            rows = np.flatnonzero(unsafe)
            part_values = values[np.ix_(rows, np.asarray(parts, dtype=np.int64))].astype(float)
            open_part = ~hid[rows, :-1] & (part_values > 0)
            part_values[~open_part] = np.inf
            # Smallest non-zero published part (first declared on ties), else the total.
            pick = np.where(open_part.any(axis=1), np.asarray(parts)[part_values.argmin(axis=1)], total)
            ok = ~hid[rows, -1] | open_part.any(axis=1)  # the total is the last of cols
            ok &= values[rows, pick] > 0
            if ok.any():
                suppressed[rows[ok], pick[ok]] = True
                added = changed = True
    return added


def _fixed_point(
    relations: Relations,
    margins: Sequence[tuple[int, Sequence[int]]],
    values: np.ndarray,
    missing: np.ndarray,
    suppressed: np.ndarray,
    tiebreak: np.ndarray,
) -> None:
    """Apply the counting rule to rows (relations) and columns (margins) until stable, in place."""
    while True:
        added = False
        for j in range(values.shape[1]):
            column = suppressed[:, j].copy()
            if relations.n_rel and close_column(relations, values[:, j], missing[:, j], column, tiebreak):
                suppressed[:, j] = column
                added = True
        if margins and close_margins(margins, values, missing, suppressed):
            added = True
        if not added or not margins:
            return


def complete_suppression(
    relations: Relations,
    margins: Sequence[tuple[int, Sequence[int]]],
    values: np.ndarray,
    missing: np.ndarray,
    primary: np.ndarray,
    tiebreak: np.ndarray,
    audit: bool = True,
) -> np.ndarray:
    """Complementary suppression: the counting rule to a fixed point, then (if `audit`) the audit.

    All arrays are (rows, count columns); returns the completed suppression. The audit proves,
    for every primary cell, that the published cells and relations leave it more than one
    value; a cell it cannot prove gets one more suppression nearby, and both steps repeat.
    """
    suppressed = primary.copy()
    _fixed_point(relations, margins, values, missing, suppressed, tiebreak)
    if not audit:
        return suppressed
    system = equations(relations, margins, *values.shape)
    flat_values, flat_missing = values.ravel(), missing.ravel()
    cell_tiebreak = np.repeat(tiebreak, values.shape[1])
    targets = np.flatnonzero(primary.ravel())
    attempts: dict[int, int] = {}
    for round_ in range(_MAX_ROUNDS):
        hidden = suppressed.ravel() | flat_missing
        targets = disclosed(system, hidden, flat_missing, targets, local=round_ > 0)
        if not len(targets):
            return suppressed
        more = repair_choices(system, flat_values, hidden, targets, cell_tiebreak, attempts)
        if not len(more):
            break
        suppressed[np.divmod(more, values.shape[1])] = True  # flat id = row * columns + column
        _fixed_point(relations, margins, values, missing, suppressed, tiebreak)
    raise RuntimeError(
        f"{len(targets)} suppressed cells could not be protected against differencing; "
        "the table cannot be published in this form"
    )
