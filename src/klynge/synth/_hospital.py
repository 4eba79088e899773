"""Hospital activity as LPR3 contacts: admissions, emergency visits and outpatient care.

An acute admission starts with a contact in the emergency department followed, within the
hour, by a contact on a ward (one stay by the ≤ 4 h rule, §2.1); some long stays move to a
second unit or hospital (a transfer). Planned admissions, outpatient visits (physical or
virtual) and emergency visits without admission are single contacts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from klynge.synth import _codes as C
from klynge.synth import _params as P
from klynge.synth._context import Area, Clock, make_ids, pick
from klynge.synth._population import Population
from klynge.synth._simulate import Trajectories


@dataclass
class Admissions:
    """One row per admission (stay), used by the municipal, GP and message modules."""

    person: np.ndarray
    start: np.ndarray      # day offsets
    end: np.ndarray
    acute: np.ndarray
    kind: np.ndarray
    code: np.ndarray       # action diagnosis
    first_contact: np.ndarray   # row index of the stay's first contact
    last_contact: np.ndarray
    unit: np.ndarray       # discharging unit
    hospital: np.ndarray


class _Contacts:
    """Column buffers for hospital contacts."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {k: [] for k in (
            "person", "start", "end", "type", "priority", "reason", "hospital", "unit", "specialty", "branch",
            "code")}

    def add(self, **kw) -> np.ndarray:
        n = len(kw["person"])
        first = sum(len(x) for x in self.cols["person"])
        for k, v in kw.items():
            self.cols[k].append(np.broadcast_to(np.asarray(v), (n,)) if np.ndim(v) == 0 else np.asarray(v))
        return np.arange(first, first + n)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if v else np.array([]) for k, v in self.cols.items()}


def _active(onsets: dict[str, np.ndarray], person: np.ndarray, day: np.ndarray) -> dict[str, np.ndarray]:
    return {c: onsets[c][person] <= day for c in onsets}


