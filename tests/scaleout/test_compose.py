"""docker-compose.yml, deploy/nginx.conf and deploy/rasa/endpoints.yml agree with api/settings.py.

Docker cannot run on the development machine, so the compose topology is checked statically:
every HOTLINE_* variable is a real setting with a value it accepts, ports and service names
match between compose, nginx and the settings, the FAISS index is read-only for the serving
instances, secrets come from the environment, and Rasa gets every variable its endpoints use.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from api.settings import PROJECT_ROOT, Settings
from devtools.stack import render_endpoints

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
NGINX = PROJECT_ROOT / "deploy" / "nginx.conf"
RASA_ENDPOINTS = PROJECT_ROOT / "deploy" / "rasa" / "endpoints.yml"
_VAR = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def _resolved(value: str) -> str:
    """A compose value with ${VAR:-default} replaced by its default (or a placeholder)."""
    return re.sub(r"\$\{[A-Z0-9_]+(?::?-([^}]*))?[^}]*\}", lambda m: m.group(1) or "secret", value)


def test_topology_has_every_component(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"nginx", "api", "rasa", "actions", "postgres", "redis"} <= set(services)
    for name in ("api", "rasa", "actions"):
        assert services[name]["deploy"]["replicas"] >= 2, name
        dockerfile = PROJECT_ROOT / services[name]["build"]["dockerfile"]
        assert dockerfile.exists(), dockerfile
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"nginx"}  # only the load balancer faces the outside


def test_hotline_variables_are_settings_with_valid_values(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        env = {k: _resolved(v) for k, v in _env(service).items() if k.startswith("HOTLINE_")}
        unknown = {k for k in env if k[len("HOTLINE_") :].lower() not in Settings.model_fields}
        assert not unknown, f"{name}: not settings: {sorted(unknown)}"
        values: dict[str, Any] = {k[len("HOTLINE_") :].lower(): v for k, v in env.items()}
        if "cors_origins" in values:  # a JSON list in the environment
            values["cors_origins"] = yaml.safe_load(values["cors_origins"])
        Settings(_env_file=None, **values)  # type: ignore[call-arg]  # raises on a value it refuses


def test_secrets_come_from_the_environment(compose: dict[str, Any]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    passwords = re.findall(r"postgresql://[^:\s/]+:([^@]*)@", text)
    assert passwords and all(p.startswith("${") for p in passwords), passwords
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")


def test_ports_and_upstreams_agree(compose: dict[str, Any]) -> None:
    services = compose["services"]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    nginx = NGINX.read_text(encoding="utf-8")
    upstreams = dict(re.findall(r"server (\w+):(\d+);", nginx))
    assert upstreams == {
        "api": str(defaults.api_port),
        "rasa": str(defaults.rasa_port),
        "actions": str(defaults.action_port),
    }
    for name, port in upstreams.items():
        assert port in services[name]["expose"], name
    listens = set(re.findall(r"listen (\d+);", nginx))
    api_env, rasa_env = _env(services["api"]), _env(services["rasa"])
    assert urlparse(api_env["HOTLINE_RASA_URL"]).hostname == "nginx"
    assert str(urlparse(api_env["HOTLINE_RASA_URL"]).port) in listens
    action = urlparse(rasa_env["HOTLINE_ACTION_URL"])
    # The API probes the same action servers it lets Rasa call (health is not blind in the compose).
    assert Settings(_env_file=None, action_url=api_env["HOTLINE_ACTION_URL"]).action_health_url == (  # type: ignore[call-arg]
        f"http://nginx:{action.port}/health"
    )
    assert action.hostname == "nginx" and str(action.port) in listens and action.path == "/webhook"
    assert services["nginx"]["ports"][0].endswith(":80") and "80" in listens
    # WebSocket upgrade for the widget and the phone media stream, and no sticky sessions.
    assert "proxy_set_header Upgrade $http_upgrade" in nginx and "$connection_upgrade" in nginx
    assert not re.search(r"^\s*(ip_hash|hash |sticky)", nginx, re.M)


def test_rasa_gets_every_variable_its_endpoints_use(compose: dict[str, Any]) -> None:
    endpoints = RASA_ENDPOINTS.read_text(encoding="utf-8")
    used = set(_VAR.findall(re.sub(r"#.*", "", endpoints)))
    rasa_env = _env(compose["services"]["rasa"])
    assert used <= set(rasa_env), sorted(used - set(rasa_env))
    parsed = yaml.safe_load(endpoints)
    assert parsed["tracker_store"]["type"] == "SQL" and parsed["lock_store"]["type"] == "redis"
    # The lock store Rasa uses is the one the app settings name.
    lock = urlparse(_env(compose["services"]["api"])["HOTLINE_RASA_LOCK_STORE_URL"])
    assert (rasa_env["RASA_LOCK_STORE_HOST"], rasa_env["RASA_LOCK_STORE_PORT"]) == (
        lock.hostname,
        str(lock.port),
    )
    assert rasa_env["RASA_LOCK_STORE_DB"] == lock.path.strip("/")
    tracker = _env(compose["services"]["api"])["HOTLINE_RASA_TRACKER_STORE_URL"]
    assert rasa_env["HOTLINE_RASA_TRACKER_STORE_URL"] == tracker
    # The locally rendered endpoints (devtools/stack.py) have the same sections for these settings.
    local = yaml.safe_load(
        render_endpoints(Settings(_env_file=None, rasa_tracker_store_url="postgresql://u:p@db/rasa",
                                  rasa_lock_store_url="redis://redis:6379/1"))  # type: ignore[call-arg]
    )  # fmt: skip
    assert set(local) == set(parsed)
    assert local["lock_store"]["key_prefix"] == parsed["lock_store"]["key_prefix"]


def test_index_is_read_only_where_it_is_served(compose: dict[str, Any]) -> None:
    services = compose["services"]
    index_dir = Path(_env(services["api"])["HOTLINE_DATA_DIR"]) / "index"  # Settings.index_dir
    for name in ("api", "actions"):
        mounts = [m for m in services[name]["volumes"] if m.startswith("kb-index:")]
        assert mounts == [f"kb-index:{index_dir}:ro"], name
    assert f"kb-index:{index_dir}" in services["indexer"]["volumes"]  # the only writer
    outbox = Path(_env(services["api"])["HOTLINE_OUTBOX_PATH"]).parent
    for name in ("api", "actions"):  # the action server queues work orders in the same outbox
        assert f"outbox:{outbox}" in services[name]["volumes"], name
