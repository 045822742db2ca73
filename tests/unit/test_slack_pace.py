"""The fair line per rate-limited Slack method (slack_pace), on a fake clock: who goes when, and what a caller
is told or refused."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from fn_slack.lib.invocation import telling
from fn_slack.lib.retry import WaitBudget
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_pace import Line, PaceLines, Turn
from fn_slack.lib.slack_transport import SlackTransport
from tests.functions.harness import TOKEN

WORKSPACE = ("https://slack.example/api/", 1)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def lines(clock):
    return PaceLines(clock=clock, nap=0.002)


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"the line slept {seconds} s on its own")


def budget(seconds: float = 600) -> WaitBudget:
    return WaitBudget(seconds, sleep=no_sleep)


def eventually(condition, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the line did not get there"
        time.sleep(0.002)


class Caller:
    """One function call's thread taking its turn in a line; ``admitted`` says when it got in."""

    def __init__(self, line: Line, name: str, order: list[str], seconds: float = 600, told: list | None = None):
        self.name = name
        self.turn: Turn | None = None
        self.admitted = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(line, order, seconds, told), daemon=True)
        self.thread.start()

    def _run(self, line: Line, order: list[str], seconds: float, told: list | None) -> None:
        with telling(None if told is None else told.append):
            self.turn = line.turn(budget(seconds))
        if self.turn.refusal is None:
            order.append(self.name)
        self.admitted.set()


def close(line: Line, clock: FakeClock, retry_after: float) -> Turn:
    """A call straight through the open line, refused by Slack with ``retry_after``: the line closes; the
    refused call waits at the head in its own thread (returned once it is in again)."""
    first = line.turn(budget())
    assert first.in_flight
    threading.Thread(target=first.refused, args=(retry_after,), daemon=True).start()
    eventually(lambda: line.paced and line.waiting == [first.ticket])
    return first


def queue(line: Line, names: list[str], order: list[str], **kwargs) -> list[Caller]:
    """Callers that come one after the other and wait in line."""
    callers = []
    for name in names:
        before = len(line.waiting)
        callers.append(Caller(line, name, order, **kwargs))
        eventually(lambda before=before: len(line.waiting) == before + 1)
    return callers


def test_without_a_rate_limit_calls_pass_straight_through_together(lines):
    line = lines.line(WORKSPACE, "conversations.create")

    turns = [line.turn(budget()) for _ in range(5)]

    assert all(t.in_flight and t.refusal is None for t in turns)
    assert line.in_flight == 5 and not line.paced


def test_after_a_429_calls_are_let_in_in_the_order_they_came_one_at_a_time(lines, clock):
    line = lines.line(WORKSPACE, "conversations.create")
    order: list[str] = []
    first = close(line, clock, retry_after=10)
    callers = queue(line, ["b", "c", "d"], order)

    clock.now += 9.9
    time.sleep(0.05)
    assert not first.in_flight and order == []          # Retry-After not over: nobody goes

    clock.now += 0.2
    eventually(lambda: first.in_flight)                 # the refused call goes first, keeping its place
    time.sleep(0.05)
    assert order == [] and line.in_flight == 1          # one in Slack at a time while paced
    first.answered()
    for expected, caller in zip(["b", "c", "d"], callers, strict=True):
        caller.admitted.wait(2)
        assert order[-1] == expected and line.in_flight == 1
        time.sleep(0.02)
        assert len(order) == ["b", "c", "d"].index(expected) + 1   # the next waits for this one's answer
        caller.turn.answered()
    assert order == ["b", "c", "d"]


def test_a_call_refused_again_keeps_its_place_at_the_head(lines, clock):
    line = lines.line(WORKSPACE, "conversations.create")
    order: list[str] = []
    first = close(line, clock, retry_after=5)
    b, c = queue(line, ["b", "c"], order)
    clock.now += 5
    eventually(lambda: first.in_flight)
    first.answered()
    b.admitted.wait(2)

    again = threading.Thread(target=b.turn.refused, args=(7,), daemon=True)
    again.start()                                       # Slack refuses b: the line closes for 7 s more
    eventually(lambda: len(line.waiting) == 2 and line.waiting[0] == b.turn.ticket)
    clock.now += 6.9
    time.sleep(0.05)
    assert order == ["b"] and line.in_flight == 0       # c did not slip in while b waits

    clock.now += 0.2
    again.join(2)
    assert b.turn.in_flight and not c.admitted.is_set()
    b.turn.answered()
    c.admitted.wait(2)
    assert order == ["b", "c"]


def test_the_line_opens_again_when_a_call_is_answered_and_nobody_waits(lines, clock):
    line = lines.line(WORKSPACE, "conversations.list")
    first = close(line, clock, retry_after=2)
    clock.now += 2
    eventually(lambda: first.in_flight)

    first.answered()

    assert not line.paced
    assert [line.turn(budget()).in_flight for _ in range(3)] == [True, True, True]


