"""CPR validation (format, date, century rule), keyed pseudonyms and the identity store."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import date

import pytest

from klynge.identity import (
    IdentityStore,
    InvalidCPR,
    MissingKey,
    Pseudonymiser,
    century,
    identity_path,
    is_valid_cpr,
    mod11_ok,
    parse_cpr,
    synthesise_identities,
)

# The century table of the CPR office (domain reference §8.5), written out cell by cell.
TABLE = {  # digit 7 -> (century for YY 00-36, YY 37-57, YY 58-99)
    0: (1900, 1900, 1900), 1: (1900, 1900, 1900), 2: (1900, 1900, 1900), 3: (1900, 1900, 1900),
    4: (2000, 1900, 1900), 9: (2000, 1900, 1900),
    5: (2000, 2000, 1800), 6: (2000, 2000, 1800), 7: (2000, 2000, 1800), 8: (2000, 2000, 1800),
}


@pytest.mark.parametrize("d7", range(10))
@pytest.mark.parametrize("yy", [0, 36, 37, 57, 58, 99])
def test_century_rule(d7, yy):
    col = 0 if yy <= 36 else 1 if yy <= 57 else 2
    assert century(yy, d7) == TABLE[d7][col]


@pytest.mark.parametrize("text,born,sex", [
    ("010190-2013", date(1990, 1, 1), "M"),      # digit 7 = 2 -> 1900s
    ("0101902014", date(1990, 1, 1), "F"),
    ("241236-4000", date(2036, 12, 24), "F"),    # digit 7 = 4, YY 36 -> 2000s
    ("241237-4001", date(1937, 12, 24), "M"),    # digit 7 = 4, YY 37 -> 1900s
    ("150557-5002", date(2057, 5, 15), "F"),     # digit 7 = 5, YY 57 -> 2000s
    ("150558-5002", date(1858, 5, 15), "F"),     # digit 7 = 5, YY 58 -> 1800s
    ("290200-4003", date(2000, 2, 29), "M"),     # leap day of 2000
    ("010203-9999", date(2003, 2, 1), "M"),
])
def test_parse(text, born, sex):
    c = parse_cpr(text)
    assert (c.birth_date, c.sex) == (born, sex)
    assert c.digits == text.replace("-", "")


@pytest.mark.parametrize("text", ["", "123", "01019020131", "0101902O13", "01-0190-2013", "010190 2013",
                                  "320190-2013", "001390-2013", "000190-2013", "290201-2013",
                                  "290200-2013",   # digit 7 = 2 -> 1900, not a leap year
                                  "310490-1234"])
def test_invalid(text):
    with pytest.raises(InvalidCPR) as err:
        parse_cpr(text)
    assert text.replace("-", "")[:6] not in str(err.value) or len(text) < 6
    assert not is_valid_cpr(text)


def test_mod11_is_reported_not_enforced():
    # 070761-4285 is the classic mod-11 valid example; changing the last digit breaks the check
    assert mod11_ok("0707614285")
    assert parse_cpr("070761-4285").mod11_ok
    c = parse_cpr("070761-4286")
    assert not c.mod11_ok and c.birth_date == date(1961, 7, 7)
    # the weights, computed by hand for one number
    assert sum(int(d) * w for d, w in zip("0707614285", (4, 3, 2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 == 0


def test_repr_masks_digits():
    c = parse_cpr("010190-2013")
    assert "2013" not in repr(c) and "010190" not in str(c)


def test_pseudonym_is_keyed_hmac():
    key = b"k" * 32
    p = Pseudonymiser(key)
    expected = "X" + hmac.new(key, b"0101902013", hashlib.sha256).hexdigest()[:24]
    assert p.person_id("010190-2013") == expected == p.person_id("0101902013")
    assert Pseudonymiser(b"other key of 16 bytes").person_id("010190-2013") != expected
    assert "k" * 32 not in repr(p)
    with pytest.raises(InvalidCPR):
        p.person_id("320190-2013")


def test_key_from_environment_never_from_code(monkeypatch, tmp_path):
    monkeypatch.delenv("KLYNGE_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("KLYNGE_PSEUDONYM_KEY_FILE", raising=False)
    with pytest.raises(MissingKey):
        Pseudonymiser()
    monkeypatch.setenv("KLYNGE_PSEUDONYM_KEY", "short")
    with pytest.raises(MissingKey):
        Pseudonymiser()
    monkeypatch.setenv("KLYNGE_PSEUDONYM_KEY", "an environment key, long enough")
    a = Pseudonymiser().person_id("010190-2013")
    monkeypatch.delenv("KLYNGE_PSEUDONYM_KEY")
    keyfile = tmp_path / "key"
    keyfile.write_text("an environment key, long enough\n")
    monkeypatch.setenv("KLYNGE_PSEUDONYM_KEY_FILE", str(keyfile))
    assert Pseudonymiser().person_id("010190-2013") == a


def test_identity_store_roundtrip(tmp_path):
    store = IdentityStore(identity_path(tmp_path))
    store.add("P0-1", "010190-2013", "Anna", "Hansen")
    got = store.get("P0-1")
    assert got.cpr == "010190-2013" and got.name == "Anna Hansen"
    assert "2013" not in repr(got)
    assert store.person_id_for("0101902013") == "P0-1"
    assert store.person_id_for("020190-2013") is None
    assert store.get("P0-2") is None
    assert (identity_path(tmp_path).stat().st_mode & 0o777) == 0o600


def test_synthetic_identities_consistent_with_birth_and_sex():
    rng = random.Random(5)
    persons = [(f"P{i}", date(rng.randrange(1905, 2025), rng.randrange(1, 13), rng.randrange(1, 29)),
                rng.choice("FM")) for i in range(2000)]
    rows = list(synthesise_identities(persons, seed=2))
    assert len({r[1] for r in rows}) == len(rows)          # unique numbers
    for (pid, born, sex), (pid2, digits, given, family, synthetic) in zip(persons, rows, strict=True):
        c = parse_cpr(digits)
        assert pid == pid2 and synthetic and given and family
        assert c.birth_date == born and c.sex == sex
        assert not c.mod11_ok                              # deliberately not a pre-2007 style number
