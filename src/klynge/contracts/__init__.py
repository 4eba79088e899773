"""The canonical data model (the input contract) and the Danish reference tables."""

from klynge.contracts import _codes as codes
from klynge.contracts._reference import load_reference
from klynge.contracts._schema import CPR_PATTERN, Column, Order, Reference, Table
from klynge.contracts._tables import TABLES

__all__ = ["CPR_PATTERN", "TABLES", "Column", "Order", "Reference", "Table", "codes", "load_reference"]
