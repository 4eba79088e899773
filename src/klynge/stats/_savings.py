"""Gain sharing: savings against an age-sex adjusted, trended baseline, split as agreed."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

SHARE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SavingsAgreement:
    """The terms of a gain-sharing agreement.

    Attributes
    ----------
    parties
        Each party's share of the shared savings (e.g. ``{"Region": 0.5, "Kommune A": 0.3,
        "Kommune B": 0.2}``); shares are between 0 and 1 and sum to 1.
    sharing_rate
        Fraction of the gross savings that is shared between the parties (0-1).
    minimum_savings_rate
        Savings below this fraction of the benchmark are treated as noise and not shared (0-1).
    annual_trend
        Yearly growth of cost per citizen applied to the baseline, e.g. 0.02 for 2 % a year.
    first_dollar
        Once the minimum is met, share all savings (True, default) or only the savings above the
        minimum (False).
    currency
        Label for amounts in explanations.
    """

    parties: Mapping[str, float]
    sharing_rate: float
    minimum_savings_rate: float = 0.0
    annual_trend: float = 0.0
    first_dollar: bool = True
    currency: str = "DKK"

    def __post_init__(self) -> None:
        if not self.parties:
            raise ValueError("the agreement must name at least one party")
        for name, share in self.parties.items():
            _check_fraction(share, f"share of {name!r}")
        total = sum(self.parties.values())
        if abs(total - 1) > SHARE_TOLERANCE:
            raise ValueError(f"party shares must sum to 1, got {total:g}")
        _check_fraction(self.sharing_rate, "sharing_rate")
        _check_fraction(self.minimum_savings_rate, "minimum_savings_rate")
        if not math.isfinite(self.annual_trend) or self.annual_trend <= -1:
            raise ValueError(f"annual_trend must be a number above -1, got {self.annual_trend!r}")

    @classmethod
    def from_dict(cls, terms: Mapping[str, Any]) -> SavingsAgreement:
        """Build an agreement from a mapping (``msr`` and ``trend`` are accepted as short names)."""
        aliases = {"msr": "minimum_savings_rate", "trend": "annual_trend"}
        known = {
            "parties",
            "sharing_rate",
            "minimum_savings_rate",
            "annual_trend",
            "first_dollar",
            "currency",
        }
        values = {aliases.get(key, key): value for key, value in terms.items()}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown agreement keys: {', '.join(sorted(unknown))}")
        if "parties" not in values or "sharing_rate" not in values:
            raise ValueError("an agreement needs 'parties' and 'sharing_rate'")
        parties = {str(name): float(share) for name, share in dict(values.pop("parties")).items()}
        return cls(parties=parties, **values)

    @classmethod
    def load(cls, source: SavingsAgreement | Mapping[str, Any] | str | Path) -> SavingsAgreement:
        """Read an agreement from a dict, or a ``.yaml`` / ``.yml`` / ``.toml`` file."""
        if isinstance(source, SavingsAgreement):
            return source
        if isinstance(source, Mapping):
            return cls.from_dict(source)
        path = Path(source)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".toml":
            return cls.from_dict(tomllib.loads(text))
        if path.suffix.lower() in (".yaml", ".yml"):
            return cls.from_dict(yaml.safe_load(text))
        raise ValueError(f"agreement file must be .yaml, .yml or .toml, got {path.name!r}")


def _check_fraction(value: float, name: str) -> None:
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number from 0 to 1, got {value!r}")


# Step key -> English label, Danish label, kind of number.
STEP_LABELS = {
    "baseline_per_citizen": ("Baseline cost per citizen", "Basisudgift pr. borger", "money"),
    "adjusted_per_citizen": (
        "Age-sex adjusted baseline per citizen",
        "Alders- og kønsjusteret basisudgift pr. borger",
        "money",
    ),
    "trend_factor": ("Trend factor", "Fremskrivningsfaktor", "factor"),
    "benchmark_per_citizen": ("Benchmark cost per citizen", "Benchmark pr. borger", "money"),
    "citizens": ("Citizens this period", "Borgere i perioden", "count"),
    "benchmark_total": ("Benchmark total", "Benchmark i alt", "money"),
    "actual_total": ("Actual cost", "Faktisk udgift", "money"),
    "gross_savings": ("Gross savings", "Bruttobesparelse", "money"),
    "savings_rate": ("Savings rate", "Besparelsesrate", "rate"),
    "minimum_savings_rate": ("Minimum savings rate", "Minimumsbesparelse", "rate"),
    "sharable_savings": ("Savings eligible for sharing", "Besparelse til deling", "money"),
    "shared_pool": ("Shared pool", "Pulje til deling", "money"),
}


@dataclass(frozen=True)
class Step:
    """One step of the calculation, with its English and Danish labels."""

    key: str
    label: str
    label_da: str
    value: float
    kind: str  # "money", "rate", "factor" or "count"
    text: str


@dataclass(frozen=True)
class SharedSavings:
    """The result of :func:`shared_savings`: every step, in numbers and words.

    Attributes
    ----------
    benchmark_per_citizen, actual_per_citizen
        Expected (age-sex adjusted and trended) and actual cost per citizen.
    gross_savings, savings_rate
        Benchmark total minus actual total, and that as a fraction of the benchmark.
    minimum_met
        Whether the savings rate reached the minimum savings rate.
    shared_pool
        Amount split between the parties.
    party_amounts
        Each party's amount.
    steps
        The calculation, step by step (see :meth:`explain` and :meth:`table`).
    """

    benchmark_per_citizen: float
    actual_per_citizen: float
    gross_savings: float
    savings_rate: float
    minimum_met: bool
    shared_pool: float
    party_amounts: Mapping[str, float]
    agreement: SavingsAgreement = field(repr=False)
    steps: tuple[Step, ...] = field(repr=False, default=())

    def table(self, danish_labels: bool = False) -> pd.DataFrame:
        """Return the steps as a table: ``step``, ``label``, ``value`` and ``explanation``."""
        return pd.DataFrame(
            {
                "step": [step.key for step in self.steps],
                "label": [step.label_da if danish_labels else step.label for step in self.steps],
                "value": [step.value for step in self.steps],
                "explanation": [step.text for step in self.steps],
            }
        )

    def explain(self, danish_labels: bool = False) -> str:
        """Explain the calculation in English, one numbered step a line.

        Parameters
        ----------
        danish_labels
            Add each step's Danish label in parentheses.
        """
        lines = []
        for number, step in enumerate(self.steps, start=1):
            label = f"{step.label} ({step.label_da})" if danish_labels else step.label
            lines.append(
                f"{number}. {label}: {_format(step.value, step.kind, self.agreement.currency)}. {step.text}"
            )
        return "\n".join(lines)


def _step(key: str, value: float, text: str) -> Step:
    """Build the step ``key`` with its labels from ``STEP_LABELS``."""
    label, label_da, kind = STEP_LABELS[key]
    return Step(key, label, label_da, value, kind, text)


def _format(value: float, kind: str, currency: str) -> str:
    if kind == "money":
        return f"{currency} {value:,.2f}"
    if kind == "rate":
        return f"{value:.2%}"
    if kind == "factor":
        return f"{value:.4f}"
    return f"{value:,.0f}"


def _strata_table(frame: pd.DataFrame, stratum: str, persons: str, cost: str, name: str) -> pd.DataFrame:
    """Persons and cost per stratum, checked and summed over duplicate strata rows."""
    absent = [column for column in (stratum, persons, cost) if column not in frame.columns]
    if absent:
        raise ValueError(f"{name} lacks columns: {', '.join(absent)}")
    table = frame.groupby(stratum)[[persons, cost]].sum()
    if (table < 0).any().any() or table.isna().any().any():
        raise ValueError(f"{name} persons and cost must be numbers >= 0")
    return table.rename(columns={persons: "persons", cost: "cost"})


def shared_savings(
    baseline: pd.DataFrame,
    actual: pd.DataFrame,
    agreement: SavingsAgreement | Mapping[str, Any] | str | Path,
    years: float = 1.0,
    stratum: str = "stratum",
    persons: str = "persons",
    cost: str = "cost",
) -> SharedSavings:
    """Gain sharing between partners (e.g. a region and its municipalities) under an agreement.

    Parameters
    ----------
    baseline
        Baseline period: one row per age-sex stratum with citizens (or citizen-years) and cost.
    actual
        Performance period, same columns; every stratum must also be in ``baseline``.
    agreement
        A :class:`SavingsAgreement`, a dict with its fields, or a YAML / TOML file holding them
        (``parties``, ``sharing_rate``, ``msr``, ``trend``, optionally ``first_dollar``,
        ``currency``).
    years
        Years from the baseline to the performance period, for the trend.
    stratum, persons, cost
        Column names in ``baseline`` and ``actual``.

    Returns
    -------
    SharedSavings
        Amounts per party and each step of the calculation (``.explain()``, ``.table()``).

    Notes
    -----
    1. Baseline cost per citizen in each stratum = baseline cost / baseline citizens.
    2. Age-sex adjustment (indirect standardisation): the benchmark applies each stratum's
       baseline cost per citizen to the performance period's citizens in that stratum.
    3. Trend: the adjusted cost per citizen grows by ``(1 + annual_trend) ** years``.
    4. Gross savings = benchmark total - actual total; savings rate = gross savings / benchmark.
    5. Below the minimum savings rate (or with no savings) nothing is shared; losses are not
       shared (one-sided agreement).
    6. Shared pool = sharing rate x savings (all savings, or only those above the minimum when
       ``first_dollar`` is False); each party gets its share of the pool.

    Examples
    --------
    >>> import pandas as pd
    >>> baseline = pd.DataFrame({"stratum": ["65-79", "80+"], "persons": [8000, 2000],
    ...                          "cost": [80_000_000, 60_000_000]})
    >>> actual = pd.DataFrame({"stratum": ["65-79", "80+"], "persons": [8000, 2500],
    ...                        "cost": [78_000_000, 70_000_000]})
    >>> terms = {"parties": {"Region": 0.6, "Kommune": 0.4}, "sharing_rate": 0.5,
    ...          "msr": 0.02, "trend": 0.0}
    >>> result = shared_savings(baseline, actual, terms)
    >>> round(result.gross_savings), {k: round(v) for k, v in result.party_amounts.items()}
    (7000000, {'Region': 2100000, 'Kommune': 1400000})
    """
    terms = SavingsAgreement.load(agreement)
    if not math.isfinite(years) or years < 0:
        raise ValueError(f"years must be a number >= 0, got {years!r}")
    base = _strata_table(baseline, stratum, persons, cost, "baseline")
    now = _strata_table(actual, stratum, persons, cost, "actual")
    unknown = now.index.difference(base.index)
    if len(unknown):
        raise ValueError(f"strata without a baseline: {', '.join(map(str, unknown))}")
    if (base.loc[now.index, "persons"] == 0).any():
        raise ValueError("a stratum has no baseline citizens, so no baseline cost per citizen")
    citizens = float(now["persons"].sum())
    if citizens <= 0 or base["persons"].sum() <= 0:
        raise ValueError("baseline and actual need citizens")
    return _calculate(base, now, citizens, terms, years)


def _calculate(
    base: pd.DataFrame, now: pd.DataFrame, citizens: float, terms: SavingsAgreement, years: float
) -> SharedSavings:
    """Run steps 1-6 of :func:`shared_savings` and record each."""
    per_citizen = base["cost"] / base["persons"]
    crude_baseline = float(base["cost"].sum() / base["persons"].sum())
    adjusted = float((per_citizen.loc[now.index] * now["persons"]).sum() / citizens)
    factor = (1 + terms.annual_trend) ** years
    benchmark = adjusted * factor
    benchmark_total = benchmark * citizens
    actual_total = float(now["cost"].sum())
    gross = benchmark_total - actual_total
    rate = gross / benchmark_total if benchmark_total > 0 else 0.0
    minimum_met = gross > 0 and rate >= terms.minimum_savings_rate
    sharable = 0.0
    if minimum_met:
        sharable = gross if terms.first_dollar else gross - terms.minimum_savings_rate * benchmark_total
    pool = sharable * terms.sharing_rate
    amounts = {name: pool * share for name, share in terms.parties.items()}
    not_shared = gross - pool if gross > 0 else 0.0
    steps = [
        _step(
            "baseline_per_citizen",
            crude_baseline,
            "Baseline period cost divided by its citizens, before adjustment.",
        ),
        _step(
            "adjusted_per_citizen",
            adjusted,
            "Each stratum's baseline cost per citizen applied to this period's citizens in that stratum.",
        ),
        _step("trend_factor", factor, f"(1 + {terms.annual_trend:.2%}) raised to {years:g} year(s)."),
        _step("benchmark_per_citizen", benchmark, "Adjusted baseline times the trend factor."),
        _step("citizens", citizens, "Citizens in the performance period."),
        _step("benchmark_total", benchmark_total, "Benchmark per citizen times citizens."),
        _step(
            "actual_total",
            actual_total,
            f"Actual cost in the period ({terms.currency} {actual_total / citizens:,.2f} per citizen).",
        ),
        _step(
            "gross_savings",
            gross,
            "Benchmark total minus actual cost (negative: a loss, which is not shared).",
        ),
        _step("savings_rate", rate, "Gross savings as a share of the benchmark."),
        _step(
            "minimum_savings_rate",
            terms.minimum_savings_rate,
            "Met: savings are shared." if minimum_met else "Not met: nothing is shared.",
        ),
        _step(
            "sharable_savings",
            sharable,
            "All savings once the minimum is met."
            if terms.first_dollar
            else "Savings above the minimum only.",
        ),
        _step(
            "shared_pool",
            pool,
            f"Eligible savings times the sharing rate of {terms.sharing_rate:.0%}; "
            f"{terms.currency} {not_shared:,.2f} of the savings is not shared.",
        ),
    ]
    steps += [
        Step(
            f"party:{name}",
            f"Share to {name}",
            f"Andel til {name}",
            amounts[name],
            "money",
            f"{share:.0%} of the shared pool.",
        )
        for name, share in terms.parties.items()
    ]
    return SharedSavings(
        benchmark_per_citizen=benchmark,
        actual_per_citizen=actual_total / citizens,
        gross_savings=gross,
        savings_rate=rate,
        minimum_met=minimum_met,
        shared_pool=pool,
        party_amounts=amounts,
        agreement=terms,
        steps=tuple(steps),
    )
