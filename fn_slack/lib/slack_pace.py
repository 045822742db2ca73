"""A fair line per rate-limited Slack method, shared by every function call of this process.

Slack counts most methods per workspace and minute (its "tiers"; chat.postMessage about one message a second
per channel) and answers a call over the limit with HTTP 429 and ``Retry-After`` (chat.postMessage may answer
HTTP 200 ``rate_limited`` instead). Without a line, every waiting call sleeps its own Retry-After, all retry in
the same instant, most are refused again, and the last ones run out of their wait. Here:

- While no 429 was seen for a key (workspace, method, and the channel for per-channel methods), calls pass
  straight through: a dict lookup and a lock.
- A 429 for the key closes its line until Retry-After; every call of the key then takes a ticket and is let in
  in the order it came, one in Slack at a time. A refused call keeps its place at the head and waits out the new
  Retry-After; the line opens again once a call is answered and nobody waits.
- Several integration servers need no shared state: each learns from Slack's own answers, and each lets at most
  one call of a paced key into Slack at a time, so none starves the others.
- One ceiling bounds a call's whole wait (in line and Retry-After): ``[fn_slack] max_rate_limit_wait``. A call
  whose expected wait (its place times the method's interval, plus what remains of Retry-After) is already
  beyond what it has left is refused at once, before anything is sent, naming the method, the wait and the
  setting.
- A call that will wait more than a few seconds says so (``invocation.tell``): the method, Slack's limit, its
  place and expected wait, and the ceiling; again when the expectation changes much, or every minute.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable

from fn_slack.lib import messages
from fn_slack.lib.invocation import tell
from fn_slack.lib.retry import WaitBudget
from fn_slack.lib.slack_memory import Workspace

# Calls a minute Slack allows per workspace, from each method's page on api.slack.com/methods ("Rate limits").
TIER_2, TIER_3, TIER_4 = 20, 50, 100
SPECIAL = 100   # "Special" methods (auth.test, chat.getPermalink): no lower published number
METHOD_PER_MINUTE: dict[str, int] = {
    "conversations.create": TIER_2, "conversations.list": TIER_2, "conversations.archive": TIER_2,
    "conversations.setTopic": TIER_2, "conversations.rename": TIER_2, "users.list": TIER_2,
    "conversations.invite": TIER_3, "conversations.info": TIER_3, "conversations.join": TIER_3,
    "conversations.history": TIER_3, "conversations.replies": TIER_3, "conversations.open": TIER_3,
    "users.lookupByEmail": TIER_3, "chat.update": TIER_3,
    "users.info": TIER_4, "conversations.members": TIER_4, "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4, "files.info": TIER_4, "chat.postEphemeral": TIER_4,
    "files.upload": TIER_4,
    "auth.test": SPECIAL, "chat.getPermalink": SPECIAL,
    "chat.postMessage": 60,   # chat.postMessage's page: about one message a second per channel
}
DEFAULT_PER_MINUTE = TIER_3
# Methods Slack paces per channel: each channel has its own line, so one channel's pace holds no other's posts.
PER_CHANNEL = frozenset({"chat.postMessage"})

LINES_KEPT = 1000            # lines kept at most (one per channel posted to); idle ones are forgotten first
TELL_AFTER_SECONDS = 5.0     # a shorter expected wait is not worth a status message
TELL_EVERY_SECONDS = 60.0    # said again at least this often while the call waits
TELL_CHANGE = 0.5            # ... or when the expected wait changed by this fraction


def per_minute(method: str) -> int:
    """How many calls of ``method`` Slack allows a minute (per workspace; per channel for PER_CHANNEL)."""
    return METHOD_PER_MINUTE.get(method, DEFAULT_PER_MINUTE)


class Line:
    """The line of one key: closed until Retry-After after a 429, then one call in Slack at a time, in order.

    ``clock`` is ``time.monotonic``; ``nap`` caps each blocking wait (a test's fake clock is read again after
    it), None in production."""

    def __init__(self, method: str, *, per_channel: bool = False, clock: Callable[[], float] = time.monotonic,
                 nap: float | None = None) -> None:
        self.method = method
        self.per_channel = per_channel
        self.interval = 60.0 / per_minute(method)
        self.paced = False
        self.closed_until = 0.0
        self.in_flight = 0
        self.waiting: list[int] = []   # tickets in line, oldest first
        self._tickets = 0
        self._clock = clock
        self._nap = nap
        self._cond = threading.Condition()

    def turn(self, budget: WaitBudget) -> Turn:
        """A new caller's turn; it waits in line first when the line is paced (or refuses, see ``Turn``)."""
        with self._cond:
            self._tickets += 1
            ticket = self._tickets
            if not self.paced:
                self.in_flight += 1
                return Turn(self, ticket, budget, in_flight=True)
            bisect.insort(self.waiting, ticket)
        turn = Turn(self, ticket, budget, in_flight=False)
        turn.wait_for_turn()
        return turn

    def expected_wait(self, ticket: int, now: float) -> float:
        """What remains of Retry-After plus one interval for each call ahead (in line or in Slack)."""
        return max(0.0, self.closed_until - now) + self.place(ticket) * self.interval

    def place(self, ticket: int) -> int:
        """How many calls are ahead of ``ticket`` in this process (in line or in Slack)."""
        return bisect.bisect_left(self.waiting, ticket) + self.in_flight


