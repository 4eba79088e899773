"""Hospital stays and admissions on hand-made contacts, with the expected stays worked out by hand.

Times are Danish local time. Rules under test (eSundhed LPR3): physical contacts (ALCA00) of one
person chain into a stay when they overlap or start at most 4 h after the latest end so far; a
stay of at least 12 h of real elapsed time is an admission; acute = first contact's priority ATA1.
"""

from __future__ import annotations

from typing import Any

import pytest

from klynge.core import STAY_COLUMNS, contact_stay_expr, stays_expr

_TYPES = {
    "start_time": "timestamp", "end_time": "timestamp", "admission_date": "date",
    "discharge_date": "date", "duration_hours": "float", "n_contacts": "int", "acute": "bool",
    "is_admission": "bool", "died_in_stay": "bool", "ongoing": "bool",
}


def stays(tables: Any, contacts: str, persons: str = "", diagnoses: str = "") -> list[dict[str, Any]]:
    """Run ``stays_expr`` on contacts written as text; persons default to everyone, alive."""
    c = tables.canonical("hospital_contact", contacts)
    ids = sorted(set(c.person_id.to_list()))
    p = tables.canonical("person", persons) if persons else tables.canonical(
        "person", rows=[{"person_id": i} for i in ids])
    d = tables.canonical("diagnosis", diagnoses) if diagnoses else None
    return tables.fetch(stays_expr(c, p, d), ["person_id", "start_time"])


def check(tables: Any, actual: list[dict[str, Any]], expected: str) -> None:
    """Compare the columns named in ``expected`` (one row per stay, in person/start order)."""
    want = tables.rows(expected, _TYPES)
    got = [{k: row[k] for k in want[0]} for row in actual]
    assert got == want


def test_overlapping_contacts_form_one_stay(tables: Any) -> None:
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 13:00
        c2         | p1        | 2024-05-01 12:00 | 2024-05-01 21:00
    """)
    check(tables, actual, """
        stay_id | start_time       | end_time         | duration_hours | n_contacts | is_admission
        p1:c1   | 2024-05-01 08:00 | 2024-05-01 21:00 | 13.0           | 2          | true
    """)


@pytest.mark.parametrize(("second_start", "expected_stays"), [
    ("2024-05-01 14:00", ["p1:c1"]),            # gap exactly 4 h: chained
    ("2024-05-01 14:01", ["p1:c1", "p1:c2"]),   # gap 4 h 1 min: a new stay
])
def test_four_hour_gap_rule(tables: Any, second_start: str, expected_stays: list[str]) -> None:
    actual = stays(tables, f"""
        contact_id | person_id | start_time       | end_time
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 10:00
        c2         | p1        | {second_start}   | 2024-05-01 18:00
    """)
    assert [s["stay_id"] for s in actual] == expected_stays


def test_transfer_between_hospitals_is_one_stay(tables: Any) -> None:
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time         | hospital_id | specialty  | branch
        c1         | p1        | 2024-02-10 09:00 | 2024-02-10 15:00 | H1          | emergency  | somatic
        c2         | p1        | 2024-02-10 16:30 | 2024-02-13 11:00 | H2          | cardiology | somatic
    """)
    check(tables, actual, """
        n_contacts | hospital_id | discharge_hospital_id | specialty | discharge_specialty | last_contact_id
        2          | H1          | H2                    | emergency | cardiology          | c2
    """)


def test_long_contact_swallows_later_short_ones(tables: Any) -> None:
    # c3 starts 16 h after c2 ends, but only 2 h after c1 (the running maximum end) ends.
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time
        c1         | p1        | 2024-05-01 08:00 | 2024-05-02 08:00
        c2         | p1        | 2024-05-01 09:00 | 2024-05-01 16:00
        c3         | p1        | 2024-05-02 10:00 | 2024-05-02 12:00
        c4         | p1        | 2024-05-02 16:01 | 2024-05-02 17:00
    """)
    check(tables, actual, """
        stay_id | start_time       | end_time         | n_contacts | last_contact_id
        p1:c1   | 2024-05-01 08:00 | 2024-05-02 12:00 | 3          | c3
        p1:c4   | 2024-05-02 16:01 | 2024-05-02 17:00 | 1          | c4
    """)


def test_stay_across_midnight_gets_local_dates(tables: Any) -> None:
    # 01:30 Danish summer time is 23:30 UTC the day before: dates must be Danish.
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time
        c1         | p1        | 2024-06-30 22:00 | 2024-07-01 01:30
    """)
    check(tables, actual, """
        admission_date | discharge_date | duration_hours | is_admission
        2024-06-30     | 2024-07-01     | 3.5            | false
    """)


