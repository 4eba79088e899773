"""The DuckDB SQL floor: the same stays and three indicators as baseline_pandas.py, hand-written.

The heaviest derived step of the build is the hospital stays (a running maximum over every
person's contacts) and the indicators on them. Written straight in DuckDB SQL over the Parquet
files, with no validation, no Ibis and nothing else computed, it is the floor that klynge's
core step plus those indicators is compared against. Rules as in ``klynge.core`` and the
indicator definitions (see baseline_pandas.py for the list).

Usage: python benchmarks/floor_sql.py SOURCE [START END]
"""

from __future__ import annotations

import json
import sys
import time

import duckdb

STAYS = """
CREATE TEMP TABLE stay AS
WITH c AS (
  SELECT contact_id, person_id, start_time, coalesce(end_time, start_time) AS e, end_time IS NULL AS open,
         priority, contact_reason, branch
  FROM read_parquet('{src}/hospital_contact/*.parquet') WHERE contact_type = 'ALCA00'),
w AS (
  SELECT *, max(e) OVER (PARTITION BY person_id ORDER BY start_time, e, contact_id
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest FROM c),
f AS (SELECT *, latest IS NULL OR start_time > latest + INTERVAL 4 HOUR AS first FROM w),
q AS (SELECT *, sum(first::INT) OVER (PARTITION BY person_id ORDER BY start_time, e, contact_id
                                      ROWS UNBOUNDED PRECEDING) AS seq FROM f),
s AS (
  SELECT person_id, min(start_time) AS start_time, max(e) AS end_time, bool_or(open) AS ongoing,
         max(contact_id) FILTER (first) AS first_contact_id, max(priority) FILTER (first) AS priority,
         max(contact_reason) FILTER (first) AS contact_reason, max(branch) FILTER (first) AS branch
  FROM q GROUP BY person_id, seq),
dx AS (
  SELECT contact_id, min(diagnosis_code) AS action_diagnosis
  FROM read_parquet('{src}/diagnosis/*.parquet')
  WHERE diagnosis_type = 'A' AND NOT coalesce(refuted, false) GROUP BY contact_id)
SELECT s.*, dx.action_diagnosis,
       s.end_time >= s.start_time + INTERVAL 12 HOUR AS is_admission,
       coalesce(s.priority = 'ATA1', false) AS acute,
       epoch_us(s.end_time) - epoch_us(s.start_time) AS duration_us,
       s.start_time::DATE AS admission_date,
       CASE WHEN s.ongoing THEN NULL ELSE s.end_time::DATE END AS discharge_date,
       coalesce(p.death_date >= s.start_time::DATE
                AND (s.ongoing OR p.death_date <= s.end_time::DATE), false) AS died_in_stay
FROM s LEFT JOIN dx ON dx.contact_id = s.first_contact_id
LEFT JOIN read_parquet('{src}/person/*.parquet') p ON p.person_id = s.person_id
"""

PLACE = """
SELECT u.*, r.municipality_code,
       year(u.d) - year(p.birth_date)
         - (month(u.d) * 100 + day(u.d) < month(p.birth_date) * 100 + day(p.birth_date))::INT AS age
FROM ({units}) u JOIN person p USING (person_id)
JOIN residence r ON r.person_id = u.person_id AND r.valid_from <= u.d AND (r.valid_to IS NULL OR r.valid_to > u.d)
"""

CELLS = """
SELECT municipality_code, year(d)::VARCHAR AS year, sum(v) AS numerator, count(*) AS n_units,
       count(*)::DOUBLE AS denominator
FROM ({placed}) WHERE {where} GROUP BY ALL
"""

ADMISSIONS = "SELECT * FROM stay WHERE is_admission AND branch = 'somatic'"
EXCLUDED = "(coalesce(action_diagnosis, '') SIMILAR TO '(DC|DZ515|DO8[0-4]|DZ3[78]).*')"
BIRTH = "(coalesce(action_diagnosis, '') SIMILAR TO '(DO8[0-4]|DZ3[78]).*')"

