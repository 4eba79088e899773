"""General practice, laboratory results, redeemed prescriptions and vaccinations.

Every person has habitual lab values (a personal set point around which results vary with
analytical and biological noise); results drawn during an acute admission deviate from it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from klynge.synth import _params as P
from klynge.synth._context import Area, Clock, make_ids
from klynge.synth._hospital import Admissions, person_id_array
from klynge.synth._population import Population
from klynge.synth._simulate import Trajectories


def _alive_span(pop: Population, death: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
    return np.maximum(pop.birth_day, 0), np.minimum(death, days)


def _events(rng, lo, hi, rate_per_year) -> tuple[np.ndarray, np.ndarray]:
    """Poisson event days per person over [lo, hi) at a constant yearly rate."""
    years = np.maximum(hi - lo, 0) / 365.25
    count = rng.poisson(rate_per_year * years)
    person = np.repeat(np.arange(lo.size), count)
    day = np.floor(rng.uniform(lo[person], hi[person]))
    keep = day < hi[person]
    return person[keep], day[keep]


def _n_conditions(onsets, day_or_days) -> np.ndarray:
    return sum((onsets[c] <= day_or_days).astype(int) for c in onsets)


def general_practice(rng, pop: Population, onsets, traj: Trajectories, adm: Admissions, area: Area,
                     clinic_ids: np.ndarray, clock: Clock, chunk: int) -> dict[str, pa.Table]:
    days = clock.days
    lo, hi = _alive_span(pop, traj.death_day, days)
    pids = person_id_array(pop, chunk)
    # List membership: the clinic at the start (or birth), and a new one after a move.
    moved = np.isfinite(pop.move_day) & (pop.move_day < hi)
    list_from = np.where(pop.birth_day >= 0, np.floor(pop.birth_day), pop.res_from)
    change = pop.move_day + rng.integers(0, 30, pop.n)
    change = np.where(moved & (change < hi), change, np.inf)
    p1 = np.flatnonzero(np.isfinite(change))
    listing = pa.table({
        "person_id": pids.take(pa.array(np.r_[np.arange(pop.n), p1])),
        "clinic_id": np.r_[clinic_ids[pop.clinic0], clinic_ids[pop.clinic1[p1]]],
        "valid_from": clock.dates(np.r_[list_from, change[p1]]),
        "valid_to": pa.array(clock.dates(np.r_[np.where(np.isfinite(change), change, 0), np.zeros(p1.size)])
                             .to_numpy(zero_copy_only=False), mask=np.r_[~np.isfinite(change), np.ones(p1.size, bool)],
                             type=pa.date32()),
    })

    # Contacts: age-specific rates, more with each chronic condition and with frailty.
    mid_age = pop.age_at((lo + hi) / 2)
    rate = P.gp_rate(mid_age) * (1 + 0.3 * _n_conditions(onsets, hi)) * np.exp(0.25 * pop.frailty - 0.03)
    rate = rate * rng.gamma(1.5, 1 / 1.5, pop.n)   # some see their GP much more than others
    person, day = _events(rng, lo, hi, rate)
    kind = np.array(P.GP_KINDS)[rng.choice(len(P.GP_KINDS), person.size, p=P.GP_KIND_SHARE)]
    old = pop.age_at(day, person) >= 80
    kind = np.where(old & (rng.random(person.size) < 0.08), "home_visit", kind)
    # Yearly chronic-care control for diabetes, COPD, heart failure and asthma.
    cc = np.zeros(pop.n, bool)
    for c in ("t2d", "t1d", "copd", "heart_failure"):
        cc |= onsets[c] < hi
    cp, cd = _events(rng, np.where(cc, lo, hi), hi, 1.0)
    # Follow-up within a week of discharge for 45 % of the 65+ [I].
    fu = (pop.age_at(adm.end, adm.person) >= 65) & (rng.random(adm.person.size) < 0.45) & (adm.kind != 3)
    fd = np.floor(adm.end[fu]) + rng.integers(1, 8, int(fu.sum()))
    fp = adm.person[fu]
    ok = fd < hi[fp]
    person = np.r_[person, cp, fp[ok]]
    day = np.r_[day, cd, fd[ok]]
    kind = np.r_[kind, np.full(cp.size, "chronic_care"), np.where(rng.random(int(ok.sum())) < 0.6, "consultation", "phone")]
    clinic = clinic_ids[pop.clinic_at(day, person)]
    # Some contacts go to the out-of-hours service or another practice (continuity is < 1).
    away = rng.random(person.size) < 0.12
    region = area.region[pop.municipality_at(day, person)]
    clinic = np.where(away, np.char.add("VAGT", region), clinic)
    # Each clinic has up to four doctors; a person mostly sees the same one.
    own = (pop.frailty[person] * 1000).astype(np.int64) % 4 + 1
    doctor = np.where(rng.random(person.size) < 0.75, own, rng.integers(1, 5, person.size))
    order = np.lexsort((day, person))
    clinic_arr = pa.array(clinic[order].astype(str))
    provider = pc.binary_join_element_wise(clinic_arr, pc.cast(pa.array(doctor[order]), pa.string()), "-L")
    gp = pa.table({
        "contact_id": make_ids(f"G{chunk}-", 0, person.size),
        "person_id": pids.take(pa.array(person[order])),
        "contact_date": clock.dates(day[order]),
        "kind": kind[order].astype(str),
        "clinic_id": clinic_arr,
        "provider_id": provider,
    })
    return {"gp_listing": listing, "gp_contact": gp, "lab_result": _labs(rng, pop, onsets, adm, lo, hi, clock, pids),
            "prescription": _prescriptions(rng, pop, onsets, lo, hi, clock, pids),
            "vaccination": _vaccinations(rng, pop, lo, hi, clock, pids)}


# NPU code, unit, population mean (men, women), between-person SD, within-person CV,
# reference interval (men, women) [M: codes and intervals are typical Danish values].
LABS = {
    "NPU27300": ("mmol/mol", (36.0, 36.0), 3.0, 0.04, ((20, 42), (20, 42))),        # HbA1c
    "NPU18016": ("umol/L", (82.0, 66.0), 12.0, 0.06, ((60, 105), (45, 90))),         # creatinine
    "NPU02319": ("mmol/L", (9.1, 8.2), 0.5, 0.035, ((8.3, 10.5), (7.3, 9.5))),        # haemoglobin
    "NPU03230": ("mmol/L", (4.1, 4.1), 0.25, 0.04, ((3.5, 4.6), (3.5, 4.6))),         # potassium
    "NPU03429": ("mmol/L", (140.0, 140.0), 2.0, 0.012, ((137, 145), (137, 145))),     # sodium
    "NPU19748": ("mg/L", (2.0, 2.0), 0.6, 0.5, ((0, 8), (0, 8))),                     # CRP (log scale)
}


def _labs(rng, pop: Population, onsets, adm: Admissions, lo, hi, clock: Clock, pids) -> pa.Table:
    # Samples: GP blood tests (65+ or chronic disease), and a panel at each acute admission.
    n_cond = _n_conditions(onsets, hi)
    rate = np.where(pop.age_at(hi) >= 65, 1.5, 0.3) + 1.2 * n_cond
    gp_p, gp_d = _events(rng, lo, hi, rate)
    gp_t = gp_d + rng.uniform(7.5 / 24, 11 / 24, gp_p.size)
    acute = np.flatnonzero(adm.acute & (adm.kind != 3))
    ad_t = adm.start[acute] + rng.uniform(0.5, 2, acute.size) / 24
    person = np.r_[gp_p, adm.person[acute]]
    t = np.r_[gp_t, ad_t]
    sector = np.r_[np.full(gp_p.size, "gp"), np.full(acute.size, "hospital")]
    in_hosp = sector == "hospital"
    keep = t < np.minimum(hi[person], clock.days)
    person, t, sector, in_hosp = person[keep], t[keep], sector[keep], in_hosp[keep]
    diabetic = (onsets["t2d"][person] <= t) | (onsets["t1d"][person] <= t)
    parts = []
    for code, (unit, means, sd_between, cv, refs) in LABS.items():
        take = np.ones(person.size, bool) if code != "NPU27300" else (diabetic | (rng.random(person.size) < 0.3))
        if code == "NPU19748":
            take &= in_hosp | (rng.random(person.size) < 0.3)
        p, tt, ih = person[take], t[take], in_hosp[take]
        female = pop.female[p]
        # The person's habitual value: a stable set point drawn once per person and analyte.
        z_person = rng.standard_normal(pop.n)[p]
        mean = np.where(female, means[1], means[0])
        if code == "NPU19748":
            value = np.exp(np.log(mean) + sd_between * z_person + cv * rng.standard_normal(p.size))
            value = np.where(ih, value * np.exp(rng.uniform(1.5, 4.0, p.size)), value)
        else:
            habitual = mean + sd_between * z_person
            if code == "NPU27300":
                habitual = np.where(diabetic[take], 55 + 9 * z_person, habitual)
            if code == "NPU18016":
                habitual = habitual * np.where(pop.age_at(tt, p) > 70, 1.15, 1.0)
            value = habitual * (1 + cv * rng.standard_normal(p.size))
            # Acute illness moves creatinine up and sodium down (dehydration, infection).
            if code == "NPU18016":
                value = np.where(ih & (rng.random(p.size) < 0.4), value * rng.uniform(1.2, 1.8, p.size), value)
            if code == "NPU03429":
                value = np.where(ih & (rng.random(p.size) < 0.2), value - rng.uniform(4, 10, p.size), value)
        decimals = 0 if code in ("NPU27300", "NPU18016", "NPU03429") else 1
        parts.append(pa.table({
            "person_id": pids.take(pa.array(p)),
            "sample_time": clock.instants(tt),
            "npu_code": np.full(p.size, code),
            "value": np.round(value, decimals),
            "unit": np.full(p.size, unit),
            "ref_low": np.where(female, refs[1][0], refs[0][0]).astype(float),
            "ref_high": np.where(female, refs[1][1], refs[0][1]).astype(float),
            "sector": np.where(ih, "hospital", "gp"),
        }))
    return pa.concat_tables(parts)


# Medicines by condition (ATC, share of patients treated) [I]; general medicines for the 65+.
DRUGS = {
    "t2d": [("A10BA02", 0.8), ("A10BK01", 0.3), ("A10AE04", 0.2)],
    "t1d": [("A10AB05", 1.0), ("A10AE04", 1.0)],
    "copd": [("R03AL03", 0.6), ("R03BB04", 0.4), ("R03AK10", 0.2)],
    "asthma": [("R03AC02", 0.7), ("R03AK06", 0.4)],
    "heart_failure": [("C03CA01", 0.8), ("C09AA05", 0.6), ("C07AB07", 0.6)],
    "dementia": [("N06DA02", 0.5), ("N06DX01", 0.2)],
    "osteoporosis": [("M05BA04", 0.6), ("A12AX", 0.6)],
    "ra": [("L04AX03", 0.7), ("A07EC01", 0.2)],
    "schizophrenia": [("N05AH03", 0.8), ("N05AX08", 0.3)],
    "cancer": [("L02BG04", 0.2), ("N02AA01", 0.2)],
}
GENERAL = [("C10AA05", 0.35), ("C09AA05", 0.30), ("C08CA01", 0.25), ("B01AC06", 0.20), ("N02BE01", 0.25),
           ("A02BC01", 0.20), ("N06AB10", 0.08)]


def _prescriptions(rng, pop: Population, onsets, lo, hi, clock: Clock, pids) -> pa.Table:
    """Redemptions about every 90 days of 90 DDD while a medicine is in use."""
    person, atc, start = [], [], []
    for c, drugs in DRUGS.items():
        has = np.flatnonzero(onsets[c] < hi)
        for code, share in drugs:
            users = has[rng.random(has.size) < share]
            person.append(users)
            atc.append(np.full(users.size, code))
            start.append(np.maximum(onsets[c][users], lo[users]))
    age_end = pop.age_at(hi)
    for code, share in GENERAL:
        p_use = share * np.clip((age_end - 40) / 35, 0, 1.3)
        users = np.flatnonzero(rng.random(pop.n) < p_use)
        person.append(users)
        atc.append(np.full(users.size, code))
        start.append(lo[users] + np.where(rng.random(users.size) < 0.8, 0, rng.uniform(0, 1, users.size) * (hi[users] - lo[users])))
    p = np.concatenate(person)
    a = np.concatenate(atc)
    s = np.concatenate(start) + rng.uniform(0, 90, p.size)
    n_red = np.maximum(np.ceil((hi[p] - s) / 90), 0).astype(int)
    rp = np.repeat(np.arange(p.size), n_red)
    k = np.arange(rp.size) - np.repeat(np.cumsum(n_red) - n_red, n_red)
    day = np.floor(s[rp] + k * 90 + rng.normal(0, 8, rp.size))
    keep = (day >= lo[p[rp]]) & (day < hi[p[rp]])
    rp, day = rp[keep], day[keep]
    # Short antibiotic courses (pivmecillinam, penicillin) about once every three years.
    ab_p, ab_d = _events(rng, lo, hi, 0.3 * np.exp(0.3 * pop.frailty))
    person_all = np.r_[p[rp], ab_p]
    order = np.lexsort((np.r_[day, ab_d], person_all))
    return pa.table({
        "person_id": pids.take(pa.array(person_all[order])),
        "dispensing_date": clock.dates(np.r_[day, ab_d][order]),
        "atc": np.r_[a[rp], np.where(rng.random(ab_p.size) < 0.5, "J01CA08", "J01CE02")][order],
        "ddd": np.r_[np.round(rng.uniform(60, 100, rp.size)), np.round(rng.uniform(5, 10, ab_p.size))][order],
    })


def _vaccinations(rng, pop: Population, lo, hi, clock: Clock, pids) -> pa.Table:
    """The childhood programme by age, and autumn influenza and COVID-19 vaccination of the 65+."""
    rows_p, rows_d, rows_v = [], [], []

    def at_age(years: float, vaccine: str, share: float) -> None:
        d = np.floor(pop.birth_day + years * 365.25 + rng.uniform(0, 30, pop.n))
        ok = (d >= lo) & (d < hi) & (rng.random(pop.n) < share)
        rows_p.append(np.flatnonzero(ok))
        rows_d.append(d[ok])
        rows_v.append(np.full(int(ok.sum()), vaccine))

    for months in (3, 5, 12):
        at_age(months / 12, "DITEKIPOL_HIB", 0.95)
        at_age(months / 12, "PNEUMOKOK_BORN", 0.93)
    at_age(15 / 12, "MFR", 0.93)
    at_age(4, "MFR", 0.88)
    at_age(12, "HPV", 0.8)
    at_age(12.5, "HPV", 0.75)
    at_age(65, "PNEUMOKOK", 0.4)
    start_doy = clock.start.timetuple().tm_yday
    for year in range(int(np.ceil(clock.days / 365.25)) + 1):
        autumn = 365.25 * year + (274 - start_doy) + rng.uniform(0, 75, pop.n)   # October-mid December
        old = pop.age_at(autumn) >= 65
        for vaccine, share in (("INFLUENZA", 0.75), ("COVID19", 0.65)):
            uptake = share * np.clip(1 + 0.1 * pop.frailty, 0.5, 1.2)
            ok = old & (autumn >= lo) & (autumn < hi) & (rng.random(pop.n) < uptake)
            rows_p.append(np.flatnonzero(ok))
            rows_d.append(np.floor(autumn[ok]))
            rows_v.append(np.full(int(ok.sum()), vaccine))
    p = np.concatenate(rows_p)
    return pa.table({"person_id": pids.take(pa.array(p)), "vaccination_date": clock.dates(np.concatenate(rows_d)),
                     "vaccine": np.concatenate(rows_v)})
