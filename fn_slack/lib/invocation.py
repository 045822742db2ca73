"""Which function invocation is running: its idempotency key and whether SOAR's message was redelivered.

A SOAR function message that was delivered to a process that died (or lost its broker connection) before it
answered is delivered again — to this process or another — with the same STOMP ``message-id`` and the header
``redelivered: true``. The key (from the message-id) is the same for both deliveries and new for every other
run, so a post can carry it and a redelivery can find out whether the first delivery already posted — also a
post the first delivery sent just before it died, which Slack may carry out a moment later: a redelivered run
looks for it until it can no longer land (``SlackClient.post_message``, ``check_first``) before posting.

A run that has to wait (in line for a Slack method whose rate limit is spent, or for another integration
server that is creating the incident's channel) says so while it waits: ``tell(text)`` sends a status message
to SOAR at once, through the sink the function's component installs for the run (``telling``); outside a
function (a benchmark, the listener) the text is logged instead.

A run also stops writing to Slack once its message may be someone else's: when this process loses its
connection to SOAR's broker, the broker at once gives every message the process had not answered to another
connected integration server (or to this one when it reconnects). ``BrokerLink`` counts the process's
connections (the component tells it each ``Disconnected``, ``Connected`` and ``Message`` resilient-circuits
fires); ``fenced`` marks the message a run started from; ``still_holds_message`` (asked before every Slack
write) says whether the broker still has that message with this process: received on the connection the process
has now. After a loss it waits for the reconnection, and for the broker's redelivery just after it, before it
answers: the message comes back to this process when no other was connected. Outside a function run delivered
over STOMP (the listener, a benchmark, a test calling a flow) nothing is fenced and every write may go.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import threading
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

LOG = logging.getLogger(__name__)

# resilient-circuits hands a function its inputs and the message body only; the STOMP headers stay with the
# event in the frame that runs the function (resilient_circuits.decorators: ``_invoke_app_function(evt)``).
_RUNNER = "_invoke_app_function"


@dataclass(frozen=True)
class Invocation:
    """One run of a function: ``key`` identifies it across redeliveries; ``redelivered`` says it may repeat one."""

    key: str
    redelivered: bool = False

    @classmethod
    def fresh(cls) -> Invocation:
        """A run that repeats nothing (a benchmark or a direct call)."""
        return cls(key=uuid.uuid4().hex)

    @classmethod
    def from_headers(cls, headers: dict | None) -> Invocation:
        """The run a STOMP message with these headers starts (no message-id: a fresh run)."""
        headers = headers or {}
        message_id = str(headers.get("message-id") or "")
        if not message_id:
            return cls.fresh()
        return cls(key=hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:32],
                   redelivered=str(headers.get("redelivered", "")).lower() == "true")


def running_event() -> object | None:
    """resilient-circuits' event of the function running in this thread (None outside a function)."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if frame.f_code.co_name == _RUNNER and "evt" in frame.f_locals:
                return frame.f_locals["evt"]
            frame = frame.f_back
    finally:
        del frame
    return None


def current_invocation() -> Invocation:
    """The invocation of the function running in this thread, read from resilient-circuits' running event."""
    event = running_event()
    if event is None:
        return Invocation.fresh()
    return Invocation.from_headers(getattr(event, "headers", None))


_status = threading.local()


@contextmanager
def telling(sink: Callable[[str], None] | None) -> Iterator[None]:
    """While the block runs, ``tell`` in this thread sends its text to ``sink`` (a function's status messages)."""
    previous = getattr(_status, "sink", None)
    _status.sink = sink
    try:
        yield
    finally:
        _status.sink = previous


def tell(text: str) -> None:
    """Say ``text`` now, while the run is still working: a status message in SOAR when a function runs in this
    thread, else a log line."""
    sink = getattr(_status, "sink", None)
    if sink is None:
        LOG.info("%s", text)
        return
    sink(text)


