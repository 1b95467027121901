"""SQLAlchemy 2 models, one module per resource, all on one declarative Base.

Modules: base (Base and shared column helpers), tickets (work orders, events,
departments, callbacks), inspection (quality-inspection results and reviews),
conversations (chat sessions, turns, handoff), users (staff accounts, login sessions,
audit log, knowledge-editor versions), assist (agent feedback on suggested answers).
Import this package to register every table on ``Base.metadata``.
"""

from api.models import assist as assist  # noqa: F401  (registers the agent-assist feedback table)
from api.models import conversations as conversations  # noqa: F401  (registers the chat tables)
from api.models import inspection as inspection  # noqa: F401  (registers the quality-inspection tables)
from api.models import tickets as tickets  # noqa: F401  (registers the work-order tables)
from api.models import users as users  # noqa: F401  (registers users, sessions, audit log, KB versions)
from api.models.base import Base

__all__ = ["Base"]
