"""The weekly microsimulation: deaths, admissions, deterioration and municipal home care.

Each week, for every living person of the chunk at once (vectorised), the hazards of acute
and planned admission, emergency visits and death are computed from age, sex, chronic
conditions, latent frailty and the person's current state:

* a latent deterioration episode (a few weeks) raises the risk of acute admission and death
  and makes weekly home-care minutes rise week on week (the signal the PATINA rule uses, §6);
* the 30 days after a discharge carry a raised risk of acute readmission;
* frail elderly discharged go on to home care more often.

Base rates are re-normalised every week within each 5-year age band, so that the population
totals stay on the §5.6/§5.7 targets however the risk factors are spread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from klynge.synth import _params as P
from klynge.synth._population import DAYS_PER_YEAR, Population

WEEKS_PER_YEAR = DAYS_PER_YEAR / 7


@dataclass
class Intervention:
    """A planted effect: residents of `municipality` have `reduction` fewer readmissions from `from_day`."""

    municipality_index: int
    from_day: int
    reduction: float
    effect: str = "readmission"


@dataclass
class Trajectories:
    """Everything the loop decided; later modules turn it into canonical rows."""

    death_day: np.ndarray
    died_in_hospital: np.ndarray
    # Admissions: person, start day (fractional), length in hours, kind, flags.
    adm_person: list = field(default_factory=list)
    adm_start: list = field(default_factory=list)
    adm_hours: list = field(default_factory=list)
    adm_kind: list = field(default_factory=list)      # 0 acute, 1 planned, 2 terminal, 3 birth
    adm_episode: list = field(default_factory=list)   # admitted during a deterioration episode
    adm_readmit_window: list = field(default_factory=list)
    ed_person: list = field(default_factory=list)
    ed_start: list = field(default_factory=list)
    # Home help: (person, week, minutes) for every week a person receives home help.
    hc_person: list = field(default_factory=list)
    hc_week: list = field(default_factory=list)
    hc_minutes: list = field(default_factory=list)
    nursing_home_day: np.ndarray | None = None
    # Truth: per person and index week, the true probability of acute admission.
    truth_week: list = field(default_factory=list)
    truth_person: list = field(default_factory=list)
    truth_p30: list = field(default_factory=list)
    truth_p365: list = field(default_factory=list)

    def finish(self) -> None:
        for name in list(self.__dataclass_fields__):
            value = getattr(self, name)
            if isinstance(value, list):
                setattr(self, name, np.concatenate(value) if value else np.array([]))


def _band_normalise(mult: np.ndarray, band: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Divide each person's relative risk by the mean relative risk of their age band."""
    sums = np.bincount(band[mask], weights=mult[mask], minlength=20)
    counts = np.bincount(band[mask], minlength=20)
    mean = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)
    return mult / mean[band]


def _los_hours(rng: np.random.Generator, age: np.ndarray, planned: bool) -> np.ndarray:
    # Mean length of stay about 3-4 days, 4-6 for the oldest (§5.7), at least 12 hours.
    mean_days = np.where(age >= 80, 5.0, np.where(age >= 65, 4.0, 2.6)) * (0.7 if planned else 1.0)
    sigma = 0.85
    days = np.exp(np.log(mean_days) - sigma**2 / 2 + sigma * rng.standard_normal(age.size))
    return np.clip(days * 24, 12, 24 * 120)


