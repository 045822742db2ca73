"""The slack_sync_channel flow: the incident's linked channel shows the incident as it is — its topic
("severity · phase/status · owner · SOAR link"), a bookmark to the incident, and one pinned summary (name,
severity, owner, open tasks, last update) that is updated in place, never posted again.

Opt-in per link: a run with ``slack_sync_start`` turns keeping in step on for the incident's (or task's) link
(``slack_db_sync`` in slack_conversations_db); a run without it on a link that is not on writes nothing. The
example rules on severity, phase, owner and status changes call it without ``slack_sync_start``, so only the
channels someone turned on follow their incident.

Steps, under the incident's lock:

1. The incident's facts from SOAR (read under the lock, so a run that waited writes the incident as it is now);
   its link (a link changed outside fn_slack is refused), and what the last run
   wrote (``SyncState`` in ``slack_db_sync_state``, sealed on its own: a state changed outside fn_slack is
   refused, nothing is written). No link, or a link with sync off and no ``slack_sync_start`` → no Slack call.
2. The channel as Slack describes it now (when no part changed since the last run, step 3 has nothing to do and
   Slack is not asked anything). Archived: with a closed incident (archived with it), ``synced`` false and nothing
   written; with an incident active again whose channel fn_slack's archive saved, a new channel is linked
   (``channel_reopen``) and step 3 brings it in step; archived otherwise (by hand, its conversation not saved) →
   a clear error, nothing written.
3. The three parts as they should be, and a digest of each. Each part whose digest differs from the one
   recorded is written with one Slack write (``slack_channel_parts``): the topic with ``conversations.setTopic``,
   the bookmark with ``bookmarks.add`` (first run) or ``bookmarks.edit``, the summary with ``chat.update`` —
   or, on the first run (or when the summary was deleted in Slack), ``chat.postMessage`` then ``pins.add``.
   After each write the new state is recorded in the row at once, so a run that stops half-way is finished by
   the next without writing a part twice. Nothing changed → nothing is written, to Slack or to SOAR.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from fn_slack.lib import inputs, messages
from fn_slack.lib.channel_post import channel_of_link, trusted
from fn_slack.lib.channel_reopen import ChannelReopen, saved_export
from fn_slack.lib.errors import ChannelStateError, InputError, SlackError
from fn_slack.lib.invocation import Invocation
from fn_slack.lib.locks import incident_lock
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_channel_parts import ChannelParts
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_vocabulary import Channel
from fn_slack.lib.soar.columns import check_table_ready
from fn_slack.lib.soar.files import SoarFiles
from fn_slack.lib.soar.incident_facts import read_facts
from fn_slack.lib.soar.links import SYNC_COLUMNS, TABLE, ChannelLink, ConversationsTable, SyncState
from fn_slack.lib.soar.seals import Sealer
from fn_slack.lib.sync_format import SyncParts, sync_parts


@dataclass(frozen=True)
class SyncRequest:
    """slack_sync_channel's inputs."""

    incident_id: int
    task_id: int | None
    start: bool

    @classmethod
    def from_inputs(cls, fn_inputs: object) -> SyncRequest:
        """Read and check the inputs (an InputError names the first bad one)."""
        incident_id = inputs.record_id("incident_id", getattr(fn_inputs, "incident_id", None), required=True)
        assert incident_id is not None
        return cls(incident_id=incident_id, task_id=inputs.record_id("task_id", getattr(fn_inputs, "task_id", None)),
                   start=bool(inputs.flag(getattr(fn_inputs, "slack_sync_start", None), "slack_sync_start")))


@dataclass(frozen=True)
class SyncOutcome:
    """What the run wrote to the channel."""

    channel: Channel | None
    synced: bool
    written: tuple[str, ...]
    state: SyncState | None
    slack_writes: int
    user_info = None

    def result(self) -> dict:
        """The result content of slack_sync_channel."""
        return {"channel": self.channel.name if self.channel else None,
                "channel_id": self.channel.id if self.channel else None,
                "synced": self.synced, "written": list(self.written), "slack_writes": self.slack_writes,
                "summary_ts": self.state.summary_ts if self.state else None,
                "bookmark_id": self.state.bookmark_id if self.state else None}


