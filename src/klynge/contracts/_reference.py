"""Danish reference tables: 5 regions, 98 municipalities, 22 health clusters, health councils.

The CSV files live in `klynge/reference/`. Facts and their sources: domain reference §5.3-5.5.
Health councils (sundhedsråd, from 2027) are a configurable grouping: the official
municipality -> council list was not available, so by default each 2022-26 cluster is one
council; a deployment passes its own mapping file (municipality_code, council_id, council_name).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

_FILES = ("regions", "municipalities", "health_clusters")


def _read(name: str) -> pd.DataFrame:
    path = resources.files("klynge.reference").joinpath(f"{name}.csv")
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str)


@cache
def _builtin() -> dict[str, pd.DataFrame]:
    frames = {name: _read(name) for name in _FILES}
    m = frames["municipalities"]
    m["population_thousands_approx"] = m["population_thousands_approx"].astype(float)
    return frames


def load_reference(council_mapping: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Return the reference tables as DataFrames keyed by name.

    Keys: ``region``, ``municipality``, ``health_cluster``, ``health_council``.

    Example
    -------
    >>> ref = load_reference()
    >>> len(ref["municipality"])
    98
    """
    b = _builtin()
    municipality = b["municipalities"].copy()
    clusters = b["health_clusters"].copy()
    if council_mapping is None:
        council = municipality[["municipality_code", "cluster_id"]].merge(
            clusters[["cluster_id", "name"]], on="cluster_id"
        )
        council = council.rename(columns={"cluster_id": "council_id", "name": "council_name"})
    else:
        council = pd.read_csv(council_mapping, dtype=str)
        missing = {"municipality_code", "council_id", "council_name"} - set(council.columns)
        if missing:
            raise ValueError(f"{council_mapping}: council mapping lacks columns {sorted(missing)}")
    return {
        "region": b["regions"].copy(),
        "municipality": municipality,
        "health_cluster": clusters,
        "health_council": council[["municipality_code", "council_id", "council_name"]],
    }
