"""Errors of the warehouse build."""

from __future__ import annotations


class BuildError(Exception):
    """A fatal problem with the sources: the build stops and the current warehouse is kept.

    The message names the file, the column (where there is one) and what was expected, e.g.
    ``person.csv: required column 'birth_date' is missing (found: person_id, sex)``.
    Problems with single rows are never fatal: those rows are quarantined instead.
    """


class ReconciliationError(RuntimeError):
    """Internal error: a table's rows read differ from rows accepted plus quarantined."""
