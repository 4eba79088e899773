"""Code lists: versioned CSV files in `codelists/`, never written inline in queries.

Each file has the columns `code, system, concept, version` and is matched by prefix (SKS and
ATC codes are hierarchical: `DJ44` covers `DJ441`).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import ibis
import pandas as pd


@cache
def load_codelist(name: str) -> pd.DataFrame:
    path = resources.files("klynge.indicators").joinpath("codelists", f"{name}.csv")
    if not path.is_file():
        raise KeyError(f"no code list named {name!r} (expected codelists/{name}.csv)")
    with path.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str)
    missing = {"code", "system", "concept", "version"} - set(df.columns)
    if missing:
        raise ValueError(f"code list {name}: missing columns {sorted(missing)}")
    return df


def codelist_version(name: str) -> str:
    versions = sorted(set(load_codelist(name)["version"]))
    return ",".join(versions)


def matches(column: ibis.Value, name: str, concept: str | None = None) -> ibis.Value:
    """True where `column` starts with one of the list's codes (optionally of one concept)."""
    df = load_codelist(name)
    if concept is not None:
        df = df[df["concept"] == concept]
    codes = sorted(set(df["code"]))
    if not codes:
        return ibis.literal(False)
    return ibis.or_(*[column.startswith(c) for c in codes])
