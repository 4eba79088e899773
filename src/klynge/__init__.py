"""klynge: cross-sector population health management for Danish health clusters and councils."""

from klynge._version import __version__

__all__ = ["__version__"]
