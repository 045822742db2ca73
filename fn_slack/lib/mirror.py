"""FLOW two-way channels: Slack message events (through the Socket Mode listener) become incident or task
notes, exactly once across integration servers. The SOAR side is soar.incidents and soar.mirror_log; the
text is mrkdwn_to_html.

What becomes a note: messages, thread replies, file shares, edits and deletions by people in a channel whose
link in ``slack_conversations_db`` mirrors (``slack_db_mirror`` Yes). Not mirrored: messages of any bot or
app (fn_slack's own posts included), Slack's system messages (joins, topic changes...), channels without a
mirroring link.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from resilient_lib import RequestsCommon

from fn_slack.lib import messages
from fn_slack.lib.errors import ConfigError
from fn_slack.lib.mrkdwn_to_html import mrkdwn_to_html
from fn_slack.lib.questions import QuestionAnswers
from fn_slack.lib.settings import PACKAGE, SlackSettings
from fn_slack.lib.slack_utils import SlackUtils
from fn_slack.lib.soar.incidents import MirrorIndex, Notes
from fn_slack.lib.soar.links import ConversationsTable, target_of
from fn_slack.lib.soar.mirror_log import NOTED, Claim, MirrorLog, mirror_log_ready, owner_name
from fn_slack.lib.soar.mirror_log import TABLE as MIRROR_TABLE
from fn_slack.lib.socket_listener import SocketListener
from fn_slack.lib.text_conventions import TimeFormat, utc_time

LOG = logging.getLogger(__name__)
PEOPLE_SUBTYPES = {None, "", "thread_broadcast", "file_share", "me_message"}
CACHE_SECONDS = 300
UNLINKED_CACHE_SECONDS = 60
POLL_SECONDS = 0.25     # first wait for another process's open claim; doubles up to MAX_POLL_SECONDS
MAX_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class MirrorTarget:
    """Where a channel's messages go."""

    incident_id: int
    task_id: int | None
    channel_name: str


