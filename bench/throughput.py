"""Scenario 5: post_message throughput through a real ``resilient-circuits run`` against the SOAR sandbox."""

from __future__ import annotations

from collections.abc import Iterator

from bench.measure import Measurement
from bench.scenarios import Plan, skipped


def scenario_5(plan: Plan) -> Iterator[Measurement]:
    case = (f"{plan.throughput_calls} post_message calls over {plan.throughput_incidents} incidents, "
            f"num_workers {plan.throughput_workers}")
    yield skipped("5", case, "ours", 0.0, "not measured: the SOAR sandbox run is not wired in yet")
