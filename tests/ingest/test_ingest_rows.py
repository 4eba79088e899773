"""Every kind of bad row is quarantined with its reason, and the good rows are accepted."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from ingest_support import Built, build_into, minimal_rows, stand_in_core

from klynge.contracts import CPR_PATTERN, TABLES


def _pattern(table: str, column: str) -> str | None:
    return TABLES[table].column(column).pattern


# (case, table, the bad row as changes to that table's first row, expected reason)
BAD_ROWS = [
    (
        "wrong type",
        "person",
        {"person_id": "P8", "birth_date": "1950-13-01"},
        "birth_date: not a valid date: '1950-13-01'",
    ),
    ("missing required value", "person", {"person_id": "P9", "sex": ""}, "sex: missing required value"),
    (
        "unknown code",
        "gp_contact",
        {"contact_id": "G7", "kind": "visit"},
        "kind: not an allowed code: 'visit'",
    ),
    (
        "pattern mismatch",
        "diagnosis",
        {"diagnosis_code": "I50"},
        f"diagnosis_code: does not match the pattern {_pattern('diagnosis', 'diagnosis_code')}: 'I50'",
    ),
    (
        "above maximum",
        "municipal_service",
        {"service_id": "S8", "minutes_per_week": "20000"},
        "minutes_per_week: above the maximum 10080: '20000'",
    ),
    (
        "below minimum",
        "municipal_service",
        {"service_id": "S9", "minutes_per_week": "-5"},
        "minutes_per_week: below the minimum 0: '-5'",
    ),
    (
        "end before start",
        "hospital_contact",
        {"contact_id": "C9", "end_time": "2024-02-28 10:00:00"},
        "end_time before start_time",
    ),
    ("strict order", "residence", {"valid_to": "1950-01-01"}, "valid_to not after valid_from"),
    ("unknown person", "prescription", {"person_id": "P99"}, "unknown person_id"),
    ("unknown contact", "diagnosis", {"contact_id": "C99"}, "unknown contact_id"),
    (
        "event before birth",
        "gp_contact",
        {"contact_id": "G8", "person_id": "P2", "contact_date": "1979-01-01"},
        "contact_date: before the person's birth",
    ),
    (
        "event after death",
        "gp_contact",
        {"contact_id": "G9", "person_id": "P3", "contact_date": "2024-07-02"},
        "contact_date: more than 1 day after the person's death",
    ),
    ("unknown municipality", "residence", {"municipality_code": "999"}, "unknown municipality_code"),
]


@pytest.fixture(scope="module")
def bad_rows_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Built, dict[str, int]]:
    """One build of the minimal source plus every bad row of `BAD_ROWS`, and each bad row's number."""
    rows, row_of = minimal_rows(), {}
    for case, table, changes, _ in BAD_ROWS:
        rows[table].append({**rows[table][0], **changes})
        row_of[case] = len(rows[table])
    folder = tmp_path_factory.mktemp("bad_rows")
    with stand_in_core():
        built = build_into(folder / "source", folder / "warehouse", rows)
    return built, row_of


@pytest.mark.parametrize(
    ("case", "table", "reason"), [(c[0], c[1], c[3]) for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS]
)
def test_bad_row_is_quarantined_with_its_reason(
    bad_rows_build: tuple[Built, dict[str, int]], case: str, table: str, reason: str
) -> None:
    built, row_of = bad_rows_build
    assert built.reasons(table)[row_of[case]] == reason
    # The good rows are all accepted, and only the bad rows of this table are quarantined.
    good, bad = len(minimal_rows()[table]), sum(c[1] == table for c in BAD_ROWS)
    counts = built.result.tables[table]
    assert (counts.read, counts.accepted, counts.quarantined) == (good + bad, good, bad)
    assert set(built.reasons(table)) == {row_of[c[0]] for c in BAD_ROWS if c[1] == table}


