"""The registry: finds every indicator definition (built in, or from an installed plugin).

Adding an indicator means adding a folder `catalogue/<id>/` with `indicator.yaml`, `logic.py`
(a function `units(ctx)`) and `cases.yaml` (its hand-made test cases), nothing else. A plugin
package can add folders of the same shape through the entry-point group `klynge.indicators`
(each entry point names a directory).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path

from klynge.indicators._definition import Definition, load_definition


@dataclass(frozen=True)
class Indicator:
    definition: Definition
    folder: Path

    @property
    def id(self) -> str:
        return self.definition.id

    def units(self) -> Callable:
        """The `units(ctx)` function of the indicator's logic (or of the indicator it reuses)."""
        logic = self.definition.logic
        folder = self.folder if logic.endswith(".py") else self.folder.parent / logic
        path = folder / (logic if logic.endswith(".py") else "logic.py")
        spec = importlib.util.spec_from_file_location(f"klynge_indicator_{folder.name}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.units


def _folders() -> list[Path]:
    root = Path(str(resources.files("klynge.indicators").joinpath("catalogue")))
    folders = [p for p in sorted(root.iterdir()) if (p / "indicator.yaml").is_file()]
    for ep in metadata.entry_points(group="klynge.indicators"):
        extra = Path(str(ep.load()))
        folders += [p for p in sorted(extra.iterdir()) if (p / "indicator.yaml").is_file()]
    return folders


@cache
def registry() -> dict[str, Indicator]:
    """All indicators by id, in catalogue order."""
    found: dict[str, Indicator] = {}
    for folder in _folders():
        d = load_definition(folder / "indicator.yaml")
        if d.id != folder.name:
            raise ValueError(f"{folder}: the folder name must equal the indicator id {d.id!r}")
        if d.id in found:
            raise ValueError(f"indicator {d.id!r} is defined twice")
        found[d.id] = Indicator(d, folder)
    return found
