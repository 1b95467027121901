"""Child process for the reliability tests: ``python -m tests.api.ticket_worker URL MODE ...``.

Modes:
  hang MARKER   create one order, but stop inside the transaction after the rows are written
                (a ``before_commit`` hook): write MARKER with what the transaction sees, then
                sleep until the parent kills us.
  batch N TAG   create N orders (phone numbers derived from TAG so they are not duplicates)
                and print their numbers as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from api.db import make_engine, make_session_factory
from api.models.tickets import Ticket, TicketEvent
from api.services import tickets as svc
from tests.api.ticket_data import ROUTING_FILE, TIME_LIMITS_FILE, ticket_request


def main(argv: list[str]) -> int:
    url, mode, *rest = argv
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rules = svc.load_rules(ROUTING_FILE, TIME_LIMITS_FILE)
    if mode == "hang":
        marker = Path(rest[0])

        @event.listens_for(Session, "before_commit")
        def _stall(session: Session) -> None:
            session.flush()
            seen = {
                "tickets": session.scalar(select(func.count(Ticket.id))),
                "events": session.scalar(select(func.count(TicketEvent.id))),
            }
            marker.write_text(json.dumps(seen), encoding="utf-8")
            time.sleep(120)

        svc.register_order(factory, ticket_request(), actor="bot", channel="test", rules=rules)
        return 3  # not reached: the parent kills us while we sleep
    if mode == "batch":
        count, tag = int(rest[0]), int(rest[1])
        numbers = []
        for i in range(count):
            data = ticket_request(caller_phone=f"139{tag:04d}{i:04d}")
            numbers.append(svc.register_order(factory, data, actor="bot", channel="test", rules=rules).number)
        sys.stdout.write(json.dumps(numbers) + "\n")
        return 0
    raise ValueError(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
