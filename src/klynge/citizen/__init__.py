"""The shared citizen overview: one record across sectors, behind access control and the audit log.

See ``docs/citizen.md``. The FastAPI router is ``klynge.citizen.api.router``; a stand-alone app is
``klynge.citizen.app.create_citizen_app``.
"""

from klynge.citizen._habitual import Habitual, HabitualRule, annotate_series, habitual_value
from klynge.citizen._record import Viewer, assemble_record, search_record
from klynge.citizen._service import PURPOSES, CitizenService, NotFound, valid_person_id
from klynge.citizen._status import StatusStore

__all__ = [
    "PURPOSES",
    "CitizenService",
    "Habitual",
    "HabitualRule",
    "NotFound",
    "StatusStore",
    "Viewer",
    "annotate_series",
    "assemble_record",
    "habitual_value",
    "search_record",
    "valid_person_id",
]