class Turn:
    """One call's place in a line. In Slack (``in_flight``) or waiting; ``refusal`` is the error text when the
    wait would pass the call's ceiling (the call then leaves the line and sends nothing more)."""

    def __init__(self, line: Line, ticket: int, budget: WaitBudget, *, in_flight: bool) -> None:
        self.line = line
        self.ticket = ticket
        self.budget = budget
        self.in_flight = in_flight
        self.refusal: str | None = None
        self._told: tuple[float, float] | None = None   # (when, expected wait) of the last status message

    def wait_for_turn(self) -> bool:
        """Wait until this call is the line's head, nothing of the line is in Slack and Retry-After has passed;
        False (and out of the line, ``refusal`` set) when the expected wait is beyond what the call has left."""
        line = self.line
        started = line._clock()
        while True:
            text = None
            with line._cond:
                now = line._clock()
                waited = now - started
                left = self.budget.remaining() - waited
                if line.waiting[0] == self.ticket and not line.in_flight and now >= line.closed_until:
                    line.waiting.pop(0)
                    line.in_flight += 1
                    self.in_flight = True
                    self.budget.spend(waited)
                    return True
                expected = line.expected_wait(self.ticket, now)
                if expected > left:
                    line.waiting.remove(self.ticket)
                    line._cond.notify_all()
                    self.budget.spend(waited)
                    self.refusal = messages.rate_limit_wait_beyond_ceiling(line.method, expected, self.budget.total)
                    return False
                text = self._status(now, expected, line.place(self.ticket))
                if text is None:
                    timeout = min(left, line.closed_until - now if line.closed_until > now else left,
                                  TELL_EVERY_SECONDS)
                    line._cond.wait(timeout if line._nap is None else min(timeout, line._nap))
                    continue
            tell(text)

    def _status(self, now: float, expected: float, place: int) -> str | None:
        """The status message to send now, if any (a long wait, changed or a minute old)."""
        if expected < TELL_AFTER_SECONDS:
            return None
        if self._told is not None:
            when, said = self._told
            if now - when < TELL_EVERY_SECONDS and abs(expected - (said - (now - when))) < TELL_CHANGE * said:
                return None
        self._told = (now, expected)
        return messages.waiting_in_line(self.line.method, per_minute(self.line.method), self.line.per_channel,
                                        place, expected, self.budget.total)

    def refused(self, retry_after: float) -> bool:
        """Slack refused this call (429 or ``rate_limited``): close the line for ``retry_after`` seconds, keep
        this call at the head and wait for its turn again. False when the wait would pass the ceiling."""
        line = self.line
        with line._cond:
            if self.in_flight:
                line.in_flight -= 1
                self.in_flight = False
            line.paced = True
            line.closed_until = max(line.closed_until, line._clock() + retry_after)
            bisect.insort(line.waiting, self.ticket)
            line._cond.notify_all()
        return self.wait_for_turn()

    def answered(self) -> None:
        """Slack answered this call (anything but a rate limit): the next in line may go; with nobody waiting
        the line opens again."""
        line = self.line
        with line._cond:
            if not self.in_flight:
                return
            line.in_flight -= 1
            self.in_flight = False
            if not line.waiting:
                line.paced = False
            line._cond.notify_all()


class PaceLines:
    """Every line of this process, one per (workspace, method, channel of a per-channel method)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, nap: float | None = None) -> None:
        self._clock = clock
        self._nap = nap
        self._lock = threading.Lock()
        self._lines: dict[tuple[Workspace, str, str], Line] = {}

    def line(self, workspace: Workspace, method: str, channel: str | None = None) -> Line:
        """The line of ``method`` in ``workspace`` (and ``channel``, for a per-channel method)."""
        per_channel = method in PER_CHANNEL
        key = (workspace, method, (channel or "") if per_channel else "")
        with self._lock:
            line = self._lines.get(key)
            if line is None:
                if len(self._lines) >= LINES_KEPT:
                    self._forget_idle()
                line = self._lines[key] = Line(method, per_channel=per_channel, clock=self._clock, nap=self._nap)
            return line

    def _forget_idle(self) -> None:
        """Forget the lines nobody is in and that are not paced (a new call of theirs starts a fresh one)."""
        for key in [k for k, line in self._lines.items()
                    if not line.paced and not line.in_flight and not line.waiting]:
            del self._lines[key]

    def clear(self) -> None:
        """Forget every line (a freshly started app)."""
        with self._lock:
            self._lines.clear()


# The lines of this process, shared by all its function calls.
LINES = PaceLines()
