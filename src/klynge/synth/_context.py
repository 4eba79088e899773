"""What every part of the generator needs: the area, its hospitals and clinics, ids and clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from klynge.contracts import codes, load_reference

SOMATIC = [s for s in codes.SPECIALTIES if s != "psychiatry"]
SPECIALISED = ["cardiology", "oncology", "orthopaedics", "surgery", "neurology"]
TZ = "Europe/Copenhagen"


@dataclass
class Area:
    """The municipalities simulated, their hospitals and their GP clinics."""

    municipality_codes: np.ndarray   # 3-digit codes
    weights: np.ndarray              # population weights
    cluster: np.ndarray              # cluster id per municipality
    region: np.ndarray               # region code per municipality
    clinic_first: np.ndarray
    clinic_count: np.ndarray
    units: pd.DataFrame              # the hospital_unit table

    @classmethod
    def build(cls, municipalities: list[str] | None, cluster_id: int | None) -> Area:
        ref = load_reference()["municipality"]
        if municipalities:
            unknown = sorted(set(municipalities) - set(ref["municipality_code"]))
            if unknown:
                raise ValueError(f"unknown municipality codes: {', '.join(unknown)}")
            sel = ref[ref["municipality_code"].isin(municipalities)]
        elif cluster_id is not None:
            sel = ref[ref["cluster_id"] == str(cluster_id)]
            if sel.empty:
                raise ValueError(f"unknown health cluster id {cluster_id} (1-22)")
        else:
            sel = ref
        sel = sel.sort_values("municipality_code")
        w = sel["population_thousands_approx"].to_numpy(float)
        return cls(sel["municipality_code"].to_numpy(str), w / w.sum(), sel["cluster_id"].to_numpy(int),
                   sel["region_code"].to_numpy(str), np.array([], int), np.array([], int),
                   _units(sel))

    def hospital_of(self, mun_idx: np.ndarray) -> np.ndarray:
        return np.char.add("SGH", np.char.zfill(self.cluster[mun_idx].astype(str), 2))

    def unit_of(self, mun_idx: np.ndarray, specialty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The local hospital's unit for a specialty; psychiatry goes to the regional centre."""
        local = self.hospital_of(mun_idx)
        psych = np.char.add("PSY", self.region[mun_idx])
        hosp = np.where(specialty == "psychiatry", psych, local)
        return hosp, np.char.add(np.char.add(hosp, "-"), specialty.astype(str))

    def specialised_unit(self, mun_idx: np.ndarray, specialty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hosp = np.char.add("UNI", self.region[mun_idx])
        return hosp, np.char.add(np.char.add(hosp, "-"), specialty.astype(str))

    def clinic_ids(self) -> np.ndarray:
        """Clinic (ydernummer-like) ids: municipality code + running number."""
        out = []
        for code, count in zip(self.municipality_codes, self.clinic_count, strict=True):
            out.extend(f"{code}{k:03d}" for k in range(1, count + 1))
        return np.array(out)


def _units(sel: pd.DataFrame) -> pd.DataFrame:
    clusters = load_reference()["health_cluster"].set_index("cluster_id")
    rows = []
    for cid, region in sorted(set(zip(sel["cluster_id"], sel["region_code"], strict=True))):
        hosp = f"SGH{int(cid):02d}"
        name = clusters.loc[cid, "acute_hospital"]
        for s in SOMATIC:
            rows.append((f"{hosp}-{s}", hosp, name, codes.SPECIALTIES[s][0], s, "somatic", region))
    for region in sorted(set(sel["region_code"])):
        rows.append((f"PSY{region}-psychiatry", f"PSY{region}", f"Psykiatrien {region}", "Psykiatri",
                     "psychiatry", "psychiatric", region))
        for s in SPECIALISED:
            rows.append((f"UNI{region}-{s}", f"UNI{region}", f"Universitetshospital {region}",
                         codes.SPECIALTIES[s][0], s, "somatic", region))
    return pd.DataFrame(rows, columns=["unit_id", "hospital_id", "hospital_name", "unit_name", "specialty",
                                       "branch", "region_code"])


@dataclass
class Clock:
    """Turns day offsets from the period start (Danish local time) into UTC instants."""

    start: date
    days: int

    def instants(self, day_offsets: np.ndarray) -> pa.Array:
        base = np.datetime64(self.start, "s")
        local = base + np.round(np.asarray(day_offsets, float) * 86400).astype("timedelta64[s]")
        idx = pd.DatetimeIndex(local)
        # Local wall-clock times: a time in the spring gap moves forward; an ambiguous autumn
        # time is read as the later (standard-time) occurrence.
        utc = idx.tz_localize(TZ, ambiguous=np.zeros(len(idx), bool), nonexistent="shift_forward").tz_convert("UTC")
        return pa.array(utc, type=pa.timestamp("us", tz="UTC"))

    def dates(self, day_offsets: np.ndarray) -> pa.Array:
        d = np.datetime64(self.start, "D") + np.floor(np.asarray(day_offsets, float)).astype("timedelta64[D]")
        return pa.array(d, type=pa.date32())


def make_ids(prefix: str, start: int, n: int) -> pa.Array:
    """Ids like 'K7-123': a prefix carrying the chunk and a running number."""
    nums = pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(pa.scalar(prefix), nums, "")


def pick(rng: np.random.Generator, choices: dict[str, float] | list, n: int) -> np.ndarray:
    """Draw `n` values from a weighted dict or a uniform list."""
    if isinstance(choices, dict):
        keys = np.array(list(choices))
        w = np.array(list(choices.values()), float)
        return keys[rng.choice(len(keys), n, p=w / w.sum())]
    return np.array(choices, dtype=object)[rng.integers(0, len(choices), n)]
