"""How a failed SOAR REST call becomes an fn_slack error: one translation for the table and the file I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from resilient import BasicHTTPException, SimpleHTTPException

from fn_slack.lib.errors import FnSlackError

T = TypeVar("T")


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
