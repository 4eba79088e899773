"""Keyed-hash pseudonyms: person_id = HMAC-SHA-256(key, CPR digits), shortened.

Rule (domain reference §7.2): pseudonymise CPR at ingestion with a keyed hash whose key lives
outside the analytics zone. The key comes from configuration or the environment
(``KLYNGE_PSEUDONYM_KEY``), never from code; without a key pseudonymisation refuses to run.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from klynge.identity._cpr import parse_cpr

KEY_ENV = "KLYNGE_PSEUDONYM_KEY"
KEY_FILE_ENV = "KLYNGE_PSEUDONYM_KEY_FILE"
MIN_KEY_BYTES = 16
PREFIX = "X"   # pseudonyms start with a letter, so they can never look like a CPR number


class MissingKey(RuntimeError):
    """No pseudonymisation key configured."""


def load_key(key: str | bytes | None = None, key_file: Path | str | None = None) -> bytes:
    """The pseudonymisation key: the argument, a key file, or the environment, in that order.

    Raises
    ------
    MissingKey
        When none is set or the key is shorter than 16 bytes.
    """
    if key is None and key_file is None:
        key_file = os.environ.get(KEY_FILE_ENV) or None
        key = os.environ.get(KEY_ENV) or None
    if key is None and key_file is not None:
        key = Path(key_file).read_bytes().strip()
    if key is None:
        raise MissingKey(f"no pseudonymisation key: set {KEY_ENV} or {KEY_FILE_ENV} (at least {MIN_KEY_BYTES} bytes)")
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if len(raw) < MIN_KEY_BYTES:
        raise MissingKey(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes")
    return raw


class Pseudonymiser:
    """Maps validated CPR numbers to stable person_ids with a keyed hash.

    Examples
    --------
    A made-up CPR number (no real person's), as in every example and test:

    >>> p = Pseudonymiser(b"a key of sixteen bytes+")
    >>> pid = p.person_id("010190-2013")
    >>> pid == p.person_id("0101902013"), pid.startswith("X"), len(pid)
    (True, True, 25)
    """

    def __init__(self, key: str | bytes | None = None) -> None:
        self._key = load_key(key)

    def __repr__(self) -> str:
        return "Pseudonymiser(key=<hidden>)"

    def person_id(self, cpr: str) -> str:
        """Validate ``cpr`` (raises ``InvalidCPR``) and return its pseudonym."""
        digits = parse_cpr(cpr).digits
        return self.from_digits(digits)

    def from_digits(self, digits: str) -> str:
        """The pseudonym of already validated CPR digits."""
        mac = hmac.new(self._key, digits.encode(), hashlib.sha256).hexdigest()
        return PREFIX + mac[:24]
