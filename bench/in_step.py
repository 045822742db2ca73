"""Scenario 8: the incident channel kept in step (slack_sync_channel). Slack calls per incident change, and a
burst of severity changes under Slack's Tier-2 limits.

Slack: the sandbox in its own process (``SlackHost``) with the plan's latency. SOAR: the SOAR sandbox in its own
process (``SoarHost``) with fn_slack's customizations installed, reached over HTTPS by resilient's SimpleClient,
as slack_sync_channel reaches SOAR. ours: ``ChannelSync`` (what slack_sync_channel runs), one run per change.
baseline: the original app has no sync; the baseline is "write every part each time": the same SOAR reads,
then the topic set, the bookmark written and the summary updated on every run (posted and pinned the first time),
with the summary's ts and the bookmark's ID kept in memory at no SOAR cost.

The burst: ``burst_changes`` severity changes on one channel, evenly spread over one minute (of the limits' time
scale), each followed by a run of slack_sync_channel in a pool of 10 workers (resilient-circuits' default
``num_workers``), with the sandbox's rate limits on: conversations.setTopic, pins.* and bookmarks.* are Tier 2
(20 a minute). Measured: 429s, the time runs spent in their method's line (``slack_pace``, Retry-After
included), whether the channel ended showing the last severity, and the time from the first change until the
channel is in step.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import resilient
from slack_sdk import WebClient
from urllib3.exceptions import InsecureRequestWarning

from bench import ours
from bench.measure import Measurement, OpOutcome, Workload, measure
from bench.scenarios import Plan
from bench.slack_host import SlackHost
from bench.soar_host import SoarHost
from bench.timescale import scaled_retry_after
from fn_slack.lib import slack_pace
from fn_slack.lib.channel_sync import ChannelSync, SyncOutcome, SyncRequest
from fn_slack.lib.soar.incident_facts import read_facts
from fn_slack.lib.sync_format import sync_parts

LOG = logging.getLogger("bench")
SLACK_WRITES = frozenset({"conversations.setTopic", "bookmarks.add", "bookmarks.edit", "bookmarks.remove",
                          "chat.postMessage", "chat.update", "pins.add", "pins.remove"})
SEVERITIES = ("Low", "Medium", "High")
OWNERS = ("analyst@example.com", "responder@example.com")
BURST_WORKERS = 10   # resilient-circuits' default num_workers
REST_METHODS = ("get", "post", "put", "delete", "get_put", "post_attachment", "search")


def reads_and_writes(by_method: dict[str, float]) -> tuple[float, float]:
    """Slack calls per operation split into reads and writes (``SLACK_WRITES``), 429s included."""
    writes = sum(count for method, count in by_method.items() if method in SLACK_WRITES)
    return sum(by_method.values()) - writes, writes


class CountingRest:
    """resilient's client for SOAR, counting each REST call fn_slack makes through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name not in REST_METHODS:
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls += 1
            return attr(*args, **kwargs)

        return counted


def rest_client(soar: SoarHost) -> CountingRest:
    warnings.filterwarnings("ignore", category=InsecureRequestWarning)   # the sandbox's self-signed certificate
    access = soar.call("rest_access")
    client = resilient.SimpleClient(org_name=access["org_name"], base_url=access["base_url"], verify=False,
                                    request_max_retries=1, request_retry_delay=0)
    client.set_api_key(access["api_key_id"], access["api_key_secret"])
    return CountingRest(client)


def run_sync(flow: ChannelSync, incident_id: int, start: bool = False) -> SyncOutcome:
    """One run of slack_sync_channel's flow, as a workflow's inputs start it."""
    request = SyncRequest.from_inputs(SimpleNamespace(incident_id=incident_id, task_id=None,
                                                      slack_sync_start=start))
    outcome = None
    for step in flow.run(request):
        if isinstance(step, SyncOutcome):
            outcome = step
    assert outcome is not None
    return outcome


class NaiveSync:
    """The baseline: every part written on every run (the same facts from SOAR, the same parts)."""

    def __init__(self, slack: WebClient, rest: CountingRest) -> None:
        self.slack = slack
        self.rest = rest
        self.placed: dict[str, tuple[str, str]] = {}   # channel → (summary ts, bookmark ID), kept in memory

    def run(self, incident_id: int, channel_id: str) -> None:
        facts = read_facts(self.rest, incident_id)
        self.rest.get(f"/incidents/{incident_id}/table_data/slack_conversations_db?handle_format=names")
        parts = sync_parts(facts, ours.soar_link(incident_id))
        self.slack.conversations_setTopic(channel=channel_id, topic=parts.topic)
        if channel_id not in self.placed:
            mark = self.slack.bookmarks_add(channel_id=channel_id, title=parts.bookmark_title, type="link",
                                            link=parts.bookmark_link)
            posted = self.slack.chat_postMessage(channel=channel_id, text=parts.summary_text,
                                                 blocks=parts.summary_blocks)
            self.slack.pins_add(channel=channel_id, timestamp=posted["ts"])
            self.placed[channel_id] = (posted["ts"], mark["bookmark"]["id"])
            return
        ts, bookmark_id = self.placed[channel_id]
        self.slack.bookmarks_edit(channel_id=channel_id, bookmark_id=bookmark_id, title=parts.bookmark_title,
                                  link=parts.bookmark_link)
        self.slack.chat_update(channel=channel_id, ts=ts, text=parts.summary_text, blocks=parts.summary_blocks)


