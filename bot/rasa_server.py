"""Rasa's server (``rasa run``), with each action server reply checked by a validator built once.

Rasa 3.6 checks every reply of the action server with ``jsonschema.validate(reply, schema)``. That
call first validates the schema itself against the JSON Schema meta-schema, on every call, although
Rasa's reply schema (``RemoteAction.action_response_format_spec``: the events schema) never changes.
Under chat load it was 38 % of Rasa's CPU per turn (py-spy, 50 sessions; docs/benchmarks.md,
issue 14). Here the schema is checked once and the validator reused: a reply is accepted or refused
exactly as before, with Rasa's own error message.

Run with Rasa's Python, with the same arguments as ``rasa run`` (devtools/stack.py and
deploy/rasa.Dockerfile do)::

    .venv-rasa/bin/python -m bot.rasa_server run --model ... --endpoints ...

This module runs in Rasa's environment: it imports only Rasa, jsonschema and the standard library.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

__all__ = ["install", "main"]


@functools.cache
def _reply_validator() -> Any:
    """Rasa's action reply schema, checked against its meta-schema once, as a reusable validator."""
    from jsonschema import validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate does on every call
    return cls(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the validator built once (same checks, same error)."""
    from jsonschema import exceptions
    from rasa.shared.constants import DOCS_BASE_URL

    error = exceptions.best_match(_reply_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Replace Rasa's per-call schema check of action replies with the validator built once."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    """``rasa`` with ``argv`` (default: this process's arguments), after :func:`install`."""
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
