"""Scenario 7: two-way channels. People's Slack messages mirrored into SOAR notes by one and by two real
``resilient-circuits run`` processes (the Socket Mode listener), at Slack's real posting pace.

Slack: the Slack sandbox with its Socket Mode server, Slack's real 3-second ack timeout and retries, and its
rate limits on (time scale 1) for the calls the listener makes. SOAR: the SOAR sandbox with fn_slack's export
imported; each incident's channel is linked with mirroring on, as ``slack_mirror`` leaves it. People post in
``mirror_channels`` channels at one message a second per channel — chat.postMessage's per-channel pace —
so the whole load is ``mirror_channels`` events a second: 8/s in both plans, the 30,000 events an hour the
Events API delivers to one app at most. The backlog case posts the same messages all at once, as Slack
delivers what piled up while no connection was open: the most the processes take. One warm-up message per
channel first lets each process fill its channel → incident cache, as it would within minutes of running.

Measured: events mirrored per second (events / time from the first post to the last note), and each
message's latency from its post in Slack to its note in SOAR (the note's ``create_date``), p50 and p95;
also SOAR and Slack calls per event and duplicated or missing notes (must be 0). The outage case: the
process killed for longer than Slack's hold while 200 messages are written (Slack drops them all), then
started again: missing and duplicated notes (must be 0) and the catch-up time.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.measure import Measurement, percentile
from bench.scenarios import Plan, skipped
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.links import SEALED_COLUMNS, seal_scope
from fn_slack.lib.soar.seals import Sealer
from sandbox.slack import SlackSandbox
from sandbox.slack.socket_mode import APP_TOKEN
from sandbox.soar import SoarSandbox

LOG = logging.getLogger("bench")
EXPORT = Path(__file__).resolve().parent.parent / "fn_slack" / "util" / "data" / "export.res"
START_TIMEOUT = 120.0
DRAIN_TIMEOUT = 300.0
KEY = re.compile(r"slack-event (\S+?)<")


def scenario_7(plan: Plan) -> Iterator[Measurement]:
    """At Slack's pace (1 msg/s per channel), then a backlog (every message at once, as Slack delivers what
    piled up during an outage: the most the processes can take), by one and by two run processes; then an
    outage longer than Slack's hold, caught up from history."""
    for paced in (True, False):
        for processes in (1, 2):
            LOG.info("scenario 7 with %d run process(es), %s", processes, "paced" if paced else "backlog")
            yield run_mirroring(plan, processes, paced=paced)
    for where in ("other incidents", "the mirrored incidents"):
        LOG.info("scenario 7 with %d rows in slack_messages_db of %s", plan.mirror_table_rows, where)
        yield run_mirroring(plan, 1, paced=False, table_rows=plan.mirror_table_rows, rows_in=where)
    LOG.info("scenario 7, an outage longer than Slack's hold")
    yield run_outage(plan)


def _case(plan: Plan, processes: int, paced: bool, table_rows: int = 0, rows_in: str = "") -> str:
    noun = "process" if processes == 1 else "processes"
    load = "at 1 msg/s each" if paced else "all at once (backlog)"
    rows = f", {table_rows:,} rows already in slack_messages_db of {rows_in}" if table_rows else ""
    return (f"{processes} run {noun}: {plan.mirror_messages} messages by people in {plan.mirror_channels} "
            f"mirrored channels {load}{rows}")


def _seed_rows(soar: SoarSandbox, count: int, incidents: list[int]) -> None:
    """``count`` finished claim rows, as months of mirroring leave them, spread evenly over ``incidents``."""
    for n in range(count):
        incident_id = incidents[n % len(incidents)]
        soar.state.add_row(incident_id, "slack_messages_db", {
            "slack_msg_key": {"value": f"CSEED{n % 97}/{1700000000 + n}.000100"}, "slack_msg_state": {"value": "noted"},
            "slack_msg_owner": {"value": "host:1"}, "slack_msg_claimed": {"value": 1700000000000 + n},
            "slack_msg_note_id": {"value": n + 1}, "slack_msg_author": {"value": "Alice"},
            "slack_msg_link": {"value": "<a href='https://example.slack.com/'>Slack</a>"}})