class Org:
    """The incidents and their linked channels of scenario 8, in both sandboxes."""

    def __init__(self, slack: SlackHost, soar: SoarHost) -> None:
        self.slack = slack
        self.soar = soar
        self._names = itertools.count(1)

    def linked_incident(self, label: str) -> tuple[int, str]:
        """A new incident (one open task) and its channel, linked in slack_conversations_db (sync not yet on)."""
        n = next(self._names)
        [incident] = self.soar.call("create_incidents", [f"Phishing campaign {label} {n}"])
        incident_id = incident["id"]
        self.soar.call("create_task", incident_id, "Investigate")
        name = f"inc-{incident_id}-{label}"
        channel_id = self.slack.add_channel(name, members=["bot"])
        cells = {"slack_db_res_id": f"RES-{incident_id}", "slack_db_channel": name, "slack_db_channel_type": "Public",
                 "slack_db_channel_id": channel_id, "slack_db_permalink": "", "slack_db_time": 1}
        self.soar.call("add_rows", "slack_conversations_db",
                       [(incident_id, {column: {"value": value} for column, value in cells.items()})])
        return incident_id, channel_id


def _changes(org: Org, incident_id: int) -> dict[str, Callable[[int], None]]:
    """Each case's change of the incident before the i-th run (the values alternate, so each is a change)."""
    def change(values: Callable[[int], dict], later_ms: int = 1) -> Callable[[int], None]:
        return lambda i: org.soar.call("change_incident", incident_id, values(i), later_ms)

    return {
        "severity change": change(lambda i: {"severity_code": SEVERITIES[(i + 1) % len(SEVERITIES)]}),
        "owner change": change(lambda i: {"owner_id": OWNERS[(i + 1) % len(OWNERS)]}),
        "description changed (not shown), same minute":
            change(lambda i: {"description": f"<div>Updated by the bench, edit {i}</div>"}),
        # The summary's "Last update" shows the minute: an edit in a later minute changes what it shows.
        "description changed (not shown), a minute later":
            change(lambda i: {"description": f"<div>Updated by the bench, later edit {i}</div>"}, 60_000),
        "no change": lambda _: None,
    }


def scenario_8(plan: Plan, latency: float) -> Iterator[Measurement]:
    """Slack and SOAR calls and time per incident change, fn_slack against writing every part each time."""
    with SlackHost(latency_ms=latency) as slack, SoarHost() as soar:
        soar.call("install_package")
        org = Org(slack, soar)
        rest = rest_client(soar)
        config = ours.settings(slack.base_url, slack.token)
        flow = ChannelSync(config, rest, ours.soar_link)
        naive = NaiveSync(WebClient(token=slack.token, base_url=slack.base_url.rstrip("/") + "/"), rest)

        def first_sync(strategy: str) -> Workload:
            current: dict[str, Any] = {}

            def prepare(_: int) -> None:
                current["incident"], current["channel"] = org.linked_incident(strategy)
                rest.calls = 0

            def run(_: int) -> OpOutcome:
                if strategy == "ours":
                    run_sync(flow, current["incident"], start=True)
                else:
                    naive.run(current["incident"], current["channel"])
                return OpOutcome(soar_calls=rest.calls)

            return Workload(run, prepare)

        case = "first sync of a linked channel (turned on)"
        for strategy in ("ours", "baseline"):
            yield _counted(measure(slack, first_sync(strategy), ops=plan.sync_ops, scenario="8", case=case,
                                   strategy=strategy, latency_ms=latency, memory=False))

        linked = {strategy: org.linked_incident(strategy) for strategy in ("ours", "baseline")}
        run_sync(flow, linked["ours"][0], start=True)
        naive.run(*linked["baseline"])
        changes = {strategy: _changes(org, linked[strategy][0]) for strategy in ("ours", "baseline")}
        for case in changes["ours"]:
            for strategy in ("ours", "baseline"):
                incident_id, channel_id = linked[strategy]

                def prepare(i: int, change: Callable[[int], None] = changes[strategy][case]) -> None:
                    change(i)
                    rest.calls = 0

                def run(_: int, incident_id: int = incident_id, channel_id: str = channel_id,
                        strategy: str = strategy) -> OpOutcome:
                    if strategy == "ours":
                        run_sync(flow, incident_id)
                    else:
                        naive.run(incident_id, channel_id)
                    return OpOutcome(soar_calls=rest.calls)

                yield _counted(measure(slack, Workload(run, prepare), ops=plan.sync_ops, scenario="8", case=case,
                                       strategy=strategy, latency_ms=latency, memory=False))


def _counted(result: Measurement) -> Measurement:
    """The result with its Slack reads and writes per change."""
    reads, writes = reads_and_writes(result.calls_by_method)
    result.extra.update({"slack_reads": round(reads, 3), "slack_writes": round(writes, 3)})
    return result


