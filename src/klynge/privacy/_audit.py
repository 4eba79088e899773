"""The audit: could an attacker pin a suppressed small count down exactly? If so, suppress more.

The attacker sees every published cell, knows every relation (totals, margins, sibling cells,
all hierarchies at once) and treats the hidden cells as unknown real numbers >= 0: a linear
program for the smallest and largest value of each hidden cell.

Rule (the certificate): every hidden cell is > 0 (zero is published), so a suppressed cell x
can take more than one value exactly when some perturbation z of the hidden cells keeps every
relation balanced (A z = 0) and moves x (z_x != 0); a small step along z or -z stays >= 0.
Finding such a z proves x is protected, and it stays a proof when more cells are hidden, so
each round only looks at cells not yet proven. A cell without a proof counts as disclosed.

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

DENSE_LIMIT = 400  # hidden cells in a group solved by dense linear algebra; larger ones by LP
NEIGHBOURHOOD = 300  # hidden cells per open target when a large group is audited again
_ZERO = 1e-8  # below this a coordinate of an exact null vector counts as zero
_MOVES = 1e-6  # an LP certificate must move the cell at least this much (of at most 1)
_SEED = 20260501


def _hidden_system(equations: Equations, hidden: np.ndarray) -> tuple[csr_array, np.ndarray]:
    """Equations restricted to the hidden cells: matrix (equations x hidden cells), cell ids."""
    cells = np.flatnonzero(hidden)
    var = np.full(equations.n_cell, -1, dtype=np.int64)
    var[cells] = np.arange(len(cells))
    keep = hidden[equations.cell]
    eq, row = np.unique(equations.eq[keep], return_inverse=True)
    data = equations.coef[keep].astype(float)
    matrix = csr_array((data, (row, var[equations.cell[keep]])), shape=(len(eq), len(cells)))
    return matrix, cells


def _dense_certificates(block: csr_array) -> np.ndarray:
    """Exact: cells on which some vector of the null space is non-zero."""
    if block.shape[0] == 0:
        return np.ones(block.shape[1], dtype=bool)
    _, s, vt = np.linalg.svd(block.toarray(), full_matrices=True)
    rank = int((s > 1e-9 * max(s.max(initial=0.0), 1.0)).sum())
    null = vt[rank:]
    return np.sqrt((null**2).sum(axis=0)) > _ZERO


def _lp_certificates(block: csr_array, targets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Cells moved by null vectors that a few linear programs find; never a false proof.

    Each round maximises a random signed sum of the unproven targets over perturbations in
    [-1, 1] with A z = 0. The solver returns a vertex, whose coordinates are 0 or clearly not.
    """
    proven = np.zeros(block.shape[1], dtype=bool)
    open_targets = targets.copy()
    progress = True
    while open_targets.any() and progress:
        objective = np.zeros(block.shape[1])
        objective[open_targets] = rng.choice([-1.0, 1.0], int(open_targets.sum()))
        lp = linprog(-objective, A_eq=block, b_eq=np.zeros(block.shape[0]), bounds=(-1, 1), method="highs-ipm")
        found = np.zeros(block.shape[1], dtype=bool)
        if lp.status == 0 and np.abs(block @ lp.x).max(initial=0.0) < 1e-7:
            found = np.abs(lp.x) > _MOVES
        progress = bool((found & open_targets).any())
        proven |= found
        open_targets &= ~found
    return proven


def _neighbourhood(matrix: csr_array, by_var: csc_array, seeds: np.ndarray, cap: int) -> np.ndarray:
    """Hidden cells reachable from ``seeds`` through shared relations, grown until ``cap``."""
    inside = np.zeros(matrix.shape[1], dtype=bool)
    inside[seeds] = True
    frontier = seeds
    while len(frontier) and inside.sum() < cap:
        eqs = np.unique(by_var[:, frontier].tocoo().row)
        reached = np.unique(matrix[eqs].tocoo().col)
        frontier = reached[~inside[reached]]
        inside[frontier] = True
    return np.flatnonzero(inside)


def _certify(block: csr_array, targets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if block.shape[1] <= DENSE_LIMIT:
        return _dense_certificates(block)
    return _lp_certificates(block, targets, rng)


def disclosed(equations: Equations, hidden: np.ndarray, targets: np.ndarray, *, local: bool = False) -> np.ndarray:
    """Target cells (flat ids) that the attacker may pin down: no certificate was found.

    Each connected group of hidden cells is examined whole; with ``local`` a large group is
    cut down to the neighbourhood of its targets, the cells outside taken as published (which
    can only hide certificates, never invent one).

    Example
    -------
    >>> from klynge.privacy._relations import Equations
    >>> # One relation: cell 2 = cell 0 + cell 1; cells 0 and 2 hidden, cell 1 published.
    >>> e = Equations(np.zeros(3, int), np.arange(3), np.array([-1, -1, 1], np.int8), 1, 3)
    >>> disclosed(e, np.array([True, False, True]), np.array([0])).tolist()
    [0]
    """
    if not len(targets):
        return targets
    matrix, cells = _hidden_system(equations, hidden)
    by_var = csc_array(matrix)
    n_var, n_eq = matrix.shape[1], matrix.shape[0]
    edges = matrix.tocoo()
    graph = coo_array((np.ones(edges.nnz), (edges.col, n_var + edges.row)), shape=(n_var + n_eq,) * 2)
    label = connected_components(graph, directed=False)[1][:n_var]
    is_target = np.isin(cells, targets)
    proven = np.zeros(n_var, dtype=bool)
    rng = np.random.default_rng(_SEED)
    order = np.argsort(label, kind="stable")
    ordered = label[order]
    for group in np.unique(label[is_target]):
        variables = order[np.searchsorted(ordered, group) : np.searchsorted(ordered, group, "right")]
        seeds = variables[is_target[variables]]
        if local and len(variables) > NEIGHBOURHOOD * len(seeds):
            variables = _neighbourhood(matrix, by_var, seeds, NEIGHBOURHOOD * len(seeds))
        eqs = np.unique(by_var[:, variables].tocoo().row)
        block = csr_array(matrix[eqs][:, variables])
        proven[variables] |= _certify(block, is_target[variables], rng)
    return cells[is_target & ~proven]


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