def _acute_codes(rng, pop: Population, onsets, person, day, episode) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Action diagnosis, specialty and contact reason of acute admissions."""
    n = person.size
    age = pop.age_at(day, person)
    act = _active(onsets, person, day)
    code = np.empty(n, dtype=object)
    spec = np.empty(n, dtype=object)
    reason = np.full(n, "ALCC01", dtype=object)
    todo = np.ones(n, bool)
    # Psychiatric admissions of persons with schizophrenia.
    m = todo & act["schizophrenia"] & (rng.random(n) < 0.35)
    code[m], spec[m], todo[m] = "DF209", "psychiatry", False
    # Preventable (ambulatory-care-sensitive) admissions among the 65+, more during deterioration.
    p_prev = np.where(age >= 65, np.where(episode, 0.38, 0.12), 0.03)
    m = todo & (rng.random(n) < p_prev)
    code[m] = pick(rng, C.PREVENTABLE, int(m.sum()))
    spec[m] = np.where(np.char.startswith(code[m].astype(str), "DS"), "orthopaedics", "internal_medicine")
    todo[m] = False
    for c in ("cancer", "copd", "heart_failure", "t2d", "t1d", "dementia", "asthma"):
        p = {"cancer": 0.45, "copd": 0.35, "heart_failure": 0.35}.get(c, 0.12)
        m = todo & act[c] & (rng.random(n) < p)
        code[m] = pick(rng, C.CANCER_CODES, int(m.sum())) if c == "cancer" else C.EXACERBATION[c]
        spec[m] = C.CONDITION_SPECIALTY[c] if c != "dementia" else "geriatrics"
        todo[m] = False
    m = todo & (rng.random(n) < 0.15)
    code[m] = pick(rng, C.INJURY, int(m.sum()))
    spec[m] = "orthopaedics"
    reason[m] = pick(rng, {"ALCC02": 0.85, "ALCC03": 0.07, "ALCC04": 0.08}, int(m.sum()))
    todo[m] = False
    general = pick(rng, {k: v[1] for k, v in C.GENERAL_ACUTE.items()}, int(todo.sum()))
    code[todo] = general
    spec[todo] = [C.GENERAL_ACUTE[g][0] for g in general]
    spec[(age < 16) & (spec != "psychiatry")] = "paediatrics"
    return code.astype(str), spec.astype(str), reason.astype(str)


def hospital_activity(rng, pop: Population, onsets, traj: Trajectories, area: Area, clock: Clock,
                      chunk: int) -> tuple[dict[str, pa.Table], Admissions]:
    days = clock.days
    buf = _Contacts()
    death = traj.death_day

    # Births: a mother aged 18-44 has a birth admission around the baby's birth.
    babies = np.flatnonzero(pop.birth_day >= 0)
    women = np.flatnonzero(pop.female & (pop.age_at(0) >= 18) & (pop.age_at(0) < 42))
    person = traj.adm_person.astype(int)
    start, hours, kind = traj.adm_start, traj.adm_hours, traj.adm_kind.astype(int)
    episode = traj.adm_episode.astype(bool)
    if babies.size and women.size:
        mothers = women[rng.integers(0, women.size, babies.size)]
        ok = death[mothers] > pop.birth_day[babies] + 3
        b_start = pop.birth_day[babies][ok] - rng.uniform(0.1, 0.8, int(ok.sum()))
        b_start = np.maximum(b_start, 0)
        person = np.concatenate([person, mothers[ok]])
        start = np.concatenate([start, b_start])
        hours = np.concatenate([hours, rng.uniform(14, 80, int(ok.sum()))])
        kind = np.concatenate([kind, np.full(int(ok.sum()), 3)])
        episode = np.concatenate([episode, np.zeros(int(ok.sum()), bool)])
    end = np.minimum(start + hours / 24, death[person])
    n_adm = person.size

    acute = kind != 1
    code = np.empty(n_adm, dtype=object)
    spec = np.empty(n_adm, dtype=object)
    reason = np.full(n_adm, "ALCC01", dtype=object)
    a = np.flatnonzero(acute & (kind != 3))
    code[a], spec[a], reason[a] = _acute_codes(rng, pop, onsets, person[a], start[a], episode[a])
    pl = np.flatnonzero(kind == 1)
    choice = rng.integers(0, len(C.PLANNED), pl.size)
    code[pl] = [C.PLANNED[i][0] for i in choice]
    spec[pl] = [C.PLANNED[i][1] for i in choice]
    has_cancer = onsets["cancer"][person[pl]] <= start[pl]
    treat = has_cancer & (rng.random(pl.size) < 0.5)
    code[pl[treat]] = pick(rng, C.CANCER_CODES, int(treat.sum()))
    spec[pl[treat]] = "oncology"
    b = np.flatnonzero(kind == 3)
    code[b], spec[b] = "DO800", "gynaecology_obstetrics"
    code, spec, reason = code.astype(str), spec.astype(str), reason.astype(str)
    # Planned start in the morning; the stay keeps its length.
    shift = np.where(kind == 1, np.floor(start) + rng.uniform(7 / 24, 11 / 24, n_adm) - start, 0.0)
    start, end = start + shift, np.minimum(end + shift, death[person])
    end = np.maximum(end, start)

    mun = pop.municipality_at(start, person)
    hosp, unit = area.unit_of(mun, spec)
    specialised = (kind == 1) & np.isin(spec, ["cardiology", "oncology", "orthopaedics"]) & (rng.random(n_adm) < 0.3)
    sh, su = area.specialised_unit(mun, spec)
    hosp, unit = np.where(specialised, sh, hosp), np.where(specialised, su, unit)
    branch = np.where(spec == "psychiatry", "psychiatric", "somatic")
    prio = np.where(acute, "ATA1", "ATA3")

    # Acute somatic admissions begin in the emergency department.
    via_ed = acute & (branch == "somatic") & (kind != 3)
    ed_hours = rng.uniform(1.5, 5, n_adm)
    ed_end = np.minimum(start + ed_hours / 24, end)
    ward_start = np.where(via_ed, np.minimum(ed_end + rng.uniform(0, 1.5, n_adm) / 24, end), start)
    short = via_ed & (end - ward_start < 1 / 24)
    ed_end = np.where(short, end, ed_end)
    has_ward = ~short
    ed_hosp, ed_unit = area.unit_of(mun, np.full(n_adm, "emergency"))
    first = np.full(n_adm, -1)
    last = np.full(n_adm, -1)
    i_ed = np.flatnonzero(via_ed)
    rows = buf.add(person=person[i_ed], start=start[i_ed], end=ed_end[i_ed], type="ALCA00", priority="ATA1",
                   reason=reason[i_ed], hospital=ed_hosp[i_ed], unit=ed_unit[i_ed], specialty="emergency",
                   branch="somatic", code=code[i_ed])
    first[i_ed] = rows
    last[i_ed] = rows
    # Transfers: a long stay moves to a second unit part-way, within three hours.
    transfer = has_ward & (end - ward_start > 3) & (rng.random(n_adm) < 0.12)
    split = ward_start + (end - ward_start) * rng.uniform(0.3, 0.7, n_adm)
    w_end = np.where(transfer, split, end)
    i_w = np.flatnonzero(has_ward)
    rows = buf.add(person=person[i_w], start=ward_start[i_w], end=w_end[i_w], type="ALCA00",
                   priority=np.where(via_ed[i_w], "ATA1", prio[i_w]), reason=reason[i_w], hospital=hosp[i_w],
                   unit=unit[i_w], specialty=spec[i_w], branch=branch[i_w], code=code[i_w])
    first[i_w] = np.where(first[i_w] >= 0, first[i_w], rows)
    last[i_w] = rows
    i_t = np.flatnonzero(transfer)
    t_spec = np.where(spec[i_t] == "psychiatry", "psychiatry", "geriatrics")
    t_hosp, t_unit = area.unit_of(mun[i_t], t_spec)
    t_start = np.minimum(split[i_t] + rng.uniform(0, 3, i_t.size) / 24, end[i_t])
    rows = buf.add(person=person[i_t], start=t_start, end=end[i_t], type="ALCA00", priority=prio[i_t],
                   reason=reason[i_t], hospital=t_hosp, unit=t_unit, specialty=t_spec, branch=branch[i_t],
                   code=code[i_t])
    last[i_t] = rows
    discharge_unit = unit.astype(object)
    discharge_unit[i_t] = t_unit
    adm = Admissions(person, start, end, acute, kind, code, first, last, discharge_unit.astype(str), hosp)

    _emergency_visits(rng, pop, traj, area, buf)
    _outpatient(rng, pop, onsets, traj, area, buf, days)

    cols = buf.arrays()
    return _tables(rng, cols, pop, onsets, adm, clock, chunk), adm


def _emergency_visits(rng, pop: Population, traj: Trajectories, area: Area, buf: _Contacts) -> None:
    person = traj.ed_person.astype(int)
    start = traj.ed_start
    keep = start < traj.death_day[person]
    person, start = person[keep], start[keep]
    hours = rng.uniform(1, 8, person.size)
    end = np.minimum(start + hours / 24, traj.death_day[person])
    injury = rng.random(person.size) < 0.5
    code = np.where(injury, pick(rng, C.INJURY, person.size), pick(rng, ["DR074", "DR109", "DR51", "DZ038", "DR55"], person.size))
    reason = np.where(injury, "ALCC02", "ALCC01")
    hosp, unit = area.unit_of(pop.municipality_at(start, person), np.full(person.size, "emergency"))
    buf.add(person=person, start=start, end=end, type="ALCA00", priority="ATA1", reason=reason,
            hospital=hosp, unit=unit, specialty="emergency", branch="somatic", code=code.astype(str))


def _outpatient(rng, pop: Population, onsets, traj: Trajectories, area: Area, buf: _Contacts, days: int) -> None:
    """Planned outpatient visits; citizens with chronic disease are followed in the specialty."""
    lo = np.maximum(pop.birth_day, 0)
    hi = np.minimum(traj.death_day, days)
    years = np.maximum(hi - lo, 0) / 365.25
    n_cond = sum((onsets[c] <= hi).astype(int) for c in onsets)
    rate = P.outpatient_rate(pop.age_at((lo + hi) / 2)) * (1 + 0.6 * n_cond)
    rate = rate + np.where(onsets["schizophrenia"] <= hi, 5.0, 0)
    # Outpatient care comes in courses: a few persons have many visits, most have none in a year
    # (gamma heterogeneity with mean 1 keeps the average rate).
    rate = rate * rng.gamma(0.35, 1 / 0.35, pop.n)
    count = rng.poisson(rate * years)
    person = np.repeat(np.arange(pop.n), count)
    day = np.floor(rng.uniform(lo[person], hi[person])) + rng.uniform(8 / 24, 15 / 24, person.size)
    keep = day < hi[person]
    person, day = person[keep], day[keep]
    n = person.size
    code = np.empty(n, dtype=object)
    spec = np.empty(n, dtype=object)
    gen = rng.integers(0, len(C.OUTPATIENT_GENERAL), n)
    code[:] = [C.OUTPATIENT_GENERAL[i][0] for i in gen]
    spec[:] = [C.OUTPATIENT_GENERAL[i][1] for i in gen]
    u = rng.random(n)
    for c in onsets:     # each active condition claims a share of the visits
        m = (onsets[c][person] <= day) & (u < 0.7)
        code[m], spec[m] = C.CHRONIC_CODE[c], C.CONDITION_SPECIALTY[c]
        u = np.where(m, 1.0, rng.random(n))
    spec = spec.astype(str)
    virtual = rng.random(n) < P.VIRTUAL_SHARE
    dur = np.where(virtual, rng.uniform(0.2, 0.5, n), rng.uniform(0.3, 2.0, n)) / 24
    home = (~virtual) & (pop.age_at(day, person) >= 80) & (rng.random(n) < 0.04)
    ctype = np.where(virtual, "ALCA03", np.where(home, "ALCA10", "ALCA00"))
    hosp, unit = area.unit_of(pop.municipality_at(day, person), spec)
    buf.add(person=person, start=day, end=day + dur, type=ctype, priority="ATA3", reason="ALCC01", hospital=hosp,
            unit=unit, specialty=spec, branch=np.where(spec == "psychiatry", "psychiatric", "somatic"),
            code=code.astype(str))


def _tables(rng, cols, pop: Population, onsets, adm: Admissions, clock: Clock, chunk: int) -> dict[str, pa.Table]:
    n = cols["person"].size
    order = np.lexsort((cols["start"], cols["person"]))
    inv = np.empty(n, int)
    inv[order] = np.arange(n)
    # Contacts are written sorted by person and start; `contact_id` is indexed by sorted position.
    contact_id = make_ids(f"K{chunk}-", 0, n)
    adm.first_contact, adm.last_contact = inv[adm.first_contact], inv[adm.last_contact]
    person_ids = person_id_array(pop, chunk)
    end = cols["end"]
    ongoing = end > clock.days     # still in hospital when the extract was made
    contact = pa.table({
        "contact_id": contact_id,
        "person_id": person_ids.take(pa.array(cols["person"][order])),
        "start_time": clock.instants(cols["start"][order]),
        "end_time": pc.if_else(pa.array(ongoing[order]), pa.scalar(None, pa.timestamp("us", tz="UTC")),
                               clock.instants(np.where(ongoing, cols["start"], end)[order])),
        "contact_type": cols["type"][order].astype(str),
        "priority": cols["priority"][order].astype(str),
        "contact_reason": cols["reason"][order].astype(str),
        "hospital_id": cols["hospital"][order].astype(str),
        "unit_id": cols["unit"][order].astype(str),
        "specialty": cols["specialty"][order].astype(str),
        "branch": cols["branch"][order].astype(str),
    })
    # Diagnoses: the action diagnosis of every contact, and the person's chronic conditions as
    # secondary diagnoses on admission contacts (60 % recorded).
    sorted_person = cols["person"][order]
    sorted_start = cols["start"][order]
    diag_contact = [np.arange(n)]
    diag_code = [cols["code"][order].astype(str)]
    diag_type = [np.full(n, "A")]
    is_adm = np.zeros(n, bool)
    is_adm[adm.first_contact] = True
    is_adm[adm.last_contact] = True
    for c in onsets:
        m = is_adm & (onsets[c][sorted_person] <= sorted_start) & (rng.random(n) < 0.6)
        diag_contact.append(np.flatnonzero(m))
        diag_code.append(np.full(int(m.sum()), C.CHRONIC_CODE[c]))
        diag_type.append(np.full(int(m.sum()), "B"))
    births = adm.first_contact[adm.kind == 3]
    diag_contact.append(births)
    diag_code.append(np.full(births.size, "DZ370"))
    diag_type.append(np.full(births.size, "B"))
    dc = np.concatenate(diag_contact)
    dcode = np.concatenate(diag_code)
    refuted = rng.random(dc.size) < 0.005
    diagnosis = pa.table({"contact_id": contact_id.take(pa.array(dc)), "diagnosis_code": dcode,
                          "diagnosis_type": np.concatenate(diag_type), "refuted": refuted})
    # Procedures: planned operations, fracture surgery and chest X-rays in lung clinics.
    codes_sorted = cols["code"][order].astype(str)
    proc_rows, proc_codes = [], []
    planned_map = {d: p for d, _, p in C.PLANNED}
    pl = np.flatnonzero(np.isin(codes_sorted, list(planned_map)) & (cols["priority"][order] == "ATA3")
                        & (cols["type"][order] == "ALCA00") & (cols["specialty"][order] != "internal_medicine"))
    pl = np.intersect1d(pl, adm.first_contact)
    proc_rows.append(pl)
    proc_codes.append(np.array([planned_map[c] for c in codes_sorted[pl]], dtype=str))
    fr = np.flatnonzero((codes_sorted == "DS720") & (cols["specialty"][order] == "orthopaedics"))
    proc_rows.append(fr)
    proc_codes.append(np.full(fr.size, C.FRACTURE_PROCEDURE))
    xr = np.flatnonzero((cols["specialty"][order] == "pulmonology") & (rng.random(n) < 0.2))
    proc_rows.append(xr)
    proc_codes.append(np.full(xr.size, C.XRAY_CHEST))
    pr = np.concatenate(proc_rows)
    proc_time = sorted_start[pr] + rng.uniform(0.05, 0.4, pr.size)
    proc_time = np.minimum(proc_time, np.where(end[order][pr] > sorted_start[pr], end[order][pr], sorted_start[pr]))
    procedure = pa.table({"contact_id": contact_id.take(pa.array(pr)), "procedure_code": np.concatenate(proc_codes),
                          "procedure_time": clock.instants(proc_time)})
    adm.contact_ids = contact_id   # type: ignore[attr-defined]
    return {"hospital_contact": contact, "diagnosis": diagnosis, "procedure": procedure}


def person_id_array(pop: Population, chunk: int) -> pa.Array:
    """Pseudonymous person ids, unique across chunks: P<chunk>-<n>."""
    return make_ids(f"P{chunk}-", 0, pop.n)
