"""Municipal care as FSIII services and functional-state assessments.

Home help comes from the weekly minutes of the simulation: a new service row starts whenever
the planned minutes change (a revisitation), so weekly minutes can be read back from the rows.
After a discharge, elderly citizens get home nursing, a temporary place or rehabilitation after
realistic delays [I]; the share reached within 3 days is what the transition indicators measure.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from klynge.synth._context import Area, Clock, make_ids
from klynge.synth._hospital import Admissions, person_id_array
from klynge.synth._population import Population
from klynge.synth._simulate import Trajectories


class _Rows:
    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, person, start, end, code, group, minutes) -> None:
        n = len(person)
        self.parts.append({"person": np.asarray(person), "start": np.asarray(start, float),
                           "end": np.asarray(end, float), "code": np.broadcast_to(np.asarray(code, dtype=object), (n,)),
                           "group": np.broadcast_to(np.asarray(group, dtype=object), (n,)),
                           "minutes": np.broadcast_to(np.asarray(minutes, float), (n,))})

    def cat(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}


def _segments(person, week, minutes):
    """Runs of consecutive weeks with stable planned minutes (a change of 10 % starts a new run)."""
    order = np.lexsort((week, person))
    p, w, m = person[order], week[order], minutes[order]
    new_spell = np.ones(p.size, bool)
    new_spell[1:] = (p[1:] != p[:-1]) | (w[1:] != w[:-1] + 1)
    new_seg = new_spell.copy()
    new_seg[1:] |= np.abs(m[1:] - m[:-1]) >= 0.1 * np.maximum(m[:-1], 1)
    seg = np.cumsum(new_seg) - 1
    spell = np.cumsum(new_spell) - 1
    first = np.flatnonzero(new_seg)
    last = np.r_[first[1:] - 1, p.size - 1]
    seg_minutes = np.round(np.bincount(seg, weights=m) / np.bincount(seg) / 5) * 5
    sp_first = np.flatnonzero(new_spell)
    sp_last = np.r_[sp_first[1:] - 1, p.size - 1]
    return (p[first], w[first], w[last], seg_minutes), (p[sp_first], w[sp_first], w[sp_last]), spell


def municipal_care(rng, pop: Population, onsets, traj: Trajectories, adm: Admissions, area: Area,
                   clock: Clock, chunk: int) -> tuple[dict[str, pa.Table], dict[str, np.ndarray]]:
    days = clock.days
    weeks_total = int(np.ceil(days / 7))
    death = traj.death_day
    rows = _Rows()
    hc_p, hc_w, hc_m = traj.hc_person.astype(int), traj.hc_week.astype(int), traj.hc_minutes
    (sp, sw0, sw1, sm), (pp, pw0, pw1), _ = _segments(hc_p, hc_w, hc_m)
    open_end = (sw1 == weeks_total - 1) & ~np.isfinite(death[sp])
    seg_end = np.where(open_end, np.nan, np.minimum(7.0 * (sw1 + 1), np.floor(death[sp]) + 1))
    # Personal care carries the minutes that vary; practical help is a steady fortnightly clean.
    rows.add(sp, 7.0 * sw0, seg_end, "H1.1", "personal_care", np.maximum(sm - 15, 5))
    open_spell = (pw1 == weeks_total - 1) & ~np.isfinite(death[pp])
    spell_end = np.where(open_spell, np.nan, np.minimum(7.0 * (pw1 + 1), np.floor(death[pp]) + 1))
    rows.add(pp, 7.0 * pw0, spell_end, "H1.8", "practical_help", 15.0)

    # Nursing-home residence until death.
    nh = np.flatnonzero(np.isfinite(traj.nursing_home_day) | (traj.nursing_home_day == -np.inf))
    nh = nh[traj.nursing_home_day[nh] < np.minimum(death[nh], days)]
    nh_start = np.where(traj.nursing_home_day[nh] == -np.inf, -rng.uniform(30, 1500, nh.size), traj.nursing_home_day[nh])
    nh_start = np.floor(np.maximum(nh_start, pop.birth_day[nh] + 60 * 365.25))
    rows.add(nh, nh_start, np.where(np.isfinite(death[nh]), np.floor(death[nh]) + 1, np.nan), "PLEJEBOLIG",
             "nursing_home", np.nan)

    # After discharge (alive, 65+): home nursing, temporary place, rehabilitation.
    alive_after = (death[adm.person] > adm.end + 0.5) & (adm.end < days)
    age = pop.age_at(adm.end, adm.person)
    receives = np.isin(adm.person, hc_p)
    elig = alive_after & (age >= 65) & (adm.kind != 3)
    n = adm.person.size
    p_nurse = np.where(receives | (age >= 80), 0.45, 0.25)
    nurse = elig & (rng.random(n) < p_nurse)
    delay = rng.choice(np.arange(11), n, p=[.28, .22, .12, .08, .07, .06, .05, .04, .03, .03, .02])
    _after(rows, rng, adm, nurse, np.floor(adm.end) + delay, rng.uniform(14, 70, n), death,
           pick_code=("G1.20", "G2.1", "G1.39", "G1.41"), group="home_nursing", minutes=rng.uniform(20, 120, n))
    temp = elig & (receives | (age >= 80)) & (rng.random(n) < 0.08)
    _after(rows, rng, adm, temp, np.floor(adm.end) + rng.integers(0, 2, n), rng.uniform(7, 28, n), death,
           pick_code=("H4.1",), group="temporary_stay", minutes=np.full(n, np.nan))
    rehab = elig & (rng.random(n) < 0.10)
    _after(rows, rng, adm, rehab, np.floor(adm.end) + rng.integers(3, 21, n), rng.uniform(28, 84, n), death,
           pick_code=("H5.1",), group="rehabilitation", minutes=rng.uniform(45, 120, n))

    # Long-term home nursing (medication) for frail elderly with chronic disease.
    start_age = pop.age_at(0)
    chronic = sum((onsets[c] <= 0).astype(int) for c in ("dementia", "heart_failure", "t2d", "copd"))
    ltn = np.flatnonzero((start_age >= 65) & (chronic > 0) & (pop.frailty > 0.3) & (pop.birth_day < 0)
                         & (rng.random(pop.n) < 0.3))
    rows.add(ltn, -np.floor(rng.uniform(30, 900, ltn.size)),
             np.where(np.isfinite(death[ltn]), np.floor(death[ltn]) + 1, np.nan), "G1.21", "home_nursing",
             np.round(rng.uniform(20, 90, ltn.size) / 5) * 5)
    # Preventive home visits for the 75+ about once a year (a third accept).
    old = np.flatnonzero((start_age >= 75) & (pop.birth_day < 0))
    for year in range(int(days // 365)):
        v = old[rng.random(old.size) < 0.3]
        d = np.floor(365 * year + rng.uniform(0, 365, v.size))
        v, d = v[d < death[v]], d[d < death[v]]
        rows.add(v, d, d + 1, "FOREBYG", "preventive", 60.0)

    r = rows.cat()
    r["end"] = np.where(np.isfinite(r["end"]) & (r["end"] <= r["start"]), r["start"] + 1, r["end"])
    keep = r["start"] < np.minimum(death[r["person"]], days)
    r = {k: v[keep] for k, v in r.items()}
    mun = pop.municipality_at(r["start"], r["person"])
    pids = person_id_array(pop, chunk)
    end = r["end"]
    ongoing = ~np.isfinite(end) | (end > days)
    service = pa.table({
        "service_id": make_ids(f"S{chunk}-", 0, r["person"].size),
        "person_id": pids.take(pa.array(r["person"])),
        "municipality_code": area.municipality_codes[mun],
        "service_code": r["code"].astype(str),
        "service_group": r["group"].astype(str),
        "start_date": clock.dates(r["start"]),
        "end_date": pa.array(clock.dates(np.where(ongoing, r["start"], end)).to_numpy(zero_copy_only=False),
                             mask=ongoing, type=pa.date32()),
        "minutes_per_week": pa.array(r["minutes"], mask=~np.isfinite(r["minutes"]), type=pa.float64()),
    })
    assessments = _assessments(rng, pop, pp, pw0, pw1, death, area, clock, pids)
    return {"municipal_service": service, "functional_assessment": assessments}, {
        "person": r["person"], "start": r["start"], "group": r["group"].astype(str)}


def _after(rows: _Rows, rng, adm: Admissions, mask, start, length, death, pick_code, group, minutes) -> None:
    idx = np.flatnonzero(mask)
    s = start[idx]
    ok = s < death[adm.person[idx]]
    idx, s = idx[ok], s[ok]
    end = np.minimum(s + np.ceil(length[idx]), np.where(np.isfinite(death[adm.person[idx]]),
                                                      np.floor(death[adm.person[idx]]) + 1, np.inf))
    code = np.array(pick_code, dtype=object)[rng.integers(0, len(pick_code), idx.size)]
    m = minutes[idx]
    rows.add(adm.person[idx], s, end, code, group, np.where(np.isfinite(m), np.round(m / 5) * 5, np.nan))


_STATES = ("J1.1", "J1.3", "J3.8", "J2.1", "J4.2")


def _assessments(rng, pop: Population, person, w0, w1, death, area: Area, clock: Clock, pids) -> pa.Table:
    """Functional-state assessments at the start of home help and every 26 weeks after [I]."""
    n_assess = (w1 - w0) // 26 + 1
    p = np.repeat(person, n_assess)
    k = np.concatenate([np.arange(c) for c in n_assess]) if n_assess.size else np.array([], int)
    day = 7.0 * np.repeat(w0, n_assess) + 182 * k + rng.integers(0, 7, p.size)
    keep = day < death[p]
    p, day = p[keep], day[keep]
    p = np.repeat(p, len(_STATES))
    day = np.repeat(day, len(_STATES))
    state = np.tile(np.array(_STATES), keep.sum())
    age = pop.age_at(day, p)
    score = 1.6 + 0.6 * pop.frailty[p] + 0.04 * (age - 75) + 0.4 * rng.standard_normal(p.size)
    score += np.where(state == "J2.1", 0.8, 0.0)
    severity = np.clip(np.round(score), 1, 5).astype(int)
    return pa.table({
        "person_id": pids.take(pa.array(p)),
        "assessment_date": clock.dates(day),
        "state_code": state,
        "severity": np.char.add("B", severity.astype(str)),
        "municipality_code": area.municipality_codes[pop.municipality_at(day, p)],
    })
