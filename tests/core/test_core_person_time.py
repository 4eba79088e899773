"""Person-time by month × municipality × sex × 5-year age band, on hand-made and random persons.

Rules under test: a person counts on a day when alive (birth inclusive, death exclusive) and
resident (valid_from inclusive, valid_to exclusive); age is completed years, and a person born
on 29 February turns a year older on 1 March in years without 29 February.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

import pytest

from klynge.core import PERSON_TIME_COLUMNS, months_table, person_time_expr

_TYPES = {"month": "date", "age_band_start": "int", "person_days": "int", "persons": "int"}
_ORDER = ["month", "municipality_code", "sex", "age_band_start"]


def person_time(tables: Any, persons: str, residence: str, start: str, end: str) -> list[dict[str, Any]]:
    """Run ``person_time_expr`` on persons and residence written as text."""
    expr = person_time_expr(tables.canonical("person", persons), tables.canonical("residence", residence),
                            dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    return tables.fetch(expr, _ORDER)


def check(tables: Any, actual: list[dict[str, Any]], expected: str) -> None:
    """Compare the columns named in ``expected``, row by row in cell order."""
    want = tables.rows(expected, _TYPES)
    assert [{k: row[k] for k in want[0]} for row in actual] == want


def test_birthday_mid_month_splits_across_age_bands(tables: Any) -> None:
    # Turns 5 on 15 June 2024: 1-14 June at 4 years, 15-30 June at 5.
    actual = person_time(tables, """
        person_id | birth_date | sex
        p1        | 2019-06-15 | M
    """, """
        person_id | municipality_code | valid_from
        p1        | 101               | 2019-06-15
    """, "2024-06-01", "2024-06-30")
    check(tables, actual, """
        month      | municipality_code | sex | age_band | age_band_start | person_days | persons
        2024-06-01 | 101               | M   | 0-4      | 0              | 14          | 1
        2024-06-01 | 101               | M   | 5-9      | 5              | 16          | 1
    """)
    assert [r["person_years"] for r in actual] == [14 / 365.25, 16 / 365.25]


def test_birthday_on_the_first_day_of_a_piece(tables: Any) -> None:
    # p1 turns 5 on 1 July; p2 moves to 147 on his 5th birthday, 15 June.
    actual = person_time(tables, """
        person_id | birth_date | sex
        p1        | 2019-07-01 | M
        p2        | 2019-06-15 | M
    """, """
        person_id | municipality_code | valid_from | valid_to
        p1        | 101               | 2019-07-01 | -
        p2        | 101               | 2019-06-15 | 2024-06-15
        p2        | 147               | 2024-06-15 | -
    """, "2024-06-01", "2024-07-31")
    check(tables, actual, """
        month      | municipality_code | age_band | person_days | persons
        2024-06-01 | 101               | 0-4      | 44          | 2
        2024-06-01 | 147               | 5-9      | 16          | 1
        2024-07-01 | 101               | 5-9      | 31          | 1
        2024-07-01 | 147               | 5-9      | 31          | 1
    """)


def test_move_between_municipalities_mid_month(tables: Any) -> None:
    # Moves on 10 March: 1-9 March in 101, 10-31 March in 147; back in 101 from 25 April.
    actual = person_time(tables, """
        person_id | birth_date
        p1        | 1980-01-01
    """, """
        person_id | municipality_code | valid_from | valid_to
        p1        | 101               | 2000-01-01 | 2024-03-10
        p1        | 147               | 2024-03-10 | 2024-04-25
        p1        | 101               | 2024-04-25 | -
    """, "2024-03-01", "2024-04-30")
    check(tables, actual, """
        month      | municipality_code | age_band | person_days | persons
        2024-03-01 | 101               | 40-44    | 9           | 1
        2024-03-01 | 147               | 40-44    | 22          | 1
        2024-04-01 | 101               | 40-44    | 6           | 1
        2024-04-01 | 147               | 40-44    | 24          | 1
    """)


def test_death_mid_month_ends_person_time(tables: Any) -> None:
    # Dies on 20 May: alive 1-19 May (the death day is excluded), nothing in June.
    actual = person_time(tables, """
        person_id | birth_date | death_date
        p1        | 1940-08-01 | 2024-05-20
    """, """
        person_id | municipality_code | valid_from
        p1        | 101               | 1990-01-01
    """, "2024-05-01", "2024-06-30")
    check(tables, actual, """
        month      | age_band | person_days
        2024-05-01 | 80-84    | 19
    """)


def test_leap_day_birth_turns_older_on_1_march_in_common_years(tables: Any) -> None:
    # p1 turns 20 on 29 Feb 2024 (a leap year); p2 turns 15 on 1 Mar 2023 (no 29 Feb in 2023).
    actual = person_time(tables, """
        person_id | birth_date
        p1        | 2004-02-29
        p2        | 2008-02-29
    """, """
        person_id | municipality_code | valid_from
        p1        | 101               | 2004-02-29
        p2        | 147               | 2008-02-29
    """, "2023-02-01", "2024-03-31")
    feb_mar = [r for r in actual if r["month"].month in (2, 3)]
    assert [(str(r["month"]), r["municipality_code"], r["age_band"], r["person_days"]) for r in feb_mar] == [
        ("2023-02-01", "101", "15-19", 28), ("2023-02-01", "147", "10-14", 28),
        ("2023-03-01", "101", "15-19", 31), ("2023-03-01", "147", "15-19", 31),
        ("2024-02-01", "101", "15-19", 28), ("2024-02-01", "101", "20-24", 1),
        ("2024-02-01", "147", "15-19", 29),
        ("2024-03-01", "101", "20-24", 31), ("2024-03-01", "147", "15-19", 31),
    ]


def test_open_band_period_clipping_and_distinct_persons(tables: Any) -> None:
    # p1 is 99 (95+); p2 is born on 10 Jan; p3 leaves 101 and comes back within the month.
    actual = person_time(tables, """
        person_id | birth_date | sex
        p1        | 1925-03-01 | F
        p2        | 2024-01-10 | F
        p3        | 1999-12-31 | F
    """, """
        person_id | municipality_code | valid_from | valid_to
        p1        | 101               | 1950-01-01 | -
        p2        | 101               | 2024-01-10 | -
        p3        | 101               | 2020-01-01 | 2024-01-20
        p3        | 147               | 2024-01-20 | 2024-01-25
        p3        | 101               | 2024-01-25 | -
    """, "2024-01-05", "2024-01-31")
    check(tables, actual, """
        month      | municipality_code | age_band | age_band_start | person_days | persons
        2024-01-01 | 101               | 0-4      | 0              | 22          | 1
        2024-01-01 | 101               | 20-24    | 20             | 22          | 1
        2024-01-01 | 101               | 95+      | 95             | 27          | 1
        2024-01-01 | 147               | 20-24    | 20             | 5           | 1
    """)


def test_back_in_a_municipality_in_a_new_age_band_counts_as_a_person(tables: Any) -> None:
    # Turns 5 on 12 June in 147, between two stays in 101: one person in each 101 cell of June.
    actual = person_time(tables, """
        person_id | birth_date
        p1        | 2019-06-12
    """, """
        person_id | municipality_code | valid_from | valid_to
        p1        | 101               | 2019-06-12 | 2024-06-11
        p1        | 147               | 2024-06-11 | 2024-06-20
        p1        | 101               | 2024-06-20 | -
    """, "2024-06-01", "2024-06-30")
    check(tables, actual, """
        municipality_code | age_band | person_days | persons
        101               | 0-4      | 10          | 1
        101               | 5-9      | 11          | 1
        147               | 0-4      | 1           | 1
        147               | 5-9      | 8           | 1
    """)


def test_columns_and_types(tables: Any) -> None:
    expr = person_time_expr(tables.canonical("person"), tables.canonical("residence"),
                            dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    schema = expr.schema()
    assert tuple(schema.names) == PERSON_TIME_COLUMNS
    assert schema["month"].is_date() and schema["person_years"].is_floating()
    assert all(schema[n].is_integer() for n in ("age_band_start", "person_days", "persons"))


def test_months_table_rejects_reversed_period() -> None:
    with pytest.raises(ValueError, match="before"):
        months_table(dt.date(2024, 2, 1), dt.date(2024, 1, 31))


def _random_population(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Persons of all ages (some born on 29 Feb, some dead) with 1-3 residence spans each."""
    rng = random.Random(seed)
    persons, residence = [], []
    for i in range(80):
        birth = dt.date(1920, 1, 1) + dt.timedelta(days=rng.randrange(0, 38_000))
        if i % 10 == 0:
            birth = dt.date(rng.choice([1960, 1996, 2004, 2020]), 2, 29)
        elif i % 10 == 1:  # a birthday on the first day of a month piece
            birth = birth.replace(day=1)
        death = birth + dt.timedelta(days=rng.randrange(0, 40_000)) if rng.random() < 0.3 else None
        persons.append({"person_id": f"p{i}", "birth_date": birth, "death_date": death,
                        "sex": rng.choice(["F", "M"])})
        start = birth - dt.timedelta(days=rng.randrange(-30_000, 400))
        for k in range(rng.randrange(1, 4)):
            end = start + dt.timedelta(days=rng.randrange(1, 9_000)) if k < 2 else None
            residence.append({"person_id": f"p{i}", "municipality_code": rng.choice(["101", "147", "151"]),
                              "valid_from": start, "valid_to": end})
            if end is None:
                break
            start = end + dt.timedelta(days=rng.choice([0, 0, 3]))
    return persons, residence


