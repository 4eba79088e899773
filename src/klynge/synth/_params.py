"""Calibration targets of the synthetic population.

Every figure comes from the domain reference (`../shared/domain/danish-domain.md`); the
section is named beside it. Most are tagged [M] there (approximate, from memory): they make a
realistic population, not official statistics.
"""

from __future__ import annotations

import numpy as np

# 5-year age bands 0-4 .. 95+ (index 0..19), population in thousands by sex, §5.2.
AGE_BANDS = np.arange(0, 100, 5)
POP_MEN = np.array([151, 159, 175, 177, 197, 215, 198, 177, 176, 193, 208, 205, 179, 162, 154, 130, 79, 34, 11, 2])
POP_WOMEN = np.array([144, 151, 165, 168, 188, 205, 192, 173, 174, 192, 207, 205, 181, 168, 166, 150, 101, 51, 22, 7])

# Deaths per 1,000 per year by age group, men and women, §5.6.
_MORT_EDGES = np.array([0, 1, 15, 25, 35, 45, 55, 65, 70, 75, 80, 85, 90, 95])
_MORT_MEN = np.array([3.3, 0.1, 0.4, 0.7, 1.1, 2.8, 7.8, 14, 22, 38, 66, 125, 235, 390])
_MORT_WOMEN = np.array([2.7, 0.1, 0.2, 0.3, 0.7, 1.9, 5.2, 10, 16, 27, 50, 100, 190, 350])

# Admissions (stays >= 12 h) per 1,000 per year and their acute share, §5.7, scaled by 1.025
# to the background figure of 1.3 million admissions. Births are simulated apart, so the
# 15-44 rate leaves them out.
_ADM_EDGES = np.array([0, 1, 15, 45, 65, 75, 85])
_ADM_RATE = np.array([300, 80, 105, 180, 330, 560, 850]) * 1.025
_ADM_ACUTE = np.array([0.60, 0.75, 0.60, 0.60, 0.65, 0.75, 0.85])

# RUKS conditions: prevalence by age group (share of the group), §5.9, and the sex ratio
# (men / women) noted there.
CONDITIONS = ("t1d", "t2d", "copd", "asthma", "heart_failure", "dementia", "osteoporosis", "ra",
              "schizophrenia", "cancer")
_PREV_EDGES = np.array([0, 18, 45, 55, 65, 75, 85])
PREVALENCE = {
    "t2d": [0.0005, 0.01, 0.04, 0.08, 0.12, 0.15, 0.14],
    "t1d": [0.0025, 0.006, 0.006, 0.006, 0.005, 0.004, 0.003],
    "copd": [0.0, 0.001, 0.01, 0.035, 0.085, 0.12, 0.11],
    "asthma": [0.05, 0.08, 0.07, 0.07, 0.08, 0.09, 0.09],
    "heart_failure": [0.0, 0.001, 0.004, 0.01, 0.025, 0.06, 0.11],
    "dementia": [0.0, 0.0, 0.0005, 0.002, 0.006, 0.035, 0.16],
    "osteoporosis": [0.0, 0.002, 0.012, 0.04, 0.10, 0.17, 0.24],
    "ra": [0.0005, 0.003, 0.007, 0.011, 0.017, 0.020, 0.018],
    "schizophrenia": [0.0005, 0.006, 0.008, 0.006, 0.004, 0.003, 0.002],
    # Living with cancer under active hospital treatment [I]: drives cancer stays, which the
    # readmission indicator excludes.
    "cancer": [0.0005, 0.002, 0.01, 0.02, 0.035, 0.045, 0.04],
}
SEX_RATIO = {"t2d": 1.4, "heart_failure": 1.4, "osteoporosis": 0.22, "dementia": 0.7, "ra": 0.5,
             "schizophrenia": 1.3}

# Relative risk of acute admission and of death by condition [I]; the base rates are
# re-normalised per age band so that the population totals stay on the §5.6/§5.7 targets.
ADMISSION_RR = {"copd": 1.9, "heart_failure": 2.0, "t2d": 1.3, "t1d": 1.3, "dementia": 1.5,
                "cancer": 2.0, "schizophrenia": 1.3, "asthma": 1.1, "ra": 1.1, "osteoporosis": 1.1}
DEATH_RR = {"copd": 1.7, "heart_failure": 2.0, "dementia": 2.2, "cancer": 2.5, "t2d": 1.2,
            "schizophrenia": 1.5}
FRAILTY_ADMISSION = 0.6   # log-relative risk of admission per SD of latent frailty [I]
FRAILTY_DEATH = 0.6

