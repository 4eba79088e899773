"""One citizen's record across sectors, assembled from the read-only warehouse.

The record is the single view behind the page, the JSON API, the export and the search. Consent
blocks are applied here, so that every path honours them: an item whose source sector or party
the citizen has blocked is left out for any viewer outside that sector or party (and counted in
``hidden``), unless an emergency override is in force.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from klynge.access._consent import Block
from klynge.citizen._habitual import HabitualRule, annotate_series
from klynge.citizen._labels import label
from klynge.identity import Identity

TZ = ZoneInfo("Europe/Copenhagen")
MAX_TIMELINE = 5000


@dataclass(frozen=True)
class Viewer:
    """Who the record is assembled for: sector and organisation decide what consent hides."""

    sector: str | None
    organisation: str | None
    identified: bool             # clinicians see identity and free text; analysts do not
    override: bool = False       # emergency override (værdispring) in force for this look


@dataclass
class Record:
    person_id: str
    as_of: date
    data: dict[str, Any] = field(default_factory=dict)


def _rows(raw, query: str, params: list) -> list[dict[str, Any]]:
    cur = raw.execute(query, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _iso(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.astimezone(TZ).isoformat(timespec="seconds")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _instant(v: date | datetime) -> datetime:
    if isinstance(v, datetime):
        return v.astimezone(TZ)
    return datetime.combine(v, time(0), tzinfo=TZ)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _party(sector: str | None, ident: str | None) -> str | None:
    if sector is None or ident is None:
        return None
    return f"{sector}:{ident}"


def _order(item: dict[str, Any]) -> tuple[str, ...]:
    """Newest first, ties broken by content, so the order does not depend on how rows were stored."""
    return (item["time"], item["kind"], item.get("ref") or "", item.get("code") or "", item["title"], item["detail"])


def exists(con, person_id: str) -> bool:
    """Whether the warehouse has this person."""
    return bool(con.con.execute("SELECT count(*) FROM input__person WHERE person_id = ?", [person_id]).fetchone()[0])


def _hidden_by(blocks: list[Block], viewer: Viewer, sector: str | None, party: str | None) -> Block | None:
    if viewer.override:
        return None
    for b in blocks:
        if b.direction != "source" or not b.matches(sector, party):
            continue
        inside = (viewer.sector == b.value) if b.kind == "sector" else (viewer.organisation == b.value)
        if not inside:
            return b
    return None


def assemble_record(con, person_id: str, *, as_of: date, viewer: Viewer, blocks: list[Block] = (),
                    identity: Identity | None = None, lang: str = "da",
                    rule: HabitualRule | None = None) -> dict[str, Any]:
    """Assemble the record of ``person_id`` as it stands on ``as_of`` for ``viewer``.

    Returns a JSON-ready dict with ``person``, ``residence``, ``gp``, ``timeline``,
    ``upcoming_appointments``, ``diagnoses``, ``latest_admission``, ``letters``, ``labs`` and
    ``hidden`` (items left out by consent blocks, by block). Identity (CPR number, name) and free
    text are included only for an identified viewer.

    Examples
    --------
    >>> rec = assemble_record(con, "P0-1", as_of=date(2025, 12, 31),
    ...                       viewer=Viewer("municipality", "municipality:730", True))  # doctest: +SKIP
    >>> rec["timeline"][0]["kind"]  # doctest: +SKIP
    'lab_result'
    """
    rule = rule or HabitualRule()
    raw = con.con
    people = _rows(raw, "SELECT person_id, birth_date, sex, death_date FROM input__person WHERE person_id = ?",
                   [person_id])
    if not people:
        raise KeyError("no such citizen")
    p = people[0]
    day_end = _instant(as_of + timedelta(days=1))
    ref_on = min(as_of, p["death_date"]) if p["death_date"] else as_of
    person: dict[str, Any] = {
        "person_id": person_id, "birth_date": _iso(p["birth_date"]), "sex": p["sex"],
        "death_date": _iso(p["death_date"]), "age": _age(p["birth_date"], ref_on),
    }
    if viewer.identified and identity is not None:
        person["cpr"] = identity.cpr
        person["name"] = identity.name
    munis = {r["municipality_code"]: r["name"] for r in _rows(raw, "SELECT municipality_code, name FROM ref__municipality", [])}
    units = {r["unit_id"]: r for r in _rows(raw, "SELECT unit_id, hospital_id, hospital_name, unit_name, specialty "
                                                 "FROM input__hospital_unit", [])}
    hospitals = {u["hospital_id"]: u["hospital_name"] for u in units.values()}

    residence = [{"municipality_code": r["municipality_code"], "municipality": munis.get(r["municipality_code"], ""),
                  "valid_from": _iso(r["valid_from"]), "valid_to": _iso(r["valid_to"]),
                  "current": r["valid_from"] <= as_of and (r["valid_to"] is None or r["valid_to"] > as_of)}
                 for r in _rows(raw, "SELECT * FROM input__residence WHERE person_id = ? ORDER BY valid_from DESC, municipality_code",
                                [person_id])]
    gp = [{"clinic_id": r["clinic_id"], "valid_from": _iso(r["valid_from"]), "valid_to": _iso(r["valid_to"]),
           "current": r["valid_from"] <= as_of and (r["valid_to"] is None or r["valid_to"] > as_of)}
          for r in _rows(raw, "SELECT * FROM input__gp_listing WHERE person_id = ? ORDER BY valid_from DESC, clinic_id", [person_id])]

    items: list[dict[str, Any]] = []
    hidden: dict[int, int] = defaultdict(int)

    def add(when: date | datetime, kind: str, sector: str | None, party: str | None, title: str, detail: str = "",
            code: str | None = None, ref: str | None = None, **more: Any) -> None:
        if _instant(when) >= day_end:
            return
        block = _hidden_by(blocks, viewer, sector, party)
        if block is not None:
            hidden[block.id] += 1
            return
        items.append({"time": _iso(when), "kind": kind, "kind_label": label(kind, lang), "sector": sector or "national",
                      "sector_label": label(sector or "national", lang), "party": party, "title": title,
                      "detail": detail, "code": code, "ref": ref, **more})

    contacts = _rows(raw, "SELECT * FROM input__hospital_contact WHERE person_id = ? ORDER BY start_time, contact_id", [person_id])
    contact_party = {}
    for c in contacts:
        party = _party("hospital", c["hospital_id"])
        contact_party[c["contact_id"]] = party
        unit = units.get(c["unit_id"], {})
        add(c["start_time"], "hospital_contact", "hospital", party,
            f"{hospitals.get(c['hospital_id'], c['hospital_id'])}, {unit.get('unit_name', c['specialty'])}",
            f"{label(c['priority'], lang)}; {_iso(c['start_time'])} – {_iso(c['end_time']) or ''}".strip(),
            c["contact_type"], c["contact_id"], end=_iso(c["end_time"]), priority=c["priority"])
    # in the person index diagnoses and procedures carry their contact's person_id
    indexed = getattr(con, "indexed", False)
    extra = (" EXCLUDE (person_id)", " AND {t}.person_id = ?", [person_id]) if indexed else ("", "", [])
    diagnoses = _rows(raw, f"SELECT d.*{extra[0]}, c.start_time, c.hospital_id FROM input__diagnosis d "
                           f"JOIN input__hospital_contact c USING (contact_id) WHERE c.person_id = ?"
                           f"{extra[1].format(t='d')} ORDER BY c.start_time, d.contact_id, d.diagnosis_code", [person_id, *extra[2]])
    for d in diagnoses:
        if d["refuted"]:
            continue
        add(d["start_time"], "diagnosis", "hospital", contact_party[d["contact_id"]], d["diagnosis_code"],
            "A" if d["diagnosis_type"] == "A" else "B", d["diagnosis_code"], d["contact_id"])
    for pr in _rows(raw, f"SELECT p.*{extra[0]}, c.start_time FROM input__procedure p JOIN input__hospital_contact c "
                         f"USING (contact_id) WHERE c.person_id = ?{extra[1].format(t='p')}", [person_id, *extra[2]]):
        add(pr["procedure_time"] or pr["start_time"], "procedure", "hospital", contact_party[pr["contact_id"]],
            pr["procedure_code"], "", pr["procedure_code"], pr["contact_id"])
    for s in _rows(raw, "SELECT * FROM input__municipal_service WHERE person_id = ?", [person_id]):
        minutes = "" if s["minutes_per_week"] is None else f"{s['minutes_per_week']:.0f} min/uge" if lang == "da" \
            else f"{s['minutes_per_week']:.0f} min/week"
        add(s["start_date"], "municipal_service", "municipality", _party("municipality", s["municipality_code"]),
            f"{label(s['service_group'], lang)} ({s['service_code']})", minutes, s["service_code"], s["service_id"],
            end=_iso(s["end_date"]))
    for f in _rows(raw, "SELECT * FROM input__functional_assessment WHERE person_id = ?", [person_id]):
        add(f["assessment_date"], "functional_assessment", "municipality", _party("municipality", f["municipality_code"]),
            f"{f['state_code']}: {f['severity']}", "", f["state_code"], severity=f["severity"])
    for g in _rows(raw, "SELECT * FROM input__gp_contact WHERE person_id = ?", [person_id]):
        add(g["contact_date"], "gp_contact", "gp", _party("gp", g["clinic_id"]), label(g["kind"], lang),
            g["clinic_id"], g["kind"], g["contact_id"])
    for rx in _rows(raw, "SELECT * FROM input__prescription WHERE person_id = ?", [person_id]):
        add(rx["dispensing_date"], "prescription", None, None, rx["atc"],
            "" if rx["ddd"] is None else f"{rx['ddd']:g} DDD", rx["atc"])
    for v in _rows(raw, "SELECT * FROM input__vaccination WHERE person_id = ?", [person_id]):
        add(v["vaccination_date"], "vaccination", None, None, v["vaccine"], "", v["vaccine"])

    def appointment_party(a: dict[str, Any]) -> str | None:
        if a["sector"] == "hospital":
            unit = units.get(a["organisation_id"])
            return _party("hospital", unit["hospital_id"] if unit else a["organisation_id"])
        return _party(a["sector"], a["organisation_id"])

    upcoming = []
    for a in _rows(raw, "SELECT * FROM input__appointment WHERE person_id = ? ORDER BY start_time, appointment_id", [person_id]):
        party = appointment_party(a)
        if _instant(a["start_time"]) >= day_end:
            if a["status"] != "booked":
                continue
            block = _hidden_by(blocks, viewer, a["sector"], party)
            if block is not None:
                hidden[block.id] += 1
                continue
            upcoming.append({"time": _iso(a["start_time"]), "sector": a["sector"], "sector_label": label(a["sector"], lang),
                             "party": party, "organisation_id": a["organisation_id"],
                             "description": a["description"] or "", "status": a["status"]})
        else:
            add(a["start_time"], "appointment", a["sector"], party, a["description"] or label("appointment", lang),
                label(a["status"], lang), a["status"], a["appointment_id"])

    letters = []
    for m in _rows(raw, "SELECT * FROM input__message WHERE person_id = ? ORDER BY sent_time, message_id", [person_id]):
        party = _party(m["sender_sector"], m["sender_id"])
        text = (m["text"] or "") if viewer.identified else ""
        before = len(items)
        add(m["sent_time"], "message", m["sender_sector"], party, label(m["message_type"], lang),
            text, m["message_type"], m["message_id"], receiver=_party(m["receiver_sector"], m["receiver_id"]),
            related_contact_id=m["related_contact_id"])
        if len(items) > before and m["message_type"] in ("admission_report", "discharge_report", "discharge_letter"):
            letters.append(items[-1])

    # lab results with the habitual value, per analysis
    labs_raw = _rows(raw, "SELECT * FROM input__lab_result WHERE person_id = ? ORDER BY sample_time, npu_code, value", [person_id])
    labs_by_code: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in labs_raw:
        if _instant(r["sample_time"]) >= day_end:
            continue
        block = _hidden_by(blocks, viewer, r["sector"], None)
        if block is not None:
            hidden[block.id] += 1
            continue
        labs_by_code[r["npu_code"]].append(r)
    labs = []
    for code, series in sorted(labs_by_code.items()):
        notes = annotate_series([s["sample_time"] for s in series], [s["value"] for s in series],
                                [s["ref_low"] for s in series], [s["ref_high"] for s in series], rule)
        results = []
        for s, n in zip(series, notes, strict=True):
            res = {"time": _iso(s["sample_time"]), "value": s["value"], "unit": s["unit"], "ref_low": s["ref_low"],
                   "ref_high": s["ref_high"], "sector": s["sector"], **n,
                   "flag_labels": [label(f, lang) for f in n["flags"]]}
            results.append(res)
            add(s["sample_time"], "lab_result", s["sector"], None, f"{label(code, lang)}: {s['value']:g} {s['unit'] or ''}".strip()
                if s["value"] is not None else label(code, lang), ", ".join(res["flag_labels"]), code,
                flags=n["flags"])
        latest = results[-1]
        labs.append({"npu_code": code, "name": label(code, lang), "unit": latest["unit"], "n": len(results),
                     "latest": latest, "results": results})

    diag_overview: dict[str, dict[str, Any]] = {}
    for d in diagnoses:
        if d["refuted"] or _instant(d["start_time"]) >= day_end:
            continue
        if _hidden_by(blocks, viewer, "hospital", contact_party[d["contact_id"]]) is not None:
            continue
        o = diag_overview.setdefault(d["diagnosis_code"], {"code": d["diagnosis_code"], "first": _iso(d["start_time"]),
                                                           "last": None, "count": 0, "main": 0})
        o["last"] = _iso(d["start_time"])
        o["count"] += 1
        o["main"] += d["diagnosis_type"] == "A"

    latest_admission = None
    for s in _rows(raw, "SELECT * FROM core__stay WHERE person_id = ? AND is_admission AND start_time < ? "
                        "ORDER BY start_time DESC, stay_id", [person_id, day_end]):
        party = _party("hospital", s["hospital_id"])
        if _hidden_by(blocks, viewer, "hospital", party) is not None:
            continue
        latest_admission = {"start": _iso(s["start_time"]), "end": _iso(s["end_time"]),
                            "hospital": hospitals.get(s["hospital_id"], s["hospital_id"]), "party": party,
                            "specialty": s["discharge_specialty"], "acute": bool(s["acute"]),
                            "action_diagnosis": s["action_diagnosis"],
                            "ongoing": s["end_time"] is None or _instant(s["end_time"]) >= day_end}
        break

    items.sort(key=_order, reverse=True)
    return {
        "person": person,
        "as_of": as_of.isoformat(),
        "identified": viewer.identified and identity is not None,
        "consent_overridden": viewer.override,
        "residence": residence,
        "gp": gp,
        "timeline": items[:MAX_TIMELINE],
        "timeline_total": len(items),
        "upcoming_appointments": upcoming,
        "diagnoses": sorted(diag_overview.values(), key=lambda o: (o["last"], o["code"]), reverse=True),
        "latest_admission": latest_admission,
        "letters": sorted(letters, key=_order, reverse=True)[:5],
        "labs": labs,
        "hidden": {"total": sum(hidden.values()), "by_block": {str(k): v for k, v in sorted(hidden.items())}},
    }


def search_record(record: dict[str, Any], query: str) -> list[dict[str, Any]]:
    """Timeline items (and upcoming appointments) of an assembled record that contain every word of ``query``.

    Matching is case-insensitive over title, detail, code, kind and sector labels and the date.

    Examples
    --------
    >>> search_record({"timeline": [{"title": "Epikrise", "detail": "", "code": "x"}]}, "epik")[0]["title"]
    'Epikrise'
    """
    words = [w for w in query.casefold().split() if w]
    if not words:
        return []
    fields = ("title", "detail", "code", "kind_label", "sector_label", "time", "description", "kind")
    out = []
    for item in list(record.get("timeline", [])) + list(record.get("upcoming_appointments", [])):
        text = " ".join(str(item.get(f) or "") for f in fields).casefold()
        if all(w in text for w in words):
            out.append(item)
    return out
