"""The columns a data table has in the org, learned from SOAR (an org upgraded before ``customize`` holds the
older table)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from resilient import BasicHTTPException, SimpleHTTPException

from fn_slack.lib import messages
from fn_slack.lib.errors import SoarError
from fn_slack.lib.soar.rest import http_status

LOG = logging.getLogger(__name__)
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


def check_table_ready(rest_client: object, table: str, columns: Iterable[str], purpose: str) -> None:
    """Refuse ``purpose`` before anything is posted when the org lacks ``table`` or one of its ``columns``: the
    package was upgraded before ``resilient-circuits customize``."""
    columns = tuple(columns)
    found = table_columns(rest_client, table, wanted=columns)
    if not found.exists:
        raise SoarError(messages.soar_table_needs_customize(table, purpose))
    missing = found.missing(columns)
    if missing:
        raise SoarError(messages.soar_table_columns_need_customize(table, missing, purpose))
