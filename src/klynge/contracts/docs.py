"""Generate `docs/data-model.md` from the canonical model (the single source of truth)."""

from __future__ import annotations

from pathlib import Path

from klynge.contracts._tables import TABLES


def data_model_markdown() -> str:
    """The data-model reference as Markdown."""
    lines = [
        "# The canonical data model",
        "",
        "Generated from `src/klynge/contracts/_tables.py` by `klynge docs`; do not edit by hand.",
        "",
        "A council maps its sources onto these tables (one file or folder per table: `<table>.csv`,",
        "`<table>.parquet` or `<table>/*.parquet`). `klynge build` validates every row against the rules",
        "below and quarantines the rows that break them, with the reason. Timestamps are instants: give",
        "them with a UTC offset (`2024-03-31T01:30:00+01:00`); a time without an offset is read as",
        "Danish local time (Europe/Copenhagen). `valid_to` and `end_date` are exclusive.",
        "",
        "| table | required | rows are |",
        "|---|---|---|",
    ]
    for t in TABLES.values():
        lines.append(f"| [`{t.name}`](#{t.name.replace('_', '-')}) | {'yes' if t.required else 'no'} | {t.description} |")
    for t in TABLES.values():
        lines += ["", f"## {t.name.replace('_', '-')}", "", t.description, ""]
        if t.primary_key:
            lines.append(f"Key: `{', '.join(t.primary_key)}` (a duplicate is quarantined).  ")
        for r in t.references:
            lines.append(f"`{r.column}` must exist in `{r.table}.{r.target_column}`.  ")
        for o in t.orders:
            lines.append(f"`{o.later}` must not be before `{o.earlier}`.  ")
        if t.event_column:
            lines.append(f"`{t.event_column}` must fall within the person's life (not before birth, "
                         "at most one day after death).  ")
        lines += ["", "| column | type | required | rule | description |", "|---|---|---|---|---|"]
        for c in t.columns:
            rule = []
            if c.codes:
                shown = ", ".join(f"`{x}`" for x in c.codes[:12])
                rule.append(f"one of {shown}{' …' if len(c.codes) > 12 else ''}")
            if c.pattern:
                rule.append(f"matches `{c.pattern.replace('|', chr(92) + '|')}`")
            if c.min is not None or c.max is not None:
                rule.append(f"between {c.min if c.min is not None else '-∞'} and {c.max if c.max is not None else '∞'}")
            if c.cpr_check:
                rule.append("no CPR number")
            lines.append(f"| `{c.name}` | {c.dtype} | {'no' if c.nullable else 'yes'} | {'; '.join(rule)} | {c.description} |")
    return "\n".join(lines) + "\n"


def write_data_model(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data_model_markdown(), encoding="utf-8")
    return path