def simulate(rng: np.random.Generator, pop: Population, onsets: dict[str, np.ndarray], days: int,
             interventions: list[Intervention], truth_weeks: set[int]) -> Trajectories:
    """Run the weekly loop over the whole period for one chunk."""
    n = pop.n
    weeks = int(np.ceil(days / 7))
    death_day = np.full(n, np.inf)
    died_in_hospital = np.zeros(n, bool)
    in_hospital_until = np.full(n, -np.inf)
    last_discharge = np.full(n, -np.inf)
    episode_left = np.zeros(n, int)
    episode_week = np.zeros(n, int)
    nursing_home_day = np.full(n, np.inf)
    t = Trajectories(death_day, died_in_hospital)

    # Home help at the start, by age (§5.8), more likely for the frail (copula on frailty).
    from scipy.special import ndtr

    age_start = pop.age_at(np.maximum(pop.birth_day, 0))
    u = ndtr(0.6 * pop.frailty + 0.8 * rng.standard_normal(n))
    nh0 = (u > 1 - P.nursing_home_prevalence(age_start)) & (pop.birth_day < 0)
    nursing_home_day[nh0] = -np.inf
    hc0 = (~nh0) & (u > 1 - P.nursing_home_prevalence(age_start) - P.home_care_prevalence(age_start))
    hc0 &= pop.birth_day < 0
    baseline = np.zeros(n)
    baseline[hc0] = _draw_minutes(rng, pop.frailty[hc0])

    adm_rr_static = np.exp(P.FRAILTY_ADMISSION * pop.frailty)
    death_rr_static = np.exp(P.FRAILTY_DEATH * pop.frailty)
    for w in range(weeks):
        d0 = 7.0 * w
        age = pop.age_at(d0 + 3.5)
        alive = (pop.birth_day <= d0 + 7) & ~np.isfinite(death_day)
        band = np.clip((age // 5).astype(int), 0, 19)
        female = pop.female

        adm_rr = adm_rr_static.copy()
        death_rr = death_rr_static.copy()
        for c, onset in onsets.items():
            active = onset <= d0
            if c in P.ADMISSION_RR:
                adm_rr = np.where(active, adm_rr * P.ADMISSION_RR[c], adm_rr)
            if c in P.DEATH_RR:
                death_rr = np.where(active, death_rr * P.DEATH_RR[c], death_rr)
        in_episode = episode_left > 0
        adm_rr = np.where(in_episode, adm_rr * np.minimum(P.EPISODE_ADMISSION_RR * np.maximum(episode_week, 1), 10), adm_rr)
        death_rr = np.where(in_episode, death_rr * 2.0, death_rr)
        readmit_window = (d0 - last_discharge) < 30
        readmit_rr = np.full(n, P.READMISSION_RR)
        for iv in interventions:
            if iv.effect == "readmission" and d0 >= iv.from_day:
                hit = pop.municipality_at(d0) == iv.municipality_index
                readmit_rr = np.where(hit, 1 + (P.READMISSION_RR - 1) * (1 - iv.reduction), readmit_rr)
        adm_rr = np.where(readmit_window, adm_rr * readmit_rr, adm_rr)

        at_home = alive & (in_hospital_until <= d0)
        acute_py, planned_py = P.admission_rates(age)
        h_acute = acute_py / WEEKS_PER_YEAR * _band_normalise(adm_rr, band, at_home)
        if w in truth_weeks:
            _record_truth(t, w, alive, h_acute, acute_py, _band_normalise(adm_rr_static, band, alive))

        # Deaths this week.
        h_death = P.mortality(age, female) / WEEKS_PER_YEAR * _band_normalise(death_rr, band, alive)
        dday = np.maximum(d0 + rng.uniform(0, 7, n), np.maximum(pop.birth_day, 0))
        dies = alive & (rng.random(n) < -np.expm1(-h_death)) & (dday < days)
        death_day[dies] = dday[dies]
        # In hospital already: the stay ends in death. Otherwise some die after a short terminal
        # admission (fewer from nursing homes, where most die in their own home).
        inside = dies & (in_hospital_until > dday)
        died_in_hospital[inside] = True
        p_term = np.where(np.isfinite(nursing_home_day) & (nursing_home_day <= d0), 0.15, P.DEATH_IN_HOSPITAL)
        terminal = dies & ~inside & (rng.random(n) < p_term)
        if terminal.any():
            idx = np.flatnonzero(terminal)
            hours = np.clip(rng.exponential(72, idx.size), 6, 24 * 30)
            start = np.maximum(death_day[idx] - hours / 24, np.maximum(pop.birth_day[idx], 0))
            start = np.maximum(start, in_hospital_until[idx])
            _add_adm(t, idx, start, (death_day[idx] - start) * 24, 2, in_episode[idx], readmit_window[idx])
            died_in_hospital[idx] = True
        alive &= ~dies
        at_home &= ~dies

        # Acute admissions.
        adm = at_home & (rng.random(n) < -np.expm1(-h_acute))
        if adm.any():
            idx = np.flatnonzero(adm)
            start = np.maximum(d0 + rng.uniform(0, 7, idx.size), np.maximum(pop.birth_day[idx], 0))
            hours = _los_hours(rng, age[idx], planned=False)
            _add_adm(t, idx, start, hours, 0, in_episode[idx], readmit_window[idx])
            in_hospital_until[idx] = start + hours / 24
            last_discharge[idx] = start + hours / 24
            episode_left[idx] = 0
            _after_discharge(rng, idx, age, baseline, nursing_home_day, start + hours / 24, pop.frailty)
            at_home[idx] = False

        # Planned admissions (risk follows chronic disease only mildly).
        h_planned = planned_py / WEEKS_PER_YEAR * np.sqrt(_band_normalise(adm_rr_static, band, at_home))
        pl = at_home & (rng.random(n) < -np.expm1(-h_planned))
        if pl.any():
            idx = np.flatnonzero(pl)
            start = np.maximum(d0 + rng.uniform(0, 7, idx.size), pop.birth_day[idx])
            hours = _los_hours(rng, age[idx], planned=True)
            _add_adm(t, idx, start, hours, 1, in_episode[idx], readmit_window[idx])
            in_hospital_until[idx] = start + hours / 24
            last_discharge[idx] = start + hours / 24
            at_home[idx] = False

        # Emergency-department visits that end without admission.
        ed = at_home & (rng.random(n) < P.ed_rate(age) / WEEKS_PER_YEAR * np.exp(0.3 * pop.frailty))
        t.ed_person.append(np.flatnonzero(ed))
        t.ed_start.append(np.maximum(d0 + rng.uniform(0, 7, int(ed.sum())), pop.birth_day[ed]))

        # Deterioration episodes begin, run and end.
        receives = baseline > 0
        onset_rate = P.EPISODE_ONSET * np.exp(0.5 * pop.frailty) * np.where(receives, 1.0, 0.4)
        onset_rate = np.where(age >= 65, onset_rate, onset_rate * 0.3)
        start_ep = alive & (episode_left == 0) & (rng.random(n) < onset_rate)
        episode_left[start_ep] = rng.geometric(1 / P.EPISODE_MEAN_WEEKS, int(start_ep.sum()))
        episode_week[start_ep] = 0
        episode_week[episode_left > 0] += 1

        # Home help: entry, recovery, nursing-home moves; minutes rise during an episode.
        nh_now = nursing_home_day <= d0
        p_hc = P.home_care_prevalence(age)
        entry = alive & ~receives & ~nh_now & (age >= 55) & (
            rng.random(n) < 0.004 * p_hc / (1 - p_hc) * np.exp(0.6 * pop.frailty))
        baseline[entry] = _draw_minutes(rng, pop.frailty[entry])
        recover = receives & (rng.random(n) < 0.003)
        baseline[recover] = 0
        p_nh = P.nursing_home_prevalence(age)
        to_nh = alive & ~nh_now & (age >= 67) & (rng.random(n) < 0.004 * p_nh / (1 - p_nh) * np.exp(0.8 * pop.frailty))
        nursing_home_day[to_nh] = d0 + rng.integers(0, 7, int(to_nh.sum()))
        baseline[to_nh | nh_now | ~alive] = 0
        minutes = baseline * np.where(episode_left > 0, 1 + P.EPISODE_MINUTES_GROWTH * episode_week, 1.0)
        minutes = np.minimum(minutes * np.exp(0.02 * rng.standard_normal(n)), 3600)
        home = np.flatnonzero((minutes > 0) & alive & (in_hospital_until <= d0 + 7))
        t.hc_person.append(home)
        t.hc_week.append(np.full(home.size, w, dtype=np.int32))
        t.hc_minutes.append(np.round(minutes[home] / 5) * 5)
        ending = episode_left == 1
        episode_left = np.maximum(episode_left - 1, 0)
        episode_week[ending] = 0

    t.nursing_home_day = nursing_home_day
    t.finish()
    return t


def _draw_minutes(rng: np.random.Generator, frailty: np.ndarray) -> np.ndarray:
    z = rng.standard_normal(frailty.size)
    m = np.exp(np.log(P.HOME_CARE_MEDIAN_MIN) + P.HOME_CARE_SIGMA * (0.8 * z + 0.6 * np.clip(frailty, -2, 3) * 0.5))
    return np.clip(np.round(m / 5) * 5, 15, 2400)


def _after_discharge(rng: np.random.Generator, idx: np.ndarray, age: np.ndarray, baseline: np.ndarray,
                     nursing_home_day: np.ndarray, discharge: np.ndarray, frailty: np.ndarray) -> None:
    """Frail elderly discharged start or increase home help; a few move to a nursing home [I]."""
    a = age[idx]
    receives = baseline[idx] > 0
    p_start = np.where(a >= 80, 0.22, np.where(a >= 65, 0.05, 0.0))
    start = ~receives & (rng.random(idx.size) < p_start)
    baseline[idx[start]] = _draw_minutes(rng, frailty[idx[start]])
    more = receives & (rng.random(idx.size) < 0.5)
    # Planned home help stays below 40 hours a week.
    baseline[idx[more]] = np.minimum(baseline[idx[more]] * rng.uniform(1.0, 1.5, int(more.sum())), 2400)
    nh = (a >= 80) & receives & (rng.random(idx.size) < 0.03) & ~np.isfinite(nursing_home_day[idx])
    nursing_home_day[idx[nh]] = np.floor(discharge[nh])


def _add_adm(t: Trajectories, idx, start, hours, kind, episode, readmit) -> None:
    t.adm_person.append(idx)
    t.adm_start.append(np.asarray(start, float))
    t.adm_hours.append(np.asarray(hours, float))
    t.adm_kind.append(np.full(idx.size, kind, dtype=np.int8))
    t.adm_episode.append(np.asarray(episode, bool))
    t.adm_readmit_window.append(np.asarray(readmit, bool))


def _record_truth(t: Trajectories, w: int, alive, h_acute, acute_py, rr_static) -> None:
    """True risks at an index week: 30 days from the current hazard; 12 months from the
    person's long-run hazard (static relative risk, without transient states) [approximation]."""
    idx = np.flatnonzero(alive)
    p30 = -np.expm1(-h_acute[idx] * 30 / 7)
    p365 = -np.expm1(-acute_py[idx] * rr_static[idx])
    t.truth_week.append(np.full(idx.size, w, dtype=np.int32))
    t.truth_person.append(idx)
    t.truth_p30.append(p30)
    t.truth_p365.append(p365)
