"""Scenario 5: slack_post_message throughput through a real ``resilient-circuits run`` against the SOAR sandbox.

SOAR's side is the SOAR sandbox (REST + STOMP) in this process; fn_slack runs in a separate
``resilient-circuits run`` process with ``num_workers`` workers; Slack is the Slack sandbox with Slack's real
per-method limits (time scale 1, so its Retry-After values are real too). The function messages are the ones
SOAR sends when a workflow calls slack_post_message: all of them are queued at once, in a shuffled order (the
calls of one incident arrive at random moments, some of them together).
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
from collections.abc import Iterator
from pathlib import Path

from bench.measure import Measurement, percentile
from bench.scenarios import Plan, rate_floor, skipped
from bench.slack_host import SlackHost
from sandbox.slack.limits import POST_PER_CHANNEL_BURST, POST_PER_CHANNEL_INTERVAL
from sandbox.soar import SoarSandbox

LOG = logging.getLogger("bench")
EXPORT = Path(__file__).resolve().parent.parent / "fn_slack" / "util" / "data" / "export.res"
FUNCTION = "slack_post_message"
TABLE = "slack_conversations_db"
TIME_SCALE = 1.0
START_TIMEOUT = 120.0
RUN_TIMEOUT = 900.0
SHUFFLE_SEED = 5


def scenario_5(plan: Plan) -> Iterator[Measurement]:
    """First posts (each incident's channel created by its first call), then posts to already linked channels."""
    latencies = plan.latencies if plan.throughput_latencies is None else plan.throughput_latencies
    for latency in latencies:
        for linked in (False, True):
            LOG.info("scenario 5 at %g ms%s", latency, ", channels linked beforehand" if linked else "")
            yield run_throughput(plan, latency, linked)


def _case(plan: Plan, linked: bool) -> str:
    return (("channels linked beforehand" if linked else "first call creates the channel")
            + f", {plan.throughput_calls} post_message calls, {plan.throughput_incidents} incidents, "
              f"num_workers {plan.throughput_workers}")


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


def _start_circuits(soar: SoarSandbox, slack: SlackHost, work: Path, workers: int) -> subprocess.Popen:
    config = soar.app_config_section(str(work), num_workers=workers) + (
        f"\n[fn_slack]\napi_token = {slack.token}\nslack_api_url = {slack.base_url}\nusername = SOAR\n")
    (work / "app.config").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["APP_CONFIG_FILE"] = str(work / "app.config")
    log = (work / "resilient-circuits.out").open("w", encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "resilient_circuits.bin.resilient_circuits_cmd", "run"],
                            env=env, cwd=str(work), stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run_throughput(plan: Plan, latency: float, linked: bool) -> Measurement:
    case = _case(plan, linked)
    with SlackHost(latency_ms=latency, rate_limits=True, time_scale=TIME_SCALE) as slack, \
            SoarSandbox() as soar, tempfile.TemporaryDirectory(prefix="fn_slack_bench_") as tmp:
        work = Path(tmp)
        state = soar.state
        state.finish_import(state.start_import(json.loads(EXPORT.read_text(encoding="utf-8")))["id"], "ACCEPTED")
        function = state.function(FUNCTION)
        queue = f"actions.{soar.org_id}.{function['destination_handle']}"
        process = _start_circuits(soar, slack, work, plan.throughput_workers)
        try:
            if not soar.broker.wait_for_consumers(queue, 1, timeout=START_TIMEOUT):
                tail = (work / "resilient-circuits.out").read_text(encoding="utf-8", errors="replace")[-600:]
                return skipped("5", case, "ours", latency, f"not measured: resilient-circuits did not subscribe "
                                                           f"to {queue} within {START_TIMEOUT:g} s: {tail}")
            return _drive(plan, latency, case, soar, slack, process, function, queue, linked)
        finally:
            _stop(process)


def _link_beforehand(soar: SoarSandbox, slack: SlackHost, incidents: list[dict]) -> None:
    """Give every incident its channel and table row, as an earlier post would have."""
    for incident in incidents:
        name = f"inc-{incident['id']}"
        channel_id = slack.add_channel(name, members=["bot"])
        soar.state.add_row(incident["id"], TABLE, {
            "slack_db_time": {"value": int(time.time() * 1000)}, "slack_db_res_id": {"value": f"RES-{incident['id']}"},
            "slack_db_channel": {"value": name}, "slack_db_channel_type": {"value": "Public"},
            "slack_db_permalink": {"value": ""}, "slack_db_channel_id": {"value": channel_id}})


def _drive(plan: Plan, latency: float, case: str, soar: SoarSandbox, slack: SlackHost,  # noqa: PLR0917
           process: subprocess.Popen, function: dict, queue: str, linked: bool) -> Measurement:
    incidents = [soar.create_incident(f"Benchmark incident {k + 1}") for k in range(plan.throughput_incidents)]
    if linked:
        _link_beforehand(soar, slack, incidents)
    order = [incidents[i % len(incidents)] for i in range(plan.throughput_calls)]
    random.Random(SHUFFLE_SEED).shuffle(order)
    _, rss_idle = _peak_rss(process.pid)
    slack.call_counts()
    soar_before = len(soar.state.calls)
    reply_to = queue.replace("actions.", "acks.", 1)

    published: dict[str, float] = {}
    started = time.time()
    for n, incident in enumerate(order, start=1):
        correlation = str(uuid.uuid4())
        published[correlation] = time.time()
        soar.broker.publish(queue, json.dumps(_function_message(function, incident, f"Update {n} on the incident")),
                            {"reply-to": reply_to, "correlation-id": correlation,
                             "Co3ContextToken": uuid.uuid4().hex, "Co3MessagePayload": "FunctionDataDTO",
                             "content-type": "application/json", "persistent": "true"})

    finals = {}
    deadline = time.monotonic() + RUN_TIMEOUT
    for correlation in published:
        finals[correlation] = soar.broker.wait_for_completion(correlation, max(0.0, deadline - time.monotonic()))
    peak_rss, _ = _peak_rss(process.pid)
    counts = slack.call_counts()
    soar_calls = len(soar.state.calls) - soar_before

    done = [r for r in finals.values() if r is not None]
    finished = max((r.received_at for r in done), default=time.time())
    elapsed = finished - started
    execution = []
    failures: list[str] = []
    for reply in done:
        results = reply.body.get("results") or {}
        if reply.body.get("message_type") == 1 or not results.get("success"):
            failures.append(str(reply.body.get("message") or results.get("reason"))[:200])
        else:
            execution.append(results["metrics"]["execution_time_ms"] / 1000.0)
    end_to_end = [r.received_at - published[c] for c, r in finals.items() if r is not None]

    dups = _duplicates(soar, slack, incidents, counts["ok_by_method"].get("conversations.create", 0))
    calls = plan.throughput_calls
    floor = max(rate_floor(counts["ok_by_method"], TIME_SCALE), _post_floor(plan))
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
               "rss_before_bytes": rss_idle, **dups},
        note="median/p95: the function's execution time in resilient-circuits; peak memory: VmHWM (RSS) of the "
             "resilient-circuits process")


