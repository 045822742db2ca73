"""The incident/task ↔ Slack channel link kept in the ``slack_conversations_db`` data table, declared on the
data-table engine (``tables``).

Every write of a link seals it (``seals``): ``slack_db_seal`` holds a keyed signature over the cells that route
(the key, the channel's name, ID and type, the mirror flag, the thread), scoped to the table, the incident and
the key. Every read gives each link its ``verdict``: a link changed in SOAR behind fn_slack's back is told
apart from one fn_slack wrote, and what changed can be named. Rows of fn_slack 1.x/2.x (and 3.0) carry no
seal: they post as before, never mirror, and are sealed by the first write fn_slack makes to them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from fn_slack.lib import messages
from fn_slack.lib.errors import SoarError
from fn_slack.lib.soar.rest import keep_connections
from fn_slack.lib.soar.seals import BROKEN, CHANGED, UNSEALED, Sealer, Verdict
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
COL_SEAL = "slack_db_seal"  # 3.x: fn_slack's seal (soar.seals) over SEALED_COLUMNS, written with every write
COL_SYNC = "slack_db_sync"  # 3.x: the channel is kept in step with the incident (slack_sync_channel)
COL_SYNC_STATE = "slack_db_sync_state"  # 3.x: what slack_sync_channel last wrote (SyncState), sealed on its own
SYNC_COLUMNS = (COL_SYNC, COL_SYNC_STATE)
LINKS = TableSpec(TABLE, columns=(COL_TIME, COL_RES_ID, COL_CHANNEL, COL_TYPE, COL_PERMALINK, COL_CHANNEL_ID,
                                  COL_THREAD_TS, COL_MIRROR, COL_SEAL, COL_SYNC, COL_SYNC_STATE),
                  key=COL_RES_ID, ibm_columns=frozenset({COL_TIME, COL_RES_ID, COL_CHANNEL, COL_TYPE, COL_PERMALINK}))
# The cells that route: which incident or task (the key), which channel, whether and where it mirrors, and when it
# was linked (of two links of one channel, the first linked routes it).
SEALED_COLUMNS = (COL_TIME, COL_RES_ID, COL_CHANNEL, COL_CHANNEL_ID, COL_TYPE, COL_MIRROR, COL_THREAD_TS)


def res_id(incident_id: int, task_id: int | None = None) -> str:
    """The row key the original app used: ``RES-<incident>`` or ``RES-<incident>-<task>``."""
    return f"RES-{incident_id}-{task_id}" if task_id else f"RES-{incident_id}"


def seal_scope(incident_id: int, key: str) -> str:
    """The scope of a link's seal: the table, the incident and the row's key, so that a seal copied to another
    row, incident or table does not fit."""
    return f"{TABLE}/{int(incident_id)}/{key}"


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
    sync: bool = False
    cells: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)  # the whole row as read
    verdict: Verdict = field(default=Verdict(UNSEALED), compare=False)   # what the row's seal says

    @property
    def intact(self) -> bool:
        """Whether the row holds what fn_slack sealed."""
        return self.verdict.intact

    @property
    def tampered(self) -> bool:
        """Whether the row was changed behind fn_slack's back (its seal no longer fits it); a row without a seal
        (1.x/2.x/3.0) is not tampered, only unsealed."""
        return self.verdict.state in (CHANGED, BROKEN)

    @property
    def linked_at(self) -> float:
        """When the link was made (``slack_db_time``, ms since the epoch); 0 when the row does not say."""
        try:
            return float(self.cells.get(COL_TIME) or 0)
        except (TypeError, ValueError):
            return 0.0

    def mirrors(self, channel_id: str, incident_id: int) -> bool:
        """Whether this row routes ``channel_id`` into ``incident_id`` (or one of its tasks): sealed by fn_slack and
        intact, mirroring, naming that channel, keyed to that incident."""
        place = target_of(self.res_id)
        return (self.intact and self.mirror and self.channel_id == channel_id and place is not None
                and place[0] == int(incident_id))

    def sealed_channel_ids(self) -> set[str]:
        """The channel IDs the row names now and, when it was changed, the one fn_slack sealed."""
        found = {self.channel_id} if self.channel_id else set()
        found |= {change.sealed for change in self.verdict.changes if change.column == COL_CHANNEL_ID and change.sealed}
        return found

    def claims_mirroring(self) -> bool:
        """Whether the row says it mirrors now, or said so when fn_slack sealed it."""
        return self.mirror or any(change.column == COL_MIRROR and change.sealed for change in self.verdict.changes)

    @property
    def is_private(self) -> bool:
        """Whether the row says the channel is private."""
        return self.channel_type.strip().lower() == "private"

    def names(self, channel_name: str, channel_id: str | None) -> bool:
        """Whether the row links this channel (a row of the original app, without an ID, by its name)."""
        return self.channel_id == channel_id if self.channel_id else self.channel_name == channel_name


class ConversationsTable(IncidentTable):
    """Reads and writes the links of one incident's ``slack_conversations_db`` rows."""

    def __init__(self, rest_client: object, incident_id: int, sealer: Sealer) -> None:
        super().__init__(rest_client, LINKS, incident_id)
        keep_connections(rest_client)
        self.sealer = sealer
        # Status messages of writes that left out a column SOAR's table does not have yet (see columns).
        self.notices: list[str] = []

    def completed(self, kept: Mapping[str, object]) -> dict[str, object]:
        """Every write of a row is sealed: the seal covers the routing cells as they are sent (a column the table
        lacks counts as empty). A table without the seal column gets no seal (the link cannot mirror)."""
        cells = dict(kept)
        if COL_SEAL in cells:
            cells[COL_SEAL] = self.sealer.seal(seal_scope(self.incident_id, str(cells.get(COL_RES_ID) or "").strip()),
                                               cells, SEALED_COLUMNS)
        return cells

    def link_of(self, row: Row) -> ChannelLink:
        """A row as a link, with what its seal says."""
        verdict = self.sealer.check(seal_scope(self.incident_id, row.text(COL_RES_ID)), row.cells, SEALED_COLUMNS,
                                    row.value(COL_SEAL))
        return replace(_link_of(row), verdict=verdict)

    def _links(self, key: str) -> list[ChannelLink]:
        """Every row for ``key``, oldest (lowest row id) first."""
        return [self.link_of(row) for row in self.rows_with(key)]

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
            COL_SEAL: "",   # made from the cells sent (completed)
        }

        def look() -> Row | None:   # this process's row, after SOAR's answer to the POST was lost
            return next((row for row in self.rows_with(key) if row.value(COL_TIME) == cells[COL_TIME]
                         and row.text(COL_CHANNEL) == channel_name), None)

        # Another resilient-circuits process may have linked the same key at the same moment: the oldest row
        # wins, and every process that lost removes only its own row, so exactly one link remains. A loser whose
        # post went to the winner's channel carries over the thread and mirror flag the winner's row lacks.
        race = claim(self, key, cells, look=look)
        self._notice(race.left_out, _consequences(channel_name, new_link=True, mirror=mirror))
        if race.won:
            return self.link_of(race.winner)
        mine = _kept(ChannelLink(row_id=0, res_id=key, channel_name=channel_name, channel_id=channel_id,
                                 channel_type=channel_type, mirror=mirror, thread_ts=thread_ts), list(race.left_out))
        winner = self.link_of(race.winner) if race.winner is not None else None
        if winner is None:   # every row of the key is gone (removed in SOAR meanwhile): link again
            return self.add_link(task_id, channel_name, channel_id, channel_type, permalink,
                                 thread_ts=thread_ts, mirror=mirror)
        if not winner.names(channel_name, channel_id) or winner.tampered:
            return winner   # a changed winner is never written to: the post that reads it next is refused
        return self.update_link(winner, thread_ts=None if winner.thread_ts else mine.thread_ts,
                                mirror=mine.mirror and not winner.mirror, seal=mine.mirror)

    def update_link(self, link: ChannelLink, *, channel_id: str | None = None, thread_ts: str | None = None,
                    mirror: bool = False, seal: bool = False) -> ChannelLink:
        """One write of every cell a post changes on an existing row: the channel ID of a row written by the
        original app, the thread's first message, mirroring on; ``seal``: write even when nothing else changes,
        to seal a row fn_slack did not seal (a 3.0 mirroring link asked to mirror again). The write seals the
        row as it then is. Nothing is written when nothing changes; a column the table lacks yet is left out (a
        status message says to run ``customize``). A row changed behind fn_slack's back is never written to."""
        if link.tampered:
            raise ValueError(f"the link {link.res_id} was changed outside fn_slack")   # callers check first
        cells = {**({COL_CHANNEL_ID: channel_id} if channel_id else {}), **_decided(thread_ts, mirror)}
        if not cells and not (seal and not link.intact):
            return link
        row = Row(link.row_id, link.cells) if link.cells else self.row(link.row_id)
        if row is None:   # the row was removed in SOAR meanwhile: nothing to update
            return link
        written, left_out = self.put(row, {**cells, COL_SEAL: ""})
        self._notice(left_out, _consequences(link.channel_name, new_link=False, mirror=mirror or seal))
        changed = {"channel_id": channel_id or link.channel_id, "thread_ts": thread_ts or link.thread_ts,
                   "mirror": mirror or link.mirror}
        verdict = self.link_of(written).verdict if written is not None else link.verdict
        return _kept(replace(link, **changed, verdict=verdict), left_out, link)

    def sync_state(self, link: ChannelLink) -> SyncState | None:
        """What slack_sync_channel last wrote for the link; None when it never wrote. A state that is not the one
        fn_slack sealed for this row and channel raises ValueError (the caller refuses to write)."""
        text = str(link.cells.get(COL_SYNC_STATE) or "").strip()
        if not text:
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(COL_SYNC_STATE) from None
        state = SyncState.from_json(data)
        scope = seal_scope(self.incident_id, link.res_id) + "/sync"
        cells = {**state.cells(), "channel_id": link.channel_id or ""}
        if state is None or not self.sealer.check(scope, cells, SyncState.SEALED, data.get("seal")).intact:
            raise ValueError(COL_SYNC_STATE)
        return state

    def record_sync(self, link: ChannelLink, state: SyncState) -> ChannelLink:
        """One write of the link's row: sync on and ``state`` (sealed for this row and channel). A table without
        the sync columns (customize not run) raises SoarError before Slack is asked anything (see the flow)."""
        scope = seal_scope(self.incident_id, link.res_id) + "/sync"
        cells = {**state.cells(), "channel_id": link.channel_id or ""}
        text = json.dumps({**state.cells(), "seal": self.sealer.seal(scope, cells, SyncState.SEALED)},
                          sort_keys=True, separators=(",", ":"))
        row = Row(link.row_id, link.cells) if link.cells else self.row(link.row_id)
        if row is None:
            raise SoarError(messages.link_row_gone(TABLE, link.res_id))
        written, left_out = self.put(row, {COL_SYNC: True, COL_SYNC_STATE: text, COL_SEAL: ""})
        if left_out and set(left_out) & set(SYNC_COLUMNS):
            raise SoarError(messages.soar_table_columns_need_customize(TABLE, list(SYNC_COLUMNS),
                                                                       "keep a channel in step"))
        if written is None:
            raise SoarError(messages.link_row_gone(TABLE, link.res_id))
        return self.link_of(written)

    def relink(self, link: ChannelLink, old_channel_id: str, channel_name: str, channel_id: str,
               channel_type: str) -> ChannelLink:
        """One write of the link's row: it names the new channel (a reopened incident's) from now, linked now,
        mirroring as before, kept in step with the sync state cleared, no thread; sealed as every write. The row
        is read again first and written only while it still names ``old_channel_id`` (otherwise the link as it
        is now is returned). A row changed behind fn_slack's back is never written to."""
        row = self.row(link.row_id)
        if row is None:
            raise SoarError(messages.link_row_gone(TABLE, link.res_id))
        now = self.link_of(row)
        if now.tampered:
            raise ValueError(f"the link {link.res_id} was changed outside fn_slack")   # callers check first
        if now.channel_id != old_channel_id:
            return now
        cells = {COL_TIME: int(time.time() * 1000), COL_CHANNEL: channel_name, COL_CHANNEL_ID: channel_id,
                 COL_TYPE: channel_type, COL_PERMALINK: "", COL_THREAD_TS: "", COL_SYNC: True, COL_SYNC_STATE: "",
                 COL_SEAL: ""}
        written, left_out = self.put(row, cells)
        if written is None:
            raise SoarError(messages.link_row_gone(TABLE, link.res_id))
        if left_out and set(left_out) & {COL_CHANNEL_ID, COL_SYNC, COL_SYNC_STATE}:
            raise SoarError(messages.soar_table_columns_need_customize(TABLE, list(SYNC_COLUMNS),
                                                                       "keep a channel in step"))
        return self.link_of(written)

    def links(self) -> list[ChannelLink]:
        """Every row of the incident (the incident's and its tasks' links), oldest first, each with its verdict."""
        return [self.link_of(row) for row in self.rows()]


