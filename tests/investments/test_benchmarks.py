"""XIRR on long flows; prints figures and the machine, asserts no timings.

Run: .venv/bin/pytest tests/investments/test_benchmarks.py -m benchmark -s
"""

import os
import platform
import random
import statistics
import time
from datetime import date, timedelta

import pytest

from investments.returns import Flow, xirr

pytestmark = pytest.mark.benchmark


def _machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.python_version()}, load {os.getloadavg()[0]:.1f}"


def _timed(call, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_xirr_on_long_flows():
    rng = random.Random(18)
    start = date(2020, 1, 1)
    flows = [Flow(start, -10_000_000_000)]
    flows += [
        Flow(start + timedelta(days=30 * i), rng.randint(10_000_000, 900_000_000))
        for i in range(1, 120)
    ]
    seconds = _timed(lambda: xirr(flows), repeat=20)
    mixed = [Flow(f.on, -f.amount_fen if i % 7 == 3 else f.amount_fen) for i, f in enumerate(flows)]
    mixed_seconds = _timed(lambda: xirr(mixed), repeat=5)
    print(
        f"\nmachine: {_machine()}\nxirr, 120 monthly flows, one sign change: median "
        f"{seconds * 1000:.2f} ms; with {sum(1 for i in range(120) if i % 7 == 3)} outflows among "
        f"the inflows (root scan): median {mixed_seconds * 1000:.1f} ms"
    )
