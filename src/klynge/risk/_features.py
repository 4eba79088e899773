"""Features at an index date, from every sector, one row per person alive and resident then.

Every feature is an Ibis expression over an :class:`~klynge.risk._asof.AsOf` view, so it sees
only rows dated before the index date (the leakage guard). Windows are counted back from the
index date ``d``: "12 months" is ``[d - 365 days, d)``.

The outcome (acute admission within 30 days and 12 months) is the only thing read after ``d``,
by :func:`outcomes_at`, from the full warehouse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from klynge.core import age_on
from klynge.indicators._conditions import condition_rules, conditions_expr
from klynge.risk._asof import AsOf

HOME_CARE_GROUPS = ("personal_care", "practical_help")
# FSIII severity B1 (none) .. B5 (total) as 1..5.
SEVERITY = {"B1": 1, "B2": 2, "B3": 3, "B4": 4, "B5": 5}
RECENT_LAB_DAYS = 90
PATINA_WEEKS = 8
# Days since the last discharge are capped: two years and "never" are the same to the models.
DISCHARGE_CAP = 730

ID_COLUMNS = ("person_id", "index_date", "municipality_code", "sex", "age")


def condition_names() -> list[str]:
    """The RUKS-like conditions of ``klynge/indicators/conditions.yaml``."""
    return list(condition_rules()["conditions"])


def feature_names() -> list[str]:
    """The model's features, in a fixed order (the columns of `features_at` after the ids)."""
    return [
        "age", "female", *[f"has_{c}" for c in condition_names()], "n_conditions",
        "acute_admissions_12m", "acute_admissions_90d", "planned_admissions_12m", "bed_days_12m",
        "emergency_visits_12m", "outpatient_contacts_12m", "days_since_discharge", "discharged_30d",
        "home_care_minutes", "home_care_minutes_8w", "home_care_change", "personal_care_minutes",
        "personal_care_minutes_8w", "personal_care_minutes_2w", "personal_care_rise_2w",
        "home_nursing", "nursing_home", "rehabilitation", "temporary_stay_90d", "max_severity_12m",
        "gp_contacts_12m", "gp_contacts_30d", "n_medicines_12m", "lab_deviation_max",
        "lab_out_of_range_90d",
    ]


def _count_since(t: ir.Table, column: str, since: Any, name: str, where: ir.BooleanValue | None = None) -> ir.Table:
    keep = t[column] >= since
    if where is not None:
        keep = keep & where
    return t.filter(keep).group_by("person_id").aggregate(**{name: ibis._.count()})


def _population(view: AsOf) -> ir.Table:
    """Persons alive and resident on the day before the index date (municipality then)."""
    day = ibis.literal(view.day)
    person = view.table("input__person")
    person = person.filter(person.death_date.isnull())
    res = view.table("input__residence")
    res = res.filter(res.valid_to.isnull()).group_by("person_id").aggregate(
        municipality_code=res.municipality_code.max())
    p = person.join(res, "person_id")
    return p.select("person_id", "municipality_code", "sex", age=age_on(p.birth_date, day),
                    female=(p.sex == "F").cast("int8"))


def _stays(view: AsOf, day: ir.DateValue) -> list[ir.Table]:
    s = view.table("core__stay")
    y = day - ibis.interval(days=365)
    adm = s.filter(s.is_admission)
    nights = adm.discharge_date.delta(adm.admission_date, unit="day")
    counts = s.filter(s.admission_date >= y).group_by("person_id").aggregate(
        acute_admissions_12m=(s.is_admission & s.acute).cast("int64").sum(),
        acute_admissions_90d=(s.is_admission & s.acute & (s.admission_date >= day - ibis.interval(days=90)))
        .cast("int64").sum(),
        planned_admissions_12m=(s.is_admission & ~s.acute).cast("int64").sum(),
        emergency_visits_12m=(~s.is_admission & s.acute).cast("int64").sum(),
    )
    beds = adm.filter(adm.discharge_date >= y).group_by("person_id").aggregate(
        bed_days_12m=nights.sum().cast("float64"))
    last = adm.group_by("person_id").aggregate(_last=adm.discharge_date.max())
    last = last.select("person_id", days_since_discharge=day.delta(last._last, unit="day"))
    contact = view.table("input__hospital_contact")
    out = _count_since(contact.mutate(_d=contact.start_time.date()), "_d", y, "outpatient_contacts_12m",
                       where=contact.priority == "ATA3")
    return [counts, beds, last, out]


