"""The SOAR REST edge: the client's connection pool, how a failed call becomes an fn_slack error (one
translation for every table, incident, note and file call), and POSTs made once (``post_once``)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from requests import ConnectionError as RequestsConnectionError
from resilient import BasicHTTPException, SimpleHTTPException
from resilient.co3base import RetryHTTPException

from fn_slack.lib import messages
from fn_slack.lib.errors import FnSlackError, SoarError

T = TypeVar("T")
LOG = logging.getLogger(__name__)

# resilient's client keeps 10 HTTPS connections to SOAR; resilient-circuits shares one client between all its
# workers (num_workers, often 25), so calls beyond ten opened a new TLS connection each time — loading the CA
# store and handshaking again (most of fn_slack's CPU per call in a profile of scenario 5). Keep enough.
SOAR_CONNECTIONS = 64
_pool_guard = threading.Lock()


def keep_connections(rest_client: object) -> None:
    """Let the SOAR client keep ``SOAR_CONNECTIONS`` HTTPS connections for reuse (once per client)."""
    session = getattr(rest_client, "session", None)
    if session is None or not hasattr(session, "get_adapter"):
        return
    with _pool_guard:
        adapter = session.get_adapter("https://")
        if getattr(adapter, "_pool_maxsize", SOAR_CONNECTIONS) >= SOAR_CONNECTIONS:
            return
        session.mount("https://", type(adapter)(pool_connections=4, pool_maxsize=SOAR_CONNECTIONS,
                                                max_retries=adapter.max_retries))


def http_status(err: Exception) -> int | None:
    """The HTTP status of a failed SOAR REST call (resilient's exceptions carry the response), if any."""
    return getattr(getattr(err, "response", None), "status_code", None)


def short(err: Exception, limit: int = 300) -> str:
    """SOAR's error text, cut to a length a status line can hold."""
    text = str(err)
    return text if len(text) <= limit else text[:limit] + "…"


def refused_to(what: str) -> Callable[[int | None, str], SoarError]:
    """The ``refused`` of a SOAR call: its failure as a SoarError saying *SOAR refused to <what> (HTTP …)*."""
    return lambda status, text: SoarError(messages.soar_refused(what, status, text))


def call_soar(action: Callable[[], T], *, refused: Callable[[int | None, str], FnSlackError],
              missing: Callable[[], FnSlackError] | None = None) -> T:
    """Run one SOAR REST call; a 404 becomes ``missing()`` (when given), any other failure ``refused(status, text)``."""
    try:
        return action()
    except (BasicHTTPException, SimpleHTTPException) as err:
        status = http_status(err)
        if status == 404 and missing is not None:
            raise missing() from None
        raise refused(status, short(err)) from None


# resilient's client sends a request again on a 5xx answer or a dropped connection, a POST included: a 502 from
# a proxy after SOAR saved a note would be a second note. fn_slack's POSTs that must be made once go out through
# ``post_unretried`` (no resend at all: 5xx answers and dropped connections come back to fn_slack at once), look
# whether SOAR did the write, and send it once more only when it did not and the write is still theirs to make.
WRITE_SKIP_RETRY = [404, *range(500, 600)]


def post_unretried(rest_client: object, uri: str, payload: dict, *, skip_retry: list[int]) -> dict:
    """POST ``payload`` to ``uri`` (relative to the org) exactly once: the request resilient's client would
    make, without its resend on a 5xx answer or a dropped connection, which cannot know whether SOAR already
    did the write. An error answer raises resilient's ``BasicHTTPException``; a dropped connection, requests'
    ``ConnectionError``."""
    execute = getattr(rest_client, "_execute_request", None)
    session = getattr(rest_client, "session", None)
    if execute is None or session is None:   # not resilient's client (a test's stand-in): its own post
        return rest_client.post(uri, payload, skip_retry=skip_retry)
    url = f"{rest_client.base_url}/rest/orgs/{rest_client.org_id}{uri}"
    response = execute(session.post, url, data=json.dumps(payload), proxies=rest_client.proxies,
                       cookies=rest_client.cookies, headers=rest_client.make_headers(None),
                       verify=rest_client.verify, cert=rest_client.cert)
    try:
        RetryHTTPException.raise_if_error(response, skip_retry=skip_retry)
    except RetryHTTPException as err:   # a status resilient would have resent: fn_slack looks first instead
        raise BasicHTTPException(err.response) from None
    return response.json()


def post_once(send: Callable[[list[int]], T], look: Callable[[], T | None], *,
              refused: Callable[[int | None, str], FnSlackError] | None,
              missing: Callable[[], FnSlackError] | None = None,
              may_resend: Callable[[], bool] | None = None) -> T | None:
    """A SOAR write that must not be made twice: ``send(skip_retry)`` it; when its answer is lost (a 5xx or a
    dropped connection), return what ``look()`` finds of it, else send it once more — only when ``may_resend()``
    (say, the claim it is made under is still this process's); None when it may not. A 404 becomes
    ``missing()`` (when given); any other refusal, or a second lost answer, ``refused(status, text)`` (SOAR's
    own exception when ``refused`` is None: the caller translates it)."""
    for attempt in (1, 2):
        try:
            return send(WRITE_SKIP_RETRY)
        except (BasicHTTPException, SimpleHTTPException) as err:
            status = http_status(err)
            if status == 404 and missing is not None:
                raise missing() from None
            if status is None or status < 500 or attempt == 2:
                if refused is None:
                    raise
                raise refused(status, short(err)) from None
            LOG.warning("SOAR answered HTTP %s to a write: fn_slack looks whether it was made before writing again",
                        status)
        except RequestsConnectionError:
            if attempt == 2:
                raise
            LOG.warning("The connection to SOAR dropped during a write: fn_slack looks whether it was made before "
                        "writing again")
        found = look()
        if found is not None:
            return found
        if may_resend is not None and not may_resend():
            return None
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
