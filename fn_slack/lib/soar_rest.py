"""How a failed SOAR REST call becomes an fn_slack error: one translation for the table and the file I/O."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from requests import ConnectionError as RequestsConnectionError
from resilient import BasicHTTPException, SimpleHTTPException

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



class IncidentTableRows:
    """The rows of one data table (``table``) of one incident, as fn_slack's REST calls address them; ``calls``
    counts the calls made."""

    table = ""

    def __init__(self, rest_client: object, incident_id: int, *, clock: Callable[[], float] = time.time) -> None:
        self.rest = rest_client
        self.incident_id = int(incident_id)
        self.clock = clock
        self.calls = 0

    def _uri(self, suffix: str = "") -> str:
        return f"/incidents/{self.incident_id}/table_data/{self.table}{suffix}?handle_format=names"

    def _missing(self) -> SoarError:
        """The error for a table (or incident) SOAR does not have: it names the table and says to run customize."""
        return SoarError(messages.soar_table_missing(self.incident_id, self.table))


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
              refused: Callable[[int | None, str], FnSlackError],
              missing: Callable[[], FnSlackError] | None = None) -> T:
    """A SOAR write that must not be made twice: ``send(skip_retry)`` it; when its answer is lost (a 5xx or a
    dropped connection), return what ``look()`` finds of it, else send it once more. A 404 becomes
    ``missing()`` (when given); any other refusal, or a second lost answer, ``refused(status, text)``."""
    for attempt in (1, 2):
        try:
            return send(WRITE_SKIP_RETRY)
        except (BasicHTTPException, SimpleHTTPException) as err:
            status = http_status(err)
            if status == 404 and missing is not None:
                raise missing() from None
            if status is None or status < 500 or attempt == 2:
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


def cell_value(row: dict, column: str) -> object:
    """A data table row's value in ``column`` (rows read with ``handle_format=names``); None when empty."""
    return ((row.get("cells") or {}).get(column) or {}).get("value")


# ---------------------------------------------------------------------------------------------- data table columns
# fn_slack's data tables gained columns over the versions (slack_db_channel_id, slack_db_thread_ts and
# slack_db_mirror in 3.x). When the package is upgraded before `resilient-circuits customize`, SOAR holds the
# older table: whether SOAR refuses a row write naming an unknown column or silently drops the cell is not
# documented, so fn_slack asks SOAR which columns exist (GET /types/<table>?handle_format=names, the
# table's definition: its ``fields`` keyed by column name) and writes only those.
#
# A table that has every column a write names is learned once per process. While a write names a column
# the table lacks, the definition is read again before that write (one GET), so the first post after
# `customize` writes the new columns without a restart. A write SOAR refuses reads the definition again, and
# when that shows a column gone, writes once more without it (the refused write took no effect).

@dataclass(frozen=True)
class TableColumns:
    """The columns of one data table as SOAR describes it now."""

    table: str
    exists: bool
    names: frozenset[str] | None = None   # None: SOAR did not say (the definition could not be read)

    def missing(self, wanted: Iterable[str]) -> list[str]:
        """The columns of ``wanted`` the table does not have (all of them when the table is missing)."""
        if not self.exists:
            return sorted(wanted)
        if self.names is None:
            return []
        return sorted(set(wanted) - self.names)

    def keep(self, cells: Mapping[str, object]) -> dict[str, object]:
        """The cells whose column the table has."""
        gone = set(self.missing(cells))
        return {column: value for column, value in cells.items() if column not in gone}


_columns_guard = threading.Lock()
_known_columns: dict[tuple, TableColumns] = {}


def _org_key(rest_client: object, table: str) -> tuple:
    """One org of one SOAR: its base URL and org id (a client without them is its own org)."""
    base = getattr(rest_client, "base_url", None)
    org = getattr(rest_client, "org_id", None)
    return (base, org, table) if base else (id(rest_client), org, table)


def forget_table_columns() -> None:
    """Forget every learned table definition (tests that change the org's customizations between runs)."""
    with _columns_guard:
        _known_columns.clear()


def table_columns(rest_client: object, table: str, *, wanted: Iterable[str] = (), fresh: bool = False
                  ) -> TableColumns:
    """The columns ``table`` has in the org: learned once per process, read again when ``fresh`` or while
    they lack one of ``wanted`` (``customize`` may have added it since)."""
    key, wanted = _org_key(rest_client, table), set(wanted)
    with _columns_guard:
        known = _known_columns.get(key)
    if known is not None and not fresh and known.exists and not known.missing(wanted):
        return known
    columns = _read_columns(rest_client, table)
    if columns.names is not None or not columns.exists:
        with _columns_guard:
            _known_columns[key] = columns
    return columns


def _read_columns(rest_client: object, table: str) -> TableColumns:
    try:
        definition = rest_client.get(f"/types/{table}?handle_format=names", skip_retry=[404])
    except (BasicHTTPException, SimpleHTTPException) as err:
        if http_status(err) == 404:
            return TableColumns(table, exists=False)
        LOG.warning("fn_slack could not read the definition of the data table %s (HTTP %s): it writes every "
                    "column and relies on SOAR to refuse an unknown one", table, http_status(err))
        return TableColumns(table, exists=True)
    fields = (definition or {}).get("fields") or {}
    if isinstance(fields, dict):
        names = {str(field.get("name") or name) if isinstance(field, dict) else str(name)
                 for name, field in fields.items()}
    else:
        names = {str(field.get("name")) for field in fields if isinstance(field, dict) and field.get("name")}
    return TableColumns(table, exists=True, names=frozenset(names))


def write_cells(rest_client: object, table: str, cells: Mapping[str, object],
                send: Callable[[dict[str, dict]], T], *, refused: Callable[[int | None, str], FnSlackError],
                missing: Callable[[], FnSlackError]) -> tuple[T | None, list[str]]:
    """Write a row's ``cells`` (column → value) with ``send({column: {"value": v}})``, only the columns the
    table has. Returns SOAR's answer (None when no column of the write exists: nothing was sent) and the
    columns left out. A missing table is ``missing()``; a refusal that is not about a missing column is
    ``refused(status, text)``."""
    columns = table_columns(rest_client, table, wanted=cells)
    for attempt in (1, 2):
        if not columns.exists:
            raise missing()
        kept, left_out = columns.keep(cells), columns.missing(cells)
        if not kept:
            return None, left_out
        try:
            answer = send({column: {"value": value} for column, value in kept.items()})
        except (BasicHTTPException, SimpleHTTPException) as err:
            status = http_status(err)
            if status == 404:
                raise missing() from None
            if attempt == 1:
                columns = table_columns(rest_client, table, fresh=True)
                if not columns.exists or columns.missing(kept):
                    continue   # the table changed under the write: write what it has now
            raise refused(status, short(err)) from None
        dropped = _silently_dropped(answer, kept)
        if dropped:   # SOAR took the row without a column it no longer has: learn the table again next time
            table_columns(rest_client, table, fresh=True)
        return answer, sorted(set(left_out) | set(dropped))
    raise missing()  # pragma: no cover - the loop returns or raises


def _silently_dropped(answer: object, kept: Mapping[str, object]) -> list[str]:
    """Columns written with a value that SOAR's answer (the row) does not hold (empty values and false, which
    an answer may leave out, are not counted)."""
    cells = answer.get("cells") if isinstance(answer, dict) else None
    if not isinstance(cells, dict):
        return []
    return [column for column, value in kept.items()
            if value is not False and value not in (None, "") and column not in cells]
