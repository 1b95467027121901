"""The processes of a running system: found by their listening ports, their memory and CPU time."""

from __future__ import annotations

import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CpuMeter", "MemorySampler", "cpu_seconds", "pid_listening_on", "rss_mb"]

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def pid_listening_on(port: int) -> int | None:
    """The process that listens on TCP ``port`` (via /proc; None when not found or not Linux)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            parts = row.split()
            if len(parts) > 9 and parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    if not inodes:
        return None
    targets = {f"socket:[{i}]" for i in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in targets:
                    return int(proc.name)
        except OSError:
            continue
    return None


def rss_mb(pid: int) -> float | None:
    """Resident set size of ``pid`` in MB, None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class MemorySampler:
    """Samples the RSS of named processes every ``interval`` seconds in a thread."""

    pids: dict[str, int]
    interval: float = 5.0
    samples: list[tuple[float, dict[str, float | None]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - started, {n: rss_mb(p) for n, p in self.pids.items()}))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()

    def rows(self, window: float) -> list[dict[str, Any]]:
        """Mean RSS over time: in a ``window`` at the start, a quarter, half, three quarters and the end.

        Growth over the second half is what tells a leak from warm-up (models, caches and thread
        arenas fill in the first minutes and then stay).
        """
        if not self.samples:
            return []
        end = self.samples[-1][0]
        marks = [(f"{q:.0%}", q * max(end - window, 0.0)) for q in (0.0, 0.25, 0.5, 0.75, 1.0)]
        out = []
        for name in self.pids:

            def mean(lo: float, name: str = name) -> float | None:
                inside = (s.get(name) for t, s in self.samples if lo <= t <= lo + window)
                vals = [v for v in inside if v is not None]
                return statistics.fmean(vals) if vals else None  # type: ignore[arg-type]

            means = {label: mean(lo) for label, lo in marks}
            row: dict[str, Any] = {"process": name, "pid": self.pids[name]}
            for label, value in means.items():
                row[f"RSS {label} (MB)"] = f"{value:.1f}" if value is not None else "-"
            for label, base in (("growth (MB)", "0%"), ("second half (MB)", "50%")):
                first, last = means[base], means["100%"]
                row[label] = f"{last - first:+.1f}" if first is not None and last is not None else "-"
            out.append(row)
        return out


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of ``pid`` from /proc, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def cpu_seconds(pid: int, exclude: frozenset[int] = frozenset()) -> float | None:
    """CPU seconds used so far by ``pid`` and its living descendants (workers, model servers), but
    not by the ``exclude`` processes and theirs (measured on their own lines: ``hotline run`` is the
    parent of Rasa and the action server)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            found = _stat(int(proc.name))
            if found is not None:
                parents[int(proc.name)], used[int(proc.name)] = found
    if pid not in used:
        return None

    def descends(p: int) -> bool:
        seen = 0
        while p in parents and seen < 64:
            if p == pid:
                return True
            if p in exclude:
                return False
            p, seen = parents[p], seen + 1
        return False

    return sum(cpu for p, cpu in used.items() if descends(p))


@dataclass
class CpuMeter:
    """CPU seconds each named process spends between ``start`` and ``stop``: with its descendants,
    except those that are named processes themselves, so that no second is counted twice."""

    pids: dict[str, int]
    started: dict[str, float] = field(default_factory=dict)
    spent: dict[str, float] = field(default_factory=dict)

    def _now(self) -> dict[str, float]:
        named = frozenset(self.pids.values())
        return {n: cpu_seconds(p, named - {p}) or 0.0 for n, p in self.pids.items()}

    def start(self) -> None:
        self.started = self._now()

    def stop(self) -> None:
        self.spent = {n: used - self.started.get(n, 0.0) for n, used in self._now().items()}

    def rows(self, turns: int, elapsed: float) -> list[dict[str, Any]]:
        """Per process: CPU seconds, CPU seconds per chat turn, and the share of one core used."""
        out = [
            {
                "process": name,
                "CPU s": f"{spent:.1f}",
                "CPU s per turn": f"{spent / turns:.3f}" if turns else "-",
                "cores used": f"{spent / elapsed:.2f}" if elapsed else "-",
            }
            for name, spent in self.spent.items()
        ]
        total = sum(self.spent.values())
        out.append(
            {
                "process": "all",
                "CPU s": f"{total:.1f}",
                "CPU s per turn": f"{total / turns:.3f}" if turns else "-",
                "cores used": f"{total / elapsed:.2f}" if elapsed else "-",
            }
        )
        return out
