"""Slack's per-method rate-limit tiers over a time-scaled sliding window, and scripted faults."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

TIER_2, TIER_3, TIER_4, SPECIAL_HIGH = 20, 50, 100, 600
# Tier 1 is "1+ per minute" with "a small amount of burst behavior" tolerated (Slack's rate limits guide); the
# burst has no published number, so the sandbox allows 3 in the window.
TIER_1_WITH_BURST = 3
# Each method's tier as its method page states it.
METHOD_LIMITS: dict[str, int] = {
    "apps.connections.open": TIER_1_WITH_BURST,
    "conversations.create": TIER_2, "conversations.archive": TIER_2, "conversations.unarchive": TIER_2,
    "conversations.list": TIER_2, "users.list": TIER_2, "conversations.setTopic": TIER_2,
    "conversations.setPurpose": TIER_2, "conversations.rename": TIER_2,
    "pins.add": TIER_2, "pins.remove": TIER_2, "pins.list": TIER_2,
    "bookmarks.add": TIER_2, "bookmarks.edit": TIER_2, "bookmarks.remove": TIER_2, "bookmarks.list": TIER_3,
    "conversations.invite": TIER_3, "conversations.info": TIER_3, "conversations.join": TIER_3,
    "conversations.history": TIER_3, "conversations.replies": TIER_3, "users.lookupByEmail": TIER_3,
    "conversations.open": TIER_3, "chat.update": TIER_3, "chat.delete": TIER_3,
    "users.info": TIER_4, "conversations.members": TIER_4, "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4, "views.open": TIER_4, "files.info": TIER_4, "chat.postEphemeral": TIER_4,
    "chat.getPermalink": SPECIAL_HIGH, "auth.test": SPECIAL_HIGH, "chat.postMessage": SPECIAL_HIGH,
}
# chat.postMessage: about one message per second per channel, with a short burst allowed.
POST_PER_CHANNEL_BURST = 5
POST_PER_CHANNEL_INTERVAL = 1.0
NON_MARKETPLACE_METHODS = ("conversations.history", "conversations.replies")
NON_MARKETPLACE_PAGE = 15
FAULT_KINDS = ("http_status", "drop", "ratelimit", "slack_error", "delay", "after_commit")
# What an after_commit fault does once the call has taken effect.
AFTER_COMMIT = ("http_status", "drop", "timeout", "late")
FAULT_BODIES = ("json", "html")
POST_LIMIT_ANSWERS = ("http_429", "ok_false")


def retry_after_header(wait: float, time_scale: float, fractions: bool = True) -> str:
    """Retry-After: whole seconds, at least 1, at real speed (as Slack sends it). Below real speed the scaled
    wait, rounded up to the millisecond (``fractions``), so that a scaled run waits as long, in proportion, as
    a client of Slack does; without ``fractions``, whole seconds rounded down (possibly 0), for clients that
    read only whole seconds (slack_sdk's built-in RateLimitErrorRetryHandler)."""
    if time_scale >= 1:
        return str(max(1, math.ceil(wait)))
    if fractions:
        return f"{max(0.001, math.ceil(wait * 1000) / 1000):.3f}"
    return str(int(wait))


class RateLimiter:
    """Sliding-window counters per (method, token) and a token bucket per (token, channel) for posting."""

    def __init__(self, enabled: bool = False, time_scale: float = 1.0) -> None:
        self.enabled = enabled
        self.time_scale = time_scale
        self.post_limit_answer = "http_429"
        self.fractions = True
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def configure(self, enabled: bool, time_scale: float, post_limit_answer: str = "http_429",
                  fractions: bool = True) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if post_limit_answer not in POST_LIMIT_ANSWERS:
            raise ValueError(f"post_limit_answer must be one of {POST_LIMIT_ANSWERS}")
        with self._lock:
            self.enabled = enabled
            self.time_scale = time_scale
            self.post_limit_answer = post_limit_answer
            self.fractions = fractions
            self._windows.clear()
            self._buckets.clear()

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
            self._buckets.clear()

    def _window(self, key: tuple[str, str], limit: int, window: float, now: float) -> float | None:
        """Count one request; return the wait in seconds if it is over `limit` per `window`."""
        hits = self._windows.setdefault(key, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return max(hits[0] + window - now, 0.0)
        hits.append(now)
        return None

    def check(self, method: str, token: str, *, channel: str | None = None,
              non_marketplace: bool = False) -> float | None:
        """Return None when the call may go ahead, else the scaled wait in seconds before retrying."""
        return self.decide(method, token, channel=channel, non_marketplace=non_marketplace)[0]

    def decide(self, method: str, token: str, *, channel: str | None = None,
               non_marketplace: bool = False) -> tuple[float | None, bool]:
        """(wait or None, whether the refusal is chat.postMessage's per-channel pace)."""
        now = time.monotonic()
        window = 60.0 * self.time_scale
        with self._lock:
            if non_marketplace and method in NON_MARKETPLACE_METHODS:
                wait = self._window(("nm:" + method, token), 1, window, now)
                if wait is not None:
                    return wait, False
            if not self.enabled:
                return None, False
            limit = METHOD_LIMITS.get(method)
            if limit is None:
                return None, False
            if method == "chat.postMessage" and channel:
                wait = self._bucket((token, channel), now)
                if wait is not None:
                    return wait, True
            return self._window((method, token), limit, window, now), False

    def _bucket(self, key: tuple[str, str], now: float) -> float | None:
        interval = POST_PER_CHANNEL_INTERVAL * self.time_scale
        tokens, last = self._buckets.get(key, (float(POST_PER_CHANNEL_BURST), now))
        tokens = min(float(POST_PER_CHANNEL_BURST), tokens + (now - last) / interval)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) * interval
        self._buckets[key] = (tokens - 1.0, now)
        return None


@dataclass
class Fault:
    method: str
    kind: str
    times: int
    status: int
    error: str | None
    retry_after: float
    delay: float
    then: str = "http_status"
    body: str = "json"
    on_fire: Callable[[], None] | None = None   # a test's hook, run when the fault fires (as the request arrives)


class Faults:
    """Scripted failures: each added fault fires for matching calls, in order, until its times are used up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, method: str, kind: str, *, times: int = 1, status: int = 500, error: str | None = None,
            retry_after: float = 1, delay: float = 0, then: str = "http_status", body: str = "json",
            on_fire: Callable[[], None] | None = None) -> None:
        """Script `times` failures of `kind` for `method` ("*" = every method, "upload" = the upload URL).

        ``after_commit`` lets the call take effect, then does ``then``: answer ``status`` (``http_status``),
        close the connection (``drop``) or answer normally only after ``delay`` seconds (``timeout``: longer
        than the client waits) — or ``late``: hold the request and let it take effect only after ``delay``
        seconds, when a client with a shorter timeout has given up (its answer then goes nowhere).
        ``body="html"`` makes ``http_status`` answers an HTML page, as an edge proxy sends. ``on_fire`` runs
        when the fault fires — for a ``delay`` or an ``after_commit``, as the request arrives — so a test can
        act while the call is in flight."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if then not in AFTER_COMMIT:
            raise ValueError(f"then must be one of {AFTER_COMMIT}")
        if body not in FAULT_BODIES:
            raise ValueError(f"body must be one of {FAULT_BODIES}")
        if kind == "after_commit" and then in ("timeout", "late") and delay <= 0:
            raise ValueError(f"an after_commit {then} needs a delay longer than the client's timeout")
        with self._lock:
            self._faults.append(Fault(method, kind, times, status, error, retry_after, delay, then, body, on_fire))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str) -> Fault | None:
        """The next fault for this call, consuming one of its uses."""
        with self._lock:
            for fault in self._faults:
                if fault.method in ("*", method):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)
