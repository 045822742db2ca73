"""The incident/task ↔ Slack channel link kept in the ``slack_conversations_db`` data table, declared on the
data-table engine (``tables``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from fn_slack.lib import messages
from fn_slack.lib.soar.rest import keep_connections
from fn_slack.lib.soar.tables import IncidentTable, Row, TableSpec, claim

TABLE = "slack_conversations_db"
COL_TIME = "slack_db_time"
COL_RES_ID = "slack_db_res_id"
COL_CHANNEL = "slack_db_channel"
COL_TYPE = "slack_db_channel_type"
COL_PERMALINK = "slack_db_permalink"
COL_CHANNEL_ID = "slack_db_channel_id"
COL_THREAD_TS = "slack_db_thread_ts"  # 3.x: the message whose thread slack_thread posts reply in
COL_MIRROR = "slack_db_mirror"  # 3.x: people's messages in the channel become notes (empty/No for 1.x/2.x rows)
LINKS = TableSpec(TABLE, columns=(COL_TIME, COL_RES_ID, COL_CHANNEL, COL_TYPE, COL_PERMALINK, COL_CHANNEL_ID,
                                  COL_THREAD_TS, COL_MIRROR),
                  key=COL_RES_ID, ibm_columns=frozenset({COL_TIME, COL_RES_ID, COL_CHANNEL, COL_TYPE, COL_PERMALINK}))


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
    mirror: bool = False
    thread_ts: str | None = None
    cells: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)  # the whole row as read

    @property
    def is_private(self) -> bool:
        """Whether the row says the channel is private."""
        return self.channel_type.strip().lower() == "private"

    def names(self, channel_name: str, channel_id: str | None) -> bool:
        """Whether the row links this channel (a row of the original app, without an ID, by its name)."""
        return self.channel_id == channel_id if self.channel_id else self.channel_name == channel_name


class ConversationsTable(IncidentTable):
    """Reads and writes the links of one incident's ``slack_conversations_db`` rows."""

    def __init__(self, rest_client: object, incident_id: int) -> None:
        super().__init__(rest_client, LINKS, incident_id)
        keep_connections(rest_client)
        # Status messages of writes that left out a column SOAR's table does not have yet (see columns).
        self.notices: list[str] = []

    def _links(self, key: str) -> list[ChannelLink]:
        """Every row for ``key``, oldest (lowest row id) first."""
        return [_link_of(row) for row in self.rows_with(key)]

    def find_link(self, task_id: int | None = None) -> ChannelLink | None:
        """The first row for the incident (or task); None when nothing is linked yet."""
        links = self._links(res_id(self.incident_id, task_id))
        return links[0] if links else None

    def _notice(self, left_out: list[str] | tuple[str, ...], consequences: dict[str, str]) -> None:
        """Each left-out column becomes a status message that says its ``consequences[column]`` and how to
        finish the upgrade."""
        for column in (c for c in consequences if c in left_out):
            self.notices.append(messages.soar_columns_missing(TABLE, [column], consequences[column]))

    def add_link(self, task_id: int | None, channel_name: str, channel_id: str, channel_type: str,
                 permalink: str, *, thread_ts: str | None = None, mirror: bool = False) -> ChannelLink:
        """Add the row linking the incident (or task) to this channel, with the thread's first message and the
        mirror flag when the post decided them; returns the link that counts (see below).

        A table without the channel ID column (the package upgraded before ``customize``) gets the row the
        original app wrote: found by its channel name, and given its ID by the first post after ``customize``."""
        key = res_id(self.incident_id, task_id)
        cells = {
            COL_TIME: int(time.time() * 1000),
            COL_RES_ID: key,
            COL_CHANNEL: channel_name,
            COL_TYPE: channel_type,
            COL_PERMALINK: f'<a href="{_attr(permalink)}">Link</a>',
            COL_CHANNEL_ID: channel_id,
            **_decided(thread_ts, mirror),
        }

        def look() -> Row | None:   # this process's row, after SOAR's answer to the POST was lost
            return next((row for row in self.rows_with(key) if row.value(COL_TIME) == cells[COL_TIME]
                         and row.text(COL_CHANNEL) == channel_name), None)

        # Another resilient-circuits process may have linked the same key at the same moment: the oldest row
        # wins, and every process that lost removes only its own row, so exactly one link remains. A loser whose
        # post went to the winner's channel carries over the thread and mirror flag the winner's row lacks.
        race = claim(self, key, cells, look=look)
        self._notice(race.left_out, _consequences(channel_name, new_link=True))
        if race.won:
            return _link_of(race.winner)
        mine = _kept(ChannelLink(row_id=0, res_id=key, channel_name=channel_name, channel_id=channel_id,
                                 channel_type=channel_type, mirror=mirror, thread_ts=thread_ts), list(race.left_out))
        winner = _link_of(race.winner) if race.winner is not None else None
        if winner is None:   # every row of the key is gone (removed in SOAR meanwhile): link again
            return self.add_link(task_id, channel_name, channel_id, channel_type, permalink,
                                 thread_ts=thread_ts, mirror=mirror)
        if not winner.names(channel_name, channel_id):
            return winner
        return self.update_link(winner, thread_ts=None if winner.thread_ts else mine.thread_ts,
                                mirror=mine.mirror and not winner.mirror)

    def update_link(self, link: ChannelLink, *, channel_id: str | None = None, thread_ts: str | None = None,
                    mirror: bool = False) -> ChannelLink:
        """One write of every cell a post changes on an existing row: the channel ID of a row written by the
        original app, the thread's first message, mirroring on. Nothing is written when nothing changes; a
        column the table lacks yet is left out (a status message says to run ``customize``)."""
        cells = {**({COL_CHANNEL_ID: channel_id} if channel_id else {}), **_decided(thread_ts, mirror)}
        if not cells:
            return link
        row = Row(link.row_id, link.cells) if link.cells else self.row(link.row_id)
        if row is None:   # the row was removed in SOAR meanwhile: nothing to update
            return link
        _, left_out = self.put(row, cells)
        self._notice(left_out, _consequences(link.channel_name, new_link=False))
        changed = {"channel_id": channel_id or link.channel_id, "thread_ts": thread_ts or link.thread_ts,
                   "mirror": mirror or link.mirror}
        return _kept(replace(link, **changed), left_out, link)

    def links(self) -> list[ChannelLink]:
        """Every row of the incident (the incident's and its tasks' links), oldest first."""
        return [_link_of(row) for row in self.rows()]


