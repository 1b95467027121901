"""bot/rasa_server.py: Rasa's action-reply check with the validator built once decides and words
exactly as Rasa's own, and checks Rasa's schema against the meta-schema once, not on every reply.

Runs in Rasa's environment (.venv-rasa) against the installed Rasa and jsonschema. The real Rasa
servers of the integration tests are started through this module (devtools/stack.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from api.settings import Settings
from bot.rasa_model import PROJECT_ROOT, rasa_env, rasa_executable

pytestmark = [pytest.mark.integration]

PROBE = """
import json, sys
from jsonschema import validators
from rasa.core.actions.action import RemoteAction
from bot import rasa_server

replies = json.loads(sys.argv[1])
schema_checks = []

def outcome(validate):
    out = []
    for reply in replies:
        try:
            out.append(["accepted", validate(RemoteAction("action_x", None), reply)])
        except Exception as exc:
            out.append([type(exc).__name__, getattr(exc, "message", str(exc))])
    return out

cls = validators.validator_for(RemoteAction.action_response_format_spec())
check = cls.check_schema.__func__
cls.check_schema = classmethod(lambda c, s, *a, **k: (schema_checks.append(1), check(c, s, *a, **k))[1])
rasa = outcome(RemoteAction._validate_action_result)
checks_by_rasa = len(schema_checks)
rasa_server.install()
ours = outcome(RemoteAction._validate_action_result)
print(json.dumps({"rasa": rasa, "ours": ours, "rasa_checks": checks_by_rasa,
                  "our_checks": len(schema_checks) - checks_by_rasa}, ensure_ascii=False))
"""

REPLIES = [
    {"events": [{"event": "slot", "name": "region", "value": "太原"}], "responses": [{"text": "好的"}]},
    {"events": [], "responses": []},
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": 3}]},
    {"responses": [1]},
    {"events": [{"event": "no_such_event"}]},
    {
        "events": [{"event": "followup", "name": "action_listen"}],
        "responses": [{"text": "再见", "buttons": []}],
    },
]


def test_replies_are_judged_as_rasa_judges_them_with_one_schema_check(tmp_path: Path) -> None:
    python = rasa_executable(Settings().rasa_venv).with_name("python")
    script = tmp_path / "probe.py"
    script.write_text(PROBE, encoding="utf-8")
    env = {**rasa_env(), "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.run(
        [str(python), str(script), json.dumps(REPLIES, ensure_ascii=False)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ours"] == result["rasa"]
    assert [kind for kind, _ in result["ours"]] == ["accepted", "accepted"] + ["ValidationError"] * 4 + [
        "accepted"
    ]
    assert all("Failed to validate Action server response" in m for k, m in result["ours"] if k != "accepted")
    assert result["rasa_checks"] == len(REPLIES)  # Rasa re-checks its constant schema on every reply
    assert result["our_checks"] == 1  # checked once, when the validator is built