class ChannelDirectory:
    """Channel ID → mirror target, cached per process (linked for 5 minutes, unlinked for 1 minute). A miss
    costs one incident query and one table read in SOAR (see soar.incidents)."""

    def __init__(self, rest_client: object, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rest = rest_client
        self.clock = clock
        self._cache: dict[str, tuple[float, MirrorTarget | None]] = {}
        self._lock = threading.Lock()
        self.lookups = 0

    def target(self, channel_id: str) -> MirrorTarget | None:
        """Where ``channel_id``'s messages are noted, or None when no incident mirrors it (cached)."""
        now = self.clock()
        with self._lock:
            cached = self._cache.get(channel_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        self.lookups += 1
        found = None
        for incident_id in MirrorIndex(self.rest).incidents_of(channel_id):
            for link in ConversationsTable(self.rest, incident_id).links():
                place = target_of(link.res_id)
                if link.channel_id == channel_id and link.mirror and place and place[0] == incident_id:
                    found = MirrorTarget(incident_id, place[1], link.channel_name)
                    break
            if found:
                break
        with self._lock:
            self._cache[channel_id] = (now + (CACHE_SECONDS if found else UNLINKED_CACHE_SECONDS), found)
        return found

    def forget(self, channel_id: str) -> None:
        """Drop what is cached of ``channel_id``, so the next event looks it up again."""
        with self._lock:
            self._cache.pop(channel_id, None)


@dataclass(frozen=True)
class SlackEvent:
    """A Slack message event reduced to what a note needs."""

    key: str
    kind: str  # "message", "reply", "edit", "delete"
    channel: str
    ts: str
    thread_ts: str | None
    user: str
    text: str
    previous_text: str
    files: tuple[tuple[str, str], ...]  # (name, permalink)


def _is_bot(message: dict, bot_user: str | None) -> bool:
    return bool(message.get("bot_id") or message.get("subtype") == "bot_message"
                or (bot_user and message.get("user") == bot_user))


def _files(message: dict) -> tuple[tuple[str, str], ...]:
    out = []
    for f in message.get("files") or []:
        if isinstance(f, dict) and f.get("mode") not in ("tombstone", "hidden_by_limit"):
            out.append((str(f.get("title") or f.get("name") or "file"), str(f.get("permalink") or "")))
    return tuple(out)


def read_event(event: dict, bot_user: str | None) -> SlackEvent | None:  # noqa: PLR0911 - one exit per kind
    """The event as a note's facts, or None when it is not mirrored (bots, system messages, no change)."""
    if event.get("type") != "message" or not event.get("channel"):
        return None
    channel, subtype = str(event["channel"]), event.get("subtype")
    if subtype in PEOPLE_SUBTYPES:
        if _is_bot(event, bot_user) or not event.get("user"):
            return None
        ts, thread_ts = str(event["ts"]), event.get("thread_ts")
        reply = bool(thread_ts and thread_ts != ts)
        return SlackEvent(f"{channel}/{ts}", "reply" if reply else "message", channel, ts,
                          thread_ts if reply else None, str(event["user"]), str(event.get("text") or ""), "",
                          _files(event))
    if subtype == "message_changed":
        new, old = event.get("message") or {}, event.get("previous_message") or {}
        if _is_bot(new, bot_user) or not new.get("user") or new.get("subtype") == "tombstone":
            return None
        if str(new.get("text") or "") == str(old.get("text") or "") or not new.get("edited"):
            return None  # thread counters or unfurls changed, not what the person wrote
        ts = str(new["ts"])
        thread_ts = new.get("thread_ts") if new.get("thread_ts") != ts else None
        return SlackEvent(f"{channel}/{ts}/edit/{new['edited'].get('ts', event.get('event_ts'))}", "edit", channel,
                          ts, thread_ts, str(new["user"]), str(new.get("text") or ""), str(old.get("text") or ""),
                          _files(new))
    if subtype == "message_deleted":
        old = event.get("previous_message") or {}
        if _is_bot(old, bot_user) or not old.get("user") or old.get("subtype") not in PEOPLE_SUBTYPES:
            return None
        ts = str(event.get("deleted_ts") or old.get("ts"))
        thread_ts = old.get("thread_ts") if old.get("thread_ts") != ts else None
        return SlackEvent(f"{channel}/{ts}/deleted", "delete", channel, ts, thread_ts, str(old["user"]), "",
                          str(old.get("text") or ""), ())
    return None


def note_html(event: SlackEvent, author: str, channel_name: str, link: str,
              user_name: Callable[[str], str | None]) -> str:
    """The note for one event; every part that came from Slack is escaped."""
    esc = html.escape
    when = utc_time(float(event.ts), TimeFormat.NOTE)
    head = messages.mirror_note_header(esc(author), f"<b>#{esc(channel_name)}</b>", esc(when), esc(link, quote=True),
                                       messages.MIRROR_KINDS[event.kind])
    if event.kind == "edit":
        body = (f"<p>{esc(messages.mirror_edited(author, when))}</p><div>{mrkdwn_to_html(event.text, users=user_name)}"
                f"</div><p><i>{messages.MIRROR_BEFORE}</i></p><blockquote>"
                f"{mrkdwn_to_html(event.previous_text, users=user_name)}</blockquote>")
    elif event.kind == "delete":
        body = (f"<p>{esc(messages.mirror_deleted(author, when))}</p><blockquote>"
                f"{mrkdwn_to_html(event.previous_text, users=user_name)}</blockquote>")
    else:
        body = f"<div>{mrkdwn_to_html(event.text, users=user_name)}</div>"
    files = ""
    if event.files:
        items = []
        for name, url in event.files:
            if url.lower().startswith(("https://", "http://")):
                items.append(f'<a href="{esc(url, quote=True)}">{esc(name)}</a>')
            else:
                items.append(esc(name))
        files = messages.mirror_files(items)
    return f"<div>{head}{body}{files}<p><small>{esc(marker(event.key))}</small></p></div>"


def marker(key: str) -> str:
    """The reference each note carries, found again by a process that takes over a dead one's claim."""
    return f"slack-event {key}"


class EventMirror:
    """Handles Socket Mode envelopes: message events of mirrored channels become notes, once."""

    def __init__(self, settings: SlackSettings, rest_client: object, *, directory: ChannelDirectory | None = None,
                 owner: str | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.rest = rest_client
        self.directory = directory or ChannelDirectory(rest_client)
        self.owner = owner or owner_name()
        self.sleep = sleep
        self.clock = clock
        self._identity: dict | None = None
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()
        self._in_flight: dict[str, threading.Event] = {}
        self._closing = threading.Event()
        self.outcomes: dict[str, int] = {}

    def close(self) -> None:
        """Stop waiting for other processes' claims: work in progress ends unacked, Slack delivers it again."""
        self._closing.set()

    # ------------------------------------------------------------------ Slack facts, cached per process
    def _slack(self) -> SlackUtils:
        return SlackUtils(self.settings)

    def identity(self) -> dict:
        """The app's ``auth.test`` answer (team URL, bot user), asked once per process."""
        with self._lock:
            if self._identity is None:
                self._identity = self._slack().auth_test()
            return self._identity

    def user_name(self, user_id: str) -> str:
        """A person's Slack name, remembered per process; the ID itself when Slack cannot say."""
        with self._lock:
            if user_id in self._names:
                return self._names[user_id]
        try:
            name = self._slack().user_name(user_id)
        except Exception:  # noqa: BLE001 - a name is a nicety: the ID stands in
            name = user_id
        with self._lock:
            self._names[user_id] = name
        return name

    def permalink(self, event: SlackEvent) -> str:
        """The Slack link of the event's message (in its thread for a reply), built without a Slack call."""
        base = str(self.identity().get("url") or "https://slack.com/")
        base = base if base.endswith("/") else base + "/"
        link = f"{base}archives/{event.channel}/p{event.ts.replace('.', '')}"
        if event.thread_ts:
            link += f"?thread_ts={event.thread_ts}&cid={event.channel}"
        return link

    # ------------------------------------------------------------------ envelopes
    def handle(self, kind: str, payload: dict, facts: dict | None = None) -> str:
        """One envelope; returns what was done ("noted", "duplicate", "recovered", "ignored", "unlinked")."""
        if kind != "events_api":
            return self._count("ignored")
        event = read_event(payload.get("event") or {}, self.identity().get("user_id"))
        if event is None:
            return self._count("ignored")
        target = self.directory.target(event.channel)
        if target is None:
            return self._count("unlinked")
        if not mirror_log_ready(self.rest):
            LOG.warning(messages.mirror_table_missing(event.channel, MIRROR_TABLE))
            return self._count("skipped")
        return self._count(self._write_once_here(event, target))

    def _write_once_here(self, event: SlackEvent, target: MirrorTarget) -> str:
        """Within this process, one thread works on an event at a time: Slack's retry of an envelope this
        process is still working on waits for that work instead of asking SOAR about it over and over."""
        with self._lock:
            running = self._in_flight.get(event.key)
            first_here = running is None
            if first_here:
                running = self._in_flight[event.key] = threading.Event()
        if not first_here:
            deadline = time.monotonic() + max(4 * self.settings.event_claim_seconds, 60)
            while not running.wait(0.5):
                if self._closing.is_set() or time.monotonic() > deadline:
                    break
            return self._write_once(event, target)
        try:
            return self._write_once(event, target)
        finally:
            with self._lock:
                self._in_flight.pop(event.key, None)
            running.set()

    def _count(self, outcome: str) -> str:
        with self._lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        return outcome

    def _write_once(self, event: SlackEvent, target: MirrorTarget) -> str:
        author = self.user_name(event.user)
        link = self.permalink(event)
        log = MirrorLog(self.rest, target.incident_id, owner=self.owner, clock=self.clock)
        notes = Notes(self.rest)
        lease_ms = self.settings.event_claim_seconds * 1000
        give_up = time.monotonic() + max(4 * self.settings.event_claim_seconds, 60)
        # Claim first, then read the rows once: the oldest row of the key is the claim (see soar.mirror_log).
        link_html = f'<a href="{html.escape(link, quote=True)}">Slack</a>'
        standing = log.claim(event.key, author, link_html)
        pause = POLL_SECONDS
        while True:
            first = standing.first
            if first is None:  # no row of the key is left: claim again
                standing = log.claim(event.key, author, link_html)
                continue
            if first.state == NOTED:
                return "duplicate"
            if standing.won:
                return self._note(event, target, author, link, log, notes, first)
            if not log.lease_over(first, lease_ms):
                if time.monotonic() > give_up or self._closing.is_set():
                    raise TimeoutError(f"the claim of {event.key} stayed open")
                self.sleep(pause)
                pause = min(pause * 2, MAX_POLL_SECONDS)
                standing = log.standing(event.key)
                continue
            standing = log.take_over(first, author, link_html)
            if not standing.won:
                continue
            found = notes.find(target.incident_id, target.task_id, marker(event.key))
            if found is not None:
                log.mark_noted(standing.first, found)
                return "recovered"
            return self._note(event, target, author, link, log, notes, standing.first)

    def _note(self, event: SlackEvent, target: MirrorTarget, author: str, link: str,  # noqa: PLR0913, PLR0917
              log: MirrorLog, notes: Notes, claim: Claim) -> str:
        body = note_html(event, author, target.channel_name, link, self._known_name)
        note_id = notes.add(target.incident_id, target.task_id, body, marker=marker(event.key))
        log.mark_noted(claim, note_id)
        return "noted"

    def _known_name(self, user_id: str) -> str | None:
        return self.user_name(user_id)


class MirrorService:
    """The listener and the mirror together, as the component runs them."""

    def __init__(self, settings: SlackSettings, rest_client: object, log: logging.Logger | None = None) -> None:
        self.log = log or LOG
        self.mirror = EventMirror(settings, rest_client, sleep=self._sleep)
        self.listener = SocketListener(settings, self._handle,
                                       on_error=lambda text: self.log.error(messages.listener_cannot_start(text)))
        self.answers = QuestionAnswers(settings, rest_client, self.listener.respond, user_name=self.mirror.user_name,
                                       bot_user=lambda: self.mirror.identity().get("user_id"))

    def _sleep(self, seconds: float) -> None:
        self.mirror._closing.wait(seconds)  # noqa: SLF001 - the service owns its mirror

    @classmethod
    def from_opts(cls, opts: dict, rest_client: Callable[[], object]) -> MirrorService | None:
        """The service for this process's app.config, or None (logged) when app_token is unset or unusable."""
        log = logging.getLogger(PACKAGE)
        options = opts.get(PACKAGE, {}) or {}
        try:
            rc = RequestsCommon(opts, options)
            settings = SlackSettings.from_app_configs(options, rc.get_proxies(), rc.get_verify())
        except ConfigError as err:
            if options.get("app_token"):
                log.error(messages.listener_cannot_start(err))
            return None
        if not settings.app_token:
            log.info(messages.listener_off())
            return None
        try:
            return cls(settings, rest_client(), log)
        except Exception as err:  # noqa: BLE001 - the functions must load even when the listener cannot
            log.error(messages.listener_cannot_start(err))
            return None

    def _handle(self, kind: str, payload: dict, facts: dict) -> None:
        try:
            if kind == "interactive":
                self.answers.on_interactive(payload)
                return
            event = payload.get("event") or {}
            if kind == "events_api" and event.get("type") == "message" and event.get("parent_user_id"):
                self.answers.on_thread_reply(event)
            self.mirror.handle(kind, payload, facts)
        except Exception as err:
            event = payload.get("event") or {}
            self.log.warning(messages.listener_event_failed(f"{event.get('channel')}/{event.get('ts')}", err))
            raise

    def start(self) -> None:
        """Connect in the background (retried with backoff); the log says when the connection is up."""
        self.listener.start()
        self.log.info(messages.listener_started("Socket Mode"))

    def close(self) -> None:
        """Stop the listener and the mirror's waits; unacked envelopes come again from Slack."""
        self.mirror.close()
        self.listener.close()


__all__ = ["ChannelDirectory", "EventMirror", "MirrorService", "MirrorTarget", "SlackEvent", "note_html",
           "read_event"]