@dataclass(frozen=True)
class SyncState:
    """What slack_sync_channel last wrote to a channel: the pinned summary's ts, the bookmark's id, and the digest
    of each part (topic, bookmark, summary) as written."""

    summary_ts: str = ""
    summary_pinned: bool = False
    bookmark_id: str = ""
    topic: str = ""
    bookmark: str = ""
    summary: str = ""
    SEALED = ("summary_ts", "summary_pinned", "bookmark_id", "topic", "bookmark", "summary", "channel_id")

    def cells(self) -> dict[str, object]:
        """The state as the row's JSON holds it (the seal aside)."""
        return {"summary_ts": self.summary_ts, "summary_pinned": self.summary_pinned,
                "bookmark_id": self.bookmark_id, "topic": self.topic, "bookmark": self.bookmark,
                "summary": self.summary}

    @classmethod
    def from_json(cls, data: object) -> SyncState:
        """The state a row holds; ValueError for anything else."""
        if not isinstance(data, dict):
            raise ValueError(COL_SYNC_STATE)
        texts = {name: data.get(name, "") for name in ("summary_ts", "bookmark_id", "topic", "bookmark", "summary")}
        if not all(isinstance(value, str) for value in texts.values()) \
                or not isinstance(data.get("summary_pinned", False), bool):
            raise ValueError(COL_SYNC_STATE)
        return cls(summary_pinned=bool(data.get("summary_pinned", False)), **texts)


def _decided(thread_ts: str | None, mirror: bool) -> dict:
    """The cells of what a post decided: its ts as the thread's first message, mirroring on."""
    return {**({COL_THREAD_TS: thread_ts} if thread_ts else {}), **({COL_MIRROR: True} if mirror else {})}


def _consequences(channel_name: str, *, new_link: bool, mirror: bool = False) -> dict[str, str]:
    """What a write loses with each 3.x column the table lacks yet (the seal only matters to mirroring)."""
    return {COL_CHANNEL_ID: (messages.consequence_link_without_id(channel_name) if new_link
                             else messages.consequence_id_not_filled(channel_name)),
            COL_THREAD_TS: messages.consequence_thread_not_kept(),
            COL_MIRROR: messages.consequence_mirror_not_set(),
            **({COL_SEAL: messages.consequence_mirror_not_sealed()} if mirror else {})}


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
        sync=row.value(COL_SYNC) is True,
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
