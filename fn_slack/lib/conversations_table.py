"""The incident/task ↔ Slack channel link kept in the ``slack_conversations_db`` data table (SOAR REST)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass

from resilient import BasicHTTPException, SimpleHTTPException

from fn_slack.lib.errors import SoarError, http_status

TABLE = "slack_conversations_db"
COL_TIME = "slack_db_time"
COL_RES_ID = "slack_db_res_id"
COL_CHANNEL = "slack_db_channel"
COL_TYPE = "slack_db_channel_type"
COL_PERMALINK = "slack_db_permalink"
COL_CHANNEL_ID = "slack_db_channel_id"


def res_id(incident_id: int, task_id: int | None = None) -> str:
    """The row key the original app used: ``RES-<incident>`` or ``RES-<incident>-<task>``."""
    return f"RES-{incident_id}-{task_id}" if task_id else f"RES-{incident_id}"


@dataclass(frozen=True)
class ChannelLink:
    """One row of the table: which channel an incident or task posts to by default."""

    row_id: int
    res_id: str
    channel_name: str
    channel_id: str | None
    channel_type: str

    @property
    def is_private(self) -> bool:
        return self.channel_type.strip().lower() == "private"


class _IncidentLocks:
    """One lock per incident, so two calls for one incident never both create a channel or a row."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.RLock] = defaultdict(threading.RLock)

    def __call__(self, incident_id: int) -> threading.RLock:
        with self._guard:
            return self._locks[int(incident_id)]


incident_lock = _IncidentLocks()


def _cell(row: dict, column: str):
    cell = (row.get("cells") or {}).get(column) or {}
    return cell.get("value")


class ConversationsTable:
    """Reads and writes the links of one incident's ``slack_conversations_db`` rows."""

    def __init__(self, rest_client, incident_id: int):
        self.rest = rest_client
        self.incident_id = int(incident_id)
        self.calls = 0

    def _uri(self, suffix: str = "") -> str:
        return f"/incidents/{self.incident_id}/table_data/{TABLE}{suffix}?handle_format=names"

    def _request(self, verb: str, suffix: str = "", payload: dict | None = None) -> dict:
        self.calls += 1
        try:
            # A missing table is final: don't let the client retry the 404.
            if verb == "GET":
                return self.rest.get(self._uri(suffix), skip_retry=[404])
            if verb == "POST":
                return self.rest.post(self._uri(suffix), payload, skip_retry=[404])
            if verb == "DELETE":
                return self.rest.delete(self._uri(suffix), skip_retry=[404])
            return self.rest.put(self._uri(suffix), payload, skip_retry=[404])
        except (BasicHTTPException, SimpleHTTPException) as err:
            status = http_status(err)
            if status == 404:
                raise SoarError(f"The data table {TABLE} is missing from incident {self.incident_id}'s org (or "
                                f"the incident does not exist): run `resilient-circuits customize -l fn_slack` "
                                f"to import fn_slack's customizations.") from None
            raise SoarError(f"SOAR refused to {'read' if verb == 'GET' else 'update'} the {TABLE} data table "
                            f"of incident {self.incident_id}: {_short(err)}") from None

    def _links(self, key: str) -> list[ChannelLink]:
        """Every row for ``key``, oldest (lowest row id) first."""
        rows = [row for row in self._request("GET").get("rows") or []
                if str(_cell(row, COL_RES_ID) or "").strip() == key]
        return [ChannelLink(
            row_id=row["id"],
            res_id=key,
            channel_name=str(_cell(row, COL_CHANNEL) or "").strip().lstrip("#"),
            channel_id=(str(_cell(row, COL_CHANNEL_ID) or "").strip() or None),
            channel_type=str(_cell(row, COL_TYPE) or "Public"),
        ) for row in sorted(rows, key=lambda r: int(r.get("id") or 0))]

    def find_link(self, task_id: int | None = None) -> ChannelLink | None:
        """The first row for the incident (or task); None when nothing is linked yet."""
        links = self._links(res_id(self.incident_id, task_id))
        return links[0] if links else None

    def add_link(self, task_id: int | None, channel_name: str, channel_id: str, channel_type: str,
                 permalink: str) -> ChannelLink:
        """Add the row linking the incident (or task) to this channel."""
        key = res_id(self.incident_id, task_id)
        cells = {
            COL_TIME: {"value": int(time.time() * 1000)},
            COL_RES_ID: {"value": key},
            COL_CHANNEL: {"value": channel_name},
            COL_TYPE: {"value": channel_type},
            COL_PERMALINK: {"value": f'<a href="{_attr(permalink)}">Link</a>'},
            COL_CHANNEL_ID: {"value": channel_id},
        }
        row = self._request("POST", "/row_data", {"cells": cells})
        mine = ChannelLink(row_id=row.get("id"), res_id=key, channel_name=channel_name, channel_id=channel_id,
                           channel_type=channel_type)
        # Another resilient-circuits process may have linked the same key at the same moment: the oldest row
        # wins, and every process that lost removes only its own row, so exactly one link remains.
        winner = next(iter(self._links(key)), mine)
        if winner.row_id != mine.row_id:
            self._request("DELETE", f"/row_data/{mine.row_id}")
        return winner

    def fill_channel_id(self, link: ChannelLink, channel_id: str) -> ChannelLink:
        """Give a row written by the original app (no ID column value) its channel ID."""
        self._request("PUT", f"/row_data/{link.row_id}", {"cells": {COL_CHANNEL_ID: {"value": channel_id}}})
        return ChannelLink(row_id=link.row_id, res_id=link.res_id, channel_name=link.channel_name,
                           channel_id=channel_id, channel_type=link.channel_type)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _short(err: Exception) -> str:
    text = str(err)
    return text if len(text) <= 300 else text[:300] + "…"
