"""The pandas baseline: what an analyst would write without klynge, for a stated subset.

From the Parquet sources (``person``, ``residence``, ``hospital_contact``, ``diagnosis``) it
computes hospital stays with the same rules as ``klynge.core`` (physical-attendance contacts,
chained when at most 4 hours apart, admission at 12 hours, first and last contact attributes,
action diagnosis, death in stay) and then three indicators of the catalogue, one per family,
per municipality x year (all persons, no strata):

* ``readmission_30d`` (proportion): somatic admissions discharged alive, not for cancer,
  palliation or birth, followed by an acute somatic admission within 30 x 24 hours;
* ``length_of_stay`` (mean): days per somatic admission ending in the period;
* ``acute_admissions_65`` (rate): acute somatic admissions of persons aged 65+ per person-year
  of residents aged 65+ (person-days from the 65th birthday, alive and resident).

Every unit is placed in the municipality of residence on its date. It is written the way a
competent analyst writes pandas: vectorised sorts, group-bys and merges, only the columns
needed, no row loops. It does not validate the sources (klynge's input layer does), nor compute
months, quarters, the other geographies, strata, intervals, standardisation or the privacy gate.

Usage: python benchmarks/baseline_pandas.py SOURCE [--start 2021-01-01 --end 2025-12-31]
Prints one JSON line: seconds per step and the cells.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

TZ = "Europe/Copenhagen"
GAP = pd.Timedelta(hours=4)
ADMISSION = pd.Timedelta(hours=12)
EXCLUDED_DX = ("DC", "DZ515", "DO80", "DO81", "DO82", "DO83", "DO84", "DZ37", "DZ38")  # readmission_exclusions
BIRTH_DX = ("DO80", "DO81", "DO82", "DO83", "DO84", "DZ37", "DZ38")
EXCLUDED_REASONS = ("ALCC02", "ALCC03", "ALCC04")


def read(source: Path, table: str, columns: list[str]) -> pd.DataFrame:
    return pd.read_parquet(source / table, columns=columns)


def stays(contacts: pd.DataFrame, diagnoses: pd.DataFrame, persons: pd.DataFrame) -> pd.DataFrame:
    """One row per hospital stay, as klynge's ``core__stay`` (the columns the indicators use)."""
    c = contacts[contacts["contact_type"] == "ALCA00"].drop(columns="contact_type")
    c["_open"] = c["end_time"].isna()
    c["_end"] = c["end_time"].fillna(c["start_time"])
    c = c.sort_values(["person_id", "start_time", "_end", "contact_id"], ignore_index=True)
    # Running maximum end of the person's earlier contacts (a long contact swallows short ones).
    end_ns = c["_end"].dt.as_unit("ns").astype("int64")
    latest = end_ns.groupby(c["person_id"], sort=False).cummax()
    same_person = c["person_id"].eq(c["person_id"].shift())
    previous = latest.shift().where(same_person)
    first = previous.isna() | (c["start_time"].dt.as_unit("ns").astype("int64") > previous + GAP.value)
    c["stay"] = first.cumsum()
    c["_first"] = first
    head = c[first].set_index("stay")
    g = c.groupby("stay", sort=True)
    s = pd.DataFrame({
        "person_id": head["person_id"],
        "start_time": g["start_time"].min(),
        "end_time": g["_end"].max(),
        "ongoing": g["_open"].any(),
        "first_contact_id": head["contact_id"],
        "priority": head["priority"],
        "contact_reason": head["contact_reason"],
        "branch": head["branch"],
    })
    # Action diagnosis (type A, not refuted; the smallest code) of the first contact.
    a = diagnoses[(diagnoses["diagnosis_type"] == "A") & ~diagnoses["refuted"].fillna(False).astype(bool)]
    a = a.groupby("contact_id")["diagnosis_code"].min()
    s["action_diagnosis"] = s["first_contact_id"].map(a)
    s["is_admission"] = s["end_time"] >= s["start_time"] + ADMISSION
    s["acute"] = s["priority"].eq("ATA1")
    s["duration_hours"] = (s["end_time"] - s["start_time"]).dt.total_seconds() / 3600
    s["admission_date"] = s["start_time"].dt.tz_convert(TZ).dt.normalize().dt.tz_localize(None)
    s["discharge_date"] = s["end_time"].dt.tz_convert(TZ).dt.normalize().dt.tz_localize(None).where(~s["ongoing"])
    death = s["person_id"].map(persons.set_index("person_id")["death_date"])
    died = (death >= s["admission_date"]) & (s["ongoing"] | (death <= s["discharge_date"]))
    s["died_in_stay"] = died.fillna(False).astype(bool)
    return s.reset_index(drop=True)


def place(units: pd.DataFrame, date: str, persons: pd.DataFrame, residence: pd.DataFrame) -> pd.DataFrame:
    """Units with age and the municipality of residence on ``date`` (units without one drop out)."""
    u = units.merge(persons[["person_id", "birth_date"]], on="person_id")
    d, b = u[date], u["birth_date"]
    u["age"] = d.dt.year - b.dt.year - ((d.dt.month * 100 + d.dt.day) < (b.dt.month * 100 + b.dt.day))
    u = u.reset_index(names="_unit").merge(residence, on="person_id")
    inside = (u["valid_from"] <= u[date]) & (u["valid_to"].isna() | (u["valid_to"] > u[date]))
    return u[inside]


def starts_with(codes: pd.Series, prefixes: tuple[str, ...]) -> pd.Series:
    return codes.fillna("").str.startswith(prefixes)