class ChannelSync:
    """Keeps one linked channel in step; ``run`` yields status messages, then the ``SyncOutcome``."""

    def __init__(self, settings: SlackSettings, rest_client: object,
                 soar_link: Callable[[int, int | None], str]) -> None:
        self.settings = settings
        self.rest = rest_client
        self.soar_link = soar_link

    def run(self, request: SyncRequest, invocation: Invocation | None = None) -> Iterator[str | SyncOutcome]:
        """The steps of the module docstring."""
        invocation = invocation or Invocation.fresh()
        kind = "task" if request.task_id else "incident"
        check_table_ready(self.rest, TABLE, SYNC_COLUMNS, "keep a channel in step")
        with incident_lock(request.incident_id):
            # Read under the lock: a run that waited for an earlier one writes the incident as it is now, never
            # the older facts it would have read before waiting (and runs that waited find nothing left to do).
            facts = read_facts(self.rest, request.incident_id)
            table = ConversationsTable(self.rest, request.incident_id, Sealer(self.settings.seal_secret))
            link = trusted(table.find_link(request.task_id))
            if link is None:
                raise InputError(messages.no_linked_channel_for_sync(kind))
            state = _state_of(table, link)
            slack = SlackClient(self.settings)
            channel = channel_of_link(slack, link)
            if not link.sync and not request.start:
                yield messages.sync_not_on(channel.name)
                yield SyncOutcome(channel=channel, synced=False, written=(), state=state, slack_writes=0)
                return
            parts = sync_parts(facts, self.soar_link(request.incident_id, None))
            if link.sync and state is not None and not _stale(parts.digests(), state):
                yield messages.sync_unchanged(channel.name)   # no Slack call at all
                yield SyncOutcome(channel=channel, synced=True, written=(), state=state, slack_writes=0)
                return
            files = SoarFiles(self.rest, request.incident_id, request.task_id)
            channel = _as_now(slack, channel, files)
            if channel.is_archived:
                if facts.closed:   # archived with the incident: never written to, never relinked
                    yield messages.sync_closed_and_archived(channel.name)
                    yield SyncOutcome(channel=channel, synced=False, written=(), state=state, slack_writes=0)
                    return
                attachment = saved_export(files, channel) if link.sync else None
                if attachment is None:   # archived in Slack, its conversation not saved by fn_slack: left as it is
                    raise ChannelStateError(messages.sync_channel_archived(channel.name), reason="archived")
                label = f"task {request.task_id}" if request.task_id else f"incident {request.incident_id}"
                reopen = ChannelReopen(slack, table, label)
                for item in reopen.run(link, channel, attachment, invocation):
                    if isinstance(item, ChannelLink):
                        link = item
                    else:
                        yield item
                channel = channel_of_link(slack, link)
                state = _state_of(table, link)
            writer = _PartWriter(ChannelParts(slack), table, link, channel, state or SyncState())
            yield from writer.write(parts, invocation)
            if not link.sync:
                writer.record(writer.state)   # turned on with nothing to write (parts already as recorded)
                yield messages.sync_started(channel.name)
            if not writer.written:
                yield messages.sync_unchanged(channel.name)
        yield SyncOutcome(channel=channel, synced=True, written=tuple(writer.written), state=writer.state,
                          slack_writes=writer.parts.calls)


def _state_of(table: ConversationsTable, link: ChannelLink) -> SyncState | None:
    """What the last run wrote for the link; a state changed outside fn_slack is refused."""
    try:
        return table.sync_state(link)
    except ValueError:
        raise ChannelStateError(messages.sync_state_changed(TABLE, link.res_id), reason="state_changed") from None


