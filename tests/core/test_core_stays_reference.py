"""Stays on random contacts agree with a plain-Python reference of the eSundhed LPR3 rules."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

import pytest

from klynge.core import stays_expr

UTC = dt.UTC
MAX_GAP = dt.timedelta(hours=4)
# Around both daylight-saving changes of 2024 in Denmark, so real and wall-clock hours differ.
BASES = (dt.datetime(2024, 3, 30, 12, tzinfo=UTC), dt.datetime(2024, 10, 26, 12, tzinfo=UTC))


def random_contacts(seed: int, persons: int = 40) -> list[dict[str, Any]]:
    """Contacts with many near-4 h gaps, overlaps, open ends and virtual contacts."""
    rng = random.Random(seed)
    rows = []
    for p in range(persons):
        t = rng.choice(BASES) + dt.timedelta(minutes=rng.randrange(0, 600))
        for k in range(rng.randrange(1, 12)):
            length = dt.timedelta(minutes=rng.choice([0, 30, 90, 300, 719, 720, 721, 1500]))
            open_end = rng.random() < 0.05
            rows.append({
                "contact_id": f"c{p:02d}_{k:02d}", "person_id": f"p{p:02d}", "start_time": t,
                "end_time": None if open_end else t + length,
                "contact_type": "ALCA03" if rng.random() < 0.1 else "ALCA00",
                "priority": rng.choice(["ATA1", "ATA3"]),
            })
            step = rng.choice([-120, 0, 60, 239, 240, 241, 600]) + length.total_seconds() / 60
            t += dt.timedelta(minutes=max(step, 0))
    return rows


def reference_stays(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chain each person's physical contacts against the running maximum end (UTC arithmetic)."""
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in contacts:
        if c["contact_type"] == "ALCA00":
            by_person[c["person_id"]].append({**c, "end": c["end_time"] or c["start_time"]})
    result = []
    for person, cs in sorted(by_person.items()):
        cs.sort(key=lambda c: (c["start_time"], c["end"], c["contact_id"]))
        groups: list[list[dict[str, Any]]] = []
        latest = None
        for c in cs:
            if latest is None or c["start_time"] - latest > MAX_GAP:
                groups.append([])
                latest = c["end"]
            groups[-1].append(c)
            latest = max(latest, c["end"])
        for g in groups:
            start, end = g[0]["start_time"], max(c["end"] for c in g)
            last = max(g, key=lambda c: (c["end_time"] is None, c["end"], c["start_time"], c["contact_id"]))
            result.append({
                "stay_id": f"{person}:{g[0]['contact_id']}", "start_time": start, "end_time": end,
                "n_contacts": len(g), "is_admission": end - start >= dt.timedelta(hours=12),
                "acute": g[0]["priority"] == "ATA1", "ongoing": any(c["end_time"] is None for c in g),
                "last_contact_id": last["contact_id"],
            })
    return result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stays_match_python_reference(tables: Any, seed: int) -> None:
    rows = random_contacts(seed)
    contacts = tables.canonical("hospital_contact", rows=rows)
    persons = tables.canonical("person", rows=[{"person_id": p} for p in {r["person_id"] for r in rows}])
    expected = reference_stays(rows)
    got = tables.fetch(stays_expr(contacts, persons), "stay_id")
    assert [{k: g[k] for k in expected[0]} for g in got] == sorted(expected, key=lambda s: s["stay_id"])
    assert len(expected) > 100 and any(s["ongoing"] for s in expected)
