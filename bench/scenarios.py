"""Scenarios 1–4 and 6 of the benchmark: posts in a big workspace, invitations, exports, and exports under limits."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bench import baseline, ours
from bench.measure import Measurement, OpOutcome, Workload, measure
from bench.slack_host import SlackHost
from bench.soar_table import InMemoryTable, TableStore
from bench.timescale import ScaledRateLimitHandler, scaled_retry_after
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_vocabulary import Channel
from sandbox.slack.limits import METHOD_LIMITS

USER_INFO_MEMBERS = 10   # people in the channel whose results.user_info is measured
LOG = logging.getLogger("bench")
TEXT = "Phishing campaign: 3 new artifacts were added to the incident."
KNOWN_USERS = 100
# The 100,000-message channel has 5,000 threads and 1,000 files; other sizes keep those proportions,
# up to those counts (so the 1,000,000-message run stays within a benchmark's time; memory follows messages).
THREAD_EVERY, FILE_EVERY = 20, 100
MAX_THREADS, MAX_FILES = 5_000, 1_000
SOAR_EXPORT_CALLS = 2  # read the table row, save the attachment: the export itself never calls SOAR


@dataclass(frozen=True)
class Plan:
    """Sizes of one benchmark run (``full`` for the results, ``quick`` for a smoke run)."""

    name: str
    latencies: tuple[float, ...]
    channels: int
    post_ops: int
    invite_ops: int
    emails: int
    export_sizes: tuple[int, ...]
    baseline_export_cap: dict[float, int]     # latency → largest export the baseline runs at
    rated_messages: int
    baseline_rated_latencies: tuple[float, ...]
    repeat_small_exports: bool = True
    throughput_calls: int = 500
    throughput_incidents: int = 50
    throughput_workers: int = 25
    throughput_latencies: tuple[float, ...] | None = None   # None: every latency of the plan
    throughput_brokers: tuple[str, ...] = ("builtin", "activemq")
    throughput_processes: tuple[int, ...] = (1, 2, 3)
    # Scenario 5's kinds of run: "first" (each incident's first call creates its channel), "linked" (channels
    # linked beforehand) and "burst" (that many new incidents at once, one first post each, on these brokers).
    throughput_kinds: tuple[str, ...] = ("first", "linked", "burst")
    throughput_burst_incidents: int = 200
    throughput_burst_brokers: tuple[str, ...] = ("activemq",)
    # Scenario 7: mirrored channels, each with people posting 1 msg/s, so the offered load is this many events a
    # second: 8/s is the Events API's 30,000 events an hour for one app; then as many messages as a backlog.
    mirror_channels: int = 8
    mirror_messages: int = 480
    mirror_table_rows: int = 100_000   # rows already in slack_messages_db for the flat-cost cases
    # Scenario 8: runs of slack_sync_channel per kind of change; the burst's severity changes in one minute of
    # Slack's limits, run at this time scale (1: Slack's real windows and Retry-After).
    sync_ops: int = 10
    burst_changes: int = 30
    burst_time_scale: float = 1.0
    notes: list[str] = field(default_factory=list)

    def export_ops(self, messages: int, latency: float) -> int:
        return 3 if self.repeat_small_exports and messages <= 10_000 and latency == 0 else 1

    @staticmethod
    def time_scale(latency: float) -> float:
        """Rate-limit windows short enough for a quick run, long enough that the limit binds at this latency.

        50 calls (a Tier-3 window) at latency + ~5 ms of work each take at most 40% of the window, so the
        client is held back by the limit, not by its own speed: 0.01 (0.6 s windows) at 0 ms, 0.052 at 20 ms."""
        return round(max(0.01, (latency + 5.0) / 480.0), 4)


FULL = Plan(name="full", latencies=(0.0, 20.0), channels=20_000, post_ops=10, invite_ops=5, emails=200,
            export_sizes=(1_000, 10_000, 100_000, 1_000_000), baseline_export_cap={0.0: 100_000, 20.0: 10_000},
            rated_messages=20_000, baseline_rated_latencies=(0.0,), throughput_latencies=(20.0,))
QUICK = Plan(name="quick", latencies=(0.0, 20.0), channels=1_000, post_ops=3, invite_ops=2, emails=20,
             export_sizes=(500, 2_000), baseline_export_cap={0.0: 500}, rated_messages=1_000,
             baseline_rated_latencies=(0.0,), repeat_small_exports=False,
             throughput_calls=40, throughput_incidents=10, throughput_workers=25, throughput_latencies=(0.0,),
             throughput_processes=(1, 2), throughput_burst_incidents=30, throughput_burst_brokers=("builtin",),
             mirror_channels=8, mirror_messages=48, sync_ops=3, burst_time_scale=0.25)


def threads_and_files(messages: int) -> tuple[int, int]:
    return min(messages // THREAD_EVERY, MAX_THREADS), min(messages // FILE_EVERY, MAX_FILES)


class Workspace:
    """The 20,000-channel workspace of scenarios 1–4, seeded once and shared by both latencies."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.host = SlackHost()
        LOG.info("seeding %s channels", f"{plan.channels:,}")
        self.channel_ids: list[str] = self.host.seed_channels(plan.channels, "chan", members=["bot"])
        self.names = [f"chan-{i:05d}" for i in range(1, plan.channels + 1)]
        users = [(f"user{k:03d}", f"user{k:03d}@example.com") for k in range(KNOWN_USERS)]
        self.host.add_users(users)
        self.known_emails = [email for _, email in users]
        self.store = TableStore()
        self._incidents = itertools.count(1000)
        self._exports: dict[int, Channel] = {}
        self.config = ours.settings(self.host.base_url, self.host.token)

    def close(self) -> None:
        self.host.close()

    def new_incident(self) -> int:
        return next(self._incidents)

    def channel(self, position: str) -> tuple[str, str]:
        """(id, name) of the channel created first ("early") or last ("late") in the listing."""
        index = 0 if position == "early" else len(self.channel_ids) - 1
        return self.channel_ids[index], self.names[index]

    def second(self, position: str) -> str:
        """Another channel's name near the same end of the listing."""
        return self.names[1] if position == "early" else self.names[-2]

    def export_channel(self, messages: int) -> Channel:
        if messages not in self._exports:
            threads, files = threads_and_files(messages)
            name = f"export-{messages}"
            LOG.info("seeding #%s: %s messages, %s threads, %s files", name, f"{messages:,}", f"{threads:,}",
                     f"{files:,}")
            cid = self.host.add_channel(name, members=["bot"])
            self.host.seed_history(cid, messages, threads, files)
            self._exports[messages] = Channel(id=cid, name=name, is_private=False)
        return self._exports[messages]


