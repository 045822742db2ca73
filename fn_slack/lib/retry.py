"""slack_sdk retry handlers that wait out rate limits and transient failures within one call's time budget."""

from __future__ import annotations

import random
import threading
import time
from http.client import HTTPException, RemoteDisconnected
from urllib.error import URLError

from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

TRANSIENT_STATUS = (500, 502, 503, 504)
MAX_TRANSIENT_RETRIES = 4


class WaitBudget:
    """The total time one function call may spend sleeping before retries (``max_rate_limit_wait``)."""

    def __init__(self, seconds: float, sleep=time.sleep):
        self.total = float(seconds)
        self.spent = 0.0
        self._sleep = sleep
        self._lock = threading.Lock()

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self.total - self.spent)

    def try_wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` if the budget still holds them; False (and no sleep) otherwise."""
        seconds = max(0.0, seconds)
        with self._lock:
            if self.spent + seconds > self.total:
                return False
            self.spent += seconds
        self._sleep(seconds)
        return True


def retry_after_seconds(response: HttpResponse | None) -> float:
    """Slack's ``Retry-After`` in seconds (1 when absent or unreadable, as Slack documents)."""
    if response is None:
        return 1.0
    for name, values in (response.headers or {}).items():
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list | tuple) else values
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return 1.0
    return 1.0


class BudgetedRateLimitHandler(RetryHandler):
    """Retries HTTP 429 after ``Retry-After`` for as long as the call's budget allows."""

    def __init__(self, budget: WaitBudget):
        super().__init__(max_retry_count=10_000)
        self.budget = budget
        self.waited_out = 0

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        wait = retry_after_seconds(response)
        # A little jitter keeps many workers from retrying in the same instant.
        wait += wait * random.uniform(0, 0.02)
        if not self.budget.try_wait(wait):
            # Out of budget: let slack_sdk raise the 429 as it is; the caller names the cap.
            state.next_attempt_requested = False
            return
        self.waited_out += 1
        state.next_attempt_requested = True
        state.increment_current_attempt()


class BudgetedTransientErrorHandler(RetryHandler):
    """Retries Slack 5xx answers and dropped connections with exponential backoff, within the budget."""

    def __init__(self, budget: WaitBudget, max_retries: int = MAX_TRANSIENT_RETRIES, base_delay: float = 0.25):
        super().__init__(max_retry_count=max_retries)
        self.budget = budget
        self.base_delay = base_delay

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if response is not None:
            return response.status_code in TRANSIENT_STATUS
        if error is None:
            return False
        if isinstance(error, URLError) and not isinstance(error.reason, OSError | str):
            return False
        return isinstance(error, URLError | ConnectionError | RemoteDisconnected | HTTPException | TimeoutError)

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        delay = self.base_delay * (2 ** state.current_attempt)
        if not self.budget.try_wait(delay):
            state.next_attempt_requested = False
            return
        state.next_attempt_requested = True
        state.increment_current_attempt()
