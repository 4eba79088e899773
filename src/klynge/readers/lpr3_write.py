"""Write canonical hospital tables as an LPR3-style research extract (the reader's inverse).

Used to test the LPR3 reader on the synthetic population (write, read back, compare) and to
give a council a sample of the extract layout klynge reads. Times are written as Danish local
date and time, as LPR3 has them; an instant in the autumn hour that occurs twice (the second,
winter-time one) therefore reads back one hour earlier, as it would from a real extract.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from klynge.contracts import codes
from klynge.readers._time import DANISH
from klynge.readers.lpr3_files import canonical_file

KONTAKTER = ("dw_ek_kontakt", "cpr_encrypted", "dato_start", "tidspunkt_start", "dato_slut", "tidspunkt_slut",
             "kontakttype", "prioritet", "kontaktaarsag", "sorenhed_ans", "lprindberetningssystem")
DIAGNOSER = ("dw_ek_kontakt", "diagnosekode", "diagnosetype", "senere_afkraeftet", "lprindberetningssystem")
PROCEDURER = ("dw_ek_kontakt", "procedurekode", "dato_start", "tidspunkt_start", "lprindberetningssystem")
ORGANISATIONER = ("sorenhed", "sorenhed_tekst", "sundhedsinstitution", "sundhedsinstitution_tekst",
                  "hovedspeciale", "region")


def _local(value: datetime | None) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    local = value.astimezone(DANISH)
    return local.date().isoformat(), local.strftime("%H:%M:%S.%f" if local.microsecond else "%H:%M:%S")


def _read(source: Path, table: str) -> Iterator[dict[str, Any]]:
    files = canonical_file(source, table)
    if not files:
        return
    fmt = "csv" if files[0].suffix == ".csv" else "parquet"
    yield from ds.dataset([str(f) for f in files], format=fmt).to_table().to_pylist()


def write_lpr3(source: Path, out: Path, *, fmt: str = "csv", delimiter: str = ";", encoding: str = "utf-8",
               organisationer: bool = True) -> dict[str, int]:
    """Write the canonical hospital tables of ``source`` as an LPR3 extract in ``out``.

    Parameters
    ----------
    source
        A canonical source folder (``hospital_contact``, ``diagnosis``, ``procedure``,
        ``hospital_unit``, as Parquet or CSV files or folders).
    out
        The extract folder: ``kontakter``, ``diagnoser``, ``procedurer_kirurgi`` (K codes),
        ``procedurer_andre`` (the others) and, with ``organisationer``, ``organisationer``
        (specialties as Danish names, regions as 81-85).
    fmt, delimiter, encoding
        ``csv`` (with that delimiter and encoding, e.g. ``cp1252``) or ``parquet``.

    Returns
    -------
    dict
        Rows written per extract table.

    Examples
    --------
    >>> write_lpr3(Path("synthetic"), Path("extract"), delimiter=";")  # doctest: +SKIP
    {'kontakter': 519, 'diagnoser': 538, ...}
    """
    source, out = Path(source), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}

    def contacts() -> Iterator[tuple[Any, ...]]:
        for c in _read(source, "hospital_contact"):
            yield (c["contact_id"], c["person_id"], *_local(c["start_time"]), *_local(c["end_time"]),
                   c["contact_type"], c["priority"], c["contact_reason"], c["unit_id"], "LPR3")

    def diagnoses() -> Iterator[tuple[Any, ...]]:
        for d in _read(source, "diagnosis"):
            refuted = None if d["refuted"] is None else ("Ja" if d["refuted"] in (True, "true") else "Nej")
            yield d["contact_id"], d["diagnosis_code"], d["diagnosis_type"], refuted, "LPR3"

    procedures = [(p["contact_id"], p["procedure_code"], *_local(p["procedure_time"]), "LPR3")
                  for p in _read(source, "procedure")]
    written["kontakter"] = _write(out, "kontakter", KONTAKTER, contacts(), fmt, delimiter, encoding)
    written["diagnoser"] = _write(out, "diagnoser", DIAGNOSER, diagnoses(), fmt, delimiter, encoding)
    written["procedurer_kirurgi"] = _write(out, "procedurer_kirurgi", PROCEDURER,
                                           (p for p in procedures if str(p[1]).startswith("K")), fmt, delimiter, encoding)
    written["procedurer_andre"] = _write(out, "procedurer_andre", PROCEDURER,
                                         (p for p in procedures if not str(p[1]).startswith("K")), fmt, delimiter, encoding)
    if organisationer:
        units = ((u["unit_id"], u["unit_name"], u["hospital_id"], u["hospital_name"],
                  codes.SPECIALTIES[u["specialty"]][0], str(u["region_code"])[-2:]) for u in _read(source, "hospital_unit"))
        written["organisationer"] = _write(out, "organisationer", ORGANISATIONER, units, fmt, delimiter, encoding)
    return written


def _write(out: Path, name: str, header: tuple[str, ...], rows: Iterable[tuple[Any, ...]], fmt: str,
           delimiter: str, encoding: str) -> int:
    data = [tuple(None if v is None else str(v) for v in row) for row in rows]
    if fmt == "parquet":
        table = pa.table({h: pa.array([r[i] for r in data], pa.string()) for i, h in enumerate(header)})
        pq.write_table(table, out / f"{name}.parquet")
        return len(data)
    with (out / f"{name}.csv").open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in data)
    return len(data)
