"""Cross-sector messages (MedCom) and appointments in every sector.

Every admission sends a discharge letter (epikrise) to the GP: most within a day, some days
late [I]. Citizens receiving municipal care also trigger an advis at admission and discharge
(Retssikkerhedsloven §12c), a discharge report and, for the 65+, a care plan.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from klynge.synth._context import Area, Clock, make_ids
from klynge.synth._hospital import Admissions, person_id_array
from klynge.synth._population import Population
from klynge.synth._simulate import Trajectories

_LETTER = ("Epikrise. Indlagt akut med {dx}. Behandlet og udskrevet til eget hjem i stabil tilstand. "
           "Egen læge bedes følge op på medicin og blodprøver inden for en uge.")
_LETTER_PLANNED = "Epikrise. Planlagt indlæggelse ({dx}). Forløb uden komplikationer. Kontrol i ambulatoriet."


def messages(rng, pop: Population, traj: Trajectories, adm: Admissions, municipal_people: np.ndarray, area: Area,
             clinic_ids: np.ndarray, clock: Clock, chunk: int) -> pa.Table:
    death = traj.death_day
    done = adm.end < clock.days
    alive = death[adm.person] > adm.end + 1 / 24
    care = np.isin(adm.person, municipal_people)
    mun = pop.municipality_at(adm.start, adm.person)
    mun_code = area.municipality_codes[mun]
    gp = clinic_ids[pop.clinic_at(adm.end, adm.person)]
    parts = []

    def add(mask, mtype, sender_sector, receiver_sector, sender, receiver, when, text=None) -> None:
        idx = np.flatnonzero(mask)
        parts.append({"person": adm.person[idx], "type": np.full(idx.size, mtype),
                      "ss": np.full(idx.size, sender_sector), "rs": np.full(idx.size, receiver_sector),
                      "sender": np.asarray(sender)[idx], "receiver": np.asarray(receiver)[idx],
                      "time": np.asarray(when)[idx], "contact": idx,
                      "text": None if text is None else np.asarray(text, dtype=object)[idx]})

    add(care, "hospital_notification", "hospital", "municipality", adm.hospital, mun_code,
        adm.start + rng.uniform(0.01, 0.05, adm.person.size))
    add(care & rng.random(adm.person.size).__lt__(0.9), "admission_report", "municipality", "hospital", mun_code,
        adm.hospital, adm.start + rng.uniform(0.1, 1.0, adm.person.size))
    add(care & done & alive, "hospital_notification", "hospital", "municipality", adm.hospital, mun_code,
        adm.end + rng.uniform(0.0, 0.02, adm.person.size))
    add(care & done & alive, "discharge_report", "hospital", "municipality", adm.hospital, mun_code,
        adm.end + rng.uniform(0.0, 0.3, adm.person.size))
    add(care & done & alive & (pop.age_at(adm.end, adm.person) >= 65) & (rng.random(adm.person.size) < 0.6), "care_plan",
        "hospital", "municipality", adm.hospital, mun_code, np.maximum(adm.end - rng.uniform(0.2, 1.5, adm.person.size), adm.start))
    # Discharge letters: 75 % within 24 hours, 15 % in 1-3 days, 10 % later.
    u = rng.random(adm.person.size)
    delay = np.where(u < 0.75, rng.uniform(0.05, 0.95, adm.person.size),
                     np.where(u < 0.9, rng.uniform(1, 3, adm.person.size), rng.uniform(3, 14, adm.person.size)))
    dx = np.array([f"diagnose {c}" for c in adm.code], dtype=object)
    text = np.where(adm.acute, np.char.replace(np.full(adm.person.size, _LETTER), "{dx}", dx.astype(str)),
                    np.char.replace(np.full(adm.person.size, _LETTER_PLANNED), "{dx}", dx.astype(str)))
    add(done & (adm.kind != 2), "discharge_letter", "hospital", "gp", adm.hospital, gp, adm.end + delay, text)

    m = {k: np.concatenate([p[k] for p in parts]) for k in ("person", "type", "ss", "rs", "sender", "receiver", "time", "contact")}
    texts = np.concatenate([p["text"] if p["text"] is not None else np.full(p["person"].size, None, dtype=object)
                            for p in parts])
    keep = m["time"] < clock.days
    m = {k: v[keep] for k, v in m.items()}
    texts = texts[keep]
    order = np.argsort(m["time"], kind="stable")
    pids = person_id_array(pop, chunk)
    contact_ids = adm.contact_ids.take(pa.array(adm.first_contact[m["contact"][order]]))   # type: ignore[attr-defined]
    return pa.table({
        "message_id": make_ids(f"M{chunk}-", 0, order.size),
        "person_id": pids.take(pa.array(m["person"][order])),
        "message_type": m["type"][order],
        "sender_sector": m["ss"][order],
        "receiver_sector": m["rs"][order],
        "sender_id": m["sender"][order].astype(str),
        "receiver_id": m["receiver"][order].astype(str),
        "sent_time": clock.instants(m["time"][order]),
        "related_contact_id": contact_ids,
        "text": pa.array(texts[order], type=pa.string()),
    })


def appointments(rng, pop: Population, onsets, traj: Trajectories, tables: dict[str, pa.Table], area: Area,
                 clinic_ids: np.ndarray, clock: Clock, chunk: int) -> pa.Table:
    """Past bookings (attended, cancelled, no-show) and what lies ahead after the extract date."""
    days = clock.days
    contacts = tables["hospital_contact"]
    planned = np.asarray(contacts["priority"].to_numpy(zero_copy_only=False) == "ATA3")
    outpatient = planned & (np.asarray(contacts["contact_type"].to_numpy(zero_copy_only=False)) != "ALCA10")
    pid_index = _person_index(contacts["person_id"], chunk)
    start_s = contacts["start_time"].to_numpy()
    start_day = (start_s - np.datetime64(clock.start, "us")).astype("timedelta64[s]").astype(float) / 86400
    units = contacts["unit_id"].to_numpy(zero_copy_only=False)
    op = np.flatnonzero(outpatient)
    p = [pid_index[op]]
    day = [start_day[op]]
    sector = [np.full(op.size, "hospital")]
    org = [units[op]]
    status = [np.full(op.size, "attended")]
    desc = [np.full(op.size, "Ambulant besøg")]
    # About one booking in ten is cancelled or missed.
    miss = op[rng.random(op.size) < 0.1]
    p.append(pid_index[miss])
    day.append(start_day[miss] - rng.uniform(7, 60, miss.size))
    sector.append(np.full(miss.size, "hospital"))
    org.append(units[miss])
    status.append(np.where(rng.random(miss.size) < 0.6, "cancelled", "no_show"))
    desc.append(np.full(miss.size, "Ambulant besøg"))
    # Ahead: outpatient follow-up of the chronically ill, GP controls, home-nursing visits.
    alive_end = ~np.isfinite(traj.death_day) & (pop.birth_day < days)
    chronic = alive_end & (sum((onsets[c] < days).astype(int) for c in onsets) > 0)
    for mask, sec, organisation, text, horizon, share in (
        (chronic, "hospital", area.unit_of(pop.municipality_at(days), np.full(pop.n, "internal_medicine"))[1],
         "Ambulant kontrol", 120, 0.5),
        (chronic, "gp", clinic_ids[pop.clinic_at(days)], "Årskontrol hos egen læge", 180, 0.6),
        (alive_end & (pop.age_at(days) >= 80), "municipality", area.municipality_codes[pop.municipality_at(days)],
         "Besøg af hjemmesygeplejen", 14, 0.15),
    ):
        who = np.flatnonzero(mask & (rng.random(pop.n) < share))
        p.append(who)
        day.append(days + rng.uniform(1, horizon, who.size))
        sector.append(np.full(who.size, sec))
        org.append(np.asarray(organisation)[who])
        status.append(np.full(who.size, "booked"))
        desc.append(np.full(who.size, text))
    pp = np.concatenate(p)
    dd = np.concatenate(day)
    keep = dd >= np.maximum(pop.birth_day[pp], 0)
    pids = person_id_array(pop, chunk)
    return pa.table({
        "appointment_id": make_ids(f"A{chunk}-", 0, int(keep.sum())),
        "person_id": pids.take(pa.array(pp[keep])),
        "sector": np.concatenate(sector)[keep],
        "organisation_id": np.concatenate(org)[keep].astype(str),
        "start_time": clock.instants(np.floor(dd[keep]) + rng.uniform(8 / 24, 15 / 24, int(keep.sum()))),
        "status": np.concatenate(status)[keep],
        "description": np.concatenate(desc)[keep],
    })


def _person_index(person_ids: pa.ChunkedArray, chunk: int) -> np.ndarray:
    """Back from 'P<chunk>-<n>' to n."""
    prefix = len(f"P{chunk}-")
    import pyarrow.compute as pc

    return pc.cast(pc.utf8_slice_codeunits(person_ids, prefix), pa.int64()).to_numpy()