def _post_floor(plan: Plan) -> float:
    """Slack's per-channel posting pace: each incident channel takes its posts at about one a second."""
    per_channel = -(-plan.throughput_calls // plan.throughput_incidents)
    return max(0, per_channel - POST_PER_CHANNEL_BURST) * POST_PER_CHANNEL_INTERVAL * TIME_SCALE


def _duplicates(soar: SoarSandbox, slack: SlackHost, incidents: list[dict], created: float) -> dict:
    """Channels and table rows beyond one per incident, and rows that point at another channel than Slack's."""
    extra_rows = 0
    wrong_rows = 0
    missing = 0
    for incident in incidents:
        rows = soar.state.rows_of(incident["id"])
        extra_rows += max(0, len(rows) - 1)
        channel = slack.channel(f"inc-{incident['id']}")
        if channel is None or not rows:
            missing += 1
            continue
        wrong_rows += sum(1 for row in rows if row.get("slack_db_channel_id") != channel["id"])
    extra_channels = max(0, int(created) - len(incidents))
    total = extra_rows + wrong_rows + extra_channels
    detail = (f"{int(created)} channels created by fn_slack for {len(incidents)} incidents, {extra_rows} extra rows, "
              f"{wrong_rows} rows pointing elsewhere, {missing} incidents without channel or row")
    return {"duplicates": total, "duplicate_detail": detail, "channels_created": int(created),
            "incidents_unlinked": missing}