def _temp_export(write: Callable[[object], int]) -> tuple[int, int]:
    """Run an export into a temporary file (as the component does); (messages, bytes), file removed."""
    handle, path = tempfile.mkstemp(prefix="fn_slack_bench_", suffix=".txt")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            count = write(out)
        return count, os.path.getsize(path)
    finally:
        os.unlink(path)


# ---------------------------------------------------------------- scenario 1
def scenario_1(ws: Workspace, latency: float) -> Iterator[Measurement]:
    """Post to the incident's linked channel (created early / late in a 20,000-channel listing)."""
    plan = ws.plan
    for position in ("early", "late"):
        cid, name = ws.channel(position)
        incident = ws.new_incident()
        ws.store.link(incident, name, cid)
        case = f"linked channel, created {position}"

        def ours_op(_: int, incident=incident) -> OpOutcome:
            table = InMemoryTable(ws.store, incident)
            ours.post_message(ws.config, table, incident, TEXT)
            return OpOutcome(soar_calls=table.calls)

        def base_op(_: int, incident=incident) -> OpOutcome:
            table = InMemoryTable(ws.store, incident)
            baseline.post_message(ws.host.base_url, ws.host.token, table, TEXT)
            return OpOutcome(soar_calls=table.calls)

        yield measure(ws.host, Workload(ours_op), ops=plan.post_ops, scenario="1", case=case, strategy="ours",
                      latency_ms=latency)
        yield measure(ws.host, Workload(base_op), ops=plan.post_ops, scenario="1", case=case,
                      strategy="baseline", latency_ms=latency)

    # IBM 2.x's results.user_info ([fn_slack] result_user_info = true) costs conversations.members and one
    # users.info per member (reused within a call); off by default, when a linked post stays at 2 calls.
    members = ws.known_emails[:USER_INFO_MEMBERS]
    for fill in (False, True):
        incident = ws.new_incident()
        name = f"user-info-{incident}-{int(latency)}"
        ws.store.link(incident, name, ws.host.add_channel(name, members=["bot", *members]))
        config = dataclasses.replace(ws.config, result_user_info=fill)

        def user_info_op(_: int, incident=incident, config=config) -> OpOutcome:
            table = InMemoryTable(ws.store, incident)
            ours.post_message(config, table, incident, TEXT)
            return OpOutcome(soar_calls=table.calls)

        yield measure(ws.host, Workload(user_info_op), ops=plan.post_ops, scenario="1",
                      case=f"results.user_info {'filled' if fill else 'empty (default)'}, {len(members)} members",
                      strategy="ours", latency_ms=latency)

    # A row the original app wrote holds the name only: the first post finds the channel and fills in its ID.
    cid, name = ws.channel("late")
    incidents: list[int] = []

    def legacy_prepare(_: int) -> None:
        ours.forget_channels()
        incidents.append(ws.new_incident())
        ws.store.link(incidents[-1], name, None)

    def legacy_op(_: int) -> OpOutcome:
        table = InMemoryTable(ws.store, incidents[-1])
        ours.post_message(ws.config, table, incidents[-1], TEXT)
        return OpOutcome(soar_calls=table.calls)

    yield measure(ws.host, Workload(legacy_op, legacy_prepare), ops=plan.post_ops, scenario="1",
                  case="row without channel ID (original app's), late, first post", strategy="ours",
                  latency_ms=latency, note="fresh process memory; later posts use the filled-in ID")


