"""FLOW two-way channels' catch-up: what people wrote in mirrored channels while this process's Socket Mode
listener was not connected, read back from Slack's history and handed to the mirror as live events are.

Slack does not keep events for an app that is away: it retries a delivery for about 5 minutes and then drops
it. So on every (re)connection (Slack's ``hello``) the listener reads, in a background thread that never holds
up the connection, each mirrored channel's history since the last message mirrored from it:

1. the mirrored channels: the active incidents whose ``slack_mirror_channels`` field has a value, and for each
   channel there the incident's link that mirrors it, sealed by fn_slack and intact (``slack_conversations_db``);
   a channel that mirrors into another incident (``soar.routes``: the field is an index, never a grant) is
   skipped there;
2. the channel's mark: the newest Slack event the incident's ``slack_messages_db`` holds for the channel (less
   ``OVERLAP_SECONDS``, for events still in Slack's retries when the listener went away), or the link's
   creation when none was mirrored yet; the keys already noted there are not handed on again;
3. ``conversations.history`` after the mark (parents up to ``THREAD_LOOKBACK_SECONDS`` older, for threads
   that got replies since), ``conversations.replies`` of each thread whose ``latest_reply`` is after the mark,
   cursor-paged through the Slack edge, whose retry handlers wait out Slack's rate limits;
4. each message, thread reply or edit (a message whose ``edited`` time is after the mark) becomes the live
   event Slack would have sent and is read by the same reader (``EventDispatch``: bots, fn_slack itself and
   Slack's system messages are skipped), then delivered oldest first as a live event is: a message to
   ``EventMirror.handle``, whose claim on the event's key absorbs anything another delivery (Slack's own, a
   duplicate, another integration server's catch-up) already wrote.

Not seen in history: deletions (a deleted message is simply gone) and all but the last edit of a message;
edits of messages and replies in threads older than THREAD_LOOKBACK_SECONDS before the mark.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.errors import SlackError, SlackUnreachableError, SoarError
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_events import Ignored, Read, SlackEvent
from fn_slack.lib.slack_vocabulary import Channel, ts_order
from fn_slack.lib.soar.incidents import MirrorIndex
from fn_slack.lib.soar.links import ConversationsTable
from fn_slack.lib.soar.mirror_log import COL_KEY, COL_STATE, FAILED, NOTED, MirrorLog
from fn_slack.lib.soar.seals import Sealer

LOG = logging.getLogger(__name__)
OVERLAP_SECONDS = 600.0          # read again before the newest mirrored event: events still in Slack's retries
THREAD_LOOKBACK_SECONDS = 7 * 86400.0   # threads started up to a week before the mark are looked at for replies
LINK_SKEW_SECONDS = 60.0         # the link's time is this server's clock; Slack's timestamps are Slack's


def slack_ts(seconds: float) -> str:
    """Seconds since the epoch as a Slack timestamp."""
    return f"{max(seconds, 0.0):.6f}"


def seconds_of(ts: str | None) -> float:
    """A Slack timestamp as seconds since the epoch (0 when missing or unreadable)."""
    whole, micros = ts_order(ts)
    return whole + micros / 1e6


def event_time(key: str) -> float:
    """When the Slack event of a mirror key happened: an edit's time for ``<channel>/<ts>/edit/<edited>``,
    else the message's ``<ts>``."""
    parts = key.split("/")
    return seconds_of(parts[3] if len(parts) >= 4 and parts[2] == "edit" else parts[1] if len(parts) > 1 else "")


@dataclass(frozen=True)
class ChannelMark:
    """Where one mirrored channel's catch-up starts."""

    incident_id: int
    channel: Channel
    since: float                 # messages, replies and edits after this are read
    known: frozenset[str]        # keys the incident's mirror log already holds as noted (or failed)


def mark_of(rest_client: object, sealer: Sealer, incident_id: int, channel_id: str) -> ChannelMark | None:
    """The channel's mark from the incident's mirroring link (sealed by fn_slack, intact) and mirror log; None
    when no such link of the incident mirrors the channel."""
    link = next((link for link in ConversationsTable(rest_client, incident_id, sealer).links()
                 if link.mirrors(channel_id, incident_id)), None)
    if link is None:
        return None
    prefix = f"{channel_id}/"
    done = frozenset(row.text(COL_KEY) for row in MirrorLog(rest_client, incident_id).rows()
                     if row.text(COL_KEY).startswith(prefix) and row.text(COL_STATE) in (NOTED, FAILED))
    linked = link.linked_at / 1000 - LINK_SKEW_SECONDS
    newest = max((event_time(key) for key in done), default=0.0)
    since = max(linked, newest - OVERLAP_SECONDS) if newest else linked
    return ChannelMark(incident_id, Channel(id=channel_id, name=link.channel_name, is_private=link.is_private),
                       since, done)


def live_events(channel_id: str, message: dict, since: float) -> list[tuple[float, dict]]:
    """The live events Slack would have sent for one history message (a message or thread reply written after
    ``since``; its last edit made after ``since``), each with when it happened."""
    found = []
    if seconds_of(message.get("ts")) > since:
        found.append((seconds_of(message.get("ts")), {**message, "type": "message", "channel": channel_id}))
    edited = message.get("edited") or {}
    if isinstance(edited, dict) and seconds_of(edited.get("ts")) > since:
        before = {**message, "text": messages.CATCH_UP_EARLIER_TEXT}
        before.pop("edited", None)
        found.append((seconds_of(edited.get("ts")), {
            "type": "message", "subtype": "message_changed", "hidden": True, "channel": channel_id,
            "message": message, "previous_message": before, "event_ts": edited.get("ts"), "ts": edited.get("ts")}))
    return found