@pytest.mark.parametrize(("end", "hours", "admission"), [
    ("2024-05-01 20:00", 12.0, True),            # exactly 12 h is an admission
    ("2024-05-01 19:59", 11 + 59 / 60, False),   # 11 h 59 min is not
])
def test_twelve_hour_admission_threshold(tables: Any, end: str, hours: float, admission: bool) -> None:
    actual = stays(tables, f"""
        contact_id | person_id | start_time       | end_time
        c1         | p1        | 2024-05-01 08:00 | {end}
    """)
    assert actual[0]["is_admission"] is admission
    assert actual[0]["duration_hours"] == pytest.approx(hours, abs=1e-9)


@pytest.mark.parametrize(("start", "end", "hours", "admission"), [
    ("2024-03-31 00:00", "2024-03-31 12:00", 11.0, False),  # spring forward: the clock skips an hour
    ("2024-10-27 00:00", "2024-10-27 11:30", 12.5, True),   # fall back: the clock repeats an hour
])
def test_daylight_saving_counts_real_hours(
    tables: Any, start: str, end: str, hours: float, admission: bool
) -> None:
    actual = stays(tables, f"""
        contact_id | person_id | start_time | end_time
        c1         | p1        | {start}    | {end}
    """)
    assert actual[0]["duration_hours"] == hours
    assert actual[0]["is_admission"] is admission


@pytest.mark.parametrize(("first_end", "second_start", "expected_stays"), [
    # Autumn: 01:30 (+02:00) → 04:31 (+01:00) is 3 h 1 min on the wall clock but 4 h 1 min real.
    ("2024-10-27 01:30", "2024-10-27 04:31", ["p1:c1", "p1:c2"]),
    # Spring: 01:30 → 06:00 is 4 h 30 min on the wall clock but 3 h 30 min real.
    ("2024-03-31 01:30", "2024-03-31 06:00", ["p1:c1"]),
])
def test_gap_across_daylight_saving_counts_real_hours(
    tables: Any, first_end: str, second_start: str, expected_stays: list[str]
) -> None:
    actual = stays(tables, f"""
        contact_id | person_id | start_time                 | end_time
        c1         | p1        | {first_end[:10]} 00:00     | {first_end}
        c2         | p1        | {second_start}             | {second_start[:10]} 07:00
    """)
    assert [s["stay_id"] for s in actual] == expected_stays


def test_virtual_and_home_visit_contacts_are_ignored(tables: Any) -> None:
    # The virtual contact c2 would bridge c1 and c3 (6 h apart) if it counted.
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time         | contact_type
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 09:00 | ALCA00
        c2         | p1        | 2024-05-01 09:30 | 2024-05-01 14:30 | ALCA03
        c3         | p1        | 2024-05-01 15:00 | 2024-05-01 16:00 | ALCA00
        c4         | p2        | 2024-05-01 08:00 | 2024-05-01 22:00 | ALCA10
    """)
    check(tables, actual, """
        stay_id | n_contacts
        p1:c1   | 1
        p1:c3   | 1
    """)


@pytest.mark.parametrize(("first", "second", "acute"), [
    ("ATA1", "ATA3", True), ("ATA3", "ATA1", False),
])
def test_acute_is_the_priority_of_the_first_contact(
    tables: Any, first: str, second: str, acute: bool
) -> None:
    actual = stays(tables, f"""
        contact_id | person_id | start_time       | end_time         | priority
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 10:00 | {first}
        c2         | p1        | 2024-05-01 10:00 | 2024-05-02 10:00 | {second}
    """)
    assert [s["acute"] for s in actual] == [acute]


def test_action_diagnosis_is_that_of_the_first_contact(tables: Any) -> None:
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 10:00
        c2         | p1        | 2024-05-01 10:00 | 2024-05-02 10:00
        c3         | p2        | 2024-05-01 08:00 | 2024-05-01 10:00
        c4         | p2        | 2024-05-01 10:00 | 2024-05-01 12:00
        c5         | p3        | 2024-05-01 08:00 | 2024-05-01 10:00
    """, diagnoses="""
        contact_id | diagnosis_code | diagnosis_type | refuted
        c1         | DI219          | A              | -
        c1         | DE119          | B              | -
        c2         | DJ189          | A              | false
        c3         | DJ449          | A              | true
        c4         | DJ441          | A              | false
        c5         | DJ189          | B              | false
    """)
    # p1: c1's A diagnosis; p2: c3's only A diagnosis is refuted and c4 is not first; p3: only B.
    assert [(s["stay_id"], s["action_diagnosis"]) for s in actual] == [
        ("p1:c1", "DI219"), ("p2:c3", None), ("p3:c5", None)]


