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
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import threading
import uuid
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
