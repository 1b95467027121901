"""The load bench's memory table: warm-up must not read as a leak, and a leak must show."""

from __future__ import annotations

from bench.procs import MemorySampler


def _sampler(rss: dict[str, object]) -> MemorySampler:
    sampler = MemorySampler(pids={"api": 1})
    sampler.samples = [(float(t), {"api": rss[str(t)]}) for t in range(0, 600, 5)]  # type: ignore[misc]
    return sampler


def test_warm_up_then_flat_has_no_second_half_growth() -> None:
    rows = _sampler({str(t): 300.0 + min(t, 120) / 4 for t in range(0, 600, 5)}).rows(window=60)
    assert rows[0]["second half (MB)"] == "+0.0"
    assert float(rows[0]["growth (MB)"]) > 20  # the warm-up is still visible from the start


def test_steady_growth_shows_in_the_second_half() -> None:
    rows = _sampler({str(t): 300.0 + t / 10 for t in range(0, 600, 5)}).rows(window=60)
    assert float(rows[0]["second half (MB)"]) > 20
    assert [k for k in rows[0] if k.startswith("RSS")] == [
        f"RSS {q} (MB)" for q in ("0%", "25%", "50%", "75%", "100%")
    ]


def test_a_process_that_vanished_is_shown_as_unknown() -> None:
    rows = _sampler({str(t): None for t in range(0, 600, 5)}).rows(window=60)
    assert rows[0]["growth (MB)"] == "-" and rows[0]["RSS 100% (MB)"] == "-"


def test_cpu_seconds_count_a_busy_child() -> None:
    """The CPU meter counts a process with its living descendants (a busy worker shows up)."""
    import os
    import subprocess
    import sys

    from bench.procs import CpuMeter

    burn = (
        "import time\nt=time.process_time()\nwhile time.process_time()-t<0.5: pass\n"
        "print('done', flush=True)\ntime.sleep(30)"
    )
    meter = CpuMeter({"me": os.getpid()})
    meter.start()
    child = subprocess.Popen([sys.executable, "-c", burn], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "done"
        meter.stop()
    finally:
        child.kill()
        child.wait()
    assert meter.spent["me"] >= 0.4
    rows = {r["process"]: r for r in meter.rows(turns=4, elapsed=1.0)}
    assert float(rows["all"]["CPU s per turn"]) >= 0.1


def test_a_named_child_is_counted_once() -> None:
    """``hotline run`` is the parent of Rasa and the action server: a child measured on its own line
    is not counted in its parent's line too, so "all" is the machine's real CPU time."""
    import os
    import subprocess
    import sys

    from bench.procs import CpuMeter

    burn = (
        "import time\nt=time.process_time()\nwhile time.process_time()-t<0.5: pass\n"
        "print('done', flush=True)\ntime.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", burn], stdout=subprocess.PIPE, text=True)
    try:
        meter = CpuMeter({"parent": os.getpid(), "child": child.pid})
        meter.start()
        assert child.stdout is not None and child.stdout.readline().strip() == "done"
        meter.stop()
    finally:
        child.kill()
        child.wait()
    assert meter.spent["child"] >= 0.3
    assert meter.spent["parent"] < 0.3  # this test's own few milliseconds, not the child's burn
    rows = {r["process"]: r for r in meter.rows(turns=1, elapsed=1.0)}
    assert float(rows["all"]["CPU s"]) < meter.spent["child"] + 0.3
