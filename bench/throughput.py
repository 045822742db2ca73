"""Scenario 5: slack_post_message throughput through real ``resilient-circuits run`` processes against the SOAR
sandbox.

SOAR's side is the SOAR sandbox (REST + STOMP) in its own process, its message destinations on the
sandbox's built-in broker or on Apache ActiveMQ (SOAR's broker, a JVM child of that process); fn_slack runs
in 1, 2 or 3 ``resilient-circuits run`` processes with ``num_workers`` workers each, consuming the same
destination; Slack is the Slack sandbox in its own process with Slack's real per-method limits (time scale 1,
so its Retry-After values are real too). The function messages are the ones SOAR sends when a workflow calls
slack_post_message: all of them are queued at once, in a shuffled order (the calls of one incident arrive at
random moments, some of them together). The CPU time each process used is read from /proc, to tell where
the time of a call goes.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.measure import Measurement, percentile
from bench.scenarios import Plan, rate_floor, skipped
from bench.slack_host import SlackHost
from bench.soar_host import SoarHost
from sandbox.slack.limits import POST_PER_CHANNEL_BURST, POST_PER_CHANNEL_INTERVAL
from sandbox.soar.activemq import activemq_installed

LOG = logging.getLogger("bench")
EXPORT = Path(__file__).resolve().parent.parent / "fn_slack" / "util" / "data" / "export.res"
FUNCTION = "slack_post_message"
TABLE = "slack_conversations_db"
TIME_SCALE = 1.0
START_TIMEOUT = 120.0
RUN_TIMEOUT = 900.0
SHUFFLE_SEED = 5


BROKER_NAMES = {"builtin": "built-in broker", "activemq": "ActiveMQ"}


KINDS = {"first": "first call creates the channel", "linked": "channels linked beforehand",
         "burst": "burst of new incidents, one first post each"}


def scenario_5(plan: Plan) -> Iterator[Measurement]:
    """First posts (each incident's channel created by its first call), posts to already linked channels, and a
    burst of new incidents (one first post each), on each broker with each number of `run` processes."""
    latencies = plan.latencies if plan.throughput_latencies is None else plan.throughput_latencies
    for latency in latencies:
        for kind, broker, processes in _runs(plan):
            case = _case(plan, kind, broker, processes)
            if broker == "activemq" and not activemq_installed():
                yield skipped("5", case, "ours", latency, "not measured: Apache ActiveMQ is not installed "
                                                          "(make activemq)")
                continue
            LOG.info("scenario 5 at %g ms: %s", latency, case)
            yield run_throughput(plan, latency, kind, broker, processes)


def _runs(plan: Plan) -> Iterator[tuple[str, str, int]]:
    """(kind, broker, processes) of every run the plan asks for: bursts last, they take longest."""
    for broker in plan.throughput_brokers:
        for processes in plan.throughput_processes:
            for kind in ("first", "linked"):
                if kind in plan.throughput_kinds:
                    yield kind, broker, processes
    if "burst" in plan.throughput_kinds:
        for broker in plan.throughput_burst_brokers:
            for processes in plan.throughput_processes:
                yield "burst", broker, processes


def _sizes(plan: Plan, kind: str) -> tuple[int, int]:
    """(calls, incidents) of a run of this kind."""
    if kind == "burst":
        return plan.throughput_burst_incidents, plan.throughput_burst_incidents
    return plan.throughput_calls, plan.throughput_incidents


def _case(plan: Plan, kind: str, broker: str = "builtin", processes: int = 1) -> str:
    calls, incidents = _sizes(plan, kind)
    return (KINDS[kind] + f", {calls} post_message calls, {incidents} incidents, "
            f"num_workers {plan.throughput_workers}, {processes} process{'es' if processes > 1 else ''}, "
            f"{BROKER_NAMES[broker]}")


def _function_message(function: dict, incident: dict, text: str) -> dict:
    """The FunctionDataDTO SOAR sends for a workflow's slack_post_message call on an incident."""
    workflow = {"workflow_id": 1, "programmatic_name": "create_slack_message",
                "name": "Example: Post Incident to Slack", "object_type": "incident", "tags": [], "actions": []}
    return {
        "function": {"id": function["id"], "name": function["name"], "display_name": function["display_name"],
                     "uuid": function.get("uuid")},
        "inputs": {"incident_id": incident["id"], "slack_channel": f"inc-{incident['id']}",
                   "slack_is_channel_private": False, "slack_text": {"format": "text", "content": text}},
        "workflow": workflow,
        "workflow_instance": {"workflow_instance_id": int(time.time() * 1000) % 1_000_000, "workflow": workflow},
        "principal": {"id": 1, "type": "user", "name": "analyst@example.com", "display_name": "Ann Analyst"},
        "object": {"id": incident["id"], "parent_id": None, "type_id": 0, "type_name": "incident",
                   "name": incident["name"], "object_type": "incident"},
    }


def _peak_rss(pid: int) -> tuple[int | None, int | None]:
    """(VmHWM, VmRSS) of a live process in bytes, from /proc (Linux)."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) * 1024
    except OSError:
        return None, None
    return values.get("VmHWM"), values.get("VmRSS")


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a live process (all its threads), from /proc (Linux)."""
    if not pid:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start_circuits(soar: SoarHost, slack: SlackHost, work: Path, workers: int) -> subprocess.Popen:
    """One `resilient-circuits run` in `work` (its own app.config, lock file and log)."""
    work.mkdir(parents=True, exist_ok=True)
    config = soar.app_config_section(str(work), num_workers=workers) + (
        f"\n[fn_slack]\napi_token = {slack.token}\nslack_api_url = {slack.base_url}\nusername = SOAR\n"
        # as `resilient-circuits config -c` writes it: a section without the key is a 2.x one, whose posts fill
        # results.user_info (conversations.members and users.info on every post)
        "result_user_info = false\n")
    (work / "app.config").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["APP_CONFIG_FILE"] = str(work / "app.config")
    env["APP_LOCK_FILE"] = str(work / "run.lock")  # one lock per process: several run side by side
    log = (work / "resilient-circuits.out").open("w", encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "resilient_circuits.bin.resilient_circuits_cmd",
                             "run"], env=env, cwd=str(work), stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run_throughput(plan: Plan, latency: float, kind: str, broker: str = "builtin", processes: int = 1, *,
                   attach: Callable[[int], subprocess.Popen] | None = None) -> Measurement:
    """One run of scenario 5 (``kind``: first, linked or burst); `attach(pid)` starts a profiler on the first
    `run` process just before the messages are published (the run waits for it to finish)."""
    case = _case(plan, kind, broker, processes)
    with SlackHost(latency_ms=latency, rate_limits=True, time_scale=TIME_SCALE) as slack, \
            SoarHost(broker=broker, track_deliveries=False) as soar, \
            tempfile.TemporaryDirectory(prefix="fn_slack_bench_") as tmp:
        work = Path(tmp)
        soar.call("import_export", EXPORT.read_text(encoding="utf-8"))
        function = soar.call("function", FUNCTION)
        queue = f"actions.{soar.org_id}.{function['destination_handle']}"
        runs = [_start_circuits(soar, slack, work / f"run-{k + 1}", plan.throughput_workers)
                for k in range(processes)]
        try:
            if not soar.call("broker.wait_for_consumers", queue, processes, timeout=START_TIMEOUT):
                tail = (work / "run-1" / "resilient-circuits.out").read_text(encoding="utf-8", errors="replace")
                return skipped("5", case, "ours", latency, f"not measured: resilient-circuits did not subscribe "
                                                           f"to {queue} within {START_TIMEOUT:g} s: {tail[-600:]}")
            return _drive(plan, latency, case, soar, slack, runs, function, queue, kind, attach)
        finally:
            for run in runs:
                _stop(run)


def _link_beforehand(soar: SoarHost, slack: SlackHost, incidents: list[dict]) -> None:
    """Give every incident its channel and table row, as an earlier post would have."""
    rows = []
    for incident in incidents:
        name = f"inc-{incident['id']}"
        channel_id = slack.add_channel(name, members=["bot"])
        rows.append((incident["id"], {
            "slack_db_time": {"value": int(time.time() * 1000)}, "slack_db_res_id": {"value": f"RES-{incident['id']}"},
            "slack_db_channel": {"value": name}, "slack_db_channel_type": {"value": "Public"},
            "slack_db_permalink": {"value": ""}, "slack_db_channel_id": {"value": channel_id}}))
    soar.call("add_rows", TABLE, rows)


def _cpu_now(soar: SoarHost, slack: SlackHost, runs: list[subprocess.Popen]) -> dict[str, float | None]:
    run_times = [_cpu_seconds(run.pid) for run in runs]
    return {"resilient-circuits": None if None in run_times else sum(run_times),
            **{f"run process {k}": seconds for k, seconds in enumerate(run_times, start=1)},
            "soar sandbox": _cpu_seconds(soar.pid), "activemq": _cpu_seconds(soar.info.get("broker_pid")),
            "slack sandbox": _cpu_seconds(slack.pid)}


def _drive(plan: Plan, latency: float, case: str, soar: SoarHost, slack: SlackHost,  # noqa: PLR0917, PLR0914
           runs: list[subprocess.Popen], function: dict, queue: str, kind: str,
           attach: Callable[[int], subprocess.Popen] | None = None) -> Measurement:
    calls, wanted = _sizes(plan, kind)
    linked = kind == "linked"
    incidents = soar.call("create_incidents", [f"Benchmark incident {k + 1}" for k in range(wanted)])
    if linked:
        _link_beforehand(soar, slack, incidents)
    order = [incidents[i % len(incidents)] for i in range(calls)]
    random.Random(SHUFFLE_SEED).shuffle(order)
    rss_idle = max((_peak_rss(run.pid)[1] or 0) for run in runs) or None
    slack.call_counts()
    soar_before = soar.call("rest_calls")
    reply_to = queue.replace("actions.", "acks.", 1)

    messages = []
    for n, incident in enumerate(order, start=1):
        correlation = str(uuid.uuid4())
        messages.append((json.dumps(_function_message(function, incident, f"Update {n} on the incident")),
                         {"reply-to": reply_to, "correlation-id": correlation,
                          "Co3ContextToken": uuid.uuid4().hex, "Co3MessagePayload": "FunctionDataDTO",
                          "content-type": "application/json", "persistent": "true"}))
    profiler = attach(runs[0].pid) if attach else None
    cpu_before = _cpu_now(soar, slack, runs)
    started = time.time()
    sent = soar.call("publish_all", queue, messages)
    published = {headers["correlation-id"]: at for (_, headers), at in zip(messages, sent, strict=True)}
    finals = soar.call("wait_all", list(published), RUN_TIMEOUT)
    cpu_after = _cpu_now(soar, slack, runs)
    if profiler is not None:
        profiler.wait()
    peak_rss = max((_peak_rss(run.pid)[0] or 0) for run in runs) or None
    counts = slack.call_counts()
    soar_calls = soar.call("rest_calls") - soar_before

    done = [r for r in finals.values() if r is not None]
    finished = max((received for _, received in done), default=time.time())
    elapsed = finished - started
    execution = []
    failures: list[str] = []
    for body, _received in done:
        results = body.get("results") or {}
        if body.get("message_type") == 1 or not results.get("success"):
            failures.append(str(body.get("message") or results.get("reason"))[:200])
        else:
            execution.append(results["metrics"]["execution_time_ms"] / 1000.0)
    end_to_end = [r[1] - published[c] for c, r in finals.items() if r is not None]
    cpu = {name: round((cpu_after[name] - before) * 1000 / calls, 1)
           for name, before in cpu_before.items() if before is not None and cpu_after[name] is not None}

    dups = _duplicates(soar, slack, incidents, counts["ok_by_method"].get("conversations.create", 0), linked)
    # The floor counts the channels the run needed, not every conversations.create Slack answered: when
    # two processes race to create one incident's channel, the loser's name_taken answer spends the
    # Tier-2 budget too, and that waste must show as time over the floor, not raise the floor.
    needed = {**counts["ok_by_method"], "conversations.create": 0 if linked else len(incidents)}
    floor = max(rate_floor(needed, TIME_SCALE), _post_floor(calls, len(incidents)))
    return Measurement(
        scenario="5", case=case, strategy="ours", latency_ms=latency, ops=calls,
        slack_calls=counts["total"] / calls, rate_limited=counts["rate_limited"] / calls,
        soar_calls=soar_calls / calls, median_s=percentile(execution, 50), p95_s=percentile(execution, 95),
        peak_bytes=peak_rss,
        calls_by_method={k: v / calls for k, v in sorted(counts["by_method"].items())},
        answered_by_method={k: v / calls for k, v in sorted(counts["ok_by_method"].items())},
        extra={"completed": len(done), "failed": len(failures), "failures": failures[:5],
               "timed_out": calls - len(done), "elapsed_s": round(elapsed, 2),
               "calls_per_second": calls / elapsed if elapsed else None,
               "end_to_end_median_s": round(percentile(end_to_end, 50), 3),
               "end_to_end_p95_s": round(percentile(end_to_end, 95), 3),
               "floor_s": round(floor, 2), "time_over_floor": round(elapsed / floor, 3) if floor else None,
               "rss_before_bytes": rss_idle, "cpu_ms_per_call": cpu, "processes": len(runs),
               "broker_started_in_s": soar.info.get("broker_started_in"), **dups},
        note="median/p95: the function's execution time in resilient-circuits; peak memory: VmHWM (RSS) of the "
             "largest resilient-circuits process; cpu_ms_per_call: CPU time of each side per call")


def _post_floor(calls: int, incidents: int) -> float:
    """Slack's per-channel posting pace: each incident channel takes its posts at about one a second."""
    per_channel = -(-calls // incidents)
    return max(0, per_channel - POST_PER_CHANNEL_BURST) * POST_PER_CHANNEL_INTERVAL * TIME_SCALE


def _duplicates(soar: SoarHost, slack: SlackHost, incidents: list[dict], create_answers: float,
                linked: bool) -> dict:
    """Channels and table rows beyond one per incident, and rows that point at another channel than Slack's.

    Channels are counted in Slack's state: `conversations.create` answers include `name_taken` refusals
    (HTTP 200, ok false) when two processes race to create the same incident's channel."""
    names = {f"inc-{incident['id']}" for incident in incidents}
    existing = sum(1 for channel in slack.state_json()["channels"] if channel["name"] in names)
    created = existing - (len(incidents) if linked else 0)
    extra_rows = 0
    wrong_rows = 0
    missing = 0
    all_rows = soar.call("rows_of", [incident["id"] for incident in incidents])
    for incident in incidents:
        rows = all_rows[incident["id"]]
        extra_rows += max(0, len(rows) - 1)
        channel = slack.channel(f"inc-{incident['id']}")
        if channel is None or not rows:
            missing += 1
            continue
        wrong_rows += sum(1 for row in rows if row.get("slack_db_channel_id") != channel["id"])
    extra_channels = max(0, int(created) - len(incidents))
    total = extra_rows + wrong_rows + extra_channels
    detail = (f"{int(created)} channels created by fn_slack for {len(incidents)} incidents "
              f"({int(create_answers)} conversations.create answers), {extra_rows} extra rows, "
              f"{wrong_rows} rows pointing elsewhere, {missing} incidents without channel or row")
    return {"duplicates": total, "duplicate_detail": detail, "channels_created": int(created),
            "create_answers": int(create_answers), "wasted_creates": max(0, int(create_answers) - int(created)),
            "incidents_unlinked": missing}
