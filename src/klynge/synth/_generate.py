"""`synthesise`: a seeded, chunked microsimulation that writes every canonical table.

Persons are independent given the area, so the population is simulated in chunks of persons
and each chunk is written as its own Parquet part: memory stays bounded at national scale.
The true risks and planted effects go to a separate `truth/` folder, never into the data.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from klynge._version import __version__
from klynge.synth._context import Area, Clock
from klynge.synth._hospital import hospital_activity, person_id_array
from klynge.synth._messages import appointments, messages
from klynge.synth._municipal import municipal_care
from klynge.synth._population import clinic_layout, condition_onsets, make_population
from klynge.synth._primary import general_practice
from klynge.synth._simulate import Intervention, simulate

DEFAULT_CLUSTER = 10   # Odense Universitetshospital (Fyn): nine municipalities, the PATINA area


@dataclass(frozen=True)
class PlantedEffect:
    """`klynge synth --intervention 461:0.3:2024-01-01`: 30 % fewer readmissions in Odense from 2024."""

    municipality_code: str
    reduction: float
    from_date: date
    effect: str = "readmission"

    @classmethod
    def parse(cls, text: str) -> PlantedEffect:
        try:
            mun, share, when = text.split(":")
            effect = cls(mun.strip().zfill(3), float(share), date.fromisoformat(when.strip()))
        except ValueError as exc:
            raise ValueError(f"intervention {text!r}: expected MUNICIPALITY:SHARE:YYYY-MM-DD, e.g. 461:0.3:2024-01-01") from exc
        if not 0 <= effect.reduction < 1:
            raise ValueError(f"intervention {text!r}: the share must be in [0, 1)")
        return effect


@dataclass
class _Job:
    out: Path
    chunk: int
    persons: int
    seed: int
    area: Area
    clinic_ids: np.ndarray
    clock: Clock
    interventions: list[Intervention]
    truth_weeks: dict[int, int]   # simulated week -> the index day in it
    fmt: str


def _run_chunk(job: _Job) -> tuple[int, dict[str, int], dict[str, float]]:
    """Simulate one chunk of persons and write its part of every table."""
    rng = np.random.default_rng([job.seed, job.chunk])
    area, clock, chunk, clinic_ids = job.area, job.clock, job.chunk, job.clinic_ids
    t0 = time.perf_counter()
    pop = make_population(rng, job.persons, clock.days, area.weights, (area.clinic_first, area.clinic_count))
    onsets = condition_onsets(rng, pop, clock.days)
    traj = simulate(rng, pop, onsets, clock.days, job.interventions, set(job.truth_weeks))
    t1 = time.perf_counter()
    tables, adm = hospital_activity(rng, pop, onsets, traj, area, clock, chunk)
    muni, received = municipal_care(rng, pop, onsets, traj, adm, area, clock, chunk)
    tables.update(muni)
    tables.update(general_practice(rng, pop, onsets, traj, adm, area, clinic_ids, clock, chunk))
    tables["message"] = messages(rng, pop, traj, adm, np.unique(received["person"]), area, clinic_ids, clock, chunk)
    tables["appointment"] = appointments(rng, pop, onsets, traj, tables, area, clinic_ids, clock, chunk)
    tables.update(_registers(pop, traj, area, clock, chunk))
    t2 = time.perf_counter()
    rows: dict[str, int] = {}
    for name, table in tables.items():
        _write(job.out, name, chunk, table, job.fmt, None)
        rows[name] = table.num_rows
    _write_truth(job.out, pop, onsets, traj, clock, chunk, job.truth_weeks)
    t3 = time.perf_counter()
    return pop.n, rows, {"simulate": t1 - t0, "events": t2 - t1, "write": t3 - t2}


@dataclass
class SynthResult:
    out: Path
    persons: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def synthesise(out: str | Path, persons: int = 100_000, start: date = date(2021, 1, 1), end: date = date(2025, 12, 31),
               seed: int = 2026, municipalities: list[str] | None = None, cluster: int | None = DEFAULT_CLUSTER,
               interventions: list[PlantedEffect] | None = None, chunk_size: int = 100_000,
               fmt: str = "parquet", progress=None, workers: int | None = None) -> SynthResult:
    """Write a synthetic Danish population to `out` (one folder per canonical table).

    Parameters
    ----------
    persons : residents at the start; babies born during the period come on top.
    start, end : the period (inclusive).
    municipalities : 3-digit codes; overrides `cluster`. With neither, the whole country.
    cluster : a 2022-26 health cluster id (1-22); the default is the Fyn cluster.
    interventions : planted effects, written to `truth/interventions.json`.
    fmt : 'parquet' (default) or 'csv'.
    progress : a callable(chunk_done, chunks_total) for progress bars.
    workers : processes for the chunks (default 1: on this 2-core machine two workers were no faster);
        the output does not depend on it.

    Example
    -------
    >>> synthesise("/tmp/src", persons=2_000, seed=1)  # doctest: +SKIP
    """
    if end <= start:
        raise ValueError("end must be after start")
    if persons < 1:
        raise ValueError("persons must be positive")
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    area = Area.build(municipalities, None if municipalities else cluster)
    area.clinic_first, area.clinic_count = clinic_layout(area.weights, persons)
    clinic_ids = area.clinic_ids()
    clock = Clock(start, (end - start).days + 1)
    ivs = []
    for pe in interventions or []:
        hit = np.flatnonzero(area.municipality_codes == pe.municipality_code)
        if hit.size == 0:
            raise ValueError(f"intervention municipality {pe.municipality_code} is not in the simulated area")
        ivs.append(Intervention(int(hit[0]), (pe.from_date - start).days, pe.reduction, pe.effect))
    # Index dates for the true risks: the first day of every quarter.
    truth_days = [(date(y, m, 1) - start).days for y in range(start.year, end.year + 1) for m in (1, 4, 7, 10)
                  if start <= date(y, m, 1) <= end]
    truth_weeks = {d // 7: d for d in truth_days}

    result = SynthResult(out, 0)
    chunks = max(1, int(np.ceil(persons / chunk_size)))
    _write(out, "hospital_unit", 0, pa.Table.from_pandas(area.units, preserve_index=False), fmt, result)
    jobs = [_Job(out, chunk, min(chunk_size, persons - chunk * chunk_size), seed, area, clinic_ids, clock, ivs,
                 truth_weeks, fmt) for chunk in range(chunks)]
    workers = max(1, min(workers or 1, chunks))
    if workers == 1:
        outcomes = map(_run_chunk, jobs)
    else:
        # Chunks are independent (each has its own seeded generator), so they run in parallel
        # processes and give the same output as a serial run.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        outcomes = pool.map(_run_chunk, jobs)
    try:
        for done, (n, rows, seconds) in enumerate(outcomes, start=1):
            result.persons += n
            for k, v in rows.items():
                result.rows[k] = result.rows.get(k, 0) + v
            for k, v in seconds.items():
                result.seconds[k] = result.seconds.get(k, 0.0) + v
            if progress:
                progress(done, chunks)
    finally:
        if workers > 1:
            pool.shutdown(cancel_futures=True)
    meta = {"generator": "klynge.synth", "version": __version__, "seed": seed, "persons_initial": persons,
            "persons_total": result.persons, "period_start": start.isoformat(), "period_end": end.isoformat(),
            "municipalities": area.municipality_codes.tolist(), "format": fmt, "rows": result.rows}
    (out / "klynge-source.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (out / "truth" / "interventions.json").write_text(json.dumps(
        [asdict(p) | {"from_date": p.from_date.isoformat()} for p in interventions or []], indent=2), encoding="utf-8")
    return result


def _registers(pop, traj, area: Area, clock: Clock, chunk: int) -> dict[str, pa.Table]:
    """The person register (CPR through a pseudonym) and the residence history."""
    pids = person_id_array(pop, chunk)
    dead = np.isfinite(traj.death_day)
    person = pa.table({
        "person_id": pids,
        "birth_date": clock.dates(np.floor(pop.birth_day)),
        "sex": np.where(pop.female, "F", "M"),
        "death_date": pa.array(clock.dates(np.where(dead, traj.death_day, 0)).to_numpy(zero_copy_only=False),
                               mask=~dead, type=pa.date32()),
    })
    # A move planned after the person's death never happened.
    moves = np.isfinite(pop.move_day) & (pop.move_day < traj.death_day)
    moved = np.flatnonzero(moves)
    first_to = np.where(moves, pop.move_day, 0)
    residence = pa.table({
        "person_id": pids.take(pa.array(np.r_[np.arange(pop.n), moved])),
        "municipality_code": area.municipality_codes[np.r_[pop.mun0, pop.mun1[moved]]],
        "valid_from": clock.dates(np.r_[pop.res_from, pop.move_day[moved]]),
        "valid_to": pa.array(clock.dates(np.r_[first_to, np.zeros(moved.size)]).to_numpy(zero_copy_only=False),
                             mask=np.r_[~moves, np.ones(moved.size, bool)], type=pa.date32()),
    })
    return {"person": person, "residence": residence}


def _write_truth(out: Path, pop, onsets, traj, clock: Clock, chunk: int, weeks: dict[int, int]) -> None:
    pids = person_id_array(pop, chunk)
    cols = {"person_id": pids, "frailty": pop.frailty}
    for c, onset in onsets.items():
        present = onset < np.inf
        cols[f"{c}_onset"] = pa.array(clock.dates(np.where(np.isfinite(onset), onset, -1)).to_numpy(zero_copy_only=False),
                                      mask=~present, type=pa.date32())
    _write(out / "truth", "person", chunk, pa.table(cols), "parquet", None)
    risk = pa.table({
        "person_id": pids.take(pa.array(traj.truth_person.astype(int))),
        "index_date": clock.dates(np.array([weeks[w] for w in traj.truth_week.astype(int)], dtype=float)),
        "p_acute_30d": traj.truth_p30,
        "p_acute_365d": traj.truth_p365,
    })
    _write(out / "truth", "risk", chunk, risk, "parquet", None)


def _write(out: Path, name: str, chunk: int, table: pa.Table, fmt: str, result: SynthResult | None) -> None:
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        pacsv.write_csv(table, folder / f"part-{chunk:05d}.csv")
    else:
        pq.write_table(table, folder / f"part-{chunk:05d}.parquet", compression="zstd")
    if result is not None:
        result.rows[name] = result.rows.get(name, 0) + table.num_rows