# ---------------------------------------------------------------- scenario 2
class _NewIncidents:
    """Each operation posts for an incident the table has never seen."""

    def __init__(self, ws: Workspace, forget: bool) -> None:
        self.ws = ws
        self.forget = forget
        self.current = 0

    def prepare(self, _: int) -> None:
        if self.forget:
            ours.forget_channels()
        self.current = self.ws.new_incident()


def _first_posts(ws: Workspace, name: str, strategy: str, forget: bool) -> Workload:
    incidents = _NewIncidents(ws, forget)

    def run(_: int) -> OpOutcome:
        table = InMemoryTable(ws.store, incidents.current)
        if strategy == "ours":
            ours.post_message(ws.config, table, incidents.current, TEXT, channel_name=name)
        else:
            baseline.post_message(ws.host.base_url, ws.host.token, table, TEXT, channel_name=name)
        return OpOutcome(soar_calls=table.calls)

    return Workload(run, incidents.prepare)


def scenario_2(ws: Workspace, latency: float) -> Iterator[Measurement]:
    """First post to a named, existing channel the table does not know yet."""
    plan = ws.plan
    for position in ("early", "late"):
        _, name = ws.channel(position)
        case = f"named channel, created {position}"
        yield measure(ws.host, _first_posts(ws, name, "ours", forget=True), ops=plan.post_ops, scenario="2",
                      case=case + ", new process", strategy="ours", latency_ms=latency,
                      note="channel-name memory empty (app just started)")
        yield measure(ws.host, _first_posts(ws, name, "baseline", forget=False), ops=plan.post_ops,
                      scenario="2", case=case + ", new process", strategy="baseline", latency_ms=latency)
        # A process that has run a while: an earlier search paged past this channel.
        ours.forget_channels()
        SlackClient(ws.config).find_channel_by_name(name)
        yield measure(ws.host, _first_posts(ws, ws.second(position), "ours", forget=False), ops=plan.post_ops,
                      scenario="2", case=case + ", name seen by an earlier search", strategy="ours",
                      latency_ms=latency, note="baseline: same as the new-process row (it remembers nothing)")


