"""Let clients see the sandbox's exact, time-scaled Retry-After, as they see Slack's real one at full speed.

Slack's ``Retry-After`` is whole seconds. When the sandbox runs its rate-limit windows 100 times faster, a
wait of 0.3 s is sent as ``Retry-After: 0`` and the exact value in ``X-Sandbox-Retry-After-Seconds``; without
reading that header a client would either spin (fn_slack) or oversleep by up to a real second of jitter
(slack_sdk's handler). Both strategies are given the exact value, so the benchmark compares their calls.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator

from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from fn_slack.lib import retry

EXACT_HEADER = "x-sandbox-retry-after-seconds"


def exact_retry_after(response: HttpResponse | None) -> float | None:
    """The sandbox's exact wait in seconds, or None when the response does not carry it."""
    if response is None:
        return None
    for name, values in (response.headers or {}).items():
        if name.lower() == EXACT_HEADER:
            value = values[0] if isinstance(values, list | tuple) else values
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


@contextlib.contextmanager
def scaled_retry_after() -> Iterator[None]:
    """While active, fn_slack's rate-limit handler waits the sandbox's exact scaled Retry-After."""
    original = retry.retry_after_seconds

    def scaled(response: HttpResponse | None) -> float:
        exact = exact_retry_after(response)
        return original(response) if exact is None else exact

    retry.retry_after_seconds = scaled
    try:
        yield
    finally:
        retry.retry_after_seconds = original


class ScaledRateLimitHandler(RetryHandler):
    """For the baseline: retry every 429 after the exact scaled wait, with slack_sdk's kind of jitter (scaled)."""

    def __init__(self, time_scale: float) -> None:
        super().__init__(max_retry_count=1_000_000)
        self.time_scale = time_scale

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        wait = exact_retry_after(response)
        if wait is None:
            wait = 1.0 * self.time_scale
        time.sleep(wait + random.random() * 0.02 * self.time_scale)  # noqa: S311 - jitter, not security
        state.next_attempt_requested = True
        state.increment_current_attempt()