def test_one_row_can_have_several_reasons(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    rows["gp_contact"].append(
        {
            "contact_id": "G9",
            "person_id": "P99",
            "contact_date": "15-01-2024",
            "kind": "visit",
            "clinic_id": "K 1",
            "provider_id": "",
        }
    )
    built = build(rows)
    assert built.reasons("gp_contact")[3].split("; ") == [
        "contact_date: not a valid date: '15-01-2024'",
        "kind: not an allowed code: 'visit'",
        f"clinic_id: does not match the pattern {_pattern('gp_contact', 'clinic_id')}: 'K 1'",
        "unknown person_id",
    ]


def test_raw_cpr_number_is_quarantined_and_masked(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    rows["person"].append(
        {"person_id": "010150-1234", "birth_date": "1950-01-01", "sex": "F", "death_date": ""}
    )
    rows["residence"].append({**rows["residence"][0], "person_id": "0101501234"})
    built = build(rows)
    assert built.reasons("person") == {4: "person_id: looks like a CPR number: 'XXXXXX-XXXX'"}
    assert built.quarantine("person")[0]["person_id"] == "XXXXXX-XXXX"
    residence = built.quarantine("residence")[0]
    assert residence["person_id"] == "XXXXXXXXXX"
    assert residence["reason"] == "person_id: looks like a CPR number: 'XXXXXXXXXX'; unknown person_id"
    for table in ("person", "residence"):
        for row in built.quarantine(table):
            assert not any(re.search(CPR_PATTERN, str(value)) for value in row.values()), row
    assert "0101501234" not in (built.result.path / "manifest.json").read_text()
    assert built.accepted_ids("person", "person_id") == {"P1", "P2", "P3"}


def test_cpr_number_inside_free_text_is_masked_in_every_column(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    rows["message"] = [
        {
            "message_id": m,
            "person_id": "P1",
            "message_type": "discharge_letter",
            "sender_sector": "hospital",
            "receiver_sector": "gp",
            "sender_id": "U1",
            "receiver_id": "K1",
            "sent_time": "2024-03-03 13:00:00",
            "related_contact_id": "C1",
            "text": text,
        }
        for m, text in (("M1", "Udskrevet i god behandling."), ("M2", "Vedr. 311299-4321: udskrevet"))
    ]
    built = build(rows)
    (quarantined,) = built.quarantine("message")
    assert quarantined["text"] == "Vedr. XXXXXX-XXXX: udskrevet"
    assert quarantined["reason"] == "text: looks like a CPR number: 'Vedr. XXXXXX-XXXX: udskrevet'"
    assert built.accepted_ids("message", "message_id") == {"M1"}


def test_duplicate_key_keeps_the_first_row(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    rows["gp_contact"].append({**rows["gp_contact"][0], "contact_date": "2024-03-31"})
    built = build(rows)
    assert built.reasons("gp_contact") == {3: "duplicate contact_id"}
    dates = {r["contact_id"]: r["contact_date"].isoformat() for r in built.accepted("gp_contact")}
    assert dates == {"G1": "2024-01-15", "G2": "2024-02-20"}


def test_a_damaged_first_copy_does_not_push_out_an_intact_second(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    rows["gp_contact"][0]["kind"] = "visit"
    rows["gp_contact"].append({**rows["gp_contact"][0], "kind": "consultation"})
    built = build(rows)
    assert built.reasons("gp_contact") == {1: "kind: not an allowed code: 'visit'"}
    assert built.accepted_ids("gp_contact", "contact_id") == {"G1", "G2"}


def test_events_up_to_one_danish_day_after_death_are_accepted(build: Callable[..., Built]) -> None:
    # P3 died 2024-06-30. The local (Danish) date of an instant decides: 23:30 UTC on 1 July is
    # 01:30 on 2 July in Copenhagen, more than one day after the death.
    rows = minimal_rows()
    first = rows["hospital_contact"][0]
    rows["hospital_contact"] += [
        {
            **first,
            "contact_id": "C8",
            "person_id": "P3",
            "start_time": "2024-07-01T23:30:00+02:00",
            "end_time": "",
        },
        {
            **first,
            "contact_id": "C9",
            "person_id": "P3",
            "start_time": "2024-07-01T23:30:00Z",
            "end_time": "",
        },
    ]
    rows["gp_contact"].append(
        {**rows["gp_contact"][0], "contact_id": "G9", "person_id": "P3", "contact_date": "2024-07-01"}
    )
    built = build(rows)
    assert built.reasons("hospital_contact") == {4: "start_time: more than 1 day after the person's death"}
    assert built.accepted_ids("hospital_contact", "contact_id") == {"C1", "C2", "C8"}
    assert built.reasons("gp_contact") == {}


def test_rows_of_a_quarantined_person_are_quarantined_too(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    rows["person"][1]["sex"] = "X"
    built = build(rows)
    assert built.reasons("person") == {2: "sex: not an allowed code: 'X'"}
    assert built.reasons("residence") == {2: "unknown person_id"}
    assert built.reasons("gp_contact") == {2: "unknown person_id"}
    assert built.reasons("prescription") == {1: "unknown person_id"}


def test_quarantine_keeps_the_original_text_of_every_column(build: Callable[..., Built]) -> None:
    rows = minimal_rows()
    rows["municipal_service"].append(
        {**rows["municipal_service"][0], "service_id": "S9", "minutes_per_week": " 1e9 ", "end_date": ""}
    )
    built = build(rows)
    (row,) = built.quarantine("municipal_service")
    assert row == {
        **rows["municipal_service"][1],
        "_row": 2,
        "end_date": None,
        "reason": "minutes_per_week: above the maximum 10080: ' 1e9 '",
    }
