"""The gate itself: one function every aggregate passes through on its way out of klynge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from klynge.privacy._complementary import complete_suppression
from klynge.privacy._hierarchy import Hierarchy
from klynge.privacy._policy import DEFAULT_POLICY, Policy
from klynge.privacy._relations import Relations, build_relations, check_unique_key

# Person-level rows are not statistics (domain reference §7.1, item 5): a table that still
# carries a person identifier never leaves through the gate.
PERSON_COLUMNS = frozenset({"person_id", "cpr", "cpr_nr", "pnr", "patient_id", "citizen_id"})
ROW_FLAG = "suppressed"
_TOKEN = object()


class GatedTable:
    """A table that has passed the privacy gate; renderers accept nothing else.

    Only :func:`gate_table` makes one. ``frame`` returns a copy-on-write copy, so what was
    gated cannot be changed afterwards through this object.

    Example
    -------
    >>> t = gate_table(pd.DataFrame({"n": [0, 3, 12]}), ["n"])
    >>> t.passed_gate, t.frame["n"].tolist(), len(t)
    (True, [0, <NA>, 12], 3)
    """

    passed_gate = True
    __slots__ = ("_counts", "_derived", "_frame", "_policy")

    def __init__(
        self,
        frame: pd.DataFrame,
        policy: Policy,
        counts: Sequence[str],
        derived: Mapping[str, Sequence[str]],
        *,
        _token: object = None,
    ) -> None:
        if _token is not _TOKEN:
            raise TypeError("a GatedTable is made only by klynge.privacy.gate_table")
        self._frame = frame
        self._policy = policy
        self._counts = tuple(counts)
        self._derived = {k: tuple(v) for k, v in derived.items()}

    @property
    def frame(self) -> pd.DataFrame:
        """The gated data: masked counts, ``<col>_suppressed`` flags and the row flag ``suppressed``."""
        return self._frame.copy(deep=False)

    @property
    def policy(self) -> Policy:
        """The policy that was applied."""
        return self._policy

    @property
    def counts(self) -> tuple[str, ...]:
        """The protected count columns."""
        return self._counts

    @property
    def derived(self) -> dict[str, tuple[str, ...]]:
        """Derived columns and the counts each rests on."""
        return dict(self._derived)

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        return f"GatedTable({len(self)} rows, counts={list(self._counts)}, {self._policy})"


def assert_gated(obj: object) -> GatedTable:
    """Return ``obj`` if it passed the gate, else raise ``TypeError``; for renderers.

    Example
    -------
    >>> assert_gated(pd.DataFrame({"n": [3]}))
    Traceback (most recent call last):
    TypeError: only a GatedTable may be rendered (got DataFrame); pass the table through gate_table()
    """
    if not isinstance(obj, GatedTable):
        raise TypeError(
            f"only a GatedTable may be rendered (got {type(obj).__name__}); pass the table through gate_table()"
        )
    return obj


def _counts_matrix(table: pd.DataFrame, counts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Counts as (values, missing) arrays; counts are whole numbers >= 0 or missing."""
    values = np.zeros((len(table), len(counts)), dtype=np.int64)
    missing = np.zeros((len(table), len(counts)), dtype=bool)
    for j, col in enumerate(counts):
        numbers = pd.to_numeric(table[col], errors="raise")
        try:
            column = numbers.astype("Int64")
        except (TypeError, ValueError) as exc:
            raise ValueError(f"count column {col!r} holds values that are not whole numbers") from exc
        if (column < 0).any():
            raise ValueError(f"count column {col!r} holds negative values")
        missing[:, j] = column.isna().to_numpy()
        values[:, j] = column.fillna(0).to_numpy(dtype=np.int64)
    return values, missing


def _round(values: np.ndarray, base: int) -> np.ndarray:
    """Round half up to a multiple of ``base``; a non-zero count never becomes 0 (0 means none)."""
    rounded = (2 * values + base) // (2 * base) * base
    return np.where((values > 0) & (rounded == 0), base, rounded)


def _check(
    table: pd.DataFrame,
    counts: Sequence[str],
    derived: Mapping[str, Sequence[str]],
    key: Sequence[str],
    margins: Mapping[str, Sequence[str]],
) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"gate takes a pandas DataFrame, got {type(table).__name__}")
    person = sorted(PERSON_COLUMNS & {str(c).lower() for c in table.columns})
    if person:
        raise ValueError(f"person-level rows never leave through the gate (column {person[0]!r})")
    named = [*counts, *derived, *key, *(c for parts in derived.values() for c in parts)]
    named += [*margins, *(c for parts in margins.values() for c in parts)]
    absent = [c for c in named if c not in table.columns]
    if absent:
        raise KeyError(f"columns not in the table: {absent}")
    flags = [f"{c}_suppressed" for c in [*counts, *derived]] + [ROW_FLAG]
    if any(f in table.columns for f in flags):
        raise ValueError(
            f"the table already has a column among {flags}: it was gated before (gate only once) "
            "or a column needs another name"
        )
    if set(counts) & (set(derived) | set(key)) or set(derived) & set(key):
        raise ValueError("a column cannot be both a count, a derived value or a key")
    resting = [*margins, *(c for parts in [*derived.values(), *margins.values()] for c in parts)]
    bad = [c for c in resting if c not in counts]
    if bad:
        raise ValueError(f"derived values and margins must rest on count columns, not {bad}")


