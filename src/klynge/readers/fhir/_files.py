"""FHIR files, resource by resource: bulk NDJSON streamed line by line, Bundles entry by entry.

A ``*.ndjson`` file (bulk ``$export``) holds one resource per line and is never loaded whole. A
``*.json`` file holds one resource or a Bundle (any type: collection, transaction, batch,
searchset, message, document); a Bundle file is loaded whole (as one JSON document it cannot be
streamed without a streaming parser), its entries are read in order, nested Bundles too.
Gzipped files (``.ndjson.gz``, ``.json.gz``) are read the same way.

A file whose first record is JSON but not a FHIR resource (no ``resourceType``, such as the
``log.ndjson`` of some bulk exports, or ``klynge-source.json``) is skipped with a note. A broken
record inside a FHIR file (invalid JSON line, Bundle entry without resource) is yielded with
an ``error`` so the reader can quarantine it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

SUFFIXES = (".ndjson", ".json", ".ndjson.gz", ".json.gz")
SKIPPED_NAMES = {"klynge-source.json"}


@dataclass
class Item:
    """One record of a FHIR source: a resource, or the reason it cannot be one."""

    location: str                        # file.ndjson:17 or bundle.json#3
    resource: dict[str, Any] | None
    error: str | None = None
    full_url: str | None = None
    bundle: list[dict[str, Any]] | None = None   # the resources of the enclosing Bundle
    bundle_type: str | None = None
    hint: str | None = None              # resource type guessed from the file name
    raw: str | None = None               # the broken text, for the quarantine


def source_files(source: Path) -> list[Path]:
    """The FHIR files under ``source`` (recursively), in a stable order."""
    found = [p for p in Path(source).rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES)]
    return sorted(p for p in found if p.name not in SKIPPED_NAMES)


def _open(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig")
    return path.open(encoding="utf-8-sig")


def _hint(path: Path) -> str | None:
    stem = path.name.split(".")[0]
    return stem if stem[:1].isupper() and stem.isalpha() else None


def items(path: Path, root: Path) -> Iterator[Item]:
    """The records of one file; raises `NotFhir` when the file is not FHIR at all."""
    name = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
    hint = _hint(path)
    if ".ndjson" in path.name.lower():
        yield from _ndjson(path, name, hint)
    else:
        yield from _json(path, name, hint)


class NotFhir(Exception):
    """The file is JSON but its first record is not a FHIR resource."""


def _ndjson(path: Path, name: str, hint: str | None) -> Iterator[Item]:
    first = True
    with _open(path) as lines:
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if not text:
                continue
            location = f"{name}:{number}"
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                first = False
                yield Item(location, None, f"invalid JSON ({error.msg})", hint=hint, raw=text[:2000])
                continue
            if first and isinstance(value, dict) and "resourceType" not in value:
                raise NotFhir(name)
            first = False
            yield from _value(value, location, hint, None, text)


def _json(path: Path, name: str, hint: str | None) -> Iterator[Item]:
    try:
        with _open(path) as handle:
            value = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        yield Item(name, None, f"invalid JSON file ({getattr(error, 'msg', error)})", hint=hint)
        return
    if isinstance(value, dict) and "resourceType" not in value:
        raise NotFhir(name)
    yield from _value(value, name, hint, None, None)


def _value(value: Any, location: str, hint: str | None, full_url: str | None, raw: str | None) -> Iterator[Item]:
    if not isinstance(value, dict):
        yield Item(location, None, "not a JSON object", hint=hint, raw=(raw or json.dumps(value))[:2000])
        return
    if not isinstance(value.get("resourceType"), str):
        yield Item(location, None, "not a FHIR resource (no resourceType)", hint=hint, raw=(raw or "")[:2000]
                   or json.dumps(value)[:2000])
        return
    if value["resourceType"] != "Bundle":
        yield Item(location, value, full_url=full_url, hint=hint)
        return
    yield from _bundle(value, location, hint)


def _bundle(bundle: dict[str, Any], location: str, hint: str | None) -> Iterator[Item]:
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        yield Item(location, None, "Bundle.entry is not a list", hint=hint, raw=json.dumps(bundle)[:2000])
        return
    kind = bundle.get("type") if isinstance(bundle.get("type"), str) else None
    resources = [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    for number, entry in enumerate(entries):
        where = f"{location}#{number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            yield Item(where, None, "bundle entry without a resource", hint=hint, raw=json.dumps(entry)[:2000])
            continue
        resource, full_url = entry["resource"], entry.get("fullUrl")
        if resource.get("resourceType") == "Bundle":
            yield from _bundle(resource, where, hint)
            continue
        if not isinstance(resource.get("resourceType"), str):
            yield Item(where, None, "not a FHIR resource (no resourceType)", hint=hint,
                       raw=json.dumps(resource)[:2000])
            continue
        yield Item(where, resource, full_url=full_url if isinstance(full_url, str) else None,
                   bundle=resources, bundle_type=kind, hint=hint)
