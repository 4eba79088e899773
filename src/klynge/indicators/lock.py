"""`catalogue.lock.json`: each indicator's version and a fingerprint of what defines it.

A change to an indicator's definition, logic or code lists must come with a new version; the
conformance test compares fingerprints with this file, and `klynge docs` rewrites it.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from klynge.indicators._registry import Indicator, registry


def _lock_path() -> Path:
    return Path(str(resources.files("klynge.indicators").joinpath("catalogue.lock.json")))


def fingerprint(ind: Indicator) -> str:
    h = hashlib.sha256()
    d = ind.definition
    logic = ind.folder / "logic.py" if d.logic.endswith(".py") else ind.folder.parent / d.logic / "logic.py"
    for path in (ind.folder / "indicator.yaml", logic):
        h.update(path.read_bytes())
    codelists = Path(str(resources.files("klynge.indicators").joinpath("codelists")))
    for name in sorted(d.codelists):
        h.update((codelists / f"{name}.csv").read_bytes())
    return h.hexdigest()[:16]


def read_lock() -> dict:
    path = _lock_path()
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def write_lock() -> Path:
    path = _lock_path()
    data = {i.id: {"version": i.definition.version, "fingerprint": fingerprint(i)} for i in registry().values()}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