def _start(soar: SoarSandbox, slack: SlackSandbox, work: Path, name: str, key: tuple[str, str]) -> subprocess.Popen:
    (work / name).mkdir()
    config = soar.app_config_section(str(work / name), num_workers=10, api_key=key) + (
        f"\n[fn_slack]\napi_token = {slack.default_token}\nslack_api_url = {slack.base_url}\nusername = SOAR\n"
        f"app_token = {APP_TOKEN}\n")
    (work / name / "app.config").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["APP_CONFIG_FILE"] = str(work / name / "app.config")
    env["APP_LOCK_FILE"] = str(work / name / "run.lock")
    log = (work / name / "out.log").open("w", encoding="utf-8")
    return subprocess.Popen([sys.executable, "-m", "resilient_circuits.bin.resilient_circuits_cmd", "run"],
                            env=env, cwd=str(work / name), stdout=log, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _link(soar: SoarSandbox, slack: SlackSandbox, channels: int) -> list[tuple[dict, str]]:
    """Incidents with a mirroring link to a channel of their own (bot, alice and bob in it)."""
    linked = []
    sealer = Sealer(SlackSettings(token=slack.default_token).seal_secret)
    for n in range(channels):
        incident = soar.create_incident(f"Mirrored incident {n + 1}")
        channel = slack.add_channel(f"mirror-{incident['id']}", members=["bot", "alice", "bob"])
        key = f"RES-{incident['id']}"
        cells = {"slack_db_time": int(time.time() * 1000), "slack_db_res_id": key,
                 "slack_db_channel": f"mirror-{incident['id']}", "slack_db_channel_type": "Public",
                 "slack_db_permalink": "", "slack_db_channel_id": channel, "slack_db_mirror": True}
        # Sealed as fn_slack seals the links it writes (with the key app.config's bot token gives): only a sealed
        # link mirrors.
        cells["slack_db_seal"] = sealer.seal(seal_scope(incident["id"], key), cells, SEALED_COLUMNS)
        soar.state.add_row(incident["id"], "slack_conversations_db",
                           {column: {"value": value} for column, value in cells.items()})
        soar.state.patch_incident(incident["id"], [{"field": "slack_mirror_channels",
                                                    "old_value": {"object": None}, "new_value": {"object": channel}}])
        linked.append((incident, channel))
    return linked


def _notes(soar: SoarSandbox, incidents: list[int]) -> dict[str, list[int]]:
    """Event key → create_date of each mirrored note (more than one is a duplicate)."""
    found: dict[str, list[int]] = collections.defaultdict(list)
    for incident_id in incidents:
        for note in soar.state.notes_of(incident_id):
            match = KEY.search(note["text"])
            if match:
                found[match.group(1)].append(note["create_date"])
    return found


def run_mirroring(plan: Plan, processes: int, *, paced: bool = True, table_rows: int = 0,
                  rows_in: str = "other incidents") -> Measurement:
    """``table_rows`` finished rows are put in ``slack_messages_db`` first: of 200 other incidents, or of the
    mirrored incidents themselves (a read of an incident's table returns all its rows)."""
    case = _case(plan, processes, paced, table_rows, rows_in)
    with SlackSandbox(rate_limits=True, time_scale=1.0) as slack, SoarSandbox() as soar, \
            tempfile.TemporaryDirectory(prefix="fn_slack_bench_mirror_") as tmp:
        state = soar.state
        state.finish_import(state.start_import(json.loads(EXPORT.read_text(encoding="utf-8")))["id"], "ACCEPTED")
        linked = _link(soar, slack, plan.mirror_channels)
        if table_rows:
            holders = ([incident["id"] for incident, _ in linked] if rows_in == "the mirrored incidents"
                       else [soar.create_incident(f"Mirrored earlier {n}")["id"] for n in range(200)])
            _seed_rows(soar, table_rows, holders)
        runs = []
        try:
            for n in range(processes):
                key = (f"bench-mirror-{n}", f"bench-mirror-secret-{n}")
                soar.add_api_key(*key)
                runs.append(_start(soar, slack, Path(tmp), f"run-{n}", key))
            if not slack.socket_mode.wait_for_connections(processes, timeout=START_TIMEOUT):
                return skipped("7", case, "ours", 0.0, "not measured: the listener did not connect within "
                                                      f"{START_TIMEOUT:g} s")
            return _drive(plan, case, soar, slack, linked, paced=paced)
        finally:
            for run in runs:
                _stop(run)


def _drive(plan: Plan, case: str, soar: SoarSandbox, slack: SlackSandbox,  # noqa: PLR0914
           linked: list[tuple[dict, str]], *, paced: bool) -> Measurement:
    incidents = [incident["id"] for incident, _ in linked]
    people = ["alice", "bob"]
    # warm-up: one message per channel (each process's first event of a channel looks the incident up)
    for n, (_, channel) in enumerate(linked):
        slack.add_message(channel, people[n % 2], f"warm-up {n}")
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while sum(len(v) for v in _notes(soar, incidents).values()) < len(linked) and time.monotonic() < deadline:
        time.sleep(0.1)
    slack.clear_calls()
    soar_before = len(soar.state.calls)
    warm_keys = set(_notes(soar, incidents))

    posted: dict[str, float] = {}
    # paced: each channel at 1 msg/s, the whole load one message per channel a second; else all at once
    interval = 1.0 / len(linked) if paced else 0.0
    started = time.time()
    for n in range(plan.mirror_messages):
        due = started + n * interval
        pause = due - time.time()
        if pause > 0:
            time.sleep(pause)
        _, channel = linked[n % len(linked)]
        ts = slack.add_message(channel, people[n % 2], f"Status update {n}: *host-{n}* contained")
        posted[f"{channel}/{ts}"] = ts_time(ts)
    while time.monotonic() < deadline:
        notes = _notes(soar, incidents)
        if all(k in notes for k in posted):
            break
        time.sleep(0.1)
    time.sleep(2.0)  # a duplicate written late would show now
    notes = _notes(soar, incidents)
    calls = slack.calls
    soar_calls = len(soar.state.calls) - soar_before

    latencies = [min(notes[k]) / 1000.0 - at for k, at in posted.items() if k in notes]
    last = max((max(notes[k]) / 1000.0 for k in posted if k in notes), default=time.time())
    elapsed = last - min(posted.values())
    done = sum(1 for k in posted if k in notes)
    duplicates = sum(len(v) - 1 for k, v in notes.items() if len(v) > 1)
    retried = sum(1 for d in slack.socket_mode.deliveries if d.retry_attempt > 0)
    by_connection = collections.Counter(d.connection for d in slack.socket_mode.deliveries)
    ops = plan.mirror_messages
    return Measurement(
        scenario="7", case=case, strategy="ours", latency_ms=0.0, ops=ops,
        slack_calls=len(calls) / ops, rate_limited=sum(1 for c in calls if c.http_status == 429) / ops,
        soar_calls=soar_calls / ops, median_s=percentile(latencies, 50), p95_s=percentile(latencies, 95),
        peak_bytes=None,
        calls_by_method={k: v / ops for k, v in sorted(collections.Counter(c.method for c in calls).items())},
        extra={"events_per_second": round(done / elapsed, 2) if elapsed > 0 else None,
               "offered_per_second": len(linked) if paced else "backlog", "mirrored": done, "missing": ops - done,
               "duplicates": duplicates, "warm_up_events": len(warm_keys), "retried_deliveries": retried,
               "deliveries_by_connection": dict(by_connection), "elapsed_s": round(elapsed, 2),
               "latency_p50_s": round(percentile(latencies, 50), 4),
               "latency_p95_s": round(percentile(latencies, 95), 4)},
        note="median/p95: from the post in Slack to the note in SOAR")


OUTAGE_MESSAGES = 200
OUTAGE_HOLD_SECONDS = 3.0   # stands for Slack's 5 minutes: the events of the outage are dropped, as in Slack


def run_outage(plan: Plan) -> Measurement:
    """The run process is killed; for longer than Slack's hold people write ``OUTAGE_MESSAGES`` messages in
    the mirrored channels and Slack drops every event; the process is started again and catches up from
    history. Catch-up time: from the new connection to the last missing note."""
    case = (f"1 run process down longer than Slack's hold while {OUTAGE_MESSAGES} messages are written in "
            f"{plan.mirror_channels} mirrored channels, then restarted (catch-up from history)")
    with SlackSandbox(rate_limits=True, time_scale=1.0) as slack, SoarSandbox() as soar, \
            tempfile.TemporaryDirectory(prefix="fn_slack_bench_outage_") as tmp:
        state = soar.state
        state.finish_import(state.start_import(json.loads(EXPORT.read_text(encoding="utf-8")))["id"], "ACCEPTED")
        linked = _link(soar, slack, plan.mirror_channels)
        incidents = [incident["id"] for incident, _ in linked]
        key = ("bench-outage", "bench-outage-secret")
        soar.add_api_key(*key)
        run = _start(soar, slack, Path(tmp), "run-before", key)
        try:
            if not slack.socket_mode.wait_for_connections(1, timeout=START_TIMEOUT):
                return skipped("7", case, "ours", 0.0, f"not measured: no connection within {START_TIMEOUT:g} s")
            for n, (_, channel) in enumerate(linked):
                slack.add_message(channel, "alice", f"before the outage {n}")
            _wait_for_notes(soar, incidents, len(linked))
        finally:
            run.kill()
            run.wait(timeout=10)
        slack.socket_mode.event_hold_seconds = OUTAGE_HOLD_SECONDS
        while slack.socket_mode.connection_count:
            time.sleep(0.05)
        dropped = len(slack.socket_mode.dropped)
        posted = [f"{channel}/{slack.add_message(channel, ('alice', 'bob')[n % 2], f'During the outage {n}')}"
                  for n in range(OUTAGE_MESSAGES) for _, channel in [linked[n % len(linked)]]]
        while len(slack.socket_mode.dropped) - dropped < OUTAGE_MESSAGES:
            time.sleep(0.1)
        slack.clear_calls()
        soar_before = len(soar.state.calls)
        run = _start(soar, slack, Path(tmp), "run-after", key)
        try:
            if not slack.socket_mode.wait_for_connections(1, timeout=START_TIMEOUT):
                return skipped("7", case, "ours", 0.0, f"not measured: no connection within {START_TIMEOUT:g} s")
            connected = time.time()
            notes = _wait_for_notes(soar, incidents, len(linked) + OUTAGE_MESSAGES)
            caught_up = max((max(notes[k]) / 1000.0 for k in posted if k in notes), default=time.time())
            time.sleep(2.0)  # a duplicate written late would show now
            notes = _notes(soar, incidents)
        finally:
            _stop(run)
        calls = slack.calls
        missing = sum(1 for k in posted if k not in notes)
        duplicates = sum(len(v) - 1 for v in notes.values() if len(v) > 1)
        seconds = round(caught_up - connected, 2)
        return Measurement(
            scenario="7", case=case, strategy="ours", latency_ms=0.0, ops=OUTAGE_MESSAGES,
            slack_calls=len(calls) / OUTAGE_MESSAGES,
            rate_limited=sum(1 for c in calls if c.http_status == 429) / OUTAGE_MESSAGES,
            soar_calls=(len(soar.state.calls) - soar_before) / OUTAGE_MESSAGES, median_s=seconds, p95_s=seconds,
            peak_bytes=None,
            calls_by_method={k: v / OUTAGE_MESSAGES
                             for k, v in sorted(collections.Counter(c.method for c in calls).items())},
            extra={"catch_up_s": seconds, "missing": missing, "duplicates": duplicates,
                   "dropped_by_slack": len(slack.socket_mode.dropped) - dropped},
            note="median/p95: the catch-up time, from the new connection to the last note")


def _wait_for_notes(soar: SoarSandbox, incidents: list[int], count: int) -> dict[str, list[int]]:
    """The mirrored notes once there are ``count`` (or ``DRAIN_TIMEOUT`` is over)."""
    deadline = time.monotonic() + DRAIN_TIMEOUT
    notes = _notes(soar, incidents)
    while sum(len(v) for v in notes.values()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        notes = _notes(soar, incidents)
    return notes


def ts_time(ts: str) -> float:
    """A Slack ts as epoch seconds."""
    return float(ts)
