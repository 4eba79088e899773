"""CSV files in UTF-8 (with or without byte-order mark) and in Windows-1252 read back exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ingest_support import Built, csv_text, minimal_rows

NAMES = ["Ærø", "Høje-Taastrup", "Brønderslev"]
UNITS = [
    {
        "unit_id": "U1",
        "hospital_id": "H1",
        "hospital_name": "Ærø Sygehus",
        "unit_name": "Medicin, Høje-Taastrup",
        "specialty": "internal_medicine",
        "branch": "somatic",
        "region_code": "1085",
    },
    # Typographic quotes exist in Windows-1252 but not in Latin-1.
    {
        "unit_id": "U2",
        "hospital_id": "H2",
        "hospital_name": "Sygehus “Brønderslev”",
        "unit_name": "Kirurgi; Å",
        "specialty": "surgery",
        "branch": "somatic",
        "region_code": "1081",
    },
]


def _messages() -> list[dict[str, str]]:
    return [
        {
            "message_id": f"M{i}",
            "person_id": "P1",
            "message_type": "care_communication",
            "sender_sector": "municipality",
            "receiver_sector": "gp",
            "sender_id": "M101",
            "receiver_id": "K1",
            "sent_time": "2024-03-05 09:00:00",
            "related_contact_id": "",
            "text": f"Borger flyttet til {name}",
        }
        for i, name in enumerate(NAMES)
    ]


def test_windows_1252_and_utf8_with_bom_read_back_exactly(build: Callable[..., Built]) -> None:
    built = build(
        minimal_rows(),
        files={
            # As Excel on Danish Windows writes it: cp1252, semicolons, CRLF line ends.
            "hospital_unit.csv": csv_text(UNITS, delimiter=";").replace("\n", "\r\n").encode("cp1252"),
            "message.csv": b"\xef\xbb\xbf" + csv_text(_messages()).encode("utf-8"),
        },
    )
    tables = built.result.manifest["tables"]
    assert (tables["hospital_unit"]["encoding"], tables["hospital_unit"]["delimiter"]) == ("cp1252", ";")
    assert (tables["message"]["encoding"], tables["message"]["delimiter"]) == ("utf-8-sig", ",")
    assert built.accepted("hospital_unit", *UNITS[0]) == UNITS
    texts = [r["text"] for r in built.accepted("message", "message_id", "text")]
    assert texts == [f"Borger flyttet til {name}" for name in NAMES]


def test_a_legacy_character_far_down_the_file_is_found(build: Callable[..., Built]) -> None:
    # The first non-ASCII byte comes after 2 MB: sampling the head would call this UTF-8.
    filler = [
        {**UNITS[0], "unit_id": f"X{i}", "hospital_name": "Aalborg", "unit_name": "Medicin"}
        for i in range(40_000)
    ]
    text = csv_text([*filler, UNITS[0]])
    assert text.index("Æ") > 2_000_000
    built = build(minimal_rows(), files={"hospital_unit.csv": text.encode("cp1252")})
    assert built.result.manifest["tables"]["hospital_unit"]["encoding"] == "cp1252"
    (unit,) = [u for u in built.accepted("hospital_unit") if u["unit_id"] == "U1"]
    assert (unit["hospital_name"], unit["unit_name"]) == ("Ærø Sygehus", "Medicin, Høje-Taastrup")


@pytest.mark.parametrize("offset", [0, 1])
def test_a_utf8_character_split_across_read_chunks_stays_utf8(
    build: Callable[..., Built], offset: int
) -> None:
    # Place the two bytes of 'ø' on both sides of the 1 MiB boundary of the streaming check.
    head = csv_text([UNITS[0]]).encode()
    pad = (1 << 20) - len(head) - len(b"U9,H9,") - offset
    row = f"U9,H9,{'a' * pad}ø,Brønderslev,surgery,somatic,1081\n".encode()
    assert (head + row)[(1 << 20) - offset : (1 << 20) - offset + 2] == "ø".encode()
    built = build(minimal_rows(), files={"hospital_unit.csv": head + row})
    assert built.result.manifest["tables"]["hospital_unit"]["encoding"] == "utf-8"
    names = {u["unit_id"]: u["unit_name"] for u in built.accepted("hospital_unit", "unit_id", "unit_name")}
    assert names == {"U1": "Medicin, Høje-Taastrup", "U9": "Brønderslev"}
