"""Where builds live on disk, and how a finished build replaces the current one.

Layout of a warehouse folder::

    WAREHOUSE/
      current -> builds/<run_id>          relative symlink to the build readers use
      builds/<run_id>/                    finished builds: the current one and the previous one
        klynge.duckdb  manifest.json  quarantine/
      builds/<run_id>.partial/            a build being written (or left behind by a killed one)
      .build.lock                         held while a build runs

The rule: readers only ever see finished builds. A build writes into its own ``.partial``
folder, renames it when complete, and only then swaps ``current`` in one atomic step, so a
failed or killed build can never harm the warehouse that readers use.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

BUILDS = "builds"
CURRENT = "current"
PARTIAL_SUFFIX = ".partial"
DATABASE = "klynge.duckdb"
MANIFEST = "manifest.json"
QUARANTINE = "quarantine"
LOCK_FILE = ".build.lock"


class WarehouseLockedError(RuntimeError):
    """Another build holds the warehouse's lock."""


def new_run_id() -> str:
    """Return a run id that sorts by start time, e.g. ``20241231T235959Z-a1b2c3``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def partial_dir(warehouse: Path, run_id: str) -> Path:
    """The folder a build with this run id writes into until it is complete."""
    return warehouse / BUILDS / f"{run_id}{PARTIAL_SUFFIX}"


@contextmanager
def build_lock(warehouse: Path) -> Iterator[None]:
    """Hold the warehouse's build lock, or raise at once if another build holds it.

    The lock is an ``fcntl`` lock on ``WAREHOUSE/.build.lock``; the kernel releases it when
    the holding process ends, even by SIGKILL, so a killed build never leaves it stuck.

    Raises
    ------
    WarehouseLockedError
        When another process is building into the same warehouse.
    """
    warehouse.mkdir(parents=True, exist_ok=True)
    path = warehouse / LOCK_FILE
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseLockedError(
                f"another build is running in {warehouse} (it holds {path}); "
                "wait for it to finish, then build again"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_partials(warehouse: Path) -> list[str]:
    """Delete ``.partial`` folders left by failed or killed builds; return their names.

    Call only while holding the build lock: then no other build is writing one.
    """
    builds = warehouse / BUILDS
    if not builds.is_dir():
        return []
    removed = []
    for path in sorted(builds.glob(f"*{PARTIAL_SUFFIX}")):
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def current_target(warehouse: Path) -> Path | None:
    """The build folder ``current`` points at, or None when there is no finished build."""
    link = warehouse / CURRENT
    if not link.is_symlink():
        return None
    target = (warehouse / os.readlink(link)).resolve()
    return target if target.is_dir() else None


def publish(warehouse: Path, partial: Path) -> Path:
    """Make a complete partial build the current one; return its final folder.

    Steps, each atomic on a POSIX file system: rename ``<run_id>.partial`` to ``<run_id>``,
    then point a new symlink at it and ``os.replace`` it over ``current``. A crash between
    the steps leaves ``current`` pointing at the previous build, which stays intact.
    """
    final = partial.with_name(partial.name.removesuffix(PARTIAL_SUFFIX))
    os.replace(partial, final)
    _fsync_dir(final.parent)
    link = warehouse / CURRENT
    temporary = warehouse / f".{CURRENT}.{final.name}.tmp"
    temporary.unlink(missing_ok=True)
    os.symlink(Path(BUILDS) / final.name, temporary)
    os.replace(temporary, link)
    _fsync_dir(warehouse)
    return final


def prune(warehouse: Path, keep: set[Path]) -> list[str]:
    """Delete finished builds other than ``keep`` (the current and the previous one).

    Returns the names of the deleted builds. Readers that still have an old build open keep
    working: on POSIX, an open file outlives its deleted directory entry.
    """
    builds = warehouse / BUILDS
    kept = {p.resolve() for p in keep}
    removed = []
    for path in sorted(builds.iterdir()):
        if path.name.endswith(PARTIAL_SUFFIX) or not path.is_dir() or path.resolve() in kept:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def _fsync_dir(path: Path) -> None:
    """Flush a directory's entries to disk so a rename survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
