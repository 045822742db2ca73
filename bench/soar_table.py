"""An in-memory slack_conversations_db with ConversationsTable's methods, counting the SOAR REST calls made."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace

from fn_slack.lib.soar.links import ChannelLink, res_id


class TableStore:
    """The rows of every incident's table, as one SOAR org would hold them."""

    def __init__(self) -> None:
        self.rows: dict[int, list[ChannelLink]] = {}
        self.lock = threading.Lock()
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        return next(self._ids)

    def link(self, incident_id: int, channel_name: str, channel_id: str | None, channel_type: str = "Public",
             task_id: int | None = None) -> None:
        """Arrange a row directly (no call counted): ``channel_id=None`` is a row the original app wrote."""
        with self.lock:
            self.rows.setdefault(incident_id, []).append(ChannelLink(
                row_id=self.next_id(), res_id=res_id(incident_id, task_id), channel_name=channel_name,
                channel_id=channel_id, channel_type=channel_type))


class InMemoryTable:
    """Drop-in for ConversationsTable on one incident: each method is one SOAR REST call (GET, POST or PUT)."""

    def __init__(self, store: TableStore, incident_id: int) -> None:
        self.store = store
        self.incident_id = int(incident_id)
        self.calls = 0
        self.notices: list[str] = []   # as ConversationsTable's: the in-memory table has every column

    def find_link(self, task_id: int | None = None) -> ChannelLink | None:
        self.calls += 1  # GET /incidents/{id}/table_data/slack_conversations_db
        key = res_id(self.incident_id, task_id)
        with self.store.lock:
            return next((row for row in self.store.rows.get(self.incident_id, []) if row.res_id == key), None)

    def add_link(self, task_id: int | None, channel_name: str, channel_id: str, channel_type: str,
                 permalink: str, *, thread_ts: str | None = None, mirror: bool = False) -> ChannelLink:
        self.calls += 1  # POST .../row_data
        link = ChannelLink(row_id=self.store.next_id(), res_id=res_id(self.incident_id, task_id),
                           channel_name=channel_name, channel_id=channel_id, channel_type=channel_type,
                           mirror=mirror, thread_ts=thread_ts)
        with self.store.lock:
            self.store.rows.setdefault(self.incident_id, []).append(link)
        return link

    def update_link(self, link: ChannelLink, *, channel_id: str | None = None, thread_ts: str | None = None,
                    mirror: bool = False, seal: bool = False) -> ChannelLink:
        # ``seal``: the in-memory table keeps no seal (the benchmark posts one-way), so it writes nothing more
        if not (channel_id or thread_ts or mirror):
            return link   # nothing changes: no call
        self.calls += 1  # PUT .../row_data/{row_id}
        updated = replace(link, channel_id=channel_id or link.channel_id, thread_ts=thread_ts or link.thread_ts,
                          mirror=mirror or link.mirror)
        with self.store.lock:
            rows = self.store.rows.get(self.incident_id, [])
            self.store.rows[self.incident_id] = [updated if r.row_id == link.row_id else r for r in rows]
        return updated
