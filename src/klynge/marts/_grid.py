"""Complete grids: every cell gets every category, with 0 where nothing was counted.

A published 0 says "none"; a missing row would say nothing (and the privacy gate treats the
two differently), so each mart lists every category of every cell that has a population.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa


def labels(column: str, values: Sequence[str]) -> ir.Table:
    """A one-column table of category labels.

    Examples
    --------
    >>> labels("sector", ["hospital", "gp"]).sector.to_list()
    ['hospital', 'gp']
    """
    return ibis.memtable(pa.table({column: pa.array(list(values), pa.string())}))


def complete(
    cells: ir.Table, categories: ir.Table, counted: ir.Table, keys: Sequence[str], zeros: Mapping[str, Any]
) -> ir.Table:
    """Every row of ``cells`` × ``categories`` with the ``counted`` values; ``zeros`` where none.

    Parameters
    ----------
    cells
        One row per cell (``keys``) with its population columns.
    categories
        The categories every cell gets; those of their columns that ``counted`` has are join
        keys too (a category may carry a label besides its key).
    counted
        Rows with ``keys``, category columns and the ``zeros`` columns, for the cells and
        categories that have anything.
    keys
        The cell's key columns.
    zeros
        The value columns of ``counted`` and their value where nothing was counted.

    Examples
    --------
    >>> import ibis
    >>> cells = ibis.memtable({"k": ["a"], "population": [3]})
    >>> counted = ibis.memtable({"k": ["a"], "sector": ["gp"], "persons": [2]})
    >>> t = complete(cells, labels("sector", ["hospital", "gp"]), counted, ["k"], {"persons": 0})
    >>> t.order_by("sector").persons.to_list()
    [2, 0]
    """
    grid = cells.cross_join(categories)
    t = grid.left_join(counted, [*keys, *(c for c in categories.columns if c in counted.columns)])
    return t.select(*grid.columns, **{c: t[c].fill_null(v) for c, v in zeros.items()})


def share(part: ir.IntegerValue, whole: ir.IntegerValue) -> ir.FloatingValue:
    """``part / whole`` as a float."""
    return part.cast("float64") / whole
