"""The council's targets: configuration, and status on track / off track.

A target says: indicator, target value (in the indicator's unit), deadline, direction
(``at_most`` or ``at_least``) and area. Its status rests on the indicator's published quarterly
values for the area (all ages, both sexes):

* **on track** when the latest published value already meets the target, or when the least-
  squares line through the last eight published quarters reaches it by the deadline;
* **off track** otherwise;
* **unknown** with fewer than three published quarters.

The rule is simple on purpose, so that a council can explain it; it is a projection, not a
forecast with uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

DIRECTIONS = ("at_most", "at_least")
WINDOW = 8


@dataclass(frozen=True)
class Target:
    """One goal of the council."""

    id: str
    indicator: str
    target: float
    date: date
    direction: str
    geo: str = "country:DK"
    title: dict[str, str] | None = None

    def met(self, value: float) -> bool:
        return value <= self.target if self.direction == "at_most" else value >= self.target


def load_targets(path: str | Path | None = None, known: set[str] | None = None) -> list[Target]:
    """Read the targets file (default: the packaged ``targets.yaml``) and check every entry.

    Example
    -------
    >>> [t.indicator for t in load_targets()][:2]
    ['preventable_admissions_65', 'readmission_30d']
    """
    if path is None:
        text = resources.files("klynge.web").joinpath("targets.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    raw = yaml.safe_load(text) or {}
    out = []
    for i, entry in enumerate(raw.get("targets", [])):
        missing = [k for k in ("indicator", "target", "date", "direction") if k not in entry]
        if missing:
            raise ValueError(f"target {i + 1}: missing {missing}")
        if entry["direction"] not in DIRECTIONS:
            raise ValueError(f"target {i + 1}: direction must be one of {DIRECTIONS}, got {entry['direction']!r}")
        if known is not None and entry["indicator"] not in known:
            raise ValueError(f"target {i + 1}: unknown indicator {entry['indicator']!r}")
        day = entry["date"] if isinstance(entry["date"], date) else date.fromisoformat(str(entry["date"]))
        out.append(Target(str(entry.get("id", entry["indicator"])), entry["indicator"], float(entry["target"]), day,
                          entry["direction"], str(entry.get("geo", "country:DK")), entry.get("title")))
    ids = [t.id for t in out]
    if len(set(ids)) != len(ids):
        raise ValueError("target ids must be unique")
    return out


def quarter_end(label: str) -> date:
    """Last day of a quarter label '2024-Q2' (or of a year '2024', a month '2024-03')."""
    text = str(label)
    if len(text) == 4:
        return date(int(text), 12, 31)
    if "Q" in text:
        year, q = int(text[:4]), int(text[-1])
        return (pd.Timestamp(year=year, month=3 * q, day=1) + pd.offsets.MonthEnd(0)).date()
    return (pd.Timestamp(text + "-01") + pd.offsets.MonthEnd(0)).date()


def status(target: Target, periods: list[str], values: list[float | None]) -> dict:
    """Status of a target from its published series (None where suppressed).

    Example
    -------
    >>> t = Target("x", "i", 10.0, date(2026, 12, 31), "at_most")
    >>> status(t, ["2025-Q1", "2025-Q2", "2025-Q3"], [14.0, 13.0, 12.0])["status"]
    'on_track'
    >>> status(t, ["2025-Q1", "2025-Q2", "2025-Q3"], [12.0, 13.0, 14.0])["status"]
    'off_track'
    """
    pts = [(quarter_end(p), float(v)) for p, v in zip(periods, values, strict=True) if v is not None]
    result = {"latest": None, "latest_period": None, "projected": None, "projection": [], "status": "unknown"}
    if not pts:
        return result
    latest_day, latest = pts[-1]
    result["latest"], result["latest_period"] = latest, [p for p, v in zip(periods, values, strict=True)
                                                        if v is not None][-1]
    if len(pts) < 3:
        return result
    recent = pts[-WINDOW:]
    x = np.array([(d - recent[0][0]).days for d, _ in recent], dtype=float)
    y = np.array([v for _, v in recent])
    slope, intercept = np.polyfit(x, y, 1)
    at = float((target.date - recent[0][0]).days)
    projected = float(intercept + slope * at)
    result["projected"] = projected
    result["projection"] = [{"date": latest_day.isoformat(), "value": float(intercept + slope * x[-1])},
                            {"date": target.date.isoformat(), "value": projected}]
    result["status"] = "on_track" if target.met(latest) or target.met(projected) else "off_track"
    return result
