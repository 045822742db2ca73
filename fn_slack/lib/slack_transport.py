"""How one function call's requests travel to Slack's Web API and how their failures come back.

One slack_sdk WebClient with the call's retry policy (``retry.py``: 429, HTTP 200 ``rate_limited`` and
transient failures waited out within one budget), TLS and proxy settings, a client that never follows a
redirect, cursor paging, and the translation of whatever slack_sdk raises into fn_slack's errors: a Slack
refusal becomes ``SlackError`` (Slack's code and response kept), no usable answer ``SlackUnreachableError``.
Every request (each page of a paged read too) first takes its turn in its method's line (``slack_pace``):
straight through while Slack has not rate-limited the method, in order once it has.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from typing import Any
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from fn_slack.lib import messages
from fn_slack.lib.errors import RateLimitedError, SlackError, SlackUnreachableError
from fn_slack.lib.retry import RATE_LIMITED_CODES, RetryPolicy, WaitBudget
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_pace import LINES, PaceLines, Turn

# slack_sdk logs whole requests and responses (user profiles, e-mails) when its logger's own level is DEBUG;
# fn_slack's client logger stays at INFO whatever the app's log level, so debug logs hold no workspace data.
SDK_LOG = logging.getLogger("fn_slack.slack_sdk")
SDK_LOG.setLevel(logging.INFO)

# Methods that change something in Slack. A timeout, dropped connection or 5xx after one of them may mean it
# took effect: fn_slack finds out before it sends one again (Slack's method pages: "it's possible some aspect
# of the operation succeeded"). chat.postEphemeral is one too, and the one that cannot be looked for (an
# ephemeral message is in no history): after a lost answer it is not sent again, so a person is told at most once.
WRITE_METHODS = frozenset({"chat.postMessage", "conversations.create", "conversations.invite", "conversations.setTopic",
                           "bookmarks.add",
                           "files.completeUploadExternal", "conversations.archive", "chat.postEphemeral",
                           "views.open"})
SLACK_ERROR_CODE = re.compile(r"[a-z0-9_.]+")   # Slack's own error codes ("internal_error", "fatal_error")

FnSlackErrorType = SlackError | SlackUnreachableError


class SlackTransport:
    """One function call's connection to the Web API. It owns that call's wait budget and retry policy."""

    def __init__(self, settings: SlackSettings, budget: WaitBudget | None = None, lines: PaceLines = LINES) -> None:
        self.settings = settings
        self.budget = budget or WaitBudget(settings.max_rate_limit_wait)
        self.retry = RetryPolicy(self.budget, writes=WRITE_METHODS)
        self.ssl = settings.ssl_context()
        self.lines = lines
        self.workspace = (settings.api_url, hash(settings.token))
        self._turns = threading.local()   # the turn of the request this thread has in Slack
        self.client = TokenKeepingWebClient(token=settings.token, base_url=settings.api_url,
                                            timeout=settings.timeout, ssl=self.ssl, proxy=settings.proxy,
                                            logger=SDK_LOG, retry_handlers=self.retry.handlers(self))
        self.calls = 0

    @contextmanager
    def turn_in_line(self, method: str, channel: str | None = None) -> Iterator[Turn]:
        """Take this request's turn in the line of ``method`` (and ``channel``, for a method Slack paces per
        channel) for as long as the block runs; refused at once (``RateLimitedError``, nothing sent) when the
        wait would pass ``max_rate_limit_wait``."""
        turn = self.lines.line(self.workspace, method, channel).turn(self.budget)
        if turn.refusal is not None:
            raise RateLimitedError(turn.refusal, code="ratelimited", method=method)
        outer = getattr(self._turns, "turn", None)
        self._turns.turn = turn
        try:
            yield turn
        finally:
            self._turns.turn = outer
            turn.answered()

    def wait_after_refusal(self, seconds: float) -> bool:
        """Slack rate-limited the request this thread has in Slack: wait ``seconds`` and its turn in its line."""
        turn = getattr(self._turns, "turn", None)
        if turn is None:
            return self.budget.try_wait(seconds)
        return turn.refused(seconds)

    @contextmanager
    def answers_of(self, method: str, turn: Turn | None = None) -> Iterator[None]:
        """Turn what slack_sdk raises for ``method`` into fn_slack's errors (a rate limit the request's ``turn``
        could not wait out: its refusal's text)."""
        try:
            yield
        except SlackApiError as err:
            raise self._translate(method, err, turn) from None
        except (URLError, OSError, SlackClientError) as err:
            reason = getattr(err, "reason", None) or err
            raise SlackUnreachableError(messages.slack_not_reached(self.settings.api_url, method, reason),
                                        method=method, in_flight=not _never_sent(reason)) from None

    def call(self, method: str, *, http_verb: str = "POST", json: dict | None = None,
             **params: object) -> SlackResponse:
        """Call a Web API method. slack_sdk's retry handlers apply the policy: 429s and HTTP 200 ``rate_limited``
        are waited out within the call's budget, transient failures retried for reads only."""
        params = {k: v for k, v in params.items() if v is not None}
        channel = params.get("channel") or (json or {}).get("channel") or (json or {}).get("channel_id")
        with self.turn_in_line(method, str(channel or "")) as turn:
            self.calls += 1
            with self.answers_of(method, turn):
                if json is not None:
                    return self.client.api_call(method, http_verb="POST", json=json)
                return self.client.api_call(method, http_verb=http_verb, params=params)

    def pages(self, method: str, first: SlackResponse) -> Iterator[SlackResponse]:
        """``first`` and every later page of a cursor-paged read, fetched by slack_sdk's response iteration."""
        pages = iter(first)
        fetched = 0
        while True:
            # The first page is ``first`` itself; each later one is a request, which takes its turn in line.
            with (self.turn_in_line(method) if fetched else nullcontext()) as turn, self.answers_of(method, turn):
                page = next(pages, None)
            if page is None:
                return
            self.calls += 1 if fetched else 0   # the first page was counted by call()
            fetched += 1
            yield page

    def _translate(self, method: str, err: SlackApiError, turn: Turn | None) -> FnSlackErrorType:
        response = err.response
        status = getattr(response, "status_code", None)
        data = response.data if isinstance(getattr(response, "data", None), dict) else {}
        code = data.get("error") or ""
        if status == 429 or code in RATE_LIMITED_CODES:
            text = (turn.refusal if turn is not None else None) or \
                messages.rate_limit_budget_spent(method, self.settings.max_rate_limit_wait)
            return RateLimitedError(text, code="ratelimited", response=response, method=method)
        if status and 300 <= status < 400:
            return SlackUnreachableError(messages.slack_redirected(method, status, self.settings.api_url),
                                         method=method, status=status, in_flight=False)
        if (status or 0) >= 500 or (not code and status != 200):
            # Slack's own JSON error ends its work on the request; a proxy's page or no code does not say so.
            return SlackUnreachableError(messages.slack_failed_to_answer(method, status), method=method, status=status,
                                         in_flight=not SLACK_ERROR_CODE.fullmatch(code))
        return SlackError(messages.slack_refused(method, code, data.get("needed")), code=code, response=response,
                          method=method)