# ---------------------------------------------------------------- scenario 3
def _invite_posts(ws: Workspace, latency: float, strategy: str, emails: list[str]) -> Workload:
    current = {"incident": 0}

    def prepare(_: int) -> None:
        # A new incident channel each time (so the invitations are real), the newest in the listing.
        incident = ws.new_incident()
        name = f"inc-{incident}-{strategy}-{int(latency)}"
        ws.store.link(incident, name, ws.host.add_channel(name, members=["bot"]))
        current["incident"] = incident

    def run(_: int) -> OpOutcome:
        incident = current["incident"]
        table = InMemoryTable(ws.store, incident)
        if strategy == "ours":
            result = ours.post_message(ws.config, table, incident, TEXT, emails=emails)
            return OpOutcome(soar_calls=table.calls, extra={"status_messages": len(result["status"])})
        baseline.post_message(ws.host.base_url, ws.host.token, table, TEXT, emails=emails)
        return OpOutcome(soar_calls=table.calls)

    return Workload(run, prepare)


def scenario_3(ws: Workspace, latency: float) -> Iterator[Measurement]:
    """Post with 200 participant e-mails, half of them unknown to the workspace."""
    plan = ws.plan
    known = ws.known_emails[:plan.emails // 2]
    emails = known + [f"nobody{k:03d}@example.org" for k in range(plan.emails - len(known))]
    case = f"{len(emails)} e-mails ({len(emails) - len(known)} unknown), linked channel"
    for strategy in ("ours", "baseline"):
        yield measure(ws.host, _invite_posts(ws, latency, strategy, emails), ops=plan.invite_ops, scenario="3",
                      case=case, strategy=strategy, latency_ms=latency)


# ---------------------------------------------------------------- scenario 4
def scenario_4(ws: Workspace, latency: float) -> Iterator[Measurement]:
    """Export (the archive's history step) of channels of 1,000 to 1,000,000 messages."""
    plan = ws.plan
    for messages in plan.export_sizes:
        channel = ws.export_channel(messages)
        threads, files = threads_and_files(messages)
        case = f"{messages:,} messages, {threads:,} threads, {files:,} files"
        ops = plan.export_ops(messages, latency)

        def ours_op(_: int, channel=channel) -> OpOutcome:
            count, size = _temp_export(lambda out: ours.export_history(ws.config, channel, out))
            return OpOutcome(soar_calls=SOAR_EXPORT_CALLS, extra={"messages": count, "export_bytes": size})

        def base_op(_: int, channel=channel) -> OpOutcome:
            count, size = _temp_export(
                lambda out: baseline.export_history(ws.host.base_url, ws.host.token, channel.id, out))
            return OpOutcome(soar_calls=SOAR_EXPORT_CALLS, extra={"messages": count, "export_bytes": size})

        # Memory does not depend on the latency: it is traced in the 0 ms run only.
        traced = latency == 0
        yield measure(ws.host, Workload(ours_op), ops=ops, scenario="4", case=case, strategy="ours",
                      latency_ms=latency, memory=traced, note="" if traced else "peak memory: see the 0 ms row")
        cap = plan.baseline_export_cap.get(latency, 0)
        if messages <= cap:
            yield measure(ws.host, Workload(base_op), ops=ops, scenario="4", case=case, strategy="baseline",
                          latency_ms=latency, memory=traced,
                          note="" if traced else "peak memory: see the 0 ms row")
        else:
            why = f"above {cap:,} messages at {latency:g} ms" if cap else f"at {latency:g} ms in this plan"
            yield skipped("4", case, "baseline", latency,
                          f"not run: one users.info per message makes it too slow {why}")


def skipped(scenario: str, case: str, strategy: str, latency: float, note: str) -> Measurement:
    nan = float("nan")
    return Measurement(scenario=scenario, case=case, strategy=strategy, latency_ms=latency, ops=0,
                       slack_calls=nan, rate_limited=nan, soar_calls=nan, median_s=nan, p95_s=nan,
                       peak_bytes=None, note=note)


# ---------------------------------------------------------------- scenario 6
def rate_floor(answered: dict[str, float], time_scale: float) -> float:
    """The least time Slack's per-method windows allow for these answered calls, made one after another.

    The k-th call of a method limited to L per window can start no sooner than floor(k / L) windows after its
    first call; methods are limited independently, so the slowest method sets the floor."""
    window = 60.0 * time_scale
    floors = [window * ((int(round(n)) - 1) // METHOD_LIMITS[m])
              for m, n in answered.items() if m in METHOD_LIMITS and n >= 1]
    return max(floors, default=0.0)


def scenario_6(plan: Plan, latency: float) -> Iterator[Measurement]:
    """Export of 20,000 messages under Slack's Tier-3 limits (time-scaled), against the floor they set."""
    messages = plan.rated_messages
    threads, files = threads_and_files(messages)
    scale = plan.time_scale(latency)
    case = f"{messages:,} messages, {threads:,} threads, {files:,} files, limits x{scale:g}"
    with SlackHost(latency_ms=latency, rate_limits=True, time_scale=scale) as host:
        host.add_users([(f"user{k:03d}", f"user{k:03d}@example.com") for k in range(KNOWN_USERS)])
        cid = host.add_channel("rated-export", members=["bot"])
        host.seed_history(cid, messages, threads, files)
        channel = Channel(id=cid, name="rated-export", is_private=False)
        config = ours.settings(host.base_url, host.token, max_rate_limit_wait=3600)

        def fresh_windows(_: int) -> None:
            host.set_rate_limits(True, scale)

        def ours_op(_: int) -> OpOutcome:
            with scaled_retry_after():
                count, size = _temp_export(lambda out: ours.export_history(config, channel, out))
            return OpOutcome(soar_calls=SOAR_EXPORT_CALLS, extra={"messages": count, "export_bytes": size})

        def base_op(_: int) -> OpOutcome:
            handlers = [ScaledRateLimitHandler(scale)]
            count, size = _temp_export(
                lambda out: baseline.export_history(host.base_url, host.token, cid, out, handlers))
            return OpOutcome(soar_calls=SOAR_EXPORT_CALLS, extra={"messages": count, "export_bytes": size})

        # Memory does not depend on the latency: it is traced in the 0 ms run only.
        runs = [("ours", ours_op, latency == 0)]
        if latency in plan.baseline_rated_latencies:
            runs.append(("baseline", base_op, False))
        for strategy, op, traced in runs:
            result = measure(host, Workload(op, fresh_windows), ops=1, scenario="6", case=case,
                             strategy=strategy, latency_ms=latency, memory=traced,
                             note="" if traced else "peak memory: see the 0 ms row / scenario 4")
            add_floor(result, scale)
            yield result
        if latency not in plan.baseline_rated_latencies:
            yield skipped("6", case, "baseline", latency,
                          "not run: 20,000+ users.info calls at this latency take many minutes")


def add_floor(result: Measurement, time_scale: float) -> None:
    """Record the floor: the rate limits' (scaled windows) or, if higher, the calls' own latency."""
    answered = result.answered_by_method
    by_rate = rate_floor(answered, time_scale)
    by_latency = sum(answered.values()) * result.latency_ms / 1000.0
    floor = max(by_rate, by_latency)
    result.extra.update({"rate_floor_s": round(by_rate, 3), "latency_floor_s": round(by_latency, 3),
                         "floor_s": round(floor, 3),
                         "time_over_floor": round(result.median_s / floor, 3) if floor else None})