def _minutes_on(services: ir.Table, at: ir.DateValue, groups: Sequence[str], name: str) -> ir.Table:
    s = services.filter(services.service_group.isin(list(groups)), services.start_date <= at,
                        services.end_date.isnull() | (services.end_date > at))
    return s.group_by("person_id").aggregate(**{name: s.minutes_per_week.fill_null(0).sum()})


def _municipal(view: AsOf, day: ir.DateValue, weeks: int) -> list[ir.Table]:
    s = view.table("input__municipal_service")
    yesterday = day - ibis.interval(days=1)
    before = day - ibis.interval(days=7 * weeks)
    active = s.filter(s.end_date.isnull())
    flags = active.group_by("person_id").aggregate(
        home_nursing=(active.service_group == "home_nursing").cast("int8").max(),
        nursing_home=(active.service_group == "nursing_home").cast("int8").max(),
        rehabilitation=(active.service_group == "rehabilitation").cast("int8").max(),
    )
    temp = _count_since(s, "start_date", day - ibis.interval(days=90), "temporary_stay_90d",
                        where=s.service_group == "temporary_stay")
    fa = view.table("input__functional_assessment")
    fa = fa.filter(fa.assessment_date >= day - ibis.interval(days=365))
    sev = ibis.cases(*[(fa.severity == k, v) for k, v in SEVERITY.items()], else_=0)
    severity = fa.group_by("person_id").aggregate(max_severity_12m=sev.max())
    return [
        _minutes_on(s, yesterday, HOME_CARE_GROUPS, "home_care_minutes"),
        _minutes_on(s, before, HOME_CARE_GROUPS, "home_care_minutes_8w"),
        _minutes_on(s, yesterday, ["personal_care"], "personal_care_minutes"),
        _minutes_on(s, before, ["personal_care"], "personal_care_minutes_8w"),
        _minutes_on(s, day - ibis.interval(days=14), ["personal_care"], "personal_care_minutes_2w"),
        flags, temp, severity,
    ]


def _primary(view: AsOf, day: ir.DateValue) -> list[ir.Table]:
    gp = view.table("input__gp_contact")
    rx = view.table("input__prescription")
    rx = rx.filter(rx.dispensing_date >= day - ibis.interval(days=365))
    meds = rx.group_by("person_id").aggregate(n_medicines_12m=rx.atc.nunique())
    return [
        _count_since(gp, "contact_date", day - ibis.interval(days=365), "gp_contacts_12m"),
        _count_since(gp, "contact_date", day - ibis.interval(days=30), "gp_contacts_30d"),
        meds,
    ]


def _labs(view: AsOf, day: ir.DateValue) -> ir.Table:
    """Recent results against the person's habitual value of the same analysis.

    The habitual value is the median of the person's earlier results of the analysis (before
    the last 90 days); a recent result's deviation is its distance from it in units of the
    reference interval's width.
    """
    lab = view.table("input__lab_result")
    lab = lab.filter(lab.value.notnull()).mutate(_d=lab.sample_time.date())
    edge = day - ibis.interval(days=RECENT_LAB_DAYS)
    habit = lab.filter(lab._d < edge).group_by("person_id", "npu_code").aggregate(_habit=lab.value.median())
    recent = lab.filter(lab._d >= edge)
    width = recent.ref_high - recent.ref_low
    recent = recent.mutate(_out=((recent.value < recent.ref_low) | (recent.value > recent.ref_high)).cast("int64"),
                           _w=ibis.ifelse(width > 0, width, ibis.null("float64")))
    j = recent.left_join(habit, ["person_id", "npu_code"])
    dev = (j.value - j._habit).abs() / j._w
    return j.group_by("person_id").aggregate(lab_deviation_max=dev.max().fill_null(0.0),
                                             lab_out_of_range_90d=j._out.sum())


