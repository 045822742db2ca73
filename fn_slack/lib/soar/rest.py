"""The SOAR REST edge: the client's connection pool, how a failed call becomes an fn_slack error (one
translation for every table, incident, note and file call), and POSTs made once (``post_once``)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from requests import ConnectionError as RequestsConnectionError
from resilient import BasicHTTPException, SimpleHTTPException

from fn_slack.lib.errors import FnSlackError

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
# a proxy after SOAR saved a note would be a second note. fn_slack's POSTs name these answers in skip_retry
# (resilient then raises at once), look whether SOAR did the write, and send it once more only when it did not.
# A connection dropped before the answer is still resent by resilient's client itself (its retry on connection
# errors cannot be turned off per call): fn_slack looks before its own second attempt after those too.
WRITE_SKIP_RETRY = [404, *range(500, 600)]


def post_once(send: Callable[[list[int]], T], look: Callable[[], T | None], *,
              refused: Callable[[int | None, str], FnSlackError] | None,
              missing: Callable[[], FnSlackError] | None = None) -> T:
    """A SOAR write that must not be made twice: ``send(skip_retry)`` it; when its answer is lost (a 5xx or a
    dropped connection), return what ``look()`` finds of it, else send it once more. A 404 becomes
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
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
