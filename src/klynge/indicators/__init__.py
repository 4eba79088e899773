"""The indicator catalogue: declarative definitions, a registry, families and the long table."""

from klynge.indicators._codelists import load_codelist, matches
from klynge.indicators._conditions import condition_rules, conditions_expr
from klynge.indicators._context import Context
from klynge.indicators._definition import Definition, load_definition
from klynge.indicators._registry import Indicator, registry
from klynge.indicators._run import (
    LONG_COLUMNS,
    compute_catalogue,
    compute_indicator,
    gate_long,
    write_indicators,
)

__all__ = [
    "LONG_COLUMNS",
    "Context",
    "Definition",
    "Indicator",
    "compute_catalogue",
    "compute_indicator",
    "condition_rules",
    "conditions_expr",
    "gate_long",
    "load_codelist",
    "load_definition",
    "matches",
    "registry",
    "write_indicators",
]
