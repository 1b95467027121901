"""Rules of work orders that the centre edits in YAML: routing and time limits (限时办结).

``load_rules`` reads ``api/routing.yaml`` (category, topic, region -> department) and
``api/time_limits.yaml`` (-> working days, or clock hours for the after-hours promise) and
checks them, failing with the file and rule named. ``rules_from_settings`` caches the result
and reloads when either file changes on disk, so an edit needs no code change or restart.
Matching, in both files: rules are tried top to bottom, the first whose every condition holds
wins; a topic condition matches when one of its words equals or occurs in the order's topic;
a region condition matches the region or any place under it ("山西" matches "山西/太原").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from api.services.workdays import deadline, parse_hours
from api.settings import Settings

__all__ = ["CATEGORIES", "RuleMatch", "TicketRules", "TimeLimit", "load_rules", "rules_from_settings"]

CATEGORIES = ("咨询", "求助", "投诉", "举报", "建议", "表扬")


@dataclass(frozen=True)
class RuleMatch:
    """Conditions of one YAML rule; an empty condition matches anything."""

    categories: frozenset[str]
    topics: tuple[str, ...]
    regions: tuple[str, ...]

    def matches(self, category: str, topic: str, region: str) -> bool:
        """True when every given condition holds (topic: equal or contained; region: prefix)."""
        if self.categories and category not in self.categories:
            return False
        if self.topics and not any(t == topic or t in topic for t in self.topics):
            return False
        if self.regions and not any(region == r or region.startswith(r + "/") for r in self.regions):
            return False
        return True


@dataclass(frozen=True)
class TimeLimit:
    """A 限时办结 limit: working days, or clock hours for the after-hours reply promise."""

    days: int | None = None
    hours: int | None = None

    def label(self) -> str:
        return f"{self.days}个工作日" if self.days is not None else f"{self.hours}小时"


@dataclass(frozen=True)
class TicketRules:
    """Routing, time limits and the knobs of intake, as the centre configured them."""

    departments: dict[str, str]
    default_department: str
    routing: tuple[tuple[RuleMatch, str], ...]
    limits: tuple[tuple[RuleMatch, TimeLimit], ...]
    default_limit: TimeLimit
    duplicate_window: dt.timedelta = dt.timedelta(hours=72)
    timezone: str = "Asia/Shanghai"
    close_of_business: dt.time = dt.time(17, 30)

    def route(self, category: str, topic: str, region: str) -> tuple[str, int | None]:
        """Department for an order and the index of the rule that chose it (None: default)."""
        for index, (match, department) in enumerate(self.routing):
            if match.matches(category, topic, region):
                return department, index
        return self.default_department, None

    def time_limit(self, category: str, topic: str, region: str) -> TimeLimit:
        for match, limit in self.limits:
            if match.matches(category, topic, region):
                return limit
        return self.default_limit

    def due(self, category: str, topic: str, region: str, received: dt.datetime) -> dt.datetime:
        """When an order received at ``received`` must be done (working days on the Chinese calendar)."""
        limit = self.time_limit(category, topic, region)
        return deadline(
            received,
            days=limit.days,
            hours=limit.hours,
            timezone=self.timezone,
            close_of_business=self.close_of_business,
        )


def _as_tuple(value: Any, *, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),)
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    raise ValueError(f"{where}: expected a string or a list of strings, got {value!r}")


def _rule_match(raw: dict[str, Any], *, where: str) -> RuleMatch:
    categories = _as_tuple(raw.get("category"), where=f"{where}.category")
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise ValueError(f"{where}.category: unknown categories {unknown}; use {list(CATEGORIES)}")
    return RuleMatch(
        categories=frozenset(categories),
        topics=_as_tuple(raw.get("topic"), where=f"{where}.topic"),
        regions=_as_tuple(raw.get("region"), where=f"{where}.region"),
    )


def _time_limit(raw: Any, *, where: str) -> TimeLimit:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping with days or hours, got {raw!r}")
    days, hours = raw.get("days"), raw.get("hours")
    if (days is None) == (hours is None):
        raise ValueError(f"{where}: give exactly one of days or hours")
    value = days if days is not None else hours
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{where}: the limit must be a positive integer, got {value!r}")
    return TimeLimit(days=days, hours=hours)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"work-order rule file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def load_rules(
    routing_file: Path,
    time_limits_file: Path,
    *,
    duplicate_window_hours: float = 72.0,
    timezone: str = "Asia/Shanghai",
    close_of_business: dt.time = dt.time(17, 30),
) -> TicketRules:
    """Read and check both rule files; a mistake fails here, naming the file and the rule."""
    routing = _read_yaml(Path(routing_file))
    departments: dict[str, str] = {}
    for i, dep in enumerate(routing.get("departments") or []):
        if not isinstance(dep, dict) or not isinstance(dep.get("name"), str) or not dep["name"].strip():
            raise ValueError(f"{routing_file}: departments[{i}] needs a name")
        departments[dep["name"].strip()] = str(dep.get("description") or "")
    if not departments:
        raise ValueError(f"{routing_file}: no departments listed")
    default_department = routing.get("default_department")
    if default_department not in departments:
        raise ValueError(f"{routing_file}: default_department {default_department!r} is not in departments")
    routes: list[tuple[RuleMatch, str]] = []
    for i, raw in enumerate(routing.get("rules") or []):
        where = f"{routing_file}: rules[{i}]"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected a mapping")
        department = raw.get("department")
        if department not in departments:
            raise ValueError(f"{where}: department {department!r} is not in departments")
        routes.append((_rule_match(raw, where=where), department))

    limits_doc = _read_yaml(Path(time_limits_file))
    limits: list[tuple[RuleMatch, TimeLimit]] = []
    for i, raw in enumerate(limits_doc.get("rules") or []):
        where = f"{time_limits_file}: rules[{i}]"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected a mapping")
        limits.append((_rule_match(raw, where=where), _time_limit(raw, where=where)))
    default_limit = _time_limit(limits_doc.get("default"), where=f"{time_limits_file}: default")
    if duplicate_window_hours < 0:
        raise ValueError(f"duplicate_window_hours must be >= 0, got {duplicate_window_hours}")
    ZoneInfo(timezone)  # fails early on a misspelt zone
    return TicketRules(
        departments=departments,
        default_department=default_department,
        routing=tuple(routes),
        limits=tuple(limits),
        default_limit=default_limit,
        duplicate_window=dt.timedelta(hours=duplicate_window_hours),
        timezone=timezone,
        close_of_business=close_of_business,
    )


@lru_cache(maxsize=8)
def _cached_rules(key: tuple[Any, ...]) -> TicketRules:
    routing_file, _, limits_file, _, window, timezone, close = key
    return load_rules(
        Path(routing_file),
        Path(limits_file),
        duplicate_window_hours=window,
        timezone=timezone,
        close_of_business=close,
    )


def _close_of_business(staffed_hours: str) -> dt.time:
    """End of the staffed day from ``08:30-17:30``; deadlines fall at that time."""
    try:
        return parse_hours(staffed_hours)[1]
    except ValueError as exc:
        raise ValueError(f"HOTLINE_STAFFED_HOURS: {exc}") from None


def rules_from_settings(settings: Settings) -> TicketRules:
    """The configured rules, re-read whenever either YAML file changes on disk."""
    routing, limits = Path(settings.ticket_routing_file), Path(settings.ticket_time_limits_file)

    def mtime(path: Path) -> int:
        try:
            return path.stat().st_mtime_ns
        except FileNotFoundError:
            raise FileNotFoundError(f"work-order rule file not found: {path}") from None

    key = (
        str(routing),
        mtime(routing),
        str(limits),
        mtime(limits),
        settings.ticket_duplicate_window_hours,
        settings.timezone,
        _close_of_business(settings.staffed_hours),
    )
    return _cached_rules(key)
