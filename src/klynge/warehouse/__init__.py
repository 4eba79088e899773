"""The warehouse: finished builds on disk, and read access to the current one.

A build (``klynge.ingest.build_warehouse``) writes ``WAREHOUSE/builds/<run_id>/`` and then
points ``WAREHOUSE/current`` at it; everything here reads through that link.
"""

from klynge.warehouse._open import current_build, open_warehouse, read_manifest

__all__ = ["current_build", "open_warehouse", "read_manifest"]