def _decided(thread_ts: str | None, mirror: bool) -> dict:
    """The cells of what a post decided: its ts as the thread's first message, mirroring on."""
    return {**({COL_THREAD_TS: thread_ts} if thread_ts else {}), **({COL_MIRROR: True} if mirror else {})}


def _consequences(channel_name: str, *, new_link: bool) -> dict[str, str]:
    """What a write loses with each 3.x column the table lacks yet."""
    return {COL_CHANNEL_ID: (messages.consequence_link_without_id(channel_name) if new_link
                             else messages.consequence_id_not_filled(channel_name)),
            COL_THREAD_TS: messages.consequence_thread_not_kept(),
            COL_MIRROR: messages.consequence_mirror_not_set()}


def _kept(link: ChannelLink, left_out: list[str], before: ChannelLink | None = None) -> ChannelLink:
    """``link`` as the table holds it: a left-out column keeps its value from ``before`` (empty for a new row)."""
    fields = {"channel_id": COL_CHANNEL_ID, "thread_ts": COL_THREAD_TS, "mirror": COL_MIRROR}
    empty = {"channel_id": None, "thread_ts": None, "mirror": False}
    return replace(link, **{name: getattr(before, name) if before else empty[name]
                            for name, column in fields.items() if column in left_out})


def _link_of(row: Row) -> ChannelLink:
    return ChannelLink(
        row_id=row.row_id,
        res_id=row.text(COL_RES_ID),
        channel_name=row.text(COL_CHANNEL).lstrip("#"),
        channel_id=row.text(COL_CHANNEL_ID) or None,
        channel_type=str(row.value(COL_TYPE) or "Public"),
        mirror=row.value(COL_MIRROR) is True,
        thread_ts=row.text(COL_THREAD_TS) or None,
        cells=row.cells,
    )


def target_of(res_id_value: str) -> tuple[int, int | None] | None:
    """``RES-<incident>[-<task>]`` → (incident, task or None); None for anything else."""
    parts = res_id_value.strip().split("-")
    if len(parts) not in (2, 3) or parts[0] != "RES" or not all(p.isdigit() for p in parts[1:]):
        return None
    return int(parts[1]), (int(parts[2]) if len(parts) == 3 else None)


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