def _as_now(slack: SlackClient, channel: Channel, files: SoarFiles) -> Channel:
    """The channel as Slack describes it now. A private channel fn_slack's archive took the app out of may answer
    ``channel_not_found`` (Slack does not say which): with its export saved by that archive, it is archived."""
    try:
        return slack.channel_info(channel.id)
    except SlackError as err:
        if err.code == "channel_not_found" and channel.is_private and saved_export(files, channel) is not None:
            return replace(channel, is_archived=True)
        raise


def _stale(digests: dict[str, str], state: SyncState) -> set[str]:
    """The parts to write: those whose digest differs from what was last written, or never written in full."""
    stale = set()
    if digests["topic"] != state.topic:
        stale.add("topic")
    if digests["bookmark"] != state.bookmark or not state.bookmark_id:
        stale.add("bookmark")
    if digests["summary"] != state.summary or not state.summary_ts or not state.summary_pinned:
        stale.add("summary")
    return stale


class _PartWriter:
    """Step 3: each changed part written once, the state recorded after each write."""

    def __init__(self, parts: ChannelParts, table: ConversationsTable, link: ChannelLink, channel: Channel,
                 state: SyncState) -> None:
        self.parts = parts
        self.table = table
        self.link = link
        self.channel = channel
        self.state = state
        self.written: list[str] = []

    def record(self, state: SyncState) -> None:
        """The state written to the link's row at once (sync on)."""
        self.link = self.table.record_sync(self.link, state)
        self.state = state

    def write(self, parts: SyncParts, invocation: Invocation) -> Iterator[str]:
        """Every part whose digest changed, in order: topic, bookmark, summary."""
        digests = parts.digests()
        stale = _stale(digests, self.state)
        name = self.channel.name
        if "topic" in stale:
            self.parts.set_topic(self.channel, parts.topic)
            self.record(replace(self.state, topic=digests["topic"]))
            self.written.append("topic")
            yield messages.sync_wrote("topic", name)
        if "bookmark" in stale:
            bookmark_id = (self.parts.edit_bookmark(self.channel, self.state.bookmark_id, parts.bookmark_title,
                                                    parts.bookmark_link) if self.state.bookmark_id
                           else self.parts.add_bookmark(self.channel, parts.bookmark_title, parts.bookmark_link))
            self.record(replace(self.state, bookmark=digests["bookmark"], bookmark_id=bookmark_id))
            self.written.append("bookmark")
            yield messages.sync_wrote("bookmark", name)
        if "summary" in stale:
            yield from self._summary(parts, digests["summary"], invocation)

    def _summary(self, parts: SyncParts, summary_digest: str, invocation: Invocation) -> Iterator[str]:
        """The pinned summary: updated in place; posted (and pinned) only when there is none."""
        if self.state.summary_ts and summary_digest != self.state.summary:
            if self.parts.update_summary(self.channel, self.state.summary_ts, parts.summary_text,
                                         parts.summary_blocks):
                self.record(replace(self.state, summary=summary_digest))
                self.written.append("summary")
                yield messages.sync_wrote("summary", self.channel.name)
                if self.state.summary_pinned:
                    return
            else:
                yield messages.sync_summary_gone(self.channel.name)
                self.record(replace(self.state, summary_ts="", summary_pinned=False, summary=""))
        if not self.state.summary_ts:
            ts = self.parts.post_summary(self.channel, parts.summary_text, parts.summary_blocks,
                                         f"{invocation.key}:summary", redelivered=invocation.redelivered)
            self.record(replace(self.state, summary_ts=ts, summary_pinned=False, summary=summary_digest))
        self.parts.pin(self.channel, self.state.summary_ts)
        self.record(replace(self.state, summary_pinned=True))
        if "summary" not in self.written:
            self.written.append("summary")
        yield messages.sync_wrote("summary_posted", self.channel.name)
