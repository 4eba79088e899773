"""Helpers for the LPR3 reader tests: write hand-made extract files, run the reader, look at
what it staged and quarantined."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from klynge.readers import ReaderReport, run_reader

UNITS = """unit_id,hospital_id,hospital_name,unit_name,specialty,branch,region_code
U1,H1,Odense Universitetshospital,Akutafdeling,emergency,somatic,1083
U2,H1,Odense Universitetshospital,Psykiatrisk afdeling,psychiatry,psychiatric,1083
"""


def write(folder: Path, files: dict[str, str], encoding: str = "utf-8") -> Path:
    """Write ``{name: text}`` into ``folder`` (text dedented by stripping each line's indent)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        lines = [line.strip() for line in text.strip("\n").splitlines()]
        (folder / name).write_bytes(("\n".join(lines) + "\n").encode(encoding) if lines != [""] else b"")
    return folder


@dataclass
class Read:
    """What the reader did with one source folder."""

    report: ReaderReport
    staged: dict[str, list[dict[str, str | None]]]
    quarantined: dict[str, list[dict[str, str | None]]]

    def counts(self, table: str) -> dict[str, int]:
        """read/mapped/quarantined/out_of_scope of one table."""
        entry = self.report.as_dict()["tables"][table]
        return {k: entry[k] for k in ("read", "mapped", "quarantined", "out_of_scope")}

    def reasons(self, table: str) -> dict[str, str | None]:
        """source_record -> reason of the table's quarantined records."""
        return {r["source_record"] or "": r["reason"] for r in self.quarantined.get(table, [])}

    def out_of_scope(self, table: str) -> dict[str, int]:
        return dict(self.report.tables[table].out_of_scope)


def read(source: Path, tmp_path: Path) -> Read:
    """Run the LPR3 reader on ``source``; return its report and its staged and quarantined rows."""
    staging, quarantine = tmp_path / "staged", tmp_path / "quarantine"
    report = run_reader("lpr3", source, staging, quarantine)
    staged = {
        table.name: ds.dataset(table, format="parquet").to_table().to_pylist()
        for table in sorted(staging.iterdir()) if table.is_dir()
    } if staging.exists() else {}
    quarantined = {
        path.stem.removeprefix("source__"): pq.read_table(path).to_pylist()
        for path in sorted(quarantine.glob("source__*.parquet"))
    }
    return Read(report, staged, quarantined)
