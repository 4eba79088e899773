"""Helpers for the privacy tests: hierarchical cubes and an attacker with a linear program.

The attacker is written independently of klynge.privacy: it finds the additive relations with
plain loops over the cells, then, for each suppressed cell, asks scipy's linear programming
solver for the smallest and largest value consistent with every published cell and relation.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import csr_array

from klynge.privacy import Hierarchy, Policy, gate

Tree = Mapping[Hashable, Hashable | None]  # value -> parent value (None at the top)


@dataclass(frozen=True)
class Attack:
    """The attacker's bounds for each suppressed cell: columns row, count, true, low, high."""

    bounds: pd.DataFrame

    @property
    def pinned(self) -> pd.DataFrame:
        """Suppressed cells whose value the attacker can pin down exactly."""
        b = self.bounds
        return b[(b["high"] - b["low"]) < 0.5]

    @property
    def pinned_small(self) -> pd.DataFrame:
        """Pinned cells whose true value is a small count (1..4): a disclosure."""
        p = self.pinned
        return p[(p["true"] > 0) & (p["true"] < 5)]


def tree_ancestors(tree: Tree, value: Hashable) -> list[Hashable]:
    chain = []
    while (value := tree[value]) is not None:
        chain.append(value)
    return chain


def cube(trees: Mapping[str, Tree], leaf_values: Sequence[int]) -> pd.DataFrame:
    """All cells at all levels of the dimensions in ``trees``, with count ``n``.

    ``leaf_values`` fills the cells whose every coordinate is a leaf (in itertools.product
    order); every other cell is the sum of the leaves below it.
    """
    dims = list(trees)
    leaves = [[v for v in trees[d] if v not in set(trees[d].values())] for d in dims]
    leaf_cells = list(itertools.product(*leaves))
    assert len(leaf_values) == len(leaf_cells)
    totals: dict[tuple, int] = {}
    for cell, n in zip(leaf_cells, leaf_values, strict=True):
        ups = [[v, *tree_ancestors(trees[d], v)] for d, v in zip(dims, cell, strict=True)]
        for up in itertools.product(*ups):
            totals[up] = totals.get(up, 0) + int(n)
    rows = [dict(zip(dims, cell, strict=True), n=n) for cell, n in totals.items()]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=1).reset_index(drop=True)


def relations(
    table: pd.DataFrame, trees: Mapping[str, Tree], base: Sequence[str] = ()
) -> list[tuple[int, list[int]]]:
    """(parent row, child rows) for each additive relation, by plain loops over the cells.

    A child's parent is its nearest ancestor present in the table with all other keys equal.
    """
    dims = [*trees, *base]
    where = {tuple(r): i for i, r in enumerate(table[dims].itertuples(index=False, name=None))}
    out: dict[tuple[str, int], list[int]] = {}
    for i, cell in enumerate(table[dims].itertuples(index=False, name=None)):
        for k, d in enumerate(trees):
            for anc in tree_ancestors(trees[d], cell[k]):
                parent = where.get(cell[:k] + (anc,) + cell[k + 1 :])
                if parent is not None:
                    out.setdefault((d, parent), []).append(i)
                    break
    return [(parent, children) for (_, parent), children in out.items()]


def attack(
    gated: pd.DataFrame,
    truth: pd.DataFrame,
    counts: Sequence[str],
    rels: Sequence[tuple[int, list[int]]],
    margins: Mapping[str, Sequence[str]] | None = None,
    lower: float = 0.0,
) -> Attack:
    """Bounds on every suppressed cell from the published cells and all relations.

    ``rels`` are row relations (applied to each count column); ``margins`` are column
    relations total -> parts within each row. Variables are the suppressed cells, relaxed to
    real numbers >= ``lower``.
    """
    cells = [(i, c) for c in counts for i in np.flatnonzero(gated[c].isna().to_numpy())]
    var = {cell: k for k, cell in enumerate(cells)}
    equations = [
        [((p, c), 1.0)] + [((ch, c), -1.0) for ch in children] for c in counts for p, children in rels
    ]
    for total, parts in (margins or {}).items():
        equations += [[((i, total), 1.0)] + [((i, p), -1.0) for p in parts] for i in range(len(gated))]
    rows, cols, data, rhs = [], [], [], []
    for eq in equations:
        if not any(cell in var for cell, _ in eq):
            continue
        const = sum(coef * float(gated[cell[1]].iloc[cell[0]]) for cell, coef in eq if cell not in var)
        for cell, coef in eq:
            if cell in var:
                rows.append(len(rhs))
                cols.append(var[cell])
                data.append(coef)
        rhs.append(-const)
    a_eq = csr_array((data, (rows, cols)), shape=(len(rhs), len(cells))) if rhs else None
    result = []
    for (i, c), k in var.items():
        objective = np.zeros(len(cells))
        bounds = []
        for sign in (1.0, -1.0):
            objective[k] = sign
            lp = linprog(objective, A_eq=a_eq, b_eq=rhs or None, bounds=(lower, None), method="highs")
            assert lp.status in (0, 3), lp.message  # 3: unbounded above
            bounds.append(sign * lp.fun if lp.status == 0 else np.inf)
        result.append(
            {"row": i, "count": c, "true": int(truth[c].iloc[i]), "low": bounds[0], "high": bounds[1]}
        )
    return Attack(pd.DataFrame(result, columns=["row", "count", "true", "low", "high"]))


def flat(values: Sequence[str], total: str = "all") -> dict[Hashable, Hashable | None]:
    """A one-level tree: every value under ``total``."""
    return {total: None, **{v: total for v in values}}


def hierarchies(trees: Mapping[str, Tree]) -> list[Hierarchy]:
    """The gate's description of the same trees."""
    return [
        Hierarchy.from_parent_map(d, {c: p for c, p in tree.items() if p is not None})
        for d, tree in trees.items()
    ]


def gate_and_attack(
    table: pd.DataFrame,
    trees: Mapping[str, Tree],
    counts: Sequence[str] = ("n",),
    *,
    policy: Policy | None = None,
    base: Sequence[str] = (),
    lower: float = 0.0,
) -> tuple[pd.DataFrame, Attack]:
    """Gate ``table`` with its hierarchies, then attack every suppressed cell."""
    gated = gate(
        table, list(counts), policy=policy or Policy(), hierarchies=hierarchies(trees), base=list(base)
    )
    return gated, attack(gated, table, counts, relations(table, trees, base), lower=lower)