READMISSION = f"""
WITH a AS ({ADMISSIONS}),
i AS (SELECT * FROM a WHERE NOT died_in_stay AND discharge_date BETWEEN DATE '{{start}}' AND DATE '{{end}}' - 30
      AND NOT {EXCLUDED}),
r AS (SELECT person_id, start_time FROM a WHERE acute AND NOT {BIRTH}
      AND coalesce(contact_reason, '') NOT IN ('ALCC02', 'ALCC03', 'ALCC04'))
SELECT i.person_id, i.discharge_date AS d,
       (EXISTS (SELECT 1 FROM r WHERE r.person_id = i.person_id AND r.start_time >= i.end_time
                AND r.start_time <= i.end_time + INTERVAL 720 HOUR))::DOUBLE AS v
FROM i
"""
LOS = f"""SELECT person_id, discharge_date AS d, duration_us / 3.6e9 / 24.0 AS v FROM ({ADMISSIONS})
WHERE discharge_date BETWEEN DATE '{{start}}' AND DATE '{{end}}'"""
ACUTE = f"""SELECT person_id, admission_date AS d, 1.0 AS v FROM ({ADMISSIONS})
WHERE acute AND admission_date BETWEEN DATE '{{start}}' AND DATE '{{end}}'"""
PERSON_YEARS_65 = """
WITH r AS (
  SELECT r.municipality_code,
         greatest(r.valid_from, p.birth_date,
                  make_date(year(p.birth_date) + 65,
                            CASE WHEN month(p.birth_date) = 2 AND day(p.birth_date) = 29
                                  AND NOT ((year(p.birth_date) + 65) % 4 = 0 AND ((year(p.birth_date) + 65) % 100 <> 0
                                           OR (year(p.birth_date) + 65) % 400 = 0)) THEN 3 ELSE month(p.birth_date) END,
                            CASE WHEN month(p.birth_date) = 2 AND day(p.birth_date) = 29
                                  AND NOT ((year(p.birth_date) + 65) % 4 = 0 AND ((year(p.birth_date) + 65) % 100 <> 0
                                           OR (year(p.birth_date) + 65) % 400 = 0)) THEN 1 ELSE day(p.birth_date) END)
         ) AS lo,
         least(coalesce(r.valid_to, DATE '{end}' + 1), coalesce(p.death_date, DATE '{end}' + 1)) AS hi
  FROM residence r JOIN person p USING (person_id)),
y AS (SELECT unnest(range(year(DATE '{start}'), year(DATE '{end}') + 1)) AS y)
SELECT municipality_code, y::VARCHAR AS year,
       sum(greatest(least(hi, greatest(make_date(y + 1, 1, 1), DATE '{start}'), DATE '{end}' + 1)
                    - greatest(lo, make_date(y, 1, 1), DATE '{start}'), 0)) / 365.25 AS denominator
FROM r, y GROUP BY ALL HAVING denominator > 0
"""


def run(src: str, start: str = "2021-01-01", end: str = "2025-12-31") -> dict:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Copenhagen'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")   # it writes to stdout
    timings, t = {}, time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[name] = round(now - t, 3)
        t = now

    con.execute(f"CREATE TEMP TABLE person AS SELECT person_id, birth_date, death_date FROM read_parquet('{src}/person/*.parquet')")
    con.execute(f"CREATE TEMP TABLE residence AS SELECT person_id, municipality_code, valid_from, valid_to "
                f"FROM read_parquet('{src}/residence/*.parquet')")
    con.execute(STAYS.format(src=src))
    lap("stays")
    cells = {}
    for name, units, where in (("readmission_30d", READMISSION, "true"), ("length_of_stay", LOS, "true"),
                               ("acute_admissions_65", ACUTE, "age >= 65")):
        placed = PLACE.format(units=units.format(start=start, end=end))
        df = con.execute(CELLS.format(placed=placed, where=where)).df()
        if name == "acute_admissions_65":
            py = con.execute(PERSON_YEARS_65.format(start=start, end=end)).df()
            df = df.drop(columns="denominator").merge(py, on=["municipality_code", "year"], how="outer")
            df[["numerator", "n_units"]] = df[["numerator", "n_units"]].fillna(0)
        cells[name] = df.to_dict("records")
        lap(name)
    stays = con.execute("SELECT count(*) FROM stay").fetchone()[0]
    return {"timings": timings, "stays": stays, "cells": cells}


if __name__ == "__main__":
    t0 = time.perf_counter()
    out = run(*sys.argv[1:])
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out, default=float))
