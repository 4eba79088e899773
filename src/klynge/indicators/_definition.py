"""The typed model of an indicator definition file (`catalogue/<id>/indicator.yaml`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Text(BaseModel):
    """A text in Danish and English."""

    model_config = ConfigDict(extra="forbid")
    da: str
    en: str


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    url: str | None = None
    reference: str | None = Field(None, description="Section of the domain reference, e.g. '§2.4'.")


class PersonTime(BaseModel):
    """Denominator: person-years of residents, optionally of an age range or with a condition."""

    model_config = ConfigDict(extra="forbid")
    min_age: int | None = None
    max_age: int | None = None
    condition: str | None = None


class Definition(BaseModel):
    """One indicator. The numerator and the population are computed by `logic.py` beside the file
    (the unit rows: one per index event or event); the family turns units into rates."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: Text
    description: Text
    source: Source
    family: Literal["proportion", "rate", "mean"]
    population: Text
    event: Text
    exclusions: list[Text] = []
    window: str | None = None
    unit: Text
    multiplier: float = 1.0
    better: Literal["lower", "higher", "neither"]
    breakdowns: list[Literal["geography", "sex", "age_group"]] = ["geography", "sex", "age_group"]
    periods: list[Literal["month", "quarter", "year"]] = Field(
        ["month", "quarter", "year"], description="Period types published (an annual measure: [year]).")
    min_age: int | None = Field(None, description="Units of persons younger than this at the unit date are left out.")
    max_age: int | None = None
    person_time: PersonTime | None = Field(None, description="Rate family: the denominator.")
    numerator_is_count: bool = True
    standardise: bool = True
    codelists: list[str] = []
    logic: str = Field("logic.py", description="Module beside the file, or '<other_id>' to reuse its logic.")
    params: dict[str, float | int | str | list[str]] = {}
    approximation: str | None = Field(None, description="Where and how we depart from the national definition.")

    @model_validator(mode="after")
    def _rate_needs_person_time(self) -> Definition:
        if self.family == "rate" and self.person_time is None:
            raise ValueError(f"{self.id}: the rate family needs `person_time` (its denominator)")
        if self.family != "rate" and self.person_time is not None:
            raise ValueError(f"{self.id}: `person_time` is only for the rate family")
        return self


def load_definition(path: Path) -> Definition:
    """Read and validate one `indicator.yaml`; errors name the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Definition.model_validate(data)
    except Exception as exc:  # pydantic and YAML errors alike
        raise ValueError(f"{path}: {exc}") from exc
