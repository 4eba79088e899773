"""CSV text: which encoding a file is in, its delimiter, and its header.

Danish sources come as UTF-8 (often with a byte-order mark from Excel) or as the legacy
Windows-1252 / Latin-1 encodings. Reading a legacy file as UTF-8 would garble æ, ø and å, so
every CSV file is checked in full, and a legacy one is transcoded to UTF-8 before the engine
reads it. Both passes stream in chunks, so memory stays bounded whatever the file size.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from klynge.ingest._errors import BuildError

_CHUNK = 1 << 20  # bytes read at a time
_BOM = codecs.BOM_UTF8
DELIMITERS = (",", ";")


def detect_encoding(path: Path) -> str:
    """Return ``"utf-8-sig"``, ``"utf-8"`` or ``"legacy"`` for a CSV file.

    A file is UTF-8 only if *all* of it decodes as UTF-8: a legacy file often has its first
    non-ASCII character far down (a town name in row 80,000), so sampling the head is not
    enough. Multi-byte characters split across chunks are handled by the incremental decoder.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        first = handle.read(_CHUNK)
        has_bom = first.startswith(_BOM)
        try:
            decoder.decode(first)
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "legacy"
    return "utf-8-sig" if has_bom else "utf-8"


def transcode_legacy(path: Path, target: Path) -> str:
    """Write a legacy-encoded file as UTF-8 to ``target``; return the encoding used.

    Windows-1252 is tried first (it is what Danish Windows systems write, and it has the
    typographic quotes and the euro sign); a file with one of the five bytes that
    Windows-1252 leaves undefined is read as Latin-1 instead, which maps every byte.
    """
    for encoding in ("cp1252", "latin-1"):
        try:
            _transcode(path, target, encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _transcode(path: Path, target: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    target.parent.mkdir(parents=True, exist_ok=True)
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as sink:
        for chunk in iter(lambda: source.read(_CHUNK), b""):
            sink.write(decoder.decode(chunk))
        sink.write(decoder.decode(b"", final=True))


def read_header(path: Path, label: str) -> tuple[str, list[str]]:
    """Return the delimiter (``,`` or ``;``) and the column names of a UTF-8 CSV file.

    The delimiter is the one that occurs more often in the header line; Danish exports from
    Excel use ``;`` because ``,`` is the decimal separator.

    Parameters
    ----------
    path
        A UTF-8 file (with or without byte-order mark).
    label
        How to name the file in error messages (the source file, not a transcoded copy).

    Raises
    ------
    BuildError
        When the file is empty or its header is not readable.
    """
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        line = handle.readline()
    if not line.strip():
        raise BuildError(f"{label}: the file is empty; expected a header line with the column names")
    delimiter = max(DELIMITERS, key=line.count)
    try:
        names = next(csv.reader([line], delimiter=delimiter))
    except csv.Error as error:
        raise BuildError(f"{label}: cannot read the header line ({error})") from error
    return delimiter, [name.strip() for name in names]
