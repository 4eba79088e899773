"""The audit: could an attacker pin a suppressed small count down exactly? If so, suppress more.

The attacker sees every published cell and knows every relation (totals, margins, sibling
cells, all hierarchies at once). For each hidden cell the attacker solves a linear program for
its smallest and largest value, the hidden cells being unknown real numbers >= 0.

Rule (the certificate): every suppressed cell is > 0 (zero is published), so a suppressed cell
x can take more than one value exactly when some perturbation z of the hidden cells keeps every
relation balanced (A z = 0) and moves x (z_x != 0): a small step along z or -z stays >= 0. A
missing count, whose value nobody knows, is taken as 0, so it may only go up. Finding such a z
proves x is protected; it stays a proof when more cells are hidden, so each round only looks at
cells not yet proven. A cell without a proof counts as disclosed and gets more suppression.

Counting hidden cells per relation (the complementary fixed point) is not enough on its own:
a hidden cell can still be the difference of sums that other relations pin down (a "bridge"
between two protected groups, or a chain of parents that equal their only non-zero child).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_array, csc_array, csr_array
from scipy.sparse.csgraph import connected_components

from klynge.privacy._relations import Equations

DENSE_LIMIT = 60  # hidden cells in a group solved by dense linear algebra (without missing cells)
LP_BATCH = 3000  # larger groups up to this size are solved together, one linear program per batch
NEIGHBOURHOOD = 300  # hidden cells per open target when a large group is audited again
_ZERO = 1e-8  # below this a coordinate of an exact null vector counts as zero
_MOVES = 1e-6  # an LP certificate must move the cell at least this much (of at most 1)
_SEED = 20260501


class _System:
    """The equations restricted to the hidden cells, with what the audit needs about them."""

    def __init__(
        self, equations: Equations, hidden: np.ndarray, missing: np.ndarray, targets: np.ndarray
    ) -> None:
        self.cells = np.flatnonzero(hidden)
        var = np.full(equations.n_cell, -1, dtype=np.int64)
        var[self.cells] = np.arange(len(self.cells))
        keep = hidden[equations.cell]
        eq, row = np.unique(equations.eq[keep], return_inverse=True)
        data = equations.coef[keep].astype(float)
        self.matrix = csr_array((data, (row, var[equations.cell[keep]])), shape=(len(eq), len(self.cells)))
        self.by_var = csc_array(self.matrix)
        # How far each hidden cell may go down: a missing count (taken as 0) may not go down.
        self.floor = np.where(missing[self.cells], 0.0, -1.0)
        self.is_target = np.isin(self.cells, targets)
        self.proven = np.zeros(len(self.cells), dtype=bool)
        self.rng = np.random.default_rng(_SEED)

    def groups(self) -> list[np.ndarray]:
        """Connected groups of hidden cells (linked by relations) that hold a target."""
        n_var, n_eq = self.matrix.shape[1], self.matrix.shape[0]
        edges = self.matrix.tocoo()
        graph = coo_array((np.ones(edges.nnz), (edges.col, n_var + edges.row)), shape=(n_var + n_eq,) * 2)
        label = connected_components(graph, directed=False)[1][:n_var]
        order = np.argsort(label, kind="stable")
        ordered = label[order]
        return [
            order[np.searchsorted(ordered, g) : np.searchsorted(ordered, g, "right")]
            for g in np.unique(label[self.is_target])
        ]

    def neighbourhood(self, seeds: np.ndarray, cap: int) -> np.ndarray:
        """Hidden cells reachable from ``seeds`` through shared relations, grown until ``cap``."""
        inside = np.zeros(self.matrix.shape[1], dtype=bool)
        inside[seeds] = True
        frontier = seeds
        while len(frontier) and inside.sum() < cap:
            reached = np.unique(self.matrix[np.unique(self.by_var[:, frontier].tocoo().row)].tocoo().col)
            frontier = reached[~inside[reached]]
            inside[frontier] = True
        return np.flatnonzero(inside)

    def prove(self, variables: np.ndarray, rounds: int | None = None) -> None:
        """Look for certificates supported on ``variables`` (cells outside stay put)."""
        block = csr_array(self.matrix[np.unique(self.by_var[:, variables].tocoo().row)][:, variables])
        if len(variables) <= DENSE_LIMIT and (self.floor[variables] < 0).all():
            self.proven[variables] |= _null_space_support(block)
        else:
            open_targets = self.is_target[variables] & ~self.proven[variables]
            found = _lp_certificates(block, self.floor[variables], open_targets, self.rng, rounds)
            self.proven[variables] |= found

    def settle(self, variables: np.ndarray, *, local: bool) -> None:
        """Prove the targets among ``variables``: one linear program over all of them, then
        (or, with ``local``, at once) neighbourhoods of the targets left, grown while needed."""
        if not local:
            self.prove(variables, rounds=1)
        seeds = variables[self.is_target[variables] & ~self.proven[variables]]
        cap = NEIGHBOURHOOD * len(seeds)
        while len(seeds):
            inside = self.neighbourhood(seeds, cap) if cap < len(variables) else variables
            self.prove(inside)
            seeds = seeds[~self.proven[seeds]]
            if len(inside) >= len(variables):
                break
            cap *= 4


def _null_space_support(block: csr_array) -> np.ndarray:
    """Exact when every cell may move both ways: cells on which some null vector is non-zero.

    A cell is pinned exactly when its unit vector lies in the row space of the block, that is
    when its leverage on the row space is 1.
    """
    if block.shape[0] == 0:
        return np.ones(block.shape[1], dtype=bool)
    u, s, _ = np.linalg.svd(block.toarray().T, full_matrices=False)
    rank = int((s > 1e-9 * max(s.max(initial=0.0), 1.0)).sum())
    return 1.0 - (u[:, :rank] ** 2).sum(axis=1) > _ZERO


def _lp_certificates(
    block: csr_array,
    floor: np.ndarray,
    targets: np.ndarray,
    rng: np.random.Generator,
    rounds: int | None = None,
) -> np.ndarray:
    """Cells moved by feasible perturbations that a few linear programs find; never a false proof.

    Each round maximises a randomly weighted sum of the unproven targets over perturbations z in
    [floor, 1] with A z = 0, until a round proves nothing new (with a missing count about, a
    target may move only one way, so such a round is first retried with the signs flipped), or
    for at most ``rounds`` rounds. Random weights keep tied targets (z_a = -z_b) from cancelling
    out. The solver returns a vertex, whose
    coordinates are 0 or clearly not, so a rounding error cannot pass for a proof.
    """
    proven = np.zeros(block.shape[1], dtype=bool)
    open_targets = targets.copy()
    symmetric = bool((floor < 0).all())  # then -z is as good as z, and a retry cannot help
    signs = np.ones(block.shape[1])
    retry = False
    for _ in range(rounds) if rounds is not None else iter(int, 1):
        if not open_targets.any():
            break
        signs = -signs if retry else rng.choice([-1.0, 1.0], block.shape[1])
        objective = np.where(open_targets, signs * rng.uniform(0.5, 1.5, block.shape[1]), 0.0)
        bounds = np.c_[floor, np.ones_like(floor)]
        lp = linprog(-objective, A_eq=block, b_eq=np.zeros(block.shape[0]), bounds=bounds, method="highs-ipm")
        found = np.zeros(block.shape[1], dtype=bool)
        if lp.status == 0 and np.abs(block @ lp.x).max(initial=0.0) < 1e-7:
            found = np.abs(lp.x) > _MOVES
        progress = bool((found & open_targets).any())
        proven |= found
        open_targets &= ~found
        if not progress and (retry or symmetric):
            break
        retry = not progress
    return proven


def disclosed(
    equations: Equations, hidden: np.ndarray, missing: np.ndarray, targets: np.ndarray, *, local: bool = False
) -> np.ndarray:
    """Target cells (flat ids) that the attacker may pin down: no certificate was found.

    Each connected group of hidden cells is examined whole, then the neighbourhoods of the
    targets left; with ``local`` a large group is cut down to those neighbourhoods at once. In a
    neighbourhood the cells outside are taken as published (which can only hide certificates,
    never invent one), and it is grown where that proves nothing.

    Example
    -------
    >>> from klynge.privacy._relations import Equations
    >>> # One relation: cell 2 = cell 0 + cell 1.
    >>> e = Equations(np.zeros(3, int), np.arange(3), np.array([-1, -1, 1], np.int8), 1, 3)
    >>> no_missing = np.zeros(3, bool)
    >>> disclosed(e, np.array([True, False, False]), no_missing, np.array([0])).tolist()
    [0]
    >>> disclosed(e, np.array([True, False, True]), no_missing, np.array([0])).tolist()
    []
    """
    if not len(targets):
        return targets
    system = _System(equations, hidden, missing, targets)
    batch: list[np.ndarray] = []
    for whole in system.groups():
        if len(whole) <= DENSE_LIMIT and (system.floor[whole] < 0).all():
            system.prove(whole)
        elif len(whole) <= LP_BATCH:
            batch.append(whole)  # groups of moderate size are solved together, one LP per batch
            if sum(map(len, batch)) >= LP_BATCH:
                system.settle(np.concatenate(batch), local=False)
                batch = []
        else:
            system.settle(whole, local=local)
    if batch:
        system.settle(np.concatenate(batch), local=False)
    return system.cells[system.is_target & ~system.proven]


def repair_choices(
    equations: Equations,
    values: np.ndarray,
    hidden: np.ndarray,
    cells: np.ndarray,
    tiebreak: np.ndarray,
    attempts: dict[int, int],
) -> np.ndarray:
    """For each disclosed cell, more cells to suppress (flat ids).

    Rule: walk out from the disclosed cell through its relations and the hidden cells in them;
    in the nearest relations that still have a published non-zero cell, suppress the smallest
    (ties by ``tiebreak``). A cell that is still disclosed after earlier attempts (counted in
    ``attempts``) gets twice as many each time. Cells nobody can help are left out.
    """
    incidence = csr_array(
        (np.ones(len(equations.eq), dtype=np.int8), (equations.eq, equations.cell)),
        shape=(equations.n_eq, equations.n_cell),
    )
    by_cell = csc_array(incidence)
    open_cell = ~hidden & (values > 0)
    chosen = []
    for start in cells.tolist():
        attempts[start] = attempts.get(start, 0) + 1
        frontier = np.array([start])
        seen_cells, seen_eqs = np.array([start]), np.zeros(0, dtype=np.int64)
        while len(frontier):
            eqs = np.setdiff1d(np.unique(by_cell[:, frontier].tocoo().row), seen_eqs)
            if not len(eqs):
                break
            seen_eqs = np.union1d(seen_eqs, eqs)
            members = np.unique(incidence[eqs].tocoo().col)
            candidates = members[open_cell[members]]
            if len(candidates):
                best = np.lexsort((tiebreak[candidates], values[candidates]))
                chosen.append(candidates[best[: 2 ** (attempts[start] - 1)]])
                break
            frontier = np.setdiff1d(members[hidden[members]], seen_cells)
            seen_cells = np.union1d(seen_cells, frontier)
    return np.unique(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
