"""The synthetic population matches the Danish reference figures within stated tolerances.

Targets and their sections are in `../shared/domain/danish-domain.md`. The checks are written in
plain SQL over the warehouse, independently of the generator's own code.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def _between(value: float, low: float, high: float, what: str) -> None:
    assert low <= value <= high, f"{what}: {value:.4g} not in [{low}, {high}]"


def test_age_structure(sql):
    # §5.2: 65+ about 20.6 %, 80+ about 5.1 % of the population (1 Jan 2025).
    df = sql("""
        select avg((date_diff('year', birth_date, date '2021-01-01') >= 65)::int) as s65,
               avg((date_diff('year', birth_date, date '2021-01-01') >= 80)::int) as s80
        from input__person where birth_date <= date '2021-01-01'""")
    _between(df.s65[0], 0.185, 0.23, "share 65+")
    _between(df.s80[0], 0.04, 0.065, "share 80+")


def test_mortality_by_age(sql):
    # §5.6: about 10 deaths per 1,000 a year overall; the 80+ about 95 per 1,000.
    df = sql("""
        with pt as (select sum(person_years) py, sum(case when age_band_start >= 80 then person_years end) py80
                    from core__person_time),
             d as (select count(*) n, count(*) filter (where date_diff('year', birth_date, death_date) >= 80) n80
                   from input__person where death_date is not null)
        select d.n / pt.py * 1000 as rate, d.n80 / pt.py80 * 1000 as rate80 from d, pt""")
    _between(df.rate[0], 8, 12.5, "deaths per 1,000 person-years")
    _between(df.rate80[0], 70, 125, "deaths per 1,000 person-years, 80+")


@pytest.mark.parametrize("low_age,high_age,target,acute", [(45, 65, 184, 0.60), (65, 75, 338, 0.65),
                                                           (75, 85, 574, 0.75), (85, 200, 871, 0.85)])
def test_admissions_by_age(sql, low_age, high_age, target, acute):
    # §5.7 (x 1.025): admissions (stays >= 12 h) per 1,000 a year and their acute share.
    df = sql(f"""
        with a as (select s.*, date_diff('year', p.birth_date, s.admission_date) age
                   from core__stay s join input__person p using (person_id)
                   where s.is_admission and coalesce(s.action_diagnosis, '') not like 'DO80%'),
             pt as (select sum(person_years) py from core__person_time
                    where age_band_start >= {low_age} and age_band_start < {high_age})
        select count(*) / any_value(pt.py) * 1000 as rate, avg(acute::int) as acute
        from a, pt where age >= {low_age} and age < {high_age}""")
    _between(df.rate[0], target * 0.75, target * 1.3, f"admissions per 1,000 aged {low_age}-{high_age}")
    _between(df.acute[0], acute - 0.08, acute + 0.08, f"acute share aged {low_age}-{high_age}")


@pytest.mark.parametrize("condition,age_low,age_high,target", [
    ("t2d", 65, 75, 0.12), ("t2d", 75, 85, 0.15), ("copd", 65, 75, 0.085), ("copd", 75, 85, 0.12),
    ("heart_failure", 75, 85, 0.06), ("dementia", 85, 200, 0.16), ("osteoporosis", 75, 85, 0.17),
    ("asthma", 18, 45, 0.08)])
def test_chronic_prevalence(synthetic_source, sql, condition, age_low, age_high, target):
    # §5.9: prevalence by age at the end of the period, from the truth folder.
    source, _ = synthetic_source
    df = sql(f"""
        with t as (select * from read_parquet('{source}/truth/person/*.parquet')),
             p as (select p.person_id, date_diff('year', birth_date, date '2025-12-31') age, t.{condition}_onset onset
                   from input__person p join t using (person_id) where death_date is null)
        select avg((onset is not null and onset <= date '2025-12-31')::int) prev
        from p where age >= {age_low} and age < {age_high}""")
    _between(df.prev[0], target * 0.75, target * 1.25, f"{condition} prevalence aged {age_low}-{age_high}")


def test_home_care_and_nursing_homes(sql):
    # §5.8: home help 65-79 about 5-6 %, 80+ about 28 %; nursing home 80+ about 10-12 %.
    df = sql("""
        with alive as (select person_id, date_diff('year', birth_date, date '2023-07-01') age from input__person
                       where birth_date <= date '2023-07-01' and (death_date is null or death_date > date '2023-07-01')),
             svc as (select person_id, service_group from input__municipal_service
                     where start_date <= date '2023-07-01' and (end_date is null or end_date > date '2023-07-01'))
        select avg((exists (select 1 from svc where svc.person_id = a.person_id and service_group = 'personal_care'))::int)
                 filter (where age between 65 and 79) hc65,
               avg((exists (select 1 from svc where svc.person_id = a.person_id and service_group = 'personal_care'))::int)
                 filter (where age >= 80) hc80,
               avg((exists (select 1 from svc where svc.person_id = a.person_id and service_group = 'nursing_home'))::int)
                 filter (where age >= 80) nh80
        from alive a""")
    _between(df.hc65[0], 0.03, 0.09, "home help 65-79")
    _between(df.hc80[0], 0.18, 0.38, "home help 80+")
    _between(df.nh80[0], 0.06, 0.17, "nursing home 80+")


def test_gp_contact_rate(sql):
    # About 7 contacts with general practice per citizen a year [M].
    df = sql("""select (select count(*) from input__gp_contact) / (select sum(person_years) from core__person_time) r""")
    _between(df.r[0], 5.5, 9.5, "GP contacts per person-year")


def _readmission_sql(where: str) -> str:
    # Independent 30-day acute readmission: the next admission of the same person starting
    # within 30 days after discharge, acute.
    return f"""
        with a as (select s.*, date_diff('year', p.birth_date, s.discharge_date) age from core__stay s
                   join input__person p using (person_id) where s.is_admission),
             n as (select *, lead(start_time) over w next_start, lead(acute) over w next_acute
                   from a window w as (partition by person_id order by start_time, stay_id))
        select avg((next_start is not null and next_acute and next_start <= end_time + interval 30 day)::int) r
        from n where not died_in_stay and discharge_date <= date '2025-11-30'
              and coalesce(action_diagnosis, '') not like 'DO8%' and {where}"""


def test_readmission_levels(sql):
    # §5.10: acute 30-day readmission about 8-10 % at all ages, 13-16 % among the 65+.
    _between(sql(_readmission_sql("true")).r[0], 0.06, 0.14, "readmission, all ages")
    _between(sql(_readmission_sql("age >= 65")).r[0], 0.10, 0.21, "readmission, 65+")


def test_preventable_admissions(sql):
    # §2.2/§5.10: about 58 preventable admissions per 1,000 citizens 65+ a year (72,000 / 1.24 M).
    df = sql("""
        with a as (select s.* from core__stay s join input__person p using (person_id)
                   where s.is_admission and s.acute and date_diff('year', p.birth_date, s.admission_date) >= 65
                   and regexp_matches(s.action_diagnosis, '^(DE86|DK590|DJ1[2-8]|DJ2[0-2]|DN30|DN390|DA09|DK529|DS[0-9]2|DD5[0-3]|DZ74|DL89)')),
             pt as (select sum(person_years) py from core__person_time where age_band_start >= 65)
        select (select count(*) from a) / (select py from pt) * 1000 r""")
    _between(df.r[0], 35, 95, "preventable admissions per 1,000 aged 65+")


def test_deaths_in_hospital(sql):
    df = sql("""select (select count(*) from core__stay where died_in_stay) / (select count(*) from input__person
                where death_date is not null) r""")
    _between(df.r[0], 0.28, 0.55, "share of deaths in hospital")


def test_discharge_letters_mostly_on_time(sql):
    df = sql("""
        select avg((m.sent_time <= s.end_time + interval 1 day)::int) r
        from input__message m join core__contact_stay cs on cs.contact_id = m.related_contact_id
        join core__stay s using (stay_id) where m.message_type = 'discharge_letter'""")
    _between(df.r[0], 0.65, 0.85, "discharge letters within a day")


def test_home_care_minutes_rise_before_acute_admission(sql):
    # The PATINA signal: weekly personal-care minutes in the week before an acute admission are
    # higher than the same person's minutes eight weeks earlier.
    df = sql("""
        with adm as (select person_id, admission_date d from core__stay where is_admission and acute),
             m as (select a.person_id, a.d,
                     sum(minutes_per_week) filter (where start_date <= a.d - 3 and coalesce(end_date, date '2100-01-01') > a.d - 3) now,
                     sum(minutes_per_week) filter (where start_date <= a.d - 56 and coalesce(end_date, date '2100-01-01') > a.d - 56) before
                   from adm a join input__municipal_service s on s.person_id = a.person_id and s.service_group = 'personal_care'
                   group by all)
        select avg(now) / avg(before) ratio, count(*) n from m where now > 0 and before > 0""")
    assert df.n[0] > 50
    _between(df.ratio[0], 1.1, 3.0, "minutes before admission / eight weeks before")


def test_newly_discharged_elderly_reach_municipal_care(sql):
    # Frail elderly go on to home nursing or a temporary place after discharge, most within 3 days.
    df = sql("""
        with d as (select s.person_id, s.discharge_date from core__stay s join input__person p using (person_id)
                   where s.is_admission and not s.died_in_stay and date_diff('year', p.birth_date, s.discharge_date) >= 65),
             f as (select d.*, min(m.start_date - d.discharge_date) as delay from d join input__municipal_service m
                   on m.person_id = d.person_id and m.service_group in ('home_nursing', 'temporary_stay')
                   and m.start_date >= d.discharge_date and m.start_date <= d.discharge_date + 30 group by all)
        select (select count(*) from f where delay <= 3) / (select count(*) from d) r3,
               (select count(*) from f) / (select count(*) from d) r30""")
    _between(df.r3[0], 0.15, 0.45, "municipal nursing within 3 days of discharge, 65+")
    assert df.r30[0] > df.r3[0]
