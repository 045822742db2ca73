"""How a failed SOAR REST call becomes an fn_slack error: one translation for the table and the file I/O."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from resilient import BasicHTTPException, SimpleHTTPException

from fn_slack.lib.errors import FnSlackError

T = TypeVar("T")

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


def cell_value(row: dict, column: str) -> object:
    """A data table row's value in ``column`` (rows read with ``handle_format=names``); None when empty."""
    return ((row.get("cells") or {}).get(column) or {}).get("value")
