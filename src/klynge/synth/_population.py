"""Who lives where: persons, births, moves, GP clinics.

A chunk of the population is a set of independent persons; chunks are simulated one after
another so that memory stays bounded at national scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from klynge.synth import _params as P

DAYS_PER_YEAR = 365.25


@dataclass
class Population:
    """The persons of one chunk. Days count from the period start (day 0)."""

    n: int
    female: np.ndarray        # bool
    birth_day: np.ndarray     # float, negative for persons born before the start
    frailty: np.ndarray       # latent standard-normal frailty
    mun0: np.ndarray          # index into the municipality list at the start (or birth)
    move_day: np.ndarray      # day of the one move in the period, inf if none
    mun1: np.ndarray          # municipality after the move
    res_from: np.ndarray      # day the first residence began (<= 0 or birth)
    clinic0: np.ndarray       # clinic index (global within the municipality list)
    clinic1: np.ndarray       # clinic after a move

    def age_at(self, day: float | np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        """Age in years on `day`, for all persons or for the persons `idx` (one per day)."""
        birth = self.birth_day if idx is None else self.birth_day[idx]
        return (day - birth) / DAYS_PER_YEAR

    def municipality_at(self, day: np.ndarray | float, idx: np.ndarray | None = None) -> np.ndarray:
        sl = slice(None) if idx is None else idx
        return np.where(day >= self.move_day[sl], self.mun1[sl], self.mun0[sl])

    def clinic_at(self, day: np.ndarray | float, idx: np.ndarray | None = None) -> np.ndarray:
        sl = slice(None) if idx is None else idx
        return np.where(day >= self.move_day[sl], self.clinic1[sl], self.clinic0[sl])


def clinic_layout(mun_weights: np.ndarray, total_persons: int) -> tuple[np.ndarray, np.ndarray]:
    """Clinics per municipality: about one clinic per 1,600 listed citizens [M].

    Returns (first clinic index per municipality, number of clinics per municipality).
    """
    expected = mun_weights * total_persons
    n_clinics = np.maximum(1, np.round(expected / 1600)).astype(int)
    first = np.concatenate([[0], np.cumsum(n_clinics)[:-1]])
    return first, n_clinics


def make_population(rng: np.random.Generator, n_initial: int, days: int, mun_weights: np.ndarray,
                    clinics: tuple[np.ndarray, np.ndarray]) -> Population:
    """Draw a chunk: `n_initial` residents at the start plus the babies born during the period."""
    # Age and sex from the 2025 pyramid, §5.2; uniform within each 5-year band (95+ spans 95-99).
    weights = np.concatenate([P.POP_MEN, P.POP_WOMEN]).astype(float)
    cell = rng.choice(len(weights), size=n_initial, p=weights / weights.sum())
    female0 = cell >= len(P.POP_MEN)
    band = cell % len(P.POP_MEN)
    age0 = P.AGE_BANDS[band] + rng.uniform(0, 5, n_initial)

    years = days / DAYS_PER_YEAR
    n_births = rng.poisson(n_initial * P.BIRTHS_PER_1000 / 1000 * years)
    female = np.concatenate([female0, rng.random(n_births) < 0.487])
    birth_day = np.concatenate([-age0 * DAYS_PER_YEAR, rng.uniform(0, days, n_births)])
    n = n_initial + n_births

    mun_p = mun_weights / mun_weights.sum()
    mun0 = rng.choice(len(mun_p), size=n, p=mun_p)
    res_from = np.where(birth_day >= 0, birth_day,
                        np.maximum(birth_day, -rng.uniform(0, 25, n) * DAYS_PER_YEAR))
    res_from = np.floor(res_from)

    # One move at most in the period, to another municipality of the area [I].
    move_day = np.full(n, np.inf)
    mun1 = mun0.copy()
    if len(mun_p) > 1:
        movers = rng.random(n) < 1 - np.exp(-P.MOVE_RATE * years)
        start = np.maximum(birth_day, 0)
        move_day[movers] = np.floor(rng.uniform(start[movers], days))
        dest = rng.choice(len(mun_p), size=int(movers.sum()), p=mun_p)
        same = dest == mun0[movers]
        dest[same] = (dest[same] + 1) % len(mun_p)
        mun1[movers] = dest
        move_day[move_day <= res_from] = np.inf
        mun1[~np.isfinite(move_day)] = mun0[~np.isfinite(move_day)]

    first, count = clinics
    clinic0 = first[mun0] + (rng.random(n) * count[mun0]).astype(int)
    clinic1 = first[mun1] + (rng.random(n) * count[mun1]).astype(int)
    clinic1 = np.where(mun1 == mun0, clinic0, clinic1)
    return Population(n, female, birth_day, rng.standard_normal(n), mun0, move_day, mun1,
                      res_from, clinic0, clinic1)


def condition_onsets(rng: np.random.Generator, pop: Population, days: int) -> dict[str, np.ndarray]:
    """Day each RUKS condition begins: -inf before the period, inf never.

    Conditions cluster in frail persons through a Gaussian copula on the latent frailty, which
    keeps each condition's prevalence by age on its §5.9 target while creating multimorbidity.
    """
    from scipy.special import ndtr

    start_day = np.maximum(pop.birth_day, 0)
    age_start = pop.age_at(start_day)
    age_end = pop.age_at(days)
    onsets = {}
    for c in P.CONDITIONS:
        u = ndtr(0.55 * pop.frailty + np.sqrt(1 - 0.55**2) * rng.standard_normal(pop.n))
        p0 = P.prevalence(c, age_start, pop.female)
        p1 = np.maximum(P.prevalence(c, age_end, pop.female), p0)
        onset = np.full(pop.n, np.inf)
        onset[u < p0] = -np.inf
        new = (u >= p0) & (u < p1)
        # Onset during the period where the age-specific prevalence passes the person's quantile.
        frac = np.where(p1 > p0, (u - p0) / np.where(p1 > p0, p1 - p0, 1), 0)
        onset[new] = np.floor(start_day[new] + frac[new] * (days - start_day[new]))
        onsets[c] = onset
    # Type 1 and type 2 diabetes exclude each other (RUKS hierarchy, §1.3.1).
    onsets["t2d"][onsets["t1d"] != np.inf] = np.inf
    return onsets