def _never_sent(reason: object) -> bool:
    """Whether a transport failure happened before the request could reach Slack (refused connection, a name
    that does not resolve, a certificate that does not verify)."""
    return isinstance(reason, ConnectionRefusedError | socket.gaierror | ssl.SSLCertVerificationError |
                      ssl.CertificateError)


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the HTTP error it is, never followed."""

    def redirect_request(self, req: urllib.request.Request, fp: object, code: int, msg: str, headers: object,  # noqa: PLR0917
                         newurl: str) -> None:
        """Refuse: raise the 3xx as an HTTPError."""
        raise HTTPError(req.full_url, code, f"redirect to another address refused: {msg}", headers, fp)


class TokenKeepingWebClient(WebClient):
    """slack_sdk's WebClient that never follows a redirect.

    urllib follows a redirect with every header of the first request, so a slack_api_url that redirects (a
    misconfigured proxy, a hostile or hijacked endpoint) would receive the token at the new address too. Here
    a 3xx is an answer like any other: fn_slack reports it and sends nothing on (Slack itself never
    redirects its Web API).

    Why a private method is overridden: slack_sdk (3.x) builds its urllib opener inside
    ``_perform_urllib_http_request_internal`` and offers no public hook for the opener's handlers (``proxy``
    and ``ssl`` are its only knobs, and a redirect handler is not one of them). Replacing that one method keeps
    slack_sdk's public request, retry-handler and response code in use; ``tests/unit/test_token_redirect.py``
    fails if a slack_sdk release stops calling it (the token would then reach a redirect's target)."""

    def _perform_urllib_http_request_internal(self, url: str, req: urllib.request.Request) -> dict[str, Any]:
        if not url.lower().startswith(("https://", "http://")):
            raise SlackClientError(f"Only http(s) URLs are called: {url.split(':', 1)[0]}")
        # The URL is slack_api_url plus a method name: http(s) only, checked above.
        resp = slack_opener(self.ssl, self.proxy).open(req, timeout=self.timeout)
        charset = resp.headers.get_content_charset() or "utf-8"
        return {"status": resp.code, "headers": resp.headers, "body": resp.read().decode(charset)}


@lru_cache(maxsize=16)
def slack_opener(context: ssl.SSLContext | None, proxy: str | None) -> urllib.request.OpenerDirector:
    """The urllib opener of every Web API request with this TLS context and proxy, made once per process.

    ``build_opener`` inspects every method of its dozen handlers (about a millisecond of CPU: an eighth of a
    linked post's in a profile of scenario 5), and each Slack call made one. An opener keeps nothing between
    requests (each opens its own connection), so every thread shares it, as urllib's own ``urlopen`` does. The
    environment's proxy variables (used when no proxy is configured) are read when the first request is made."""
    handlers: list[urllib.request.BaseHandler] = [RefuseRedirects(), urllib.request.HTTPSHandler(context=context)]
    if proxy:
        handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
    return urllib.request.build_opener(*handlers)