def _reference(persons: list[dict[str, Any]], residence: list[dict[str, Any]],
               start: dt.date, end: dt.date) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Person-days and distinct persons per cell, by walking every day of the period."""
    born = {p["person_id"]: p for p in persons}
    days: dict[tuple[Any, ...], int] = defaultdict(int)
    who: dict[tuple[Any, ...], set[str]] = defaultdict(set)
    for r in residence:
        p = born[r["person_id"]]
        d = start
        while d <= end:
            alive = p["birth_date"] <= d and (p["death_date"] is None or d < p["death_date"])
            if alive and r["valid_from"] <= d and (r["valid_to"] is None or d < r["valid_to"]):
                b = p["birth_date"]
                age = d.year - b.year - ((d.month, d.day) < (b.month, b.day))
                cell = (d.replace(day=1), r["municipality_code"], p["sex"], min(age // 5 * 5, 95))
                days[cell] += 1
                who[cell].add(p["person_id"])
            d += dt.timedelta(days=1)
    return {cell: (n, len(who[cell])) for cell, n in days.items()}


@pytest.mark.parametrize("seed", [7, 8])
def test_person_days_match_a_day_by_day_count(tables: Any, seed: int) -> None:
    persons, residence = _random_population(seed)
    start, end = dt.date(2019, 11, 15), dt.date(2024, 3, 10)
    expr = person_time_expr(tables.canonical("person", rows=persons),
                            tables.canonical("residence", rows=residence), start, end)
    got = {tuple(r[k] for k in _ORDER): (r["person_days"], r["persons"]) for r in tables.fetch(expr, _ORDER)}
    expected = _reference(persons, residence, start, end)
    assert sum(n for n, _ in got.values()) == sum(n for n, _ in expected.values()) > 10_000
    assert got == expected