def readmission(s: pd.DataFrame, start, end, persons, residence) -> pd.DataFrame:
    a = s[s["is_admission"] & s["branch"].eq("somatic")]
    last = end - pd.Timedelta(days=30)
    index = a[~a["died_in_stay"] & a["discharge_date"].notna() & (a["discharge_date"] >= start)
              & (a["discharge_date"] <= last) & ~starts_with(a["action_diagnosis"], EXCLUDED_DX)]
    readmit = a[a["acute"] & ~starts_with(a["action_diagnosis"], BIRTH_DX)
                & ~a["contact_reason"].fillna("").isin(EXCLUDED_REASONS)]
    pairs = index[["person_id", "end_time"]].reset_index(names="idx").merge(
        readmit[["person_id", "start_time"]], on="person_id")
    window = (pairs["start_time"] >= pairs["end_time"]) & (pairs["start_time"] <= pairs["end_time"] + pd.Timedelta(days=30))
    hit = pd.Series(False, index=index.index)
    hit[pairs.loc[window, "idx"].unique()] = True
    units = index[["person_id", "discharge_date"]].assign(value=hit.astype(float))
    return _cells(place(units, "discharge_date", persons, residence), "discharge_date")


def length_of_stay(s: pd.DataFrame, start, end, persons, residence) -> pd.DataFrame:
    a = s[s["is_admission"] & s["branch"].eq("somatic") & s["discharge_date"].notna()
          & (s["discharge_date"] >= start) & (s["discharge_date"] <= end)]
    units = a[["person_id", "discharge_date"]].assign(value=a["duration_hours"] / 24.0)
    return _cells(place(units, "discharge_date", persons, residence), "discharge_date")


def acute_admissions_65(s: pd.DataFrame, start, end, persons, residence) -> pd.DataFrame:
    a = s[s["is_admission"] & s["branch"].eq("somatic") & s["acute"]
          & (s["admission_date"] >= start) & (s["admission_date"] <= end)]
    u = place(a[["person_id", "admission_date"]].assign(value=1.0), "admission_date", persons, residence)
    cells = _cells(u[u["age"] >= 65], "admission_date")
    py = person_years_65(persons, residence, start, end)
    cells = cells.drop(columns="denominator").merge(py, on=["municipality_code", "year"], how="outer")
    cells[["numerator", "n_units"]] = cells[["numerator", "n_units"]].fillna(0)
    return cells


def _cells(u: pd.DataFrame, date: str) -> pd.DataFrame:
    u = u.assign(year=u[date].dt.year)
    g = u.groupby(["municipality_code", "year"])["value"]
    return pd.DataFrame({"numerator": g.sum(), "n_units": g.size(), "denominator": g.size().astype(float)}).reset_index()


def person_years_65(persons, residence, start, end) -> pd.DataFrame:
    """Person-years of residents aged 65+ by municipality and calendar year (days / 365.25)."""
    r = residence.merge(persons, on="person_id")
    b = r["birth_date"]
    # The 65th birthday; 29 February falls on 1 March in a common year.
    year = b.dt.year + 65
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    leapling = (b.dt.month == 2) & (b.dt.day == 29) & ~leap
    turns65 = pd.to_datetime(pd.DataFrame({"year": year, "month": np.where(leapling, 3, b.dt.month),
                                           "day": np.where(leapling, 1, b.dt.day)}))
    end_excl = end + pd.Timedelta(days=1)
    lo = np.maximum(np.maximum(r["valid_from"], b), turns65)
    hi = np.minimum(r["valid_to"].fillna(end_excl), r["death_date"].fillna(end_excl))
    out = []
    for y in range(start.year, end.year + 1):
        y0, y1 = max(pd.Timestamp(y, 1, 1), start), min(pd.Timestamp(y + 1, 1, 1), end_excl)
        days = (np.minimum(hi, y1) - np.maximum(lo, y0)).dt.days.clip(lower=0)
        out.append(pd.DataFrame({"municipality_code": r["municipality_code"], "year": y, "days": days}))
    py = pd.concat(out).groupby(["municipality_code", "year"])["days"].sum()
    py = py[py > 0] / 365.25
    return py.rename("denominator").reset_index()


def run(source: Path, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    timings, t = {}, time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = round(now - t, 3)
        t = now

    persons = read(source, "person", ["person_id", "birth_date", "death_date"])
    residence = read(source, "residence", ["person_id", "municipality_code", "valid_from", "valid_to"])
    contacts = read(source, "hospital_contact", ["contact_id", "person_id", "start_time", "end_time", "contact_type",
                                                 "priority", "contact_reason", "branch"])
    diagnoses = read(source, "diagnosis", ["contact_id", "diagnosis_code", "diagnosis_type", "refuted"])
    for frame in (persons, residence):
        for col in ("birth_date", "death_date", "valid_from", "valid_to"):
            if col in frame:
                frame[col] = pd.to_datetime(frame[col])
    lap("read")
    s = stays(contacts, diagnoses, persons)
    del contacts, diagnoses
    lap("stays")
    cells = {}
    for name, fn in (("readmission_30d", readmission), ("length_of_stay", length_of_stay),
                     ("acute_admissions_65", acute_admissions_65)):
        cells[name] = fn(s, start, end, persons, residence)
        lap(name)
    return {"timings": timings, "stays": len(s),
            "cells": {k: v.assign(year=v["year"].astype(str)).to_dict("records") for k, v in cells.items()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("source", type=Path)
    ap.add_argument("--start", default="2021-01-01")
    ap.add_argument("--end", default="2025-12-31")
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = run(args.source, pd.Timestamp(args.start), pd.Timestamp(args.end))
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