# ---------------------------------------------------------------- the Tier-2 burst
class LineTimes:
    """Time spent by this process's calls waiting in their method's line (``slack_pace``), Retry-After
    included, while installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.waits = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def installed(self) -> Iterator[LineTimes]:
        original = slack_pace.Turn.wait_for_turn
        times = self

        def timed(turn: slack_pace.Turn) -> bool:
            started = time.monotonic()
            try:
                return original(turn)
            finally:
                with times._lock:
                    times.seconds += time.monotonic() - started
                    times.waits += 1

        slack_pace.Turn.wait_for_turn = timed
        try:
            yield self
        finally:
            slack_pace.Turn.wait_for_turn = original


def in_step(slack: SlackHost, channel_id: str, severity: str) -> dict[str, bool]:
    """Whether the channel's topic and pinned summary show ``severity``."""
    topic = (slack.channel(channel_id) or {}).get("topic") or ""
    pinned = [m for m in slack.messages(channel_id) if m.get("pinned_to")]
    fields = [f.get("text") for m in pinned for b in m.get("blocks") or [] for f in b.get("fields") or []]
    return {"topic": topic.startswith(f"{severity} · "),
            "summary": len(pinned) == 1 and f"*Severity*\n{severity}" in fields}


def scenario_8_burst(plan: Plan, latency: float) -> Measurement:
    """``plan.burst_changes`` severity changes in one (scaled) minute on one channel, Slack's limits on."""
    scale = plan.burst_time_scale
    window = 60.0 * scale
    changes = plan.burst_changes
    case = (f"burst: {changes} severity changes in {window:g} s on one channel, Tier-2 limits on"
            + (f" (time x{scale:g})" if scale != 1 else ""))
    with SlackHost(latency_ms=latency) as slack, SoarHost() as soar:
        soar.call("install_package")
        org = Org(slack, soar)
        rest = rest_client(soar)
        config = ours.settings(slack.base_url, slack.token)
        flow = ChannelSync(config, rest, ours.soar_link)
        incident_id, channel_id = org.linked_incident("burst")
        run_sync(flow, incident_id, start=True)
        slack_pace.LINES.clear()
        slack.set_rate_limits(True, scale)   # fresh windows: the first sync's writes are not counted against it
        slack.call_counts()
        rest.calls = 0
        outcomes: list[SyncOutcome] = []
        errors: list[str] = []
        done = threading.Lock()

        def one_run() -> None:
            try:
                outcome = run_sync(flow, incident_id)
                with done:
                    outcomes.append(outcome)
            except Exception as err:  # noqa: BLE001 - a failed run is a result of the benchmark
                with done:
                    errors.append(f"{type(err).__name__}: {err}")

        last = ""
        lines = LineTimes()
        with lines.installed(), scaled_retry_after() if scale < 1 else contextlib.nullcontext(), \
                ThreadPoolExecutor(max_workers=BURST_WORKERS, thread_name_prefix="sync") as pool:
            started = time.monotonic()
            for i in range(changes):
                due = started + i * window / changes
                time.sleep(max(0.0, due - time.monotonic()))
                last = SEVERITIES[(i + 1) % len(SEVERITIES)]
                soar.call("change_incident", incident_id, {"severity_code": last})
                pool.submit(one_run)
            last_change = time.monotonic() - started
        elapsed = time.monotonic() - started
        counts = slack.call_counts()
        slack.set_rate_limits(False, 1.0)
        shown = in_step(slack, channel_id, last)
    written = Counter(part for outcome in outcomes for part in outcome.written)
    by_method = counts["by_method"]
    reads, writes = reads_and_writes(by_method)
    limited = Counter(call for call in _refused(counts))
    return Measurement(
        scenario="8", case=case, strategy="ours", latency_ms=latency, ops=changes,
        slack_calls=counts["total"], rate_limited=counts["rate_limited"], soar_calls=rest.calls,
        median_s=elapsed, p95_s=float("nan"), peak_bytes=None, calls_by_method=by_method,
        answered_by_method=counts["ok_by_method"],
        extra={"slack_reads": reads, "slack_writes": writes, "runs": len(outcomes), "failed_runs": errors,
               "parts_written": dict(written), "rate_limited_by_method": dict(limited),
               "line_wait_s": round(lines.seconds, 3), "line_waits": lines.waits,
               "last_change_s": round(last_change, 3), "in_step_after_last_change_s": round(elapsed - last_change, 3),
               "final_topic_in_step": shown["topic"], "final_summary_in_step": shown["summary"],
               "last_severity": last},
        note="totals for the whole burst (Slack/op, 429/op, SOAR/op) and its time (median column); no baseline: "
             "writing every part each time would send one setTopic per change")


def _refused(counts: dict) -> Iterator[str]:
    """The methods of the calls Slack refused with 429 (each as often as it was refused)."""
    for method, total in counts["by_method"].items():
        yield from [method] * int(total - counts["ok_by_method"].get(method, 0))
