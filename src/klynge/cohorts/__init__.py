"""Target groups (målgrupper): declarative YAML definitions, gated counts, audited person lists.

* `load_target_group` / `parse_target_group`: read and validate a definition
  (`TargetGroupError` names the file and the field).
* `count`, `describe`: gated aggregates of the members on the index date.
* `export`: the pseudonymous person list, for principals allowed ``cohort.export``, audited.
* `examples()`: the packaged example definitions.

See docs/cohorts.md.
"""

from importlib import resources
from pathlib import Path

from klynge.cohorts._definition import TargetGroup, TargetGroupError, load_target_group, parse_target_group
from klynge.cohorts._select import count, describe, export, index_date, population


def examples() -> list[Path]:
    """The packaged example target groups (``klynge/cohorts/examples/*.yaml``)."""
    folder = resources.files("klynge.cohorts") / "examples"
    return sorted(Path(str(p)) for p in folder.iterdir() if str(p).endswith(".yaml"))


__all__ = [
    "TargetGroup",
    "TargetGroupError",
    "count",
    "describe",
    "examples",
    "export",
    "index_date",
    "load_target_group",
    "parse_target_group",
    "population",
]