def _conditions(view: AsOf) -> ir.Table:
    c = conditions_expr(view)
    names = condition_names()
    return c.group_by("person_id").aggregate(
        n_conditions=c.count(),
        **{f"has_{n}": (c.condition == n).cast("int8").max() for n in names},
    )


def features_expr(con: Any, index_date: dt.date, *, weeks: int = PATINA_WEEKS) -> ir.Table:
    """The feature table at one index date as an Ibis expression (see `features_at`)."""
    view = con if isinstance(con, AsOf) else AsOf(con, index_date)
    day = ibis.literal(index_date)
    t = _population(view)
    parts = [*_stays(view, day), *_municipal(view, day, weeks), *_primary(view, day), _labs(view, day), _conditions(view)]
    for part in parts:
        t = t.left_join(part, "person_id").drop("person_id_right")
    names = feature_names()
    fill = {n: 0 for n in t.columns if n in names and n not in {"age", "female", "days_since_discharge"}}
    t = t.fill_null(fill)
    t = t.mutate(
        days_since_discharge=ibis.least(t.days_since_discharge.fill_null(DISCHARGE_CAP), DISCHARGE_CAP),
        discharged_30d=(t.days_since_discharge.fill_null(DISCHARGE_CAP) <= 30).cast("int8"),
        home_care_change=(t.home_care_minutes - t.home_care_minutes_8w).cast("float64"),
        # A deterioration shows as minutes rising week by week (PATINA): the rise over 2 weeks.
        personal_care_rise_2w=(t.personal_care_minutes - t.personal_care_minutes_2w).cast("float64"),
        index_date=day,
    )
    return t.select(*ID_COLUMNS, *[n for n in names if n != "age"])


def features_at(con: Any, index_dates: dt.date | Iterable[dt.date], *, weeks: int = PATINA_WEEKS) -> pd.DataFrame:
    """Features of every person alive and resident at each index date, from data before it.

    Parameters
    ----------
    con
        Ibis connection to a warehouse.
    index_dates
        One date or several; the result stacks them.
    weeks
        How far back the home-care baseline lies (the PATINA comparison), in weeks.

    Returns
    -------
    pandas.DataFrame
        ``person_id``, ``index_date``, ``municipality_code``, ``sex``, ``age`` and the columns
        of `feature_names` (numbers; ``days_since_discharge`` is capped at 730, also when never discharged).

    Examples
    --------
    >>> f = features_at(con, dt.date(2024, 1, 1))  # doctest: +SKIP
    >>> f.acute_admissions_12m.mean()  # doctest: +SKIP
    0.07
    """
    dates = [index_dates] if isinstance(index_dates, dt.date) else list(index_dates)
    frames = [features_expr(con, d, weeks=weeks).to_pyarrow().to_pandas() for d in dates]
    f = pd.concat(frames, ignore_index=True)
    f["index_date"] = pd.to_datetime(f["index_date"]).dt.date
    return f.sort_values(["index_date", "person_id"], kind="stable").reset_index(drop=True)


def outcomes_at(con: Any, index_dates: Iterable[dt.date]) -> pd.DataFrame:
    """Acute admissions starting within 30 and 365 days from each index date (full warehouse).

    Returns ``person_id``, ``index_date``, ``acute_30d``, ``acute_365d`` for persons with an
    event; everyone else had none. An admission counts on its admission date: ``[d, d + 30)``.
    """
    dates = ibis.memtable({"index_date": list(index_dates)}).mutate(index_date=ibis._.index_date.cast("date"))
    s = con.table("core__stay")
    s = s.filter(s.is_admission & s.acute)
    j = s.join(dates, [s.admission_date >= dates.index_date,
                       s.admission_date < dates.index_date + ibis.interval(days=365)])
    out = j.group_by("person_id", "index_date").aggregate(
        acute_30d=(j.admission_date < j.index_date + ibis.interval(days=30)).cast("int8").max(),
        acute_365d=(j.count() > 0).cast("int8"),
    ).to_pyarrow().to_pandas()
    out["index_date"] = pd.to_datetime(out["index_date"]).dt.date
    return out
