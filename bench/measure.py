"""Timing, call counting and peak-memory measurement of repeated operations against the Slack sandbox."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.slack_host import SlackHost


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class OpOutcome:
    """What one operation reports besides its time: SOAR REST calls made, and anything worth keeping."""

    soar_calls: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Measurement:
    """One row of the results: a strategy running one workload at one latency."""

    scenario: str
    case: str
    strategy: str                 # "ours" or "baseline"
    latency_ms: float
    ops: int
    slack_calls: float            # per operation (median over the timed operations)
    rate_limited: float           # of those, answered 429 (median per operation)
    soar_calls: float             # per operation (median)
    median_s: float
    p95_s: float
    peak_bytes: int | None        # tracemalloc peak of one extra, traced operation
    calls_by_method: dict[str, float] = field(default_factory=dict)  # per operation (mean), 429s included
    answered_by_method: dict[str, float] = field(default_factory=dict)  # per operation (mean), HTTP 200 only
    extra: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Workload:
    """An operation to repeat: ``prepare(i)`` runs untimed before ``run(i)``, which is timed."""

    run: Callable[[int], OpOutcome]
    prepare: Callable[[int], None] | None = None


def measure(host: SlackHost, workload: Workload, *, ops: int, scenario: str, case: str, strategy: str,
            latency_ms: float, memory: bool = True, note: str = "") -> Measurement:
    """Run ``ops`` timed operations, then (if ``memory``) one more under tracemalloc for its peak.

    Timing runs without tracemalloc, which slows allocation-heavy code several times over."""
    times: list[float] = []
    slack_calls: list[int] = []
    limited: list[int] = []
    soar_calls: list[int] = []
    by_method: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    extras: list[dict] = []
    host.call_counts()  # whatever earlier setup did is not this workload's
    for i in range(ops):
        if workload.prepare:
            workload.prepare(i)
            host.call_counts()
        gc.collect()
        started = time.perf_counter()
        outcome = workload.run(i)
        times.append(time.perf_counter() - started)
        counts = host.call_counts()
        slack_calls.append(counts["total"])
        limited.append(counts["rate_limited"])
        by_method.update(counts["by_method"])
        answered.update(counts["ok_by_method"])
        soar_calls.append(outcome.soar_calls)
        extras.append(outcome.extra)

    peak = None
    if memory:
        i = ops
        if workload.prepare:
            workload.prepare(i)
        gc.collect()
        tracemalloc.start()
        try:
            workload.run(i)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        host.call_counts()

    return Measurement(
        scenario=scenario, case=case, strategy=strategy, latency_ms=latency_ms, ops=ops,
        slack_calls=percentile(slack_calls, 50), rate_limited=percentile(limited, 50),
        soar_calls=percentile(soar_calls, 50), median_s=percentile(times, 50), p95_s=percentile(times, 95),
        peak_bytes=peak, calls_by_method={k: v / ops for k, v in sorted(by_method.items())},
        answered_by_method={k: v / ops for k, v in sorted(answered.items())},
        extra=extras[-1] if extras else {}, note=note)
