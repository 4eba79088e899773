"""Core derived tables: hospital stays and admissions, and person-time (the rate denominator).

All tables are Ibis expressions over the validated ``input__*`` tables, so the same code runs on
DuckDB and on Spark.
"""

from klynge.core._ages import age_band_label, age_band_start, age_on, birthday
from klynge.core._build import (
    build_core,
    concurrent_queries,
    drop_staged,
    input_table,
    map_queries,
    replace_table,
    stage_table,
)
from klynge.core._person_time import PERSON_TIME_COLUMNS, months_table, person_time_expr
from klynge.core._session import DANISH_TIME_ZONE, use_danish_time_zone
from klynge.core._stays import STAY_COLUMNS, contact_stay_expr, stays_expr

__all__ = [
    "DANISH_TIME_ZONE",
    "PERSON_TIME_COLUMNS",
    "STAY_COLUMNS",
    "age_band_label",
    "age_band_start",
    "age_on",
    "birthday",
    "build_core",
    "contact_stay_expr",
    "concurrent_queries",
    "drop_staged",
    "input_table",
    "map_queries",
    "months_table",
    "person_time_expr",
    "replace_table",
    "stage_table",
    "stays_expr",
    "use_danish_time_zone",
]
