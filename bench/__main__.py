"""Command line: ``python -m bench [--quick]`` runs the scenarios, prints the table and writes the JSON."""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bench import in_step, mirroring, report, scenarios, throughput
from bench.measure import Measurement

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"
POST_SCENARIOS = {"1": scenarios.scenario_1, "2": scenarios.scenario_2, "3": scenarios.scenario_3,
                  "4": scenarios.scenario_4}
METHOD_NOTES = [
    "Slack: the sandbox (sandbox/slack) in its own process on 127.0.0.1, with the given latency added to every "
    "API call; 'Slack/op' counts every HTTP request it answered, 429s included.",
    "SOAR REST: scenarios 1-4 and 6 use an in-memory slack_conversations_db (bench/soar_table.py) counting one "
    "call per table read/write; exports count 2 (row read, attachment save), the save itself is not executed.",
    "Peak memory: tracemalloc peak of one extra run of the operation (timed runs are not traced), in this "
    "benchmark process, which holds only the client's work.",
    "ours: fn_slack's lib, called in the same steps as its components (bench/ours.py); baseline: the original "
    "app's strategy on slack_sdk (bench/baseline.py).",
    "Scenario 7: Slack and SOAR sandboxes in the benchmark process, 1 or 2 `resilient-circuits run` processes with "
    "the Socket Mode listener; people post at 1 msg/s per mirrored channel; median/p95 is post → SOAR note.",
    "Scenario 8: slack_sync_channel's flow (ChannelSync) per incident change, Slack sandbox and SOAR sandbox (REST "
    "over HTTPS, its calls counted) each in its own process; baseline: no sync in the original app, so 'write "
    "every part each time' (setTopic, bookmark, chat.update). The burst: 30 severity changes in one minute on one "
    "channel, each a run in a pool of 10 workers, Slack's Tier-2 limits on; its row gives totals.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run (under a minute)")
    parser.add_argument("--latency", type=float, action="append", help="sandbox latency in ms (repeatable; "
                        "default 0 and 20)")
    parser.add_argument("--scenarios", default="1,2,3,4,5,6,7,8", help="comma-separated scenario numbers")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON results")
    parser.add_argument("--report", action="store_true", help="run nothing: print the table and targets of "
                        "the results already in --output")
    parser.add_argument("--update", action="store_true", help="keep the other scenarios' results already in "
                        "--output (same plan) and replace only the ones run now")
    parser.add_argument("--s5-kinds", help="scenario 5's kinds of run, comma-separated: first, linked, burst "
                        "(default all)")
    parser.add_argument("--s5-brokers", help="scenario 5's brokers for first and linked posts: builtin, activemq "
                        "(default both)")
    parser.add_argument("--s5-burst-brokers", help="scenario 5's brokers for the burst (default activemq)")
    parser.add_argument("--s5-processes", help="scenario 5's numbers of run processes (default 1,2,3)")
    parser.add_argument("--s5-burst", type=int, help="scenario 5's burst: how many new incidents (default 200)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
                        stream=sys.stderr)
    log = logging.getLogger("bench")
    for noisy in ("slack_sdk", "fn_slack", "urllib3", "resilient"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    plan = scenarios.QUICK if args.quick else scenarios.FULL
    if args.latency:
        plan = replace(plan, latencies=tuple(args.latency))
    plan = _scenario_5_choices(plan, args)
    chosen = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    results: list[Measurement] = []
    if args.report:
        chosen = set()
    kept, earlier = report.read_json(args.output, plan.name, exclude=chosen) if args.update or args.report \
        else ([], {})
    started = time.monotonic()
    meta = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores", "method": METHOD_NOTES,
            "latencies_ms": list(plan.latencies)}
    if args.update:
        meta["updated_scenarios"] = sorted(chosen)
        meta["first_run"] = earlier
    if args.report:
        meta = {**earlier, "method": METHOD_NOTES}

    def keep(measurement: Measurement) -> None:
        results.append(measurement)
        log.info("%s/%s %s %g ms: %s Slack calls/op, median %.4f s, peak %s", measurement.scenario,
                 measurement.case, measurement.strategy, measurement.latency_ms, measurement.slack_calls,
                 measurement.median_s, measurement.peak_bytes)
        report.write_json(args.output, plan.name, kept + results, [], {**meta, "partial": True})

    if chosen & POST_SCENARIOS.keys():
        workspace = scenarios.Workspace(plan)
        try:
            for latency in plan.latencies:
                workspace.host.set_latency(latency)
                for number, scenario in POST_SCENARIOS.items():
                    if number in chosen:
                        log.info("scenario %s at %g ms", number, latency)
                        for measurement in scenario(workspace, latency):
                            keep(measurement)
        finally:
            workspace.close()
    if "6" in chosen:
        for latency in plan.latencies:
            log.info("scenario 6 at %g ms", latency)
            for measurement in scenarios.scenario_6(plan, latency):
                keep(measurement)
    if "5" in chosen:
        log.info("scenario 5")
        for measurement in throughput.scenario_5(plan):
            keep(measurement)
    if "7" in chosen:
        log.info("scenario 7")
        for measurement in mirroring.scenario_7(plan):
            keep(measurement)
    if "8" in chosen:
        for latency in plan.latencies:
            log.info("scenario 8 at %g ms", latency)
            for measurement in in_step.scenario_8(plan, latency):
                keep(measurement)
        log.info("scenario 8, a burst of %d severity changes under Tier-2 limits", plan.burst_changes)
        keep(in_step.scenario_8_burst(plan, max(plan.latencies)))

    results = kept + results
    found = report.targets(results)
    if not args.report:
        meta["elapsed_s"] = round(time.monotonic() - started, 1)
    print(f"fn_slack benchmarks ({plan.name} plan, {meta['elapsed_s']:.0f} s)\n")
    print(report.table(results))
    scale_out = report.scale_out_table(results)
    if scale_out:
        print("\nScenario 5, one line per run:\n" + scale_out)
    print("\nTargets:")
    print(report.target_lines(found))
    print("\nMethod:\n" + "\n".join(f"- {note}" for note in METHOD_NOTES))
    report.write_json(args.output, plan.name, results, found, meta)
    print(f"\nResults written to {args.output}")
    return 0


def _scenario_5_choices(plan: scenarios.Plan, args: argparse.Namespace) -> scenarios.Plan:
    """The plan with the scenario-5 runs the command line chose."""
    def items(text: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in text.split(",") if part.strip())

    changes: dict[str, object] = {}
    if args.s5_kinds:
        changes["throughput_kinds"] = items(args.s5_kinds)
    if args.s5_brokers:
        changes["throughput_brokers"] = items(args.s5_brokers)
    if args.s5_burst_brokers:
        changes["throughput_burst_brokers"] = items(args.s5_burst_brokers)
    if args.s5_processes:
        changes["throughput_processes"] = tuple(int(n) for n in items(args.s5_processes))
    if args.s5_burst:
        changes["throughput_burst_incidents"] = args.s5_burst
    return replace(plan, **changes)


if __name__ == "__main__":
    sys.exit(main())
