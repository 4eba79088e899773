"""Unit prices for the cost mart: the packaged ``unit_prices.yaml`` and user overrides."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from klynge.contracts._codes import GP_CONTACT_KINDS, SERVICE_GROUPS

_ATC_GROUP = re.compile(r"^[A-Z]$")
# Given as a whole: a user's map replaces the packaged one (``{}`` for one flat price per DDD).
_WHOLE = ("per_ddd_by_atc_group",)


def default_prices() -> dict[str, Any]:
    """The packaged unit prices (``klynge/marts/unit_prices.yaml``)."""
    text = resources.files("klynge.marts").joinpath("unit_prices.yaml").read_text(encoding="utf-8")
    prices: dict[str, Any] = yaml.safe_load(text)
    return prices


def _merge(base: dict[str, Any], override: Mapping[str, Any], where: str) -> None:
    """Overwrite ``base`` in place with ``override``; unknown keys are errors (typos)."""
    for key, value in override.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in base:
            raise ValueError(f"unknown unit price {path!r}; known here: {', '.join(map(str, base))}")
        if key in _WHOLE:
            if not isinstance(value, Mapping):
                raise TypeError(f"unit price {path!r} must be a mapping, got {value!r}")
            base[key] = dict(value)
        elif isinstance(base[key], dict):
            if not isinstance(value, Mapping):
                raise TypeError(f"unit price {path!r} must be a mapping, got {value!r}")
            _merge(base[key], value, path)
        else:
            base[key] = value


def _check_numbers(node: Mapping[str, Any], where: str) -> None:
    for key, value in node.items():
        path = f"{where}.{key}"
        if isinstance(value, Mapping):
            _check_numbers(value, path)
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"unit price {path!r} must be a number >= 0, got {value!r}")


def _check(prices: Mapping[str, Any]) -> None:
    for section in ("hospital", "municipality", "gp", "medicine"):
        _check_numbers(prices[section], section)
    municipal = prices["municipality"]
    both = set(municipal["per_hour"]) & set(municipal["per_day"])
    missing = set(SERVICE_GROUPS) - set(municipal["per_hour"]) - set(municipal["per_day"])
    if both or missing:
        raise ValueError("each municipal service group needs one price, per hour or per day: "
                         f"priced twice {sorted(both)}, not priced {sorted(missing)}")
    unknown = (set(municipal["per_hour"]) | set(municipal["per_day"])) - set(SERVICE_GROUPS)
    if unknown:
        raise ValueError(f"unknown municipal service groups {sorted(unknown)}")
    kinds = set(prices["gp"]["per_contact"])
    if kinds != set(GP_CONTACT_KINDS):
        raise ValueError(f"gp.per_contact must price exactly the contact kinds {sorted(GP_CONTACT_KINDS)}")
    bad = [g for g in prices["medicine"]["per_ddd_by_atc_group"] if not _ATC_GROUP.match(str(g))]
    if bad:
        raise ValueError(f"ATC main groups are one capital letter, got {bad}")


def load_unit_prices(prices: str | Path | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The unit prices: the packaged defaults, overridden by ``prices`` where given.

    Parameters
    ----------
    prices
        ``None`` for the defaults; a mapping, or the path of a YAML file, with the same
        structure as ``unit_prices.yaml`` holding only the prices to change. The map
        ``medicine.per_ddd_by_atc_group`` is replaced as a whole (``{}``: one flat price).

    Returns
    -------
    dict
        The complete, checked price structure.

    Raises
    ------
    ValueError
        For an unknown key (a typo), a negative or non-numeric price, or a municipal service
        group or GP contact kind without a price.
    TypeError
        For a value that must be a mapping (a section, a file's content) and is not.

    Examples
    --------
    >>> p = load_unit_prices({"gp": {"per_contact": {"consultation": 200}}})
    >>> p["gp"]["per_contact"]["consultation"], p["gp"]["per_contact"]["phone"]
    (200, 40)
    """
    result = copy.deepcopy(default_prices())
    if isinstance(prices, str | Path):
        override = yaml.safe_load(Path(prices).read_text(encoding="utf-8")) or {}
        if not isinstance(override, Mapping):
            raise TypeError(f"{prices}: a unit-price file must hold a mapping")
        _merge(result, override, "")
    elif prices is not None:
        _merge(result, prices, "")
    _check(result)
    return result