def test_each_channel_has_its_own_post_line_and_other_methods_one_per_workspace(lines, clock):
    general = lines.line(WORKSPACE, "chat.postMessage", "C1")
    close(general, clock, retry_after=30)

    other = lines.line(WORKSPACE, "chat.postMessage", "C2")

    assert other is not general and other.turn(budget()).in_flight
    assert lines.line(WORKSPACE, "chat.postMessage", "C1") is general
    assert lines.line(WORKSPACE, "conversations.create", "C1") is lines.line(WORKSPACE, "conversations.create", "C2")
    assert lines.line(("https://slack.example/api/", 2), "chat.postMessage", "C1") is not general


def test_a_call_whose_wait_would_pass_the_ceiling_is_refused_at_once_without_sleeping(lines, clock):
    line = lines.line(WORKSPACE, "conversations.create")
    close(line, clock, retry_after=40)
    spent = budget(30)

    turn = line.turn(spent)

    assert not turn.in_flight and line.waiting == [1]   # out of the line; the refused first call stays
    assert spent.spent == 0 and clock.now == 1000.0
    assert "conversations.create" in turn.refusal and "about 43 s" in turn.refusal   # 40 s + 1 ahead × 3 s
    assert "max_rate_limit_wait = 30 s" in turn.refusal and "nothing was sent" in turn.refusal


def test_the_place_in_line_counts_against_the_ceiling(lines, clock):
    line = lines.line(WORKSPACE, "conversations.create")           # Tier 2: one every 3 s
    close(line, clock, retry_after=1)
    queue(line, [f"w{i}" for i in range(9)], [])                   # 1 + 9 ahead

    assert line.turn(budget(30)).refusal is not None               # 1 s + 10 × 3 s = 31 s > the 30 s left
    assert line.expected_wait(line.waiting[-1] + 1, clock.now) == pytest.approx(31.0)
    assert line.expected_wait(line.waiting[0], clock.now) == pytest.approx(1.0)
    clock.now += 0.5
    assert line.expected_wait(line.waiting[3], clock.now) == pytest.approx(0.5 + 3 * 3.0)


def test_a_call_that_waits_longer_than_a_few_seconds_is_told_why_where_and_how_long(lines, clock):
    line = lines.line(WORKSPACE, "conversations.create")
    close(line, clock, retry_after=200)
    told: list[str] = []

    queue(line, ["b"], [], told=told)

    eventually(lambda: told)
    assert len(told) == 1
    assert "conversations.create" in told[0] and "about 20 a minute per workspace" in told[0]
    assert "1 call ahead" in told[0] and "about 3 min 23 s" in told[0] and "max_rate_limit_wait" in told[0]
    clock.now += 10
    time.sleep(0.05)
    assert len(told) == 1                                          # the expectation ran down as told: no repeat
    clock.now += 55
    eventually(lambda: len(told) == 2)                             # ... but said again after a minute


def test_a_short_wait_is_not_told(lines, clock):
    line = lines.line(WORKSPACE, "chat.postMessage", "C1")
    close(line, clock, retry_after=1)
    told: list[str] = []

    queue(line, ["b"], [], told=told)
    time.sleep(0.05)

    assert told == []


def test_two_integration_servers_share_a_spent_method_without_starving_each_other(slack):
    """Two processes, each with its own lines, learn from Slack's answers alone: a burst of creations from
    both is made in full, both make progress in every minute, and each sends one call at a time while paced."""
    slack.set_rate_limits(True, time_scale=0.05)                   # Tier 2: 20 per 3 s
    servers = {name: PaceLines() for name in ("a", "b")}
    settings = SlackSettings(token=TOKEN, api_url=slack.base_url, max_rate_limit_wait=120, timeout=5)

    def create(name: str, n: int) -> str:
        transport = SlackTransport(settings, lines=servers[name])
        return transport.call("conversations.create", name=f"{name}-{n:02d}", is_private=False)["channel"]["id"]

    with ThreadPoolExecutor(20) as pool:
        made = list(pool.map(lambda job: create(*job), [(name, n) for n in range(30) for name in ("a", "b")]))

    assert len(set(made)) == 60
    created = [c.params["name"][0] for c in slack.calls_to("conversations.create") if c.http_status == 200]
    last = {name: max(i for i, server in enumerate(created) if server == name) for name in servers}
    assert abs(last["a"] - last["b"]) <= 20, f"one server finished a minute before the other: {''.join(created)}"
    refused = [c for c in slack.calls_to("conversations.create") if c.http_status == 429]
    print(f"\n{''.join(created)}: {len(refused)} refusals")
    assert len(refused) <= 60
