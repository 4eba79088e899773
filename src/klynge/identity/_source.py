"""Pseudonymise a source folder whose tables carry CPR numbers instead of person_ids.

Rule (domain reference §7.2): CPR numbers are validated and replaced by keyed-hash pseudonyms
before anything reaches the warehouse; the numbers (and names, if given) go to the identity store
and nowhere else. Run it before ``klynge build``::

    raw/person.csv (cpr, birth_date, sex, ...)  ->  src/person.csv (person_id, birth_date, sex, ...)
                                                   + <state>/identity/identity.sqlite

Every table file with a ``cpr`` column is mapped; other files are copied unchanged. A row whose
CPR number is malformed, an impossible date, or (in ``person``) disagrees with its
``birth_date`` is left out and written to ``<out>/identity-quarantine/<table>.csv`` with the
number masked (every digit an X) and the reason; read = written + quarantined per table.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from klynge.identity._cpr import InvalidCPR, parse_cpr
from klynge.identity._pseudonym import Pseudonymiser
from klynge.identity._store import IdentityStore, identity_path

NAME_COLUMNS = ("given_name", "family_name")
QUARANTINE = "identity-quarantine"


@dataclass
class PseudonymiseResult:
    tables: dict[str, dict[str, int]] = field(default_factory=dict)   # table -> read, written, quarantined
    identities: int = 0


def _read(path: Path) -> pa.Table:
    if path.suffix == ".parquet":
        return pq.read_table(path)
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True,
                                                                     column_types=_all_text(path)))


def _all_text(path: Path) -> dict[str, pa.DataType]:
    with path.open(encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh), [])
    return {h: pa.string() for h in header}


def _write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)


def _mask(value: str | None) -> str:
    return "".join("X" if ch.isdigit() else ch for ch in (value or ""))


def pseudonymise_source(source: Path | str, out: Path | str, state_dir: Path | str,
                        key: str | bytes | None = None) -> PseudonymiseResult:
    """Map CPR numbers to person_ids in every ``<table>.csv|parquet`` of ``source``, writing to ``out``.

    The key comes from ``key``, else ``KLYNGE_PSEUDONYM_KEY`` / ``KLYNGE_PSEUDONYM_KEY_FILE``.

    Examples
    --------
    >>> pseudonymise_source("raw", "src", "wh")  # doctest: +SKIP
    PseudonymiseResult(tables={'person': {'read': 1000, 'written': 999, 'quarantined': 1}}, identities=999)
    """
    source, out = Path(source), Path(out)
    pseudonymiser = Pseudonymiser(key)
    store = IdentityStore(identity_path(state_dir))
    result = PseudonymiseResult()
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        target = out / path.name
        if path.is_dir():
            shutil.copytree(path, target, dirs_exist_ok=True)
            continue
        if path.suffix not in (".csv", ".parquet"):
            shutil.copy2(path, target)
            continue
        table = _read(path)
        if "cpr" not in table.column_names:
            shutil.copy2(path, target)
            continue
        name = path.stem
        cprs = table.column("cpr").cast(pa.string()).to_pylist()
        births = table.column("birth_date").cast(pa.string()).to_pylist() if "birth_date" in table.column_names \
            and name == "person" else None
        names = {c: table.column(c).cast(pa.string()).to_pylist() for c in NAME_COLUMNS if c in table.column_names}
        keep, ids, bad, reasons, identities = [], [], [], [], []
        for i, value in enumerate(cprs):
            try:
                cpr = parse_cpr(value or "")
            except InvalidCPR as err:
                bad.append(i)
                reasons.append(str(err))
                continue
            if births is not None and births[i] and births[i][:10] != cpr.birth_date.isoformat():
                bad.append(i)
                reasons.append("birth_date differs from the date in the CPR number")
                continue
            pid = pseudonymiser.from_digits(cpr.digits)
            keep.append(i)
            ids.append(pid)
            if name == "person":
                identities.append((pid, cpr.digits, (names.get("given_name") or [""] * len(cprs))[i] or "",
                                   (names.get("family_name") or [""] * len(cprs))[i] or "", False))
        clean = table.take(pa.array(keep, pa.int64())).drop_columns(["cpr", *names])
        clean = clean.add_column(0, "person_id", pa.array(ids, pa.string()))
        _write(clean, target)
        if bad:
            q = table.take(pa.array(bad, pa.int64())).drop_columns(list(names))
            masked = pa.array([_mask(cprs[i]) for i in bad], pa.string())
            q = q.set_column(q.column_names.index("cpr"), "cpr", masked)
            q = q.append_column("reason", pa.array(reasons, pa.string()))
            _write(q.cast(pa.schema([pa.field(f.name, pa.string()) for f in q.schema])),
                   out / QUARANTINE / f"{name}.csv")
        if identities:
            store.add_many(identities)
            result.identities += len(identities)
        result.tables[name] = {"read": len(cprs), "written": len(keep), "quarantined": len(bad)}
    return result
