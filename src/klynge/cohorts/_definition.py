"""Target groups (målgrupper) as declarative YAML files, validated with pydantic.

A file describes who belongs to a target group on an index date, combining chronic conditions,
age, sex, municipal services, the fitted risk, the segment, geography and recent activity. Every
criterion is optional; all that are given must hold (AND). Example (``examples/*.yaml``)::

    id: frail_copd_rising_risk
    version: 1
    title: {da: "KOL-patienter 65+ med høj risiko", en: "COPD patients 65+ at high risk"}
    index_date: latest            # or an ISO date; "latest": the day after the data end
    age: {min: 65}
    conditions: {any: [copd, heart_failure]}
    risk: {model: acute_30d/hgb, min_percentile: 90}
    geography: {municipalities: ["461", "479"]}

Errors name the file and the field (``frail.yaml: risk.min_percentile: ...``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from klynge.contracts import load_reference
from klynge.contracts._codes import SERVICE_GROUPS
from klynge.risk._features import condition_names
from klynge.risk._model import ALGORITHMS, OUTCOMES
from klynge.risk._segments import SEGMENTS


class TargetGroupError(ValueError):
    """A target-group file that cannot be read or does not validate; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    da: str = Field(min_length=1)
    en: str = ""


class AgeRule(_Strict):
    min: Annotated[int, Field(ge=0, le=120)] | None = None
    max: Annotated[int, Field(ge=0, le=120)] | None = None

    @model_validator(mode="after")
    def _order(self) -> AgeRule:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class ConditionRule(_Strict):
    any: list[str] = []
    all: list[str] = []
    none: list[str] = []
    min_count: Annotated[int, Field(ge=0, le=20)] | None = None

    @field_validator("any", "all", "none")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        known = condition_names()
        bad = [v for v in value if v not in known]
        if bad:
            raise ValueError(f"unknown condition(s) {bad}; known: {known}")
        return value


class ServiceRule(_Strict):
    any: list[str] = []
    none: list[str] = []

    @field_validator("any", "none")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in SERVICE_GROUPS]
        if bad:
            raise ValueError(f"unknown service group(s) {bad}; known: {sorted(SERVICE_GROUPS)}")
        return value


class RiskRule(_Strict):
    model: str = "acute_30d/hgb"
    min_percentile: Annotated[float, Field(ge=0, le=100)] | None = None
    min_risk: Annotated[float, Field(ge=0, le=1)] | None = None

    @field_validator("model")
    @classmethod
    def _known(cls, value: str) -> str:
        known = [f"{o}/{a}" for o in OUTCOMES for a in ALGORITHMS]
        if value not in known:
            raise ValueError(f"unknown model {value!r}; known: {known}")
        return value

    @model_validator(mode="after")
    def _some(self) -> RiskRule:
        if self.min_percentile is None and self.min_risk is None:
            raise ValueError("give min_percentile or min_risk")
        return self


class SegmentRule(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    in_: list[str] = Field(alias="in", min_length=1)

    @field_validator("in_")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in SEGMENTS]
        if bad:
            raise ValueError(f"unknown segment(s) {bad}; known: {list(SEGMENTS)}")
        return value


class GeographyRule(_Strict):
    municipalities: list[str] = []
    clusters: list[str] = []
    regions: list[str] = []

    @field_validator("municipalities")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        known = set(load_reference()["municipality"]["municipality_code"])
        bad = [v for v in value if v not in known]
        if bad:
            raise ValueError(f"unknown municipality code(s) {bad} (3 digits, as a string: \"461\")")
        return value


class ActivityRule(_Strict):
    min_acute_admissions: Annotated[int, Field(ge=1)] = 1
    within_days: Annotated[int, Field(ge=1, le=3650)] = 365


class TargetGroup(_Strict):
    """A validated target-group definition (see the module docstring)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
    version: Annotated[int, Field(ge=1)] = 1
    title: Text
    description: Text | None = None
    index_date: dt.date | Literal["latest"] = "latest"
    age: AgeRule | None = None
    sex: Literal["F", "M"] | None = None
    conditions: ConditionRule | None = None
    services: ServiceRule | None = None
    risk: RiskRule | None = None
    segment: SegmentRule | None = None
    geography: GeographyRule | None = None
    activity: ActivityRule | None = None


def _location(loc: tuple) -> str:
    return ".".join("in" if p == "in_" else str(p) for p in loc) or "(file)"


def parse_target_group(data: object, source: str = "<text>") -> TargetGroup:
    """Validate a parsed YAML mapping; raise `TargetGroupError` naming ``source`` and the field."""
    if not isinstance(data, dict):
        raise TargetGroupError(f"{source}: a target group is a YAML mapping (id, title, criteria), "
                               f"got {type(data).__name__}")
    try:
        return TargetGroup.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {_location(e['loc'])}: {re.sub(r'^Value error, ', '', e['msg'])}" for e in exc.errors()]
        raise TargetGroupError("\n".join(lines)) from None


def load_target_group(path: str | Path) -> TargetGroup:
    """Read and validate a target-group YAML file.

    Examples
    --------
    >>> from importlib import resources
    >>> tg = load_target_group(resources.files("klynge.cohorts") / "examples" / "frail_elderly_home_care.yaml")
    >>> tg.id, tg.age.min
    ('frail_elderly_home_care', 75)
    """
    path = Path(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetGroupError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TargetGroupError(f"{path.name}: not valid YAML: {exc}") from None
    return parse_target_group(data, path.name)