def test_different_persons_are_never_chained(tables: Any) -> None:
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 10:00
        c2         | p2        | 2024-05-01 09:00 | 2024-05-01 11:00
    """)
    check(tables, actual, """
        stay_id | person_id | n_contacts
        p1:c1   | p1        | 1
        p2:c2   | p2        | 1
    """)


def test_ongoing_contact_chains_on_its_start_and_marks_the_stay(tables: Any) -> None:
    # c2 is open: chained on its start (11:00); c3 starts 3 h later, c4 in a new stay 5 h after c3.
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time         | hospital_id
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 10:00 | H1
        c2         | p1        | 2024-05-01 11:00 | -                | H2
        c3         | p1        | 2024-05-01 14:00 | 2024-05-01 15:00 | H3
        c4         | p2        | 2024-05-01 08:00 | 2024-05-01 09:00 | H1
    """)
    check(tables, actual, """
        stay_id | end_time         | ongoing | discharge_date | last_contact_id | discharge_hospital_id
        p1:c1   | 2024-05-01 15:00 | true    | -              | c2              | H2
        p2:c4   | 2024-05-01 09:00 | false   | 2024-05-01     | c4              | H1
    """)


def test_ties_are_ordered_by_start_then_end_then_id(tables: Any) -> None:
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time         | priority
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 12:00 | ATA3
        c2         | p1        | 2024-05-01 08:00 | 2024-05-01 09:00 | ATA1
        c4         | p2        | 2024-05-01 08:00 | 2024-05-01 09:00 | ATA1
        c3         | p2        | 2024-05-01 08:00 | 2024-05-01 09:00 | ATA3
    """)
    check(tables, actual, """
        stay_id | first_contact_id | last_contact_id | acute
        p1:c2   | c2               | c1              | true
        p2:c3   | c3               | c4              | false
    """)


def test_died_in_stay_between_admission_and_discharge_date(tables: Any) -> None:
    actual = stays(tables, """
        contact_id | person_id | start_time       | end_time
        c1         | p1        | 2024-05-01 22:00 | 2024-05-02 09:00
        c2         | p2        | 2024-05-01 22:00 | 2024-05-02 09:00
        c3         | p3        | 2024-05-01 22:00 | 2024-05-02 09:00
    """, persons="""
        person_id | death_date
        p1        | 2024-05-02
        p2        | 2024-05-03
        p3        | -
    """)
    assert [s["died_in_stay"] for s in actual] == [True, False, False]


def test_contact_stay_maps_physical_contacts_to_their_stay(tables: Any) -> None:
    c = tables.canonical("hospital_contact", """
        contact_id | person_id | start_time       | end_time         | contact_type
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 09:00 | ALCA00
        c2         | p1        | 2024-05-01 10:00 | 2024-05-01 11:00 | ALCA00
        c3         | p1        | 2024-05-01 10:00 | 2024-05-01 11:00 | ALCA03
        c4         | p1        | 2024-05-02 10:00 | 2024-05-02 11:00 | ALCA00
    """)
    got = tables.fetch(contact_stay_expr(c), "contact_id")
    assert [(r["contact_id"], r["stay_id"]) for r in got] == [
        ("c1", "p1:c1"), ("c2", "p1:c1"), ("c4", "p1:c4")]


def test_stay_columns_and_types(tables: Any) -> None:
    c = tables.canonical("hospital_contact", """
        contact_id | person_id | start_time       | end_time
        c1         | p1        | 2024-05-01 08:00 | 2024-05-01 09:00
    """)
    expr = stays_expr(c, tables.canonical("person", rows=[{"person_id": "p1"}]))
    schema = expr.schema()
    assert tuple(schema.names) == STAY_COLUMNS
    assert schema["duration_hours"].is_floating() and schema["n_contacts"].is_integer()
    assert all(schema[n].is_boolean() for n in ("acute", "is_admission", "died_in_stay", "ongoing"))
    assert schema["discharge_date"].is_date() and schema["start_time"].is_timestamp()