def _gate_frame(
    table: pd.DataFrame,
    counts: Sequence[str],
    policy: Policy,
    hierarchies: Sequence[Hierarchy],
    derived: Mapping[str, Sequence[str]],
    base: Sequence[str],
    margins: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    counts = list(counts)
    key = [*(h.column for h in hierarchies), *base]
    _check(table, counts, derived, key, margins)
    check_unique_key(table, key)
    values, missing = _counts_matrix(table, counts)
    # Primary suppression: 0 < count < min_cell. Zero is published; missing stays missing.
    suppressed = (values > 0) & (values < policy.min_cell) & ~missing
    where = {c: j for j, c in enumerate(counts)}
    if policy.complementary and (hierarchies or margins):
        relations = build_relations(table, hierarchies, base) if hierarchies else Relations.empty()
        tiebreak = (
            pd.util.hash_pandas_object(table[key], index=False).to_numpy()
            if key
            else np.arange(len(table), dtype=np.uint64)
        )
        pairs = [(where[t], [where[p] for p in parts]) for t, parts in margins.items()]
        suppressed = complete_suppression(
            relations, pairs, values, missing, suppressed, tiebreak, policy.audit
        )
    shown = _round(values, policy.round_to) if policy.round_to else values
    out = table.copy()
    for j, col in enumerate(counts):
        hide = missing[:, j] | suppressed[:, j]
        published = pd.array(shown[:, j], dtype="Int64")
        published[hide] = pd.NA
        out[col] = published
        out[f"{col}_suppressed"] = suppressed[:, j]
    # Rates, means and percentages resting on a suppressed count are suppressed with it.
    for col, rests_on in derived.items():
        hide = (
            suppressed[:, [where[c] for c in rests_on]].any(axis=1) if rests_on else np.zeros(len(out), bool)
        )
        out[col] = out[col].mask(hide)
        out[f"{col}_suppressed"] = hide
    out[ROW_FLAG] = suppressed.any(axis=1)
    out.attrs["privacy_policy"] = policy
    return out


def gate(
    table: pd.DataFrame,
    counts: Sequence[str],
    *,
    policy: Policy = DEFAULT_POLICY,
    hierarchies: Sequence[Hierarchy] | None = None,
    derived: Mapping[str, Sequence[str]] | None = None,
    base: Sequence[str] | None = None,
    margins: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Return a copy of ``table`` in which small counts, and what could reveal them, are suppressed.

    The same rules as :func:`gate_table`, which renderers need; this returns the plain DataFrame.

    Parameters
    ----------
    table
        An aggregate table, one row per cell (never person-level rows).
    counts
        Count columns to protect (e.g. ``numerator``, ``denominator``, ``persons``).
    policy
        Threshold, complementary suppression and rounding.
    hierarchies
        The additive relations along the dimension columns (see :class:`Hierarchy`).
    derived
        Derived column -> the counts it rests on; masked when any of them is suppressed.
    base
        Further key columns that split the table into independent tables (e.g.
        ``indicator_id``); with the hierarchy columns they must identify each row.
    margins
        Total count column -> the count columns it sums in the same row (a wide table).

    Returns
    -------
    DataFrame
        Counts as nullable integers, missing where suppressed; ``<col>_suppressed`` for each
        count and derived column, and ``suppressed`` when any count of the row is suppressed.

    Example
    -------
    >>> gate(pd.DataFrame({"n": [0, 3, 12]}), ["n"])["n"].tolist()
    [0, <NA>, 12]
    >>> t = pd.DataFrame({"sex": ["F", "M", "all"], "n": [3, 40, 43]})
    >>> gate(t, ["n"], hierarchies=[Hierarchy.flat("sex")])["n_suppressed"].tolist()
    [True, True, False]
    """
    return _gate_frame(
        table,
        counts,
        policy,
        list(hierarchies or []),
        dict(derived or {}),
        list(base or []),
        dict(margins or {}),
    )


def gate_table(
    table: pd.DataFrame,
    counts: Sequence[str],
    *,
    policy: Policy = DEFAULT_POLICY,
    hierarchies: Sequence[Hierarchy] | None = None,
    derived: Mapping[str, Sequence[str]] | None = None,
    base: Sequence[str] | None = None,
    margins: Mapping[str, Sequence[str]] | None = None,
) -> GatedTable:
    """Pass ``table`` through the gate and wrap it as the :class:`GatedTable` renderers require.

    Parameters are those of :func:`gate`.

    Example
    -------
    >>> t = pd.DataFrame({"area": ["101", "147", "C1"], "n": [2, 30, 32], "rate": [0.1, 0.3, 0.2]})
    >>> g = gate_table(t, ["n"], hierarchies=[Hierarchy.flat("area", "C1")], derived={"rate": ["n"]})
    >>> g.frame["n"].tolist(), g.frame["rate"].tolist(), g.frame["suppressed"].tolist()
    ([<NA>, <NA>, 32], [nan, nan, 0.2], [True, True, False])
    """
    frame = gate(
        table, counts, policy=policy, hierarchies=hierarchies, derived=derived, base=base, margins=margins
    )
    return GatedTable(frame, policy, counts, dict(derived or {}), _token=_TOKEN)
