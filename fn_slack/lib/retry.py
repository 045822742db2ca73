"""The retry policy of every Slack call: rate limits and transient failures waited out within one call's budget.

Strategy objects in slack_sdk's shape: a ``WaitBudget`` (the total wait one function call may spend), one
interval calculator (exponential backoff with a little jitter), and the three ``RetryHandler``s the WebClient
runs (HTTP 429, HTTP 200 ``rate_limited``, transient failures). A rate-limited call waits in its method's line
(``slack_pace``, through ``RefusalWaits``) rather than sleeping on its own. The file upload, which goes to
Slack's upload URL outside the WebClient, and the writes resent after a lost answer ask the same ``RetryPolicy``
for each next attempt (``RetryPolicy.retries``). The listener's own retries have their pauses here too: reconnecting
(``ReconnectBackoff``) and a click's work, which Slack does not deliver twice (``ClickRetries``).
"""

from __future__ import annotations

import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.client import HTTPException, RemoteDisconnected
from typing import Protocol
from urllib.error import URLError

from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

TRANSIENT_STATUS = (500, 502, 503, 504)
MAX_TRANSIENT_RETRIES = 4
BACKOFF_BASE_SECONDS = 0.25
JITTER_FRACTION = 0.02      # keeps many workers from retrying in the same instant
DEFAULT_RETRY_AFTER = 1.0   # seconds, when Slack gives no usable Retry-After (as Slack documents)


# Looking for a write whose answer was lost: the first look at once, then after 0.25, 0.5, 1, 2 and every 4 s
# until the write can no longer take effect (SlackWrites.post_once: ``write_settle_seconds``).
LANDING_FIRST_PAUSE = 0.25
LANDING_MAX_PAUSE = 4.0


class LandingWatch:
    """When to look again for a write that may still take effect, until its ``deadline`` (``time.monotonic``).

    The looks back off (a write is most often found at once or within a second or two) and the last one is
    made at the deadline itself, so a write that lands just before it is still seen."""

    def __init__(self, deadline: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.deadline = deadline
        self._clock = clock
        self._sleep = sleep
        self._pause = LANDING_FIRST_PAUSE
        self.looks = 0

    def look_again(self) -> bool:
        """Sleep until the next look; False once the look at the deadline has been made."""
        now = self._clock()
        if self.looks and now >= self.deadline:
            return False
        if self.looks:
            self._sleep(max(0.0, min(self._pause, self.deadline - now)))
            self._pause = min(self._pause * 2, LANDING_MAX_PAUSE)
        self.looks += 1
        return True


CONNECT_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)   # seconds between Socket Mode connection attempts


class ReconnectBackoff:
    """The pauses between attempts to open the listener's Socket Mode connection: growing to a minute, then a
    minute each, for as long as the process runs (the listener is not a function call: no wait budget)."""

    def __init__(self, pauses: tuple[float, ...] = CONNECT_BACKOFF) -> None:
        self._pauses = pauses

    def pauses(self) -> Iterator[float]:
        """Each pause in turn, the last one for ever."""
        yield from self._pauses
        while True:
            yield self._pauses[-1]


# A click's answer retried by fn_slack (Slack never delivers a click again): 6 attempts over about a minute.
CLICK_RETRY_PAUSES = (2.0, 4.0, 8.0, 16.0, 32.0)


class ClickRetries:
    """The pauses between attempts at a click's work, which Slack never delivers again: a few, growing, bounded
    (``CLICK_RETRY_PAUSES``, each with a little jitter so that many clicks do not retry in the same instant).
    Each attempt must be safe to repeat: the question's outcome claim and the note's look-before-write make it so
    (``questions.QuestionAnswers``)."""

    def __init__(self, pauses: tuple[float, ...] | None = None) -> None:
        self._pauses = pauses   # None: CLICK_RETRY_PAUSES as it is when a click's retries start
        self._jitter = ProportionalJitter()

    def pauses(self) -> Iterator[float]:
        """Each pause in turn, then no more: the caller gives up."""
        for pause in CLICK_RETRY_PAUSES if self._pauses is None else self._pauses:
            yield self._jitter.recalculate(pause)


