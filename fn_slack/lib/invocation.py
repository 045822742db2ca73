"""Which function invocation is running: its idempotency key and whether SOAR's message was redelivered.

A SOAR function message that was delivered to a process that died (or lost its broker connection) before it
answered is delivered again — to this process or another — with the same STOMP ``message-id`` and the header
``redelivered: true``. The key (from the message-id) is the same for both deliveries and new for every other
run, so a post can carry it and a redelivery can find out whether the first delivery already posted — also a
post the first delivery sent just before it died, which Slack may carry out a moment later: a redelivered run
looks for it until it can no longer land (``SlackClient.post_message``, ``check_first``) before posting.
"""

from __future__ import annotations

import hashlib
import inspect
import uuid
from dataclasses import dataclass

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


def current_invocation() -> Invocation:
    """The invocation of the function running in this thread, read from resilient-circuits' running event."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            if frame.f_code.co_name == _RUNNER and "evt" in frame.f_locals:
                event = frame.f_locals["evt"]
                return Invocation.from_headers(getattr(event, "headers", None))
            frame = frame.f_back
    finally:
        del frame
    return Invocation.fresh()
