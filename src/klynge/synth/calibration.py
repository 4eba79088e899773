"""Calibration checks: does a synthetic warehouse match the Danish reference figures?

Ages are completed years (`date_sub('year', birth, day)`; DuckDB's `date_diff('year', ...)`
counts calendar-year boundaries instead and would add half a year on average).

Each check is plain SQL over a built warehouse (independent of the generator's code), with the
target, the accepted range and the section of the domain reference it comes from. The test
suite runs every check; `klynge calibration` prints them and `docs/synthetic-population.md`
shows the figures of a reference run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Check:
    name: str
    sql: str          # returns one row, one column `value`; `{truth}` is the truth folder
    target: float
    low: float
    high: float
    source: str


def _ages(lo: int, hi: int) -> str:
    return f"{lo}-{hi - 1}" if hi < 200 else f"{lo}+"


def _adm_rate(lo: int, hi: int) -> str:
    return f"""
        with a as (select s.*, date_sub('year', p.birth_date, s.admission_date) age
                   from core__stay s join input__person p using (person_id)
                   where s.is_admission and coalesce(s.action_diagnosis, '') not like 'DO8%'),
             pt as (select sum(person_years) py from core__person_time where age_band_start >= {lo} and age_band_start < {hi})
        select count(*) / any_value(pt.py) * 1000 as value from a, pt where age >= {lo} and age < {hi}"""


def _acute_share(lo: int, hi: int) -> str:
    return f"""
        select avg(s.acute::int) as value from core__stay s join input__person p using (person_id)
        where s.is_admission and coalesce(s.action_diagnosis, '') not like 'DO8%'
          and date_sub('year', p.birth_date, s.admission_date) between {lo} and {hi - 1}"""


def _prevalence(condition: str, lo: int, hi: int) -> str:
    return f"""
        with t as (select * from read_parquet('{{truth}}/person/*.parquet')),
             p as (select date_sub('year', birth_date, date '{{end}}') age, t.{condition}_onset onset
                   from input__person p join t using (person_id) where death_date is null)
        select avg((onset is not null and onset <= date '{{end}}')::int) as value from p where age >= {lo} and age < {hi}"""


def _care(group: str, lo: int, hi: int) -> str:
    return f"""
        with alive as (select person_id, date_sub('year', birth_date, date '{{mid}}') age from input__person
                       where birth_date <= date '{{mid}}' and (death_date is null or death_date > date '{{mid}}')),
             svc as (select distinct person_id from input__municipal_service where service_group = '{group}'
                     and start_date <= date '{{mid}}' and (end_date is null or end_date > date '{{mid}}'))
        select avg((svc.person_id is not null)::int) as value from alive left join svc using (person_id)
        where age >= {lo} and age < {hi}"""


def _readmission(where: str) -> str:
    # Acute 30-day readmission: the person's next admission is acute and starts within 30 days.
    return f"""
        with a as (select s.*, date_sub('year', p.birth_date, s.discharge_date) age from core__stay s
                   join input__person p using (person_id) where s.is_admission),
             n as (select *, lead(start_time) over w next_start, lead(acute) over w next_acute
                   from a window w as (partition by person_id order by start_time, stay_id))
        select avg((next_start is not null and next_acute and next_start <= end_time + interval 30 day)::int) as value
        from n where not died_in_stay and discharge_date <= date '{{end}}' - 30
          and coalesce(action_diagnosis, '') not like 'DO8%' and {where}"""


CHECKS: list[Check] = [
    Check("Share aged 65+ at the start", """
        select avg((date_sub('year', birth_date, date '{start}') >= 65)::int) as value
        from input__person where birth_date <= date '{start}'""", 0.206, 0.185, 0.23, "§5.2"),
    Check("Share aged 80+ at the start", """
        select avg((date_sub('year', birth_date, date '{start}') >= 80)::int) as value
        from input__person where birth_date <= date '{start}'""", 0.051, 0.04, 0.065, "§5.2"),
    Check("Deaths per 1,000 person-years", """
        select (select count(*) from input__person where death_date is not null)
             / (select sum(person_years) from core__person_time) * 1000 as value""", 9.7, 8.0, 12.5, "§5.1, §5.6"),
    Check("Deaths per 1,000 person-years, 80+", """
        select (select count(*) from input__person where death_date is not null
                and date_sub('year', birth_date, death_date) >= 80)
             / (select sum(person_years) from core__person_time where age_band_start >= 80) * 1000 as value""",
          96.5, 70, 125, "§5.6"),
    *[Check(f"Admissions per 1,000 a year, {_ages(lo, hi)}", _adm_rate(lo, hi), t, t * 0.75, t * 1.3, "§5.7")
      for lo, hi, t in ((45, 65, 184), (65, 75, 338), (75, 85, 574), (85, 200, 871))],
    *[Check(f"Acute share of admissions, {_ages(lo, hi)}", _acute_share(lo, hi), t, t - 0.08, t + 0.08,
            "§5.7") for lo, hi, t in ((45, 65, 0.60), (65, 75, 0.65), (75, 85, 0.75), (85, 200, 0.85))],
    *[Check(f"Prevalence of {c.replace('_', ' ')}, {_ages(lo, hi)}", _prevalence(c, lo, hi), t,
            t * 0.75, t * 1.25, "§5.9")
      for c, lo, hi, t in (("t2d", 65, 75, 0.12), ("t2d", 75, 85, 0.15), ("copd", 65, 75, 0.085),
                           ("copd", 75, 85, 0.12), ("heart_failure", 75, 85, 0.06), ("dementia", 85, 200, 0.16),
                           ("osteoporosis", 75, 85, 0.17), ("asthma", 18, 45, 0.08))],
    Check("Home help (personal care), 65-79", _care("personal_care", 65, 80), 0.055, 0.03, 0.09, "§5.8"),
    Check("Home help (personal care), 80+", _care("personal_care", 80, 200), 0.28, 0.18, 0.38, "§5.8"),
    Check("Nursing-home residents, 80+", _care("nursing_home", 80, 200), 0.11, 0.06, 0.17, "§5.8"),
    Check("GP contacts per person-year", """
        select (select count(*) from input__gp_contact) / (select sum(person_years) from core__person_time) as value""",
          7.0, 5.5, 9.5, "[M]"),
    Check("30-day acute readmission, all ages", _readmission("true"), 0.09, 0.06, 0.14, "§2.4, §5.10"),
    Check("30-day acute readmission, 65+", _readmission("age >= 65"), 0.145, 0.10, 0.21, "§2.4, §5.10"),
    Check("Preventable admissions per 1,000 aged 65+ a year", """
        with a as (select s.* from core__stay s join input__person p using (person_id)
                   where s.is_admission and s.acute and date_sub('year', p.birth_date, s.admission_date) >= 65
                   and regexp_matches(s.action_diagnosis,
                       '^(DE86|DK590|DJ1[2-8]|DJ2[0-2]|DN30|DN390|DA09|DK529|DS[0-9]2|DT02|DT08|DT1[02]|DD5[0-3]|DZ59|DZ60|DZ7[45]|DL89)'))
        select (select count(*) from a) / (select sum(person_years) from core__person_time where age_band_start >= 65)
               * 1000 as value""", 58, 35, 95, "§2.2, §5.10"),
    Check("Share of deaths in hospital", """
        select (select count(*) from core__stay where died_in_stay)
             / (select count(*) from input__person where death_date is not null) as value""", 0.4, 0.28, 0.55, "[M]"),
    Check("Discharge letters sent within a day", """
        select avg((m.sent_time <= s.end_time + interval 1 day)::int) as value
        from input__message m join core__contact_stay cs on cs.contact_id = m.related_contact_id
        join core__stay s using (stay_id) where m.message_type = 'discharge_letter'""", 0.75, 0.65, 0.85, "[I]"),
    Check("Home-care minutes before an acute admission / 8 weeks earlier", """
        with adm as (select person_id, admission_date d from core__stay where is_admission and acute),
             m as (select a.person_id, a.d,
                     sum(minutes_per_week) filter (where start_date <= a.d - 3 and coalesce(end_date, date '2100-01-01') > a.d - 3) now,
                     sum(minutes_per_week) filter (where start_date <= a.d - 56 and coalesce(end_date, date '2100-01-01') > a.d - 56) before
                   from adm a join input__municipal_service s on s.person_id = a.person_id
                   and s.service_group = 'personal_care' group by all)
        select avg(now) / avg(before) as value from m where now > 0 and before > 0""", 1.2, 1.1, 3.0, "§6 [I]"),
    Check("Municipal nursing or temporary place within 3 days of discharge, 65+", """
        with d as (select s.stay_id, s.person_id, s.discharge_date from core__stay s join input__person p using (person_id)
                   where s.is_admission and not s.died_in_stay and date_sub('year', p.birth_date, s.discharge_date) >= 65),
             f as (select d.stay_id, min(m.start_date - d.discharge_date) as delay from d join input__municipal_service m
                   on m.person_id = d.person_id and m.service_group in ('home_nursing', 'temporary_stay')
                   and m.start_date >= d.discharge_date and m.start_date <= d.discharge_date + 30 group by all)
        select (select count(*) from f where delay <= 3) / (select count(*) from d) as value""", 0.3, 0.15, 0.45, "[I]"),
]


def run_checks(con, source: Path | str, start: str, end: str) -> pd.DataFrame:
    """Run every check on a warehouse built from a synthetic `source`; one row per check."""
    raw = con.con   # the DuckDB connection under Ibis (Ibis 12's .sql() does not work with DuckDB 2.0)
    mid = str(pd.Timestamp(start) + (pd.Timestamp(end) - pd.Timestamp(start)) / 2)[:10]
    rows = []
    for c in CHECKS:
        sql = c.sql.replace("{truth}", str(Path(source) / "truth")).replace("{start}", start)
        sql = sql.replace("{end}", end).replace("{mid}", mid)
        value = float(raw.sql(sql).df()["value"].iloc[0])
        rows.append({"check": c.name, "value": value, "target": c.target, "low": c.low, "high": c.high,
                     "source": c.source, "ok": c.low <= value <= c.high})
    return pd.DataFrame(rows)