# Home help in own home and nursing-home residence by age, §4.8 and §5.8.
_HC_EDGES = np.array([0, 65, 80, 90])
HOME_CARE_PREV = np.array([0.002, 0.055, 0.28, 0.45])
NURSING_HOME_PREV = np.array([0.0, 0.01, 0.11, 0.27])
# Weekly home-help minutes: lognormal reproducing DST 2022 (67 % < 2 h, 22 % 2-8 h, 9 % 8-20 h,
# 2 % >= 20 h), §4.7.
HOME_CARE_MEDIAN_MIN = 75.0
HOME_CARE_SIGMA = 1.25

# Deterioration episodes [I]: a latent few weeks in which acute admission is more likely and
# home-care minutes rise week by week (the PATINA signal, §6).
EPISODE_ONSET = 0.05        # per week, for a home-care recipient of average frailty
EPISODE_MEAN_WEEKS = 2.5
EPISODE_ADMISSION_RR = 3.0      # per week of the episode so far: risk builds up
EPISODE_MINUTES_GROWTH = 0.30   # per week of the episode

# After discharge: acute readmission risk is raised for 30 days [I], tuned to the §5.10 levels
# (all ages 8-10 %, 65+ 13-16 %).
READMISSION_RR = 4.5
# Share of deaths that happen in hospital [M]; the rest at home or in a nursing home.
DEATH_IN_HOSPITAL = 0.40

# GP contacts per person-year by age group (total about 7 per citizen) [M].
_GP_EDGES = np.array([0, 5, 18, 45, 65, 80])
GP_RATE = np.array([6.0, 3.0, 5.0, 7.0, 10.0, 14.0])
GP_KINDS = ("consultation", "phone", "email", "video", "home_visit")
GP_KIND_SHARE = np.array([0.42, 0.22, 0.30, 0.04, 0.02])
# Hospital outpatient contacts per person-year [M] and the virtual share.
_OUT_EDGES = np.array([0, 18, 45, 65, 80])
OUTPATIENT_RATE = np.array([0.6, 0.8, 1.3, 2.0, 2.2])
VIRTUAL_SHARE = 0.15
# Emergency-department contacts without admission, per 1,000 per year [M].
ED_RATE = np.array([120, 90, 80, 110, 160])

BIRTHS_PER_1000 = 10.5       # §5.1: about 60,000 births a year
MOVE_RATE = 0.02             # moves between municipalities per person-year [I]


_YEARS = np.arange(121)


def _lookup(edges: np.ndarray, values: np.ndarray, age: np.ndarray) -> np.ndarray:
    """The value of the age group that `age` (years, fractional) falls in; edges are whole years."""
    by_year = np.asarray(values)[np.clip(np.searchsorted(edges, _YEARS, side="right") - 1, 0, len(values) - 1)]
    return by_year[np.clip(np.asarray(age), 0, 120).astype(np.int64)]


def mortality(age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Deaths per person-year at `age` (years), §5.6."""
    m = _lookup(_MORT_EDGES, _MORT_MEN, age)
    w = _lookup(_MORT_EDGES, _MORT_WOMEN, age)
    return np.where(female, w, m) / 1000.0


def admission_rates(age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Acute and planned admissions per person-year at `age`, §5.7."""
    rate = _lookup(_ADM_EDGES, _ADM_RATE, age) / 1000.0
    acute = _lookup(_ADM_EDGES, _ADM_ACUTE, age)
    return rate * acute, rate * (1 - acute)


def prevalence(condition: str, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Share of persons of `age` living with `condition`, §5.9, split by the sex ratio."""
    p = _lookup(_PREV_EDGES, np.asarray(PREVALENCE[condition]), age)
    ratio = SEX_RATIO.get(condition, 1.0)
    # Keep the mean over both sexes: p = (p_m + p_w) / 2 and p_m = ratio * p_w.
    p_w = 2 * p / (1 + ratio)
    return np.where(female, p_w, ratio * p_w)


def home_care_prevalence(age: np.ndarray) -> np.ndarray:
    return _lookup(_HC_EDGES, HOME_CARE_PREV, age)


def nursing_home_prevalence(age: np.ndarray) -> np.ndarray:
    return _lookup(_HC_EDGES, NURSING_HOME_PREV, age)


def gp_rate(age: np.ndarray) -> np.ndarray:
    return _lookup(_GP_EDGES, GP_RATE, age)


def outpatient_rate(age: np.ndarray) -> np.ndarray:
    return _lookup(_OUT_EDGES, OUTPATIENT_RATE, age)


def ed_rate(age: np.ndarray) -> np.ndarray:
    return _lookup(_OUT_EDGES, ED_RATE, age) / 1000.0
