"""The LPR3 reader on small hand-made extracts: exact canonical rows, every malformed case,
and the reconciliation read = mapped + quarantined + out of scope."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lpr3_support import UNITS, read, write

from klynge.identity import Pseudonymiser
from klynge.ingest import BuildError
from klynge.readers import TimeError, lpr3_values
from klynge.readers.lpr3_files import table_name

KONTAKTER = """
dw_ek_kontakt;cpr_encrypted;dato_start;tidspunkt_start;dato_slut;tidspunkt_slut;kontakttype;prioritet;kontaktaarsag;sorenhed_ans;lprindberetningssystem
1001;PSEUDO01;2024-03-01;09:30;2024-03-02;11:00:15;ALCA00;ATA1;ALCC01;U1;LPR3
1002;PSEUDO02;2024-07-15;23:10:00;;;ALCA03;ATA3;;U2;LPR3
"""


def _contact(**changes: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "contact_id": "1001", "person_id": "PSEUDO01", "start_time": "2024-03-01T08:30:00+00:00",
        "end_time": "2024-03-02T10:00:15+00:00", "contact_type": "ALCA00", "priority": "ATA1",
        "contact_reason": "ALCC01", "hospital_id": "H1", "unit_id": "U1", "specialty": "emergency",
        "branch": "somatic", "source_record": "kontakter.csv:2",
    }
    row.update(changes)
    return row


def test_well_formed_extract_maps_cell_by_cell(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {
        "kontakter.csv": KONTAKTER,
        "hospital_unit.csv": UNITS,
        "diagnoser.csv": """
            dw_ek_kontakt;diagnosekode;diagnosetype;senere_afkraeftet
            1001;DI500;A;Nej
            1001;DE119;B;Ja
            1002;DF200;A;
        """,
        "procedurer_kirurgi.csv": """
            dw_ek_kontakt;procedurekode;dato_start;tidspunkt_start
            1001;KFNG02;2024-03-01;10:15
        """,
        "procedurer_andre.csv": """
            dw_ek_kontakt,procedurekode,dato_start,tidspunkt_start
            1002,BVAA33A,,
        """,
    })
    got = read(source, tmp_path)
    assert got.staged["hospital_contact"] == [
        _contact(),
        # 23:10 in July is summer time (+02:00); an empty end is an ongoing contact.
        _contact(contact_id="1002", person_id="PSEUDO02", start_time="2024-07-15T21:10:00+00:00", end_time=None,
                 contact_type="ALCA03", priority="ATA3", contact_reason=None, unit_id="U2",
                 specialty="psychiatry", branch="psychiatric", source_record="kontakter.csv:3"),
    ]
    assert got.staged["diagnosis"] == [
        {"contact_id": "1001", "diagnosis_code": "DI500", "diagnosis_type": "A", "refuted": "false",
         "source_system": "SKS", "source_code": "DI500", "source_record": "diagnoser.csv:2"},
        {"contact_id": "1001", "diagnosis_code": "DE119", "diagnosis_type": "B", "refuted": "true",
         "source_system": "SKS", "source_code": "DE119", "source_record": "diagnoser.csv:3"},
        {"contact_id": "1002", "diagnosis_code": "DF200", "diagnosis_type": "A", "refuted": None,
         "source_system": "SKS", "source_code": "DF200", "source_record": "diagnoser.csv:4"},
    ]
    assert got.staged["procedure"] == [
        {"contact_id": "1002", "procedure_code": "BVAA33A", "procedure_time": None,
         "source_system": "SKS", "source_code": "BVAA33A", "source_record": "procedurer_andre.csv:2"},
        {"contact_id": "1001", "procedure_code": "KFNG02", "procedure_time": "2024-03-01T09:15:00+00:00",
         "source_system": "SKS", "source_code": "KFNG02", "source_record": "procedurer_kirurgi.csv:2"},
    ]
    # The canonical hospital_unit file is the register: the reader stages no hospital_unit.
    assert "hospital_unit" not in got.staged and "hospital_unit" not in got.report.tables
    assert got.report.files == ["diagnoser.csv", "kontakter.csv", "procedurer_andre.csv", "procedurer_kirurgi.csv"]
    for table in ("hospital_contact", "diagnosis", "procedure"):
        assert got.counts(table)["quarantined"] == got.counts(table)["out_of_scope"] == 0


def test_research_extract_names_upper_case_columns_and_dst_spellings(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {
        "LPR_F_KONTAKTER2024.csv": """
            DW_EK_KONTAKT,CPR_ENCRYPTED,DATO_START,TIDSPUNKT_START,DATO_SLUT,TIDSPUNKT_SLUT,KONTAKTTYPE,PRIORITET,KONTAKTAARSAG,SORENHED_ANS
            7,abc123,01MAR2024,0930,01.03.2024,10.45,alca10,ata3,alcc02,U1
        """,
        "lpr_a_diagnose.csv": """
            dw_ek_kontakt,diag_kode,diag_kode_type,senere_afkraeftet
            7,I50.0,a,N
        """,
        "hospital_unit.csv": UNITS,
    })
    got = read(source, tmp_path)
    assert got.staged["hospital_contact"] == [_contact(
        contact_id="7", person_id="abc123", start_time="2024-03-01T08:30:00+00:00",
        end_time="2024-03-01T09:45:00+00:00", contact_type="ALCA10", priority="ATA3", contact_reason="ALCC02",
        source_record="LPR_F_KONTAKTER2024.csv:2")]
    # A DST diagnosis code without SKS's D gets one; the dot goes; the source code is as in the extract.
    assert got.staged["diagnosis"] == [{"contact_id": "7", "diagnosis_code": "DI500", "diagnosis_type": "A",
                                        "refuted": "false", "source_system": "SKS", "source_code": "I50.0",
                                        "source_record": "lpr_a_diagnose.csv:2"}]
    assert any("1 diagnosis codes without SKS's leading D" in n for n in got.report.notes)


def test_dst_contact_table_with_combined_timestamps(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {
        "lpr_a_kontakt.csv": """
            dw_ek_kontakt;pnr;kont_starttidspunkt;kont_sluttidspunkt;kont_type;prioritet;kont_aarsag;kont_ans
            55;XK99;2024-10-27 02:30:00;2024-10-27 04:00:00;ALCA00;ATA1;ALCC01;U1
        """,
        "hospital_unit.csv": UNITS,
    })
    contact = read(source, tmp_path).staged["hospital_contact"][0]
    # 02:30 on 27 Oct 2024 happens twice in Denmark: the earlier (summer time) one is taken.
    assert (contact["start_time"], contact["end_time"]) == ("2024-10-27T00:30:00+00:00", "2024-10-27T03:00:00+00:00")
    assert (contact["person_id"], contact["contact_reason"]) == ("XK99", "ALCC01")


def test_parquet_extract_with_typed_columns(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {"hospital_unit.csv": UNITS})
    pq.write_table(pa.table({
        "DW_EK_KONTAKT": pa.array([31, 32], pa.int64()),
        "cpr_encrypted": ["Q1", "Q2"],
        "dato_start": pa.array([dt.date(2024, 1, 5), dt.date(2024, 6, 1)], pa.date32()),
        "tidspunkt_start": pa.array([dt.time(7, 5), None], pa.time64("us")),
        "dato_slut": pa.array([dt.datetime(2024, 1, 5), None], pa.timestamp("us")),
        "tidspunkt_slut": pa.array([dt.time(8, 0), None], pa.time64("us")),
        "kontakttype": ["ALCA00", "ALCA00"], "prioritet": ["ATA1", "ATA3"],
        "kontaktaarsag": [None, None], "sorenhed_ans": ["U1", "U1"],
    }), source / "kontakter.parquet")
    pq.write_table(pa.table({"dw_ek_kontakt": pa.array([32], pa.int64()), "procedurekode": ["ZZ0149"],
                             "dato_start": pa.array([dt.date(2024, 6, 1)], pa.date32())}),
                   source / "procedurer_andre.parquet")
    got = read(source, tmp_path)
    assert [(c["contact_id"], c["start_time"], c["end_time"]) for c in got.staged["hospital_contact"]] == [
        ("31", "2024-01-05T06:05:00+00:00", "2024-01-05T07:00:00+00:00"),
        ("32", "2024-05-31T22:00:00+00:00", None),  # a date without a time: Danish midnight
    ]
    assert got.staged["procedure"] == [{"contact_id": "32", "procedure_code": "ZZ0149",
                                        "procedure_time": "2024-05-31T22:00:00+00:00",
                                        "source_system": "SKS", "source_code": "ZZ0149",
                                        "source_record": "procedurer_andre.parquet:1"}]


def test_windows_1252_organisationer_become_hospital_units(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {
        "kontakter.csv": """
            dw_ek_kontakt;cpr_encrypted;dato_start;tidspunkt_start;kontakttype;prioritet;sorenhed_ans
            1;A1;2024-02-01;08:00;ALCA00;ATA1;S1
            2;A2;2024-02-01;08:00;ALCA00;ATA1;S2
            3;A3;2024-02-01;08:00;ALCA00;ATA1;S3
            4;A4;2024-02-01;08:00;ALCA00;ATA1;S4
            5;A5;2024-02-01;08:00;ALCA00;ATA1;S9
        """,
        "organisationer.csv": """
            sorenhed;sorenhed_tekst;sundhedsinstitution;sundhedsinstitution_tekst;hovedspeciale;region;gyldig_fra
            S1;Kardiologisk afd.;H7;Aalborg Universitetshospital;Intern medicin: kardiologi;Region Nordjylland;2019-01-01
            S1;Kardiologisk afsnit;H7;Aalborg Universitetshospital;intern medicin: kardiologi;81;2022-05-01
            S2;Øjenafdeling;H7;Aalborg Universitetshospital;Oftalmologi;1081;
            S3;Anæstesi;H7;Aalborg Universitetshospital;Anæstesiologi;1081;
            S4;Børne- og ungdomspsykiatri;H8;Sjællands Universitetshospital;Børne- og ungdomspsykiatri;Sjælland;
        """,
    }, encoding="cp1252")
    got = read(source, tmp_path)
    assert got.staged["hospital_unit"] == [
        {"unit_id": "S1", "hospital_id": "H7", "hospital_name": "Aalborg Universitetshospital",
         "unit_name": "Kardiologisk afsnit", "specialty": "cardiology", "branch": "somatic", "region_code": "1081",
         "source_record": "organisationer.csv:3"},
        {"unit_id": "S2", "hospital_id": "H7", "hospital_name": "Aalborg Universitetshospital",
         "unit_name": "Øjenafdeling", "specialty": "surgery", "branch": "somatic", "region_code": "1081",
         "source_record": "organisationer.csv:4"},
        {"unit_id": "S4", "hospital_id": "H8", "hospital_name": "Sjællands Universitetshospital",
         "unit_name": "Børne- og ungdomspsykiatri", "specialty": "psychiatry", "branch": "psychiatric",
         "region_code": "1085", "source_record": "organisationer.csv:6"},
    ]
    assert got.counts("hospital_unit") == {"read": 5, "mapped": 3, "quarantined": 1, "out_of_scope": 1}
    assert got.reasons("hospital_unit") == {"organisationer.csv:5": "hovedspeciale 'Anæstesiologi' has no canonical specialty"}
    assert [(c["contact_id"], c["specialty"]) for c in got.staged["hospital_contact"]] == [
        ("1", "cardiology"), ("2", "surgery"), ("4", "psychiatry")]
    assert got.reasons("hospital_contact") == {
        "kontakter.csv:4": "unit S3: hovedspeciale 'Anæstesiologi' has no canonical specialty "
                           "(map it in a canonical hospital_unit.csv)",
        "kontakter.csv:6": "unit S9 is not in the organisationer: its hospital, specialty and branch are unknown",
    }


MESSY_KONTAKTER = """
dw_ek_kontakt;cpr_encrypted;dato_start;tidspunkt_start;dato_slut;tidspunkt_slut;kontakttype;prioritet;kontaktaarsag;sorenhed_ans;lprindberetningssystem
1001;PSEUDO01;2024-03-01;09:30;2024-03-02;11:00:15;ALCA00;ATA1;ALCC01;U1;LPR3
1001;PSEUDO09;2024-04-01;09:30;;;ALCA00;ATA1;ALCC01;U1;LPR3
1003;PSEUDO03;2024-02-30;09:30;;;ALCA00;ATA1;;U1;LPR3
1004;PSEUDO04;2024-03;;;;ALCA00;ATA1;;U1;LPR3
1005;PSEUDO05;2024-03-01;25:00;;;ALCA00;ATA1;;U1;LPR3
1006;0101901234;2024-03-01;10:00;;;ALCA00;ATA1;;U1;LPR3
1007;PSEUDO07;2024-03-01;10:00;;;ALCA20;ATA3;;U1;LPR3
1008;PSEUDO08;2024-03-01;10:00;;;ALCA00;ATA1;;U1;LPR2
1009;PSEUDO09;2024-03-01;10:00;;;ALCA00;ATA1;;U7;LPR3
1010;;2024-03-01;10:00;;;ALCA00;ATA1;;U1;LPR3
1011;PSEUDO11;2024-03-01;10:00;ALCA00;ATA1
1012;PSEUDO12;2024-03-01;10:00;;;ALCA00;ATA9;;U1;LPR3
"""
MESSY_DIAGNOSER = """
dw_ek_kontakt;diagnosekode;diagnosetype;senere_afkraeftet;diagnosekode_parent
1001;DI500;A;Nej;
1001;TUL1;B;;DI500
1001;DR074;H;;
1001;DJ449;B;Måske;
1001;;A;;
9999;DI10;A;;
1003;DE119;A;;
1007;DZ038;A;;
;DZ038;A;;
"""
MESSY_PROCEDURER = """
dw_ek_kontakt;dw_ek_forloeb;procedurekode;dato_start;tidspunkt_start;procedurekode_parent
1001;F1;KFNG02;2024-03-01;10:15;
1001;F1;TUL1;2024-03-01;10:15;KFNG02
;F1;BVAA33A;2024-03-01;;
1001;F1;KFNG05;01-13-2024;;
1006;F1;KFNG05;;;
"""


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return write(tmp_path / "src", {
        "kontakter.csv": MESSY_KONTAKTER, "diagnoser.csv": MESSY_DIAGNOSER,
        "procedurer_kirurgi.csv": MESSY_PROCEDURER, "hospital_unit.csv": UNITS,
        "forloeb.csv": "dw_ek_forloeb;cpr_encrypted\nF1;PSEUDO01\nF2;PSEUDO02\n",
        "notes.txt": "not data\n",
    })


def test_malformed_contacts_are_quarantined_or_out_of_scope_with_reasons(messy: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KLYNGE_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("KLYNGE_PSEUDONYM_KEY_FILE", raising=False)
    got = read(messy, tmp_path)
    # 1012's unknown priority is the build's to refuse (it validates every staged row).
    assert [c["contact_id"] for c in got.staged["hospital_contact"]] == ["1001", "1012"]
    assert got.reasons("hospital_contact") == {
        "kontakter.csv:3": "duplicate dw_ek_kontakt (first at kontakter.csv:2)",
        "kontakter.csv:4": "not a date: '2024-02-30'",
        "kontakter.csv:5": "imprecise date '2024-03' (year or month only)",
        "kontakter.csv:6": "not a time of day: '25:00'",
        "kontakter.csv:7": "person id looks like a CPR number (research extracts carry pseudonyms; "
                           "set KLYNGE_PSEUDONYM_KEY to pseudonymise CPR numbers)",
        "kontakter.csv:10": "unit U7 is not in the hospital_unit file: its hospital, specialty and branch are unknown",
        "kontakter.csv:11": "missing person id",
        "kontakter.csv:12": "malformed CSV row: 6 fields, the header has 11",
    }
    assert got.out_of_scope("hospital_contact") == {
        "kontakttype ALCA20: klynge models ALCA00, ALCA03, ALCA10 contacts only": 1,
        "reported through LPR2, not LPR3 (rows of the other reporting systems overlap LPR3's and would count "
        "contacts twice)": 1,
        "forloeb: forløbselementer (episodes of care): klynge models contacts, not episodes": 2,
    }
    # The CPR number reaches neither the staged rows nor the quarantine file.
    assert "0101901234" not in repr(got.staged) + repr(got.quarantined)
    assert any("notes.txt" in n for n in got.report.notes)


def test_diagnoses_and_procedures_follow_their_contact(messy: Path, tmp_path: Path) -> None:
    got = read(messy, tmp_path)
    assert [(d["contact_id"], d["diagnosis_code"]) for d in got.staged["diagnosis"]] == [("1001", "DI500")]
    assert got.reasons("diagnosis") == {
        "diagnoser.csv:5": "senere_afkraeftet is neither Ja nor Nej: 'Måske'",
        "diagnoser.csv:6": "missing diagnosekode",
        "diagnoser.csv:7": "unknown contact 9999 (not in kontakter)",
        "diagnoser.csv:8": "its contact 1003 is quarantined",
        "diagnoser.csv:10": "missing dw_ek_kontakt",
    }
    assert got.out_of_scope("diagnosis") == {
        "a tillægskode (add-on code) to another diagnosis: klynge keeps the A and B diagnoses": 1,
        "diagnosetype H (henvisningsdiagnose (referral diagnosis)): klynge keeps A and B": 1,
        "its contact is out of scope (kontakttype ALCA20: klynge models ALCA00, ALCA03, ALCA10 contacts only)": 1,
    }
    assert [(p["contact_id"], p["procedure_code"]) for p in got.staged["procedure"]] == [("1001", "KFNG02")]
    assert got.reasons("procedure") == {
        "procedurer_kirurgi.csv:5": "not a date: '01-13-2024'",
        "procedurer_kirurgi.csv:6": "its contact 1006 is quarantined",
    }
    assert got.out_of_scope("procedure") == {
        "a tillægskode (add-on code) to another procedure: klynge keeps the procedures": 1,
        "a procedure on a forløb (course level, no dw_ek_kontakt): klynge links them to contacts only": 1,
    }


def test_every_record_is_accounted_for_exactly_once(messy: Path, tmp_path: Path) -> None:
    got = read(messy, tmp_path)
    rows_in = {"kontakter.csv": 12, "diagnoser.csv": 9, "procedurer_kirurgi.csv": 5, "forloeb.csv": 2}
    assert sum(t.read for t in got.report.tables.values()) == sum(rows_in.values())
    assert got.counts("hospital_contact") == {"read": 14, "mapped": 2, "quarantined": 8, "out_of_scope": 4}
    assert got.counts("diagnosis") == {"read": 9, "mapped": 1, "quarantined": 5, "out_of_scope": 3}
    assert got.counts("procedure") == {"read": 5, "mapped": 1, "quarantined": 2, "out_of_scope": 2}
    for table, report in got.report.tables.items():
        assert len(got.staged.get(table, [])) == report.mapped
        assert len(got.quarantined.get(table, [])) == sum(report.quarantined.values())


def test_cpr_numbers_are_pseudonymised_when_a_key_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "a test key of at least sixteen bytes"
    monkeypatch.setenv("KLYNGE_PSEUDONYM_KEY", key)
    source = write(tmp_path / "src", {"hospital_unit.csv": UNITS, "kontakter.csv": """
        dw_ek_kontakt;cpr;dato_start;tidspunkt_start;kontakttype;prioritet;sorenhed_ans
        1;010190-2013;2024-03-01;10:00;ALCA00;ATA1;U1
        2;3102901234;2024-03-01;10:00;ALCA00;ATA1;U1
    """})
    got = read(source, tmp_path)
    assert [c["person_id"] for c in got.staged["hospital_contact"]] == [Pseudonymiser(key).person_id("0101902013")]
    # 31 February looks like a CPR number but is none: it cannot be pseudonymised, nor written.
    assert got.reasons("hospital_contact") == {
        "kontakter.csv:3": "person id contains a CPR-like number but is not a valid CPR number"}
    assert "2013" not in repr(got.staged) and "3102901234" not in repr(got.staged) + repr(got.quarantined)


def test_a_cpr_number_in_another_column_is_masked_in_the_reason(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {"hospital_unit.csv": UNITS, "kontakter.csv": """
        dw_ek_kontakt;cpr_encrypted;dato_start;tidspunkt_start;kontakttype;prioritet;sorenhed_ans
        1;PSEUDO01;0101901234;10:00;ALCA00;ATA1;U1
        2;PSEUDO02;2024-03-01;10:00;ALCA00;ATA1;0101901234
    """})
    got = read(source, tmp_path)
    assert got.reasons("hospital_contact") == {
        "kontakter.csv:2": "not a date: 'XXXXXXXXXX'",
        "kontakter.csv:3": "unit XXXXXXXXXX is not in the hospital_unit file: its hospital, specialty and branch are unknown",
    }
    assert "0101901234" not in repr(got.quarantined) + repr(got.report.as_dict())


@pytest.mark.parametrize(("files", "message"), [
    ({"kontakter.csv": "dw_ek_kontakt;cpr_encrypted;dato_start;kontakttype;sorenhed_ans\n1;P;2024-01-01;ALCA00;U1\n"},
     "kontakter.csv: required column(s) missing: prioritet"),
    ({"kontakter.csv": "dw_ek_kontakt;cpr_encrypted;kontakttype;prioritet;sorenhed_ans\n1;P;ALCA00;ATA1;U1\n"},
     "kontakter.csv: required column(s) missing: dato_start or kont_starttidspunkt"),
    ({"kontakter.csv": ""}, "kontakter.csv: the file is empty"),
    ({"kontakter.csv": KONTAKTER, "diagnoser.csv": ""}, "diagnoser.csv: the file is empty"),
    ({"kontakter.csv": KONTAKTER, "diagnoser.csv": "dw_ek_kontakt;diagnosekode\n1001;DI500\n"},
     "diagnoser.csv: required column(s) missing: diagnosetype or diag_kode_type"),
    ({"diagnoser.csv": "dw_ek_kontakt;diagnosekode;diagnosetype\n"}, "no LPR3 kontakter table"),
])
def test_unreadable_extracts_stop_with_a_clear_error(tmp_path: Path, files: dict[str, str], message: str) -> None:
    source = write(tmp_path / "src", {"hospital_unit.csv": UNITS, **files})
    with pytest.raises(BuildError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(source, tmp_path)


def test_course_level_files_without_contact_column_are_out_of_scope(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {
        "kontakter.csv": KONTAKTER, "hospital_unit.csv": UNITS,
        "LPR_F_diagnoser_f.csv": "dw_ek_forloeb;diagnosekode;diagnosetype\nF1;DI500;H\nF2;DE119;A\n",
    })
    got = read(source, tmp_path)
    assert got.counts("diagnosis") == {"read": 2, "mapped": 0, "quarantined": 0, "out_of_scope": 2}
    assert got.out_of_scope("diagnosis") == {
        "a diagnosis on a forløb (course level, no dw_ek_kontakt): klynge links them to contacts only": 2}


def test_a_diagnosis_file_needs_a_contact_or_forloeb_column(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {"kontakter.csv": KONTAKTER, "hospital_unit.csv": UNITS,
                                      "diagnoser.csv": "diagnosekode;diagnosetype\nDI500;A\n"})
    with pytest.raises(BuildError, match=r"diagnoser.csv: required column\(s\) missing: dw_ek_kontakt or kontakt_id"):
        read(source, tmp_path)


def test_without_a_unit_register_the_extract_cannot_be_read(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {"kontakter.csv": KONTAKTER})
    with pytest.raises(BuildError, match="no unit register: put the council's canonical hospital_unit.csv"):
        read(source, tmp_path)


def test_header_only_files_give_no_rows(tmp_path: Path) -> None:
    source = write(tmp_path / "src", {"hospital_unit.csv": UNITS, "kontakter.csv": KONTAKTER.strip().splitlines()[0],
                                      "diagnoser.csv": "dw_ek_kontakt;diagnosekode;diagnosetype"})
    got = read(source, tmp_path)
    assert got.staged == {} and got.report.tables == {}


@pytest.mark.parametrize(("name", "table"), [
    ("kontakter.csv", "kontakter"), ("LPR_F_Kontakter2021.csv", "kontakter"), ("LPR_A_KONTAKT.parquet", "kontakter"),
    ("lpr3f_diagnoser_k.csv", "diagnoser"), ("diagnoser_f2022.csv", "diagnoser"),
    ("LPR_F_procedurer_kirurgi_2020.csv", "procedurer"), ("procedurer_andre", "procedurer"),
    ("lpr_f_organisationer.csv", "organisationer"), ("lpr_f_forloeb.csv", "forloeb"),
    ("person.csv", None), ("kontakter.xlsx", None), ("notes.txt", None),
])
def test_file_names(name: str, table: str | None) -> None:
    assert table_name(name) == table


@pytest.mark.parametrize(("day", "clock", "expected"), [
    ("2024-03-01", "09:30", "2024-03-01T08:30:00+00:00"),      # winter time, +01:00
    ("2024-07-15", "23:10:00", "2024-07-15T21:10:00+00:00"),   # summer time, +02:00
    ("20240301", "093000", "2024-03-01T08:30:00+00:00"),
    ("01.03.2024", "9.30", "2024-03-01T08:30:00+00:00"),
    ("01MAR2024", None, "2024-02-29T23:00:00+00:00"),          # a date alone is Danish midnight
    ("2024-03-31", "02:30", "2024-03-31T01:30:00+00:00"),      # spring gap: moved forward an hour
    (None, "2024-03-01 09:30:00", "2024-03-01T08:30:00+00:00"),  # a full date-time in the time column
    ("2024-03-01 00:00:00", "09:30", "2024-03-01T08:30:00+00:00"),
])
def test_dates_and_times_are_danish_local_time(day: str | None, clock: str | None, expected: str) -> None:
    value = lpr3_values.instant(day, clock)
    assert value is not None and value.isoformat() == expected


@pytest.mark.parametrize(("day", "clock"), [
    ("2024-02-30", "10:00"), ("2024-13-01", None), ("2024", None), ("i går", None), ("2024-03-01", "24:00"),
    (None, "10:00"),
])
def test_bad_dates_and_times(day: str | None, clock: str | None) -> None:
    with pytest.raises(TimeError):
        lpr3_values.instant(day, clock)


@pytest.mark.parametrize(("name", "specialty"), [
    ("Akut medicin", "emergency"), ("INTERN MEDICIN: GERIATRI", "geriatrics"), ("Ortopædisk kirurgi", "orthopaedics"),
    ("ortopaedisk kirurgi", "orthopaedics"), ("Urologi", "surgery"), ("Gynækologi og obstetrik", "gynaecology_obstetrics"),
    ("cardiology", "cardiology"), ("Anæstesiologi", None), ("", None),
])
def test_specialty_names(name: str, specialty: str | None) -> None:
    assert lpr3_values.specialty(name) == specialty
