"""Geography of the warehouse and the filters every page and API answer takes.

Filters travel as plain query parameters (``?period_type=quarter&period=2024-Q2&geo=
municipality:461&age=65-79&sex=all&lang=da``), so the address of a page reflects them and a
link can be shared. Unknown values are refused with a clear message (HTTP 422).
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, replace
from importlib import resources
from urllib.parse import urlencode

import pandas as pd

AGE_GROUPS = ("0-19", "20-64", "65-79", "80+")
SEXES = ("F", "M")
PERIOD_TYPES = ("year", "quarter", "month")
LEVELS = ("country", "region", "cluster", "council", "municipality")


def age_group_of(band_start: int) -> str:
    """The indicator age group of a 5-year band (0-19, 20-64, 65-79, 80+).

    Example
    -------
    >>> [age_group_of(s) for s in (0, 15, 20, 60, 65, 75, 80, 95)]
    ['0-19', '0-19', '20-64', '20-64', '65-79', '65-79', '80+', '80+']
    """
    if band_start < 20:
        return "0-19"
    if band_start < 65:
        return "20-64"
    if band_start < 80:
        return "65-79"
    return "80+"


@dataclass(frozen=True)
class Geography:
    """Municipalities and the areas above them, with names and tile-map positions."""

    municipalities: pd.DataFrame      # municipality_code, name, cluster_id, council_id, region_code
    names: dict[str, str]             # "level:code" -> name
    tiles: pd.DataFrame               # municipality_code, col, row

    @classmethod
    def load(cls, raw) -> Geography:
        """Read the reference tables of a warehouse (a raw DuckDB connection)."""
        m = raw.sql("""
            select m.municipality_code, m.name, m.cluster_id, m.region_code, c.council_id
            from ref__municipality m left join ref__health_council c using (municipality_code)
            order by m.municipality_code""").df()
        names = {"country:DK": "Danmark"}
        names |= {f"municipality:{r.municipality_code}": r.name for r in m.itertuples()}
        for r in raw.sql("select cluster_id, name from ref__health_cluster").df().itertuples():
            names[f"cluster:{r.cluster_id}"] = r.name
        for r in raw.sql("select distinct council_id, council_name from ref__health_council").df().itertuples():
            names[f"council:{r.council_id}"] = r.council_name
        for r in raw.sql("select region_code, name from ref__region").df().itertuples():
            names[f"region:{r.region_code}"] = r.name
        path = resources.files("klynge.web").joinpath("municipality_tiles.csv")
        with path.open(encoding="utf-8") as fh:
            tiles = pd.DataFrame(list(csv.DictReader(fh))).astype({"col": int, "row": int})
        return cls(m.astype(str), names, tiles)

    def parents(self) -> tuple[dict[str, str], dict[str, str]]:
        """Two additive hierarchies on 'level:code': municipality -> cluster -> region -> country,
        and municipality -> council (the parent maps of `klynge.indicators.gate_long`)."""
        up: dict[str, str] = {}
        council: dict[str, str] = {}
        for r in self.municipalities.itertuples():
            up[f"municipality:{r.municipality_code}"] = f"cluster:{r.cluster_id}"
            up[f"cluster:{r.cluster_id}"] = f"region:{r.region_code}"
            up[f"region:{r.region_code}"] = "country:DK"
            council[f"municipality:{r.municipality_code}"] = f"council:{r.council_id}"
        return up, council

    def options(self, lang: str = "da") -> list[tuple[str, list[tuple[str, str]]]]:
        """Geography choices grouped by level: [(level, [(key, name), ...]), ...]."""
        out = []
        for level in LEVELS:
            keys = sorted((k for k in self.names if k.startswith(level + ":")), key=lambda k: self.names[k])
            out.append((level, [(k, self.name(k, lang)) for k in keys]))
        return out

    def name(self, key: str, lang: str = "da") -> str:
        """The name of an area key like 'municipality:461'; 'country:DK' is the warehouse's whole
        population (a council's warehouse holds only its own municipalities)."""
        if key == "country:DK":
            return "Hele befolkningen" if lang == "da" else "Whole population"
        return self.names.get(key, key)


@dataclass(frozen=True)
class Filters:
    """What a page or API answer shows: period, geography, age group, sex and language."""

    period_type: str = "quarter"
    period: str | None = None      # None: the latest period of the type
    geo: str = "country:DK"
    age: str = "all"
    sex: str = "all"
    lang: str = "da"

    def validate(self, geography: Geography) -> Filters:
        """Return the filters if every value is known, else raise ``ValueError``."""
        if self.period_type not in PERIOD_TYPES:
            raise ValueError(f"period_type must be one of {PERIOD_TYPES}, got {self.period_type!r}")
        if self.geo not in geography.names:
            raise ValueError(f"unknown geography {self.geo!r} (use level:code, e.g. municipality:461)")
        if self.age not in ("all", *AGE_GROUPS):
            raise ValueError(f"age must be 'all' or one of {AGE_GROUPS}, got {self.age!r}")
        if self.sex not in ("all", *SEXES):
            raise ValueError(f"sex must be 'all', 'F' or 'M', got {self.sex!r}")
        if self.lang not in ("da", "en"):
            raise ValueError(f"lang must be 'da' or 'en', got {self.lang!r}")
        if self.period is not None and not _period_matches(self.period, self.period_type):
            raise ValueError(f"period {self.period!r} is not a {self.period_type}")
        return self

    @property
    def level(self) -> str:
        return self.geo.split(":", 1)[0]

    @property
    def stratum(self) -> tuple[str, str]:
        """The indicator stratum (stratum_type, stratum): one breakdown at a time, age first."""
        if self.age != "all":
            return "age_group", self.age
        if self.sex != "all":
            return "sex", self.sex
        return "all", "all"

    def query(self, **changes: object) -> str:
        """The query string of these filters (with changes), for links that keep the filters."""
        values = {k: v for k, v in asdict(replace(self, **changes)).items() if v is not None}  # type: ignore[arg-type]
        return urlencode(values)


def _period_matches(period: str, period_type: str) -> bool:
    if period_type == "year":
        return len(period) == 4 and period.isdigit()
    if period_type == "quarter":
        return len(period) == 7 and period[:4].isdigit() and period[4:6] == "-Q" and period[6] in "1234"
    return len(period) == 7 and period[:4].isdigit() and period[4] == "-" and period[5:].isdigit() \
        and 1 <= int(period[5:]) <= 12
