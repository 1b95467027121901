"""SQLAlchemy 2 models, one module per resource, all on one declarative Base.

Modules: base (Base and shared column helpers), tickets (work orders, events,
departments, callbacks), inspection (quality-inspection results and reviews),
conversations (chat sessions, turns, handoff).
Import this package to register every table on ``Base.metadata``.
"""

from api.models import conversations as conversations  # noqa: F401  (registers the chat tables)
from api.models import inspection as inspection  # noqa: F401  (registers the quality-inspection tables)
from api.models import tickets as tickets  # noqa: F401  (registers the work-order tables)
from api.models.base import Base

__all__ = ["Base"]