# How long a run whose connection was lost waits for the process to reconnect (resilient-circuits tries again
# STOMP_RECONNECT_INITIAL_DELAY = 20 s after a drop) and hear whether the broker gives the message back to it.
RECONNECT_WAIT_SECONDS = 90.0
# After reconnecting, how long the broker may take to redeliver what it held for this process (it sends those
# messages right after the process subscribes again, within milliseconds on a working link).
REDELIVERY_GRACE_SECONDS = 5.0
# Messages received but not (yet) run by fn_slack (another app's function, a repeated ack) are kept up to this
# many; the message of a run that is going on is kept until the run ends.
MAX_RECEIVED = 10000


class BrokerLink:
    """The process's connection to SOAR's broker: which connection it has now (``generation``, one more after
    each loss), whether it is up, and on which connection each function message was last received."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.generation = 0
        self.connected_since: float | None = clock()
        self._received: OrderedDict[str, int] = OrderedDict()
        self._running: Counter[str] = Counter()
        self._cond = threading.Condition()

    def lost(self) -> None:
        """The connection ended: every message received on it may now be another process's."""
        with self._cond:
            self.generation += 1
            self.connected_since = None
            self._cond.notify_all()

    def connected(self) -> None:
        """The process is connected again (it subscribes next; the broker then redelivers what it kept)."""
        with self._cond:
            if self.connected_since is None:
                self.connected_since = self.clock()
            self._cond.notify_all()

    def received(self, message_id: str) -> None:
        """The broker delivered ``message_id`` to this process on its current connection."""
        with self._cond:
            self._received[message_id] = self.generation
            self._received.move_to_end(message_id)
            if len(self._received) > MAX_RECEIVED + len(self._running):
                for old in [m for m in self._received if m not in self._running][:-MAX_RECEIVED]:
                    del self._received[old]
            self._cond.notify_all()

    def knows(self, message_id: str) -> bool:
        """Whether ``message_id`` came to this process from the broker."""
        with self._cond:
            return message_id in self._received

    def run_started(self, message_id: str) -> None:
        """A run of ``message_id`` began: its receipt is kept until the run ends."""
        with self._cond:
            self._running[message_id] += 1

    def run_ended(self, message_id: str) -> None:
        """A run of ``message_id`` ended."""
        with self._cond:
            self._running[message_id] -= 1
            if self._running[message_id] <= 0:
                del self._running[message_id]
                self._received.pop(message_id, None)

    def holds(self, message_id: str) -> bool:
        """Whether ``message_id`` was received on the connection this process has now."""
        with self._cond:
            return self._received.get(message_id) == self.generation

    def still_holds(self, message_id: str, wait: float = RECONNECT_WAIT_SECONDS,
                    grace: float = REDELIVERY_GRACE_SECONDS) -> bool:
        """Whether the broker still has ``message_id`` with this process. After a loss, wait (at most ``wait``
        seconds) until the process has been connected again for ``grace`` seconds, or the message came back."""
        deadline = self.clock() + wait
        with self._cond:
            while True:
                if self._received.get(message_id) == self.generation:
                    return True
                now = self.clock()
                since = self.connected_since
                if now >= deadline or (since is not None and now - since >= grace):
                    return False
                until = deadline if since is None else min(deadline, since + grace)
                self._cond.wait(max(0.01, min(1.0, until - now)))


BROKER = BrokerLink()


@contextmanager
def fenced(message_id: str | None, link: BrokerLink = BROKER) -> Iterator[None]:
    """While the block runs, Slack writes in this thread go only while ``link`` still holds ``message_id`` (the
    message the function run started from). None, or a message that did not come from the broker: no fence."""
    if not message_id or not link.knows(message_id):
        yield
        return
    previous = getattr(_status, "fence", None)
    link.run_started(message_id)
    _status.fence = (link, message_id)
    try:
        yield
    finally:
        _status.fence = previous
        link.run_ended(message_id)


def still_holds_message() -> bool:
    """Whether this thread's run may still write to Slack: its message is still this process's (True outside a
    fenced run). May wait for a lost connection to come back (``BrokerLink.still_holds``)."""
    fence = getattr(_status, "fence", None)
    if fence is None:
        return True
    link, message_id = fence
    if link.holds(message_id):
        return True
    LOG.warning("The connection to SOAR's broker was lost while message %s ran; waiting to learn whether it "
                "is still this integration server's.", message_id)
    return link.still_holds(message_id)