class WaitBudget:
    """The total time one function call may spend waiting before retries and in Slack methods' lines
    (``max_rate_limit_wait``)."""

    def __init__(self, seconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
        self.total = float(seconds)
        self.spent = 0.0
        self._sleep = sleep
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds still allowed."""
        with self._lock:
            return max(0.0, self.total - self.spent)

    def spend(self, seconds: float) -> None:
        """Count ``seconds`` waited elsewhere (in a Slack method's line, ``slack_pace``)."""
        with self._lock:
            self.spent += max(0.0, seconds)

    def try_wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` if the budget still holds them; False (and no sleep) otherwise."""
        seconds = max(0.0, seconds)
        with self._lock:
            if self.spent + seconds > self.total:
                return False
            self.spent += seconds
        self._sleep(seconds)
        return True


class ProportionalJitter(Jitter):
    """Adds up to ``fraction`` of the interval at random."""

    def __init__(self, fraction: float = JITTER_FRACTION) -> None:
        self.fraction = fraction

    def recalculate(self, duration: float) -> float:
        """The interval plus its jitter."""
        return duration + duration * random.uniform(0, self.fraction)


def retry_after_seconds(response: HttpResponse | None) -> float:
    """Slack's ``Retry-After`` in seconds: 1 when absent, unreadable or 0 (a zero still means "slow down": a
    client that resends at once only meets the limit again)."""
    if response is None:
        return DEFAULT_RETRY_AFTER
    for name, values in (response.headers or {}).items():
        if name.lower() == "retry-after":
            return retry_after_value(values[0] if isinstance(values, list | tuple) else values)
    return DEFAULT_RETRY_AFTER


def retry_after_value(value: object) -> float:
    """One ``Retry-After`` header's value in seconds (1 when unreadable or 0; fractions kept)."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return seconds if seconds > 0 else DEFAULT_RETRY_AFTER


def is_transient_error(error: Exception | None) -> bool:
    """A dropped connection, reset or timeout: Slack may answer the same request a moment later. A TLS
    certificate that does not verify is not: it fails the same way every time."""
    if error is None:
        return False
    reason = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, ssl.SSLCertVerificationError | ssl.CertificateError):
        return False
    if isinstance(error, URLError) and not isinstance(error.reason, OSError | str):
        return False
    return isinstance(error, URLError | ConnectionError | RemoteDisconnected | HTTPException | TimeoutError)


class RetryPolicy:
    """One call's retry policy: its wait budget, the backoff between transient retries and how many to make.

    ``writes`` are the methods that change something in Slack: a transient failure of one of them may have
    taken effect, so the WebClient never resends them by itself (the caller finds out first, then resends)."""

    def __init__(self, budget: WaitBudget, max_transient_retries: int = MAX_TRANSIENT_RETRIES,
                 backoff: BackoffRetryIntervalCalculator | None = None, writes: frozenset[str] = frozenset()) -> None:
        self.budget = budget
        self.max_transient_retries = max_transient_retries
        self.backoff = backoff or BackoffRetryIntervalCalculator(BACKOFF_BASE_SECONDS, ProportionalJitter())
        self.writes = writes

    def wait_before_retry(self, attempt: int) -> bool:
        """Sleep before transient retry number ``attempt`` (0-based); False when no retry is left or allowed."""
        if attempt >= self.max_transient_retries:
            return False
        return self.budget.try_wait(self.backoff.calculate_sleep_duration(attempt))

    def retries(self) -> Retries:
        """A fresh series of transient retries of one request under this policy."""
        return Retries(self)

    def handlers(self, lines: RefusalWaits | None = None) -> list[RetryHandler]:
        """The WebClient's retry handlers under this policy; with ``lines``, a rate-limited call waits out its
        refusal in its method's line (``slack_pace``) instead of sleeping on its own."""
        return [BudgetedRateLimitHandler(self.budget, lines), RateLimitedAnswerHandler(self.budget, lines),
                BudgetedTransientErrorHandler(self)]


class RefusalWaits(Protocol):
    """Where a rate-limited call waits before it is sent again (the transport's line of the call's method)."""

    def wait_after_refusal(self, seconds: float) -> bool:
        """Wait ``seconds`` of Slack's Retry-After and for the call's turn; False when the ceiling forbids it."""


class Retries:
    """The transient retries of one request outside slack_sdk's loop (the upload's bytes, a write resent after
    its lost answer was looked for): each ``next()`` asks the policy for the next backoff."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.made = 0

    def next(self) -> bool:
        """Sleep before the next attempt; False when the policy allows no more (the caller gives up)."""
        if not self.policy.wait_before_retry(self.made):
            return False
        self.made += 1
        return True


def wait_out(budget: WaitBudget, lines: RefusalWaits | None, seconds: float) -> bool:
    """Wait ``seconds`` after a rate limit: in the method's line when there is one, else a sleep on the budget."""
    if lines is not None:
        return lines.wait_after_refusal(seconds)
    return budget.try_wait(seconds)


class BudgetedRateLimitHandler(RetryHandler):
    """Retries HTTP 429 after ``Retry-After`` (in the method's line, with ``lines``) as long as the budget allows."""

    def __init__(self, budget: WaitBudget, lines: RefusalWaits | None = None) -> None:
        super().__init__(max_retry_count=10_000)
        self.budget = budget
        self.lines = lines
        self.waited_out = 0

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        """Wait out ``Retry-After`` (plus jitter) if the budget holds it; else let slack_sdk raise the 429."""
        wait = ProportionalJitter().recalculate(retry_after_seconds(response))
        if not wait_out(self.budget, self.lines, wait):
            state.next_attempt_requested = False
            return
        self.waited_out += 1
        state.next_attempt_requested = True
        state.increment_current_attempt()


RATE_LIMITED_CODES = ("ratelimited", "rate_limited")
MAX_RATE_LIMITED_DOUBLINGS = 4   # HTTP 200 rate_limited: 1, 2, 4, 8, then every 16 s while the budget lasts


def is_rate_limited_answer(response: HttpResponse | None) -> bool:
    """Whether Slack answered HTTP 200 with ``{"ok": false, "error": "rate_limited"}`` (chat.postMessage's own
    per-channel limit; "ratelimited" on some methods): the request was refused, nothing was done."""
    if response is None or response.status_code != 200 or not isinstance(response.body, dict):
        return False
    return response.body.get("ok") is False and response.body.get("error") in RATE_LIMITED_CODES


class RateLimitedAnswerHandler(RetryHandler):
    """Retries an HTTP 200 ``rate_limited`` answer within the call's budget. Slack sends no Retry-After with it,
    so the wait starts at Slack's documented default of one second and doubles. Safe for writes too: Slack
    refused the request, so sending it again cannot double it."""

    def __init__(self, budget: WaitBudget, lines: RefusalWaits | None = None) -> None:
        super().__init__(max_retry_count=10_000)
        self.budget = budget
        self.lines = lines

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return is_rate_limited_answer(response)

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        """Sleep out the doubling wait if the budget holds it; else let the refusal through (RateLimitedError)."""
        wait = DEFAULT_RETRY_AFTER * 2 ** min(state.current_attempt, MAX_RATE_LIMITED_DOUBLINGS)
        if not wait_out(self.budget, self.lines, wait):
            state.next_attempt_requested = False
            return
        state.next_attempt_requested = True
        state.increment_current_attempt()


class BudgetedTransientErrorHandler(RetryHandler):
    """Retries Slack 5xx answers and dropped connections with the policy's backoff, within the budget."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__(max_retry_count=policy.max_transient_retries, interval_calculator=policy.backoff)
        self.policy = policy

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if request.url.rstrip("/").rsplit("/", 1)[-1] in self.policy.writes:
            return False
        if response is not None:
            return response.status_code in TRANSIENT_STATUS
        return is_transient_error(error)

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        """Back off before the next attempt, or stop when the budget cannot hold the wait."""
        if not self.policy.wait_before_retry(state.current_attempt):
            state.next_attempt_requested = False
            return
        state.next_attempt_requested = True
        state.increment_current_attempt()