def channel_events(slack: SlackClient, mark: ChannelMark) -> list[dict]:
    """Every live event of the channel after its mark, oldest first, each once."""
    found: dict[tuple[str, str, str], tuple[float, dict]] = {}
    oldest = slack_ts(mark.since - THREAD_LOOKBACK_SECONDS)
    for message, replies in slack.iter_threads(mark.channel, oldest=oldest, replies_after=slack_ts(mark.since)):
        thread = [message]
        if seconds_of(message.get("latest_reply")) > mark.since:
            thread += [reply for reply in replies if reply.get("ts") != message.get("ts")]
        for each in thread:
            for when, event in live_events(mark.channel.id, each, mark.since):
                ident = (str(event.get("subtype") or ""), str(each.get("ts")), str(event.get("ts")))
                found.setdefault(ident, (when, event))
    return [event for _, event in sorted(found.values(), key=lambda pair: pair[0])]


class MirrorCatchUp:
    """Runs the catch-up in the background after each (re)connection: one run at a time; a connection made
    during a run makes one more run after it."""

    def __init__(self, settings: SlackSettings, rest_client: object, read: Callable[[str, dict], list[Read]],
                 deliver: Callable[[Read], None], log: logging.Logger | None = None, *,
                 route: Callable[[str], int | None] | None = None) -> None:
        self.settings = settings
        self.rest = rest_client
        self.read = read
        self.deliver = deliver
        self.log = log or LOG
        self.sealer = Sealer(settings.seal_secret)
        self.route = route   # the incident a channel mirrors into (the listener's directory); None: not asked
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._stop = threading.Event()
        self.runs = 0
        self.idle = threading.Event()
        self.idle.set()
        self.last_found = 0

    def start(self) -> None:
        """Catch up in a background thread (returns at once)."""
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
            self.idle.clear()
        threading.Thread(target=self._loop, name="fn-slack-catch-up", daemon=True).start()

    def close(self) -> None:
        """Stop between messages; what is left is caught up by the next connection."""
        self._stop.set()

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.run()
                except Exception as err:  # noqa: BLE001 - a catch-up that fails is retried by the next connection
                    self.log.error(messages.catch_up_run_failed(err))
                with self._lock:
                    if not self._again:
                        break
                    self._again = False
        finally:
            with self._lock:
                self._running = False
                self._again = False
                self.idle.set()

    def run(self) -> int:
        """One catch-up of every mirrored channel; returns how many events were handed to the mirror."""
        started = time.monotonic()
        channels = [(incident_id, channel_id) for incident_id, ids in MirrorIndex(self.rest).mirrored()
                    for channel_id in ids]
        self.log.info(messages.catch_up_started(len(channels)))
        found = 0
        for incident_id, channel_id in channels:
            if self._stop.is_set():
                break
            found += self.channel(incident_id, channel_id)
        self.runs += 1
        self.last_found = found
        self.log.info(messages.catch_up_done(len(channels), found, time.monotonic() - started))
        return found

    def channel(self, incident_id: int, channel_id: str) -> int:
        """Catch up on one channel of one incident; returns how many events were handed on."""
        try:
            if self.route is not None and self.route(channel_id) != incident_id:
                return 0   # the channel mirrors elsewhere (or nowhere): this incident only names it
            mark = mark_of(self.rest, self.sealer, incident_id, channel_id)
            if mark is None:
                return 0
            events = channel_events(SlackClient(self.settings), mark)
        except (SlackError, SlackUnreachableError, SoarError) as err:
            self.log.warning(messages.catch_up_channel_skipped(channel_id, incident_id, err))
            return 0
        handed = 0
        for event in events:
            if self._stop.is_set():
                break
            handed += self._hand_on(mark, event)
        # a line per channel that had something to catch up; the others only at debug level
        line = messages.catch_up_channel(mark.channel.name or channel_id, incident_id, handed, slack_ts(mark.since))
        self.log.log(logging.INFO if handed else logging.DEBUG, line)
        return handed

    def _hand_on(self, mark: ChannelMark, event: dict) -> int:
        """Read one event as the listener reads a live one and deliver what it says (1 when it was handed on).
        A message already noted was handled live, all of it: a reply in a question's thread is not judged
        again (the person would be told again that the question was answered)."""
        reads = [read for read in self.read("events_api", {"event": event}) if not isinstance(read, Ignored)]
        if not reads or any(isinstance(read, SlackEvent) and read.key in mark.known for read in reads):
            return 0
        for read in reads:
            try:
                self.deliver(read)
            except Exception as err:  # noqa: BLE001 - one message's failure must not stop the others
                self.log.error(messages.catch_up_failed(mark.channel.id, getattr(read, "key", event.get("ts")), err))
        return 1


__all__ = ["OVERLAP_SECONDS", "THREAD_LOOKBACK_SECONDS", "ChannelMark", "MirrorCatchUp", "channel_events",
           "mark_of"]
