"""The audit log: append-only, hash-chained JSON lines.

Rule (Sundhedsloven §42a; domain reference §7.2): every look at person-level data is logged with
who, role, organisation, citizen, purpose, time and what, kept immutable, and shown to the
citizen on request. Each entry carries the hash of the previous one, and a head file holds the
hash and number of the last entry, so that editing, deleting, inserting, reordering or cutting
off entries breaks the chain. With ``KLYNGE_AUDIT_KEY`` set the hashes are HMAC-SHA-256, so
that a forger without the key cannot recompute the chain either.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from klynge.access._roles import Principal
from klynge.contracts import CPR_PATTERN

GENESIS = "0" * 64
AUDIT_KEY_ENV = "KLYNGE_AUDIT_KEY"
_CPR = re.compile(CPR_PATTERN)


@dataclass
class VerifyResult:
    """The outcome of :meth:`AuditLog.verify`."""

    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _refuse_cpr(value: Any) -> None:
    """Privacy rule: no CPR number in clear ever enters the log."""
    if isinstance(value, str):
        if _CPR.search(value):
            raise ValueError("refused: a value for the audit log looks like a CPR number")
    elif isinstance(value, dict):
        for k, v in value.items():
            _refuse_cpr(k)
            _refuse_cpr(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _refuse_cpr(v)


class AuditLog:
    """An append-only, hash-chained log in one JSON-lines file.

    Parameters
    ----------
    path
        The ``audit.jsonl`` file; its folder is created when needed.
    key
        HMAC key (bytes); default from the environment variable ``KLYNGE_AUDIT_KEY``, else a plain
        SHA-256 chain.

    Examples
    --------
    >>> log = AuditLog(tmp / "audit.jsonl")  # doctest: +SKIP
    >>> log.append(principal, "citizen.read", purpose="treatment", subjects=["P0-1"])  # doctest: +SKIP
    >>> log.verify().ok  # doctest: +SKIP
    True
    """

    def __init__(self, path: Path | str, key: bytes | None = None) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_suffix(".head")
        if key is None and os.environ.get(AUDIT_KEY_ENV):
            key = os.environ[AUDIT_KEY_ENV].encode()
        self._key = key

    def _digest(self, body: dict[str, Any]) -> str:
        data = _canonical(body)
        if self._key:
            return hmac.new(self._key, data, hashlib.sha256).hexdigest()
        return hashlib.sha256(data).hexdigest()

    def _read_head(self) -> tuple[int, str]:
        if not self.head_path.exists():
            return 0, GENESIS
        head = json.loads(self.head_path.read_text(encoding="utf-8"))
        return int(head["seq"]), str(head["hash"])

    def append(self, principal: Principal, action: str, *, purpose: str,
               subjects: Sequence[str] = (), what: str = "", **extra: Any) -> dict[str, Any]:
        """Append one entry and return it (with ``seq``, ``time``, ``prev`` and ``hash``).

        ``subjects`` are person_ids (pseudonyms). A value that looks like a CPR number is refused
        with ``ValueError`` before anything is written.
        """
        subjects = [str(s) for s in subjects]
        _refuse_cpr([purpose, what, subjects, extra, principal.user, principal.organisation])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_suffix(".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                seq, prev = self._read_head()
                body: dict[str, Any] = {
                    "seq": seq + 1,
                    "time": datetime.now(UTC).isoformat(timespec="microseconds"),
                    "user": principal.user,
                    "role": principal.role.value,
                    "organisation": principal.organisation,
                    "action": action,
                    "purpose": purpose,
                    "subjects": subjects,
                    "what": what,
                    "extra": extra,
                    "prev": prev,
                }
                entry = {**body, "hash": self._digest(body)}
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                tmp = self.head_path.with_suffix(".head.tmp")
                tmp.write_text(json.dumps({"seq": entry["seq"], "hash": entry["hash"]}), encoding="utf-8")
                os.replace(tmp, self.head_path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return entry

    def entries(self) -> Iterator[dict[str, Any]]:
        """The entries in file order (unverified; call :meth:`verify` to trust them)."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)

    def verify(self) -> VerifyResult:
        """Check the whole chain and the head; any edit, deletion, insertion or reordering fails.

        Examples
        --------
        >>> AuditLog(tmp / "audit.jsonl").verify()  # doctest: +SKIP
        VerifyResult(ok=True, entries=0, problems=[])
        """
        problems: list[str] = []
        prev, count = GENESIS, 0
        if self.path.exists():
            with open(self.path, encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, start=1):
                    if not line.strip():
                        problems.append(f"line {lineno}: empty line")
                        continue
                    try:
                        entry = json.loads(line)
                        body = {k: v for k, v in entry.items() if k != "hash"}
                        stored = entry["hash"]
                        seq = entry["seq"]
                    except (ValueError, KeyError, TypeError):
                        problems.append(f"line {lineno}: not a valid entry")
                        continue
                    count += 1
                    if seq != count:
                        problems.append(f"line {lineno}: sequence number {seq}, expected {count}")
                    if body.get("prev") != prev:
                        problems.append(f"line {lineno}: does not follow the previous entry")
                    if self._digest(body) != stored:
                        problems.append(f"line {lineno}: content does not match its hash")
                    prev = stored
        head_seq, head_hash = self._read_head()
        if (head_seq, head_hash) != (count, prev):
            problems.append(
                f"head says {head_seq} entries ending in {head_hash[:12]}, the file has {count} ending in {prev[:12]}"
            )
        return VerifyResult(ok=not problems, entries=count, problems=problems)


def audit_log(warehouse_dir: Path | str) -> AuditLog:
    """The audit log of a warehouse folder: ``<warehouse_dir>/audit/audit.jsonl`` (outside builds/).

    Examples
    --------
    >>> audit_log("wh").path  # doctest: +SKIP
    PosixPath('wh/audit/audit.jsonl')
    """
    return AuditLog(Path(warehouse_dir) / "audit" / "audit.jsonl")
