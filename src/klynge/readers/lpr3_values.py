"""Cell values of an LPR3 research extract: dates, times, codes, flags and specialties.

Research extracts are written by SAS, R, Stata or Excel, so the same date arrives as
``2023-03-01``, ``20230301``, ``01-03-2023``, ``01.03.2023`` or ``01MAR2023``, and a time as
``09:30``, ``09:30:00`` or ``0930``. This module only turns those spellings into ISO text; the
instant they stand for is decided by `klynge.readers._time` (LPR3 times are Danish local time).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from klynge.contracts import codes
from klynge.readers._time import TimeError, parse_instant

_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_MONTHS.update({"MAJ": 5, "OKT": 10})  # Danish abbreviations
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_PARTIAL = re.compile(r"^\d{4}(-\d{1,2})?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DANISH = re.compile(r"^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$")
_SAS = re.compile(r"^(\d{1,2})([A-Za-z]{3})(\d{4})$")
_MIDNIGHT = re.compile(r"^(.+?)[T ]00:00(:00(\.0+)?)?$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})([:.](\d{2})(\.\d+)?)?$")
_TIME_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{2})?$")
_SAS_DATETIME = re.compile(r"^(\d{1,2}[A-Za-z]{3}\d{4}):(\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)$")
_SPLIT = re.compile(r"^(\S+)[T ](\S+)$")


def iso_date(text: str) -> str:
    """A calendar date in one of the extract spellings, as ``YYYY-MM-DD``.

    A date-time at midnight (``2023-03-01 00:00:00``, as SAS or pandas write a date column)
    counts as its date.

    Raises
    ------
    TimeError
        For text that is no date, or an impossible one (``2023-02-30``).
    """
    raw = text.strip()
    midnight = _MIDNIGHT.match(raw)
    if midnight:
        raw = midnight.group(1)
    try:
        if m := _ISO.match(raw) or _COMPACT.match(raw):
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if m := _DANISH.match(raw):
            return date(int(m[3]), int(m[2]), int(m[1])).isoformat()
        if (m := _SAS.match(raw)) and m[2].upper() in _MONTHS:
            return date(int(m[3]), _MONTHS[m[2].upper()], int(m[1])).isoformat()
    except ValueError:
        raise TimeError(f"not a date: {text!r}") from None
    if _PARTIAL.match(raw):
        raise TimeError(f"imprecise date {text!r} (year or month only)")
    raise TimeError(f"not a date: {text!r}")


def iso_time(text: str) -> str:
    """A time of day (``9:30``, ``09.30.15``, ``093015``) as ``HH:MM:SS``.

    Raises
    ------
    TimeError
        For text that is no time of day, or an impossible one (``25:00``).
    """
    raw = text.strip()
    m = _TIME.match(raw)
    parts = (m[1], m[2], m[4] or "0", m[5] or "") if m else None
    if parts is None and (c := _TIME_COMPACT.match(raw)):
        parts = (c[1], c[2], c[3] or "0", "")
    if parts is None:
        raise TimeError(f"not a time of day: {text!r}")
    try:
        value = time(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise TimeError(f"not a time of day: {text!r}") from None
    return value.isoformat() + parts[3]


def instant(day: str | None, clock: str | None) -> datetime | None:
    """The instant of an LPR3 date column and its time column (Danish local time).

    ``clock`` may also hold a full date-time (some extracts write ``tidspunkt_start`` as one);
    it is then used on its own. A date without a time is Danish midnight (`parse_instant`).
    Both missing gives None.

    Raises
    ------
    TimeError
        For an unreadable date or time, or a time without a date.
    """
    if clock and _SPLIT.match(clock.strip()) or clock and _SAS_DATETIME.match(clock.strip()):
        return date_time(clock)
    if not day:
        if clock:
            raise TimeError(f"a time ({clock!r}) without a date")
        return None
    iso = iso_date(day)
    return parse_instant(f"{iso}T{iso_time(clock)}" if clock else iso)


def date_time(text: str | None) -> datetime | None:
    """A combined date-time column (``kont_starttidspunkt``) as an instant.

    ISO text with an offset is that instant; without one it is Danish local time. SAS
    (``01MAR2023:09:30:00``) and Danish (``01-03-2023 09:30``) spellings are accepted.

    Raises
    ------
    TimeError
        For text that is no date-time.
    """
    if not text or not text.strip():
        return None
    raw = text.strip()
    if m := _SAS_DATETIME.match(raw):
        return parse_instant(f"{iso_date(m[1])}T{iso_time(m[2])}")
    if (m := _SPLIT.match(raw)) and not _ISO.match(m[1]):
        return parse_instant(f"{iso_date(m[1])}T{iso_time(m[2])}")
    if _ISO.match(raw) or _COMPACT.match(raw) or _DANISH.match(raw) or _SAS.match(raw):
        return parse_instant(iso_date(raw))
    return parse_instant(raw)


_TRUE = {"ja", "j", "yes", "y", "true", "t", "1", "sand"}
_FALSE = {"nej", "n", "no", "false", "f", "0", "falsk"}


def flag(text: str | None) -> bool | None:
    """``senere_afkraeftet``: Ja/Nej (also J/N, 1/0, true/false); empty is unknown (None).

    Raises
    ------
    ValueError
        For any other value.
    """
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"senere_afkraeftet is neither Ja nor Nej: {text!r}")


_ICD10_WITHOUT_D = re.compile(r"^[A-Z][0-9]")


def diagnosis_code(text: str) -> tuple[str, bool]:
    """An SKS diagnosis code, and whether the leading ``D`` had to be added.

    Codes are upper-cased and lose dots and spaces (``di50.0`` -> ``DI500``). Some DST
    variables hold the ICD-10 code without SKS's ``D`` (§3.4); an SKS diagnosis code always
    has a letter in second place, so a letter followed by a digit (``I500``, ``D500``) is such a
    code and gets its ``D`` (``DI500``, ``DD500``).
    """
    code = re.sub(r"[.\s]", "", text).upper()
    if _ICD10_WITHOUT_D.match(code):
        return "D" + code, True
    return code, False


def _fold(text: str) -> str:
    """Lower case, Danish letters spelt out, single spaces: how specialty names are compared."""
    text = text.strip().lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return re.sub(r"\s+", " ", text)


# The main specialty (hovedspeciale) of a SOR unit, by its Danish name, onto klynge's closed
# list. Sub-specialties of internal medicine keep their own canonical specialty where klynge
# has one; medical ones it lacks go to internal_medicine and surgical ones to surgery (the
# medical/surgical split is what the bed-day indicator uses). Approximations are marked (~).
_SPECIALTY_NAMES: dict[str, str] = {
    **{_fold(danish): code for code, (danish, _medical) in codes.SPECIALTIES.items()},
    **{_fold(code): code for code in codes.SPECIALTIES},
    "akut medicin": "emergency", "akutmodtagelse": "emergency",
    "intern medicin: geriatri": "geriatrics",
    "intern medicin: kardiologi": "cardiology",
    "intern medicin: lungesygdomme": "pulmonology", "lungesygdomme": "pulmonology",
    "intern medicin: endokrinologi": "endocrinology",
    "intern medicin: gastroenterologi og hepatologi": "gastroenterology",
    "gastroenterologi og hepatologi": "gastroenterology", "hepatologi": "gastroenterology",
    "intern medicin: infektionsmedicin": "infectious_diseases", "infektionssygdomme": "infectious_diseases",
    "intern medicin: reumatologi": "rheumatology",
    "intern medicin: nefrologi": "internal_medicine", "nefrologi": "internal_medicine",  # ~
    "intern medicin: haematologi": "internal_medicine", "haematologi": "internal_medicine",  # ~
    "klinisk onkologi": "oncology",
    "paediatri": "paediatrics", "boerne- og ungemedicin": "paediatrics",
    "kirurgisk gastroenterologi": "surgery", "urologi": "surgery", "karkirurgi": "surgery",  # ~
    "plastikkirurgi": "surgery", "thoraxkirurgi": "surgery", "hjerte-lunge-kar-kirurgi": "surgery",  # ~
    "neurokirurgi": "surgery", "oftalmologi": "surgery", "oto-rhino-laryngologi": "surgery",  # ~
    "ortopaedisk kirurgi": "orthopaedics",
    "gynaekologi og obstetrik": "gynaecology_obstetrics", "obstetrik": "gynaecology_obstetrics",
    "boerne- og ungdomspsykiatri": "psychiatry", "retspsykiatri": "psychiatry",
}
SPECIALTY_NAMES = dict(sorted(_SPECIALTY_NAMES.items()))
"""Danish main-specialty names (folded: lower case, æ/ø/å as ae/oe/aa) -> canonical specialty."""


def specialty(text: str | None) -> str | None:
    """The canonical specialty of a Danish main-specialty name, or None if klynge has none."""
    return SPECIALTY_NAMES.get(_fold(text)) if text else None


def branch(specialty_code: str) -> str:
    """Somatic or psychiatric, from the unit's canonical specialty (§2.1)."""
    return "psychiatric" if specialty_code == "psychiatry" else "somatic"


_REGIONS = {
    "nordjylland": "1081", "midtjylland": "1082", "syddanmark": "1083",
    "hovedstaden": "1084", "sjaelland": "1085",
}


def region_code(text: str | None) -> str | None:
    """A region as its DAGI code 1081-1085, from ``1084``, ``84`` or ``Region Hovedstaden``."""
    if not text or not text.strip():
        return None
    raw = _fold(text).removeprefix("region ")
    if re.fullmatch(r"8[1-5]", raw):
        return "10" + raw
    return _REGIONS.get(raw, text.strip())
