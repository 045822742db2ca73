"""FLOW two-way channels: Slack message events (through the Socket Mode listener) become incident or task
notes, exactly once across integration servers. What an envelope says is read by slack_events (MirrorService
gives each kind of event to its handler); a note's HTML is event_notes; the SOAR side is soar.incidents and
soar.mirror_log.

What becomes a note: messages, thread replies, file shares, edits and deletions by people in a channel whose
link in ``slack_conversations_db`` mirrors (``slack_db_mirror`` Yes) and is the link fn_slack made and sealed
(``soar.routes``: one channel, one incident or task). Not mirrored: messages of any bot or app (fn_slack's own
posts included), Slack's system messages (joins, topic changes...), channels without such a link.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from resilient_lib import RequestsCommon

from fn_slack.lib import messages
from fn_slack.lib.declare_incident import DeclareEdges, DeclareIncident
from fn_slack.lib.errors import ConfigError
from fn_slack.lib.event_notes import failed_note_html, marker, message_link, note_html, slack_link_html
from fn_slack.lib.mirror_catch_up import MirrorCatchUp
from fn_slack.lib.people import Person
from fn_slack.lib.questions import QuestionAnswers
from fn_slack.lib.route_notes import elsewhere_note_html, finding_text, refused_note_html, route_key, route_marker
from fn_slack.lib.settings import PACKAGE, SlackSettings, soar_link_builder
from fn_slack.lib.slack_actions import ActionEdges, Place, SlackActions
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_events import (
    EventDispatch,
    GlobalShortcut,
    IocClick,
    MessageShortcut,
    QuestionClick,
    QuestionReply,
    Read,
    SlackEvent,
    SlashCommand,
    ViewSubmission,
)
from fn_slack.lib.slack_people import SlackPeople
from fn_slack.lib.soar.claimed_notes import ClaimedNote, NotePlace, Timing
from fn_slack.lib.soar.mirror_log import FAILED, NOTED, Claim, MirrorLog, mirror_log_ready, owner_name
from fn_slack.lib.soar.mirror_log import TABLE as MIRROR_TABLE
from fn_slack.lib.soar.routes import RouteDecision, read_routes
from fn_slack.lib.soar.seals import Sealer
from fn_slack.lib.socket_listener import SocketListener

LOG = logging.getLogger(__name__)
CACHE_SECONDS = 300
UNLINKED_CACHE_SECONDS = 60
# users.info calls one event's mentions may make: a message naming hundreds of people must not spend the
# workspace's rate limits, which exports and posts need; mentions past it stay the person's ID in the note.
MENTION_LOOKUPS = 20
# Slack delivers an event that is not acknowledged again, with retry_attempt 1, 2 and 3, then drops it (the
# Events API's retries; sandbox/slack/README.md). A failure at the last delivery is recorded, not raised.
LAST_RETRY_ATTEMPT = 3


@dataclass(frozen=True)
class MirrorTarget:
    """Where a channel's messages go."""

    incident_id: int
    task_id: int | None
    channel_name: str


class ChannelDirectory:
    """Channel ID → mirror target, cached per process (linked for 5 minutes, unlinked for 1 minute). A miss
    costs one incident query and one table read per incident that names the channel (normally one) in SOAR
    (``soar.routes``): the field ``slack_mirror_channels`` only finds the candidates; the channel goes to the
    one link fn_slack sealed that mirrors it (the first linked, when a race made two). Every other incident
    that names the channel is refused: a warning in the log, and ``refused`` (``RouteNotes``) notes it."""

    def __init__(self, rest_client: object, sealer: Sealer, *, clock: Callable[[], float] = time.monotonic,
                 refused: Callable[[RouteDecision], None] | None = None) -> None:
        self.rest = rest_client
        self.sealer = sealer
        self.clock = clock
        self.refused = refused
        self._cache: dict[str, tuple[float, MirrorTarget | None]] = {}
        self._warned: set[tuple[str, int]] = set()   # (channel, incident) refusals logged as warnings already
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
        found = self._find(channel_id)
        with self._lock:
            self._cache[channel_id] = (now + (CACHE_SECONDS if found else UNLINKED_CACHE_SECONDS), found)
        return found

    def _find(self, channel_id: str) -> MirrorTarget | None:
        """The incident (or task) whose sealed link mirrors the channel, asked of SOAR; refusals reported."""
        decision = read_routes(self.rest, self.sealer, channel_id)
        route = decision.route
        for incident_id, findings in decision.refused.items():
            with self._lock:   # a warning once per process; at each later lookup a debug line
                level = logging.DEBUG if (channel_id, incident_id) in self._warned else logging.WARNING
                self._warned.add((channel_id, incident_id))
            LOG.log(level, messages.route_refused_log(
                channel_id, incident_id, [finding_text(f, route.label if route else None, escape=False)
                                          for f in findings]))
        if decision.refused and self.refused is not None:
            try:
                self.refused(decision)
            except Exception as err:  # noqa: BLE001 - the notes are told again at the next lookup; events go on
                LOG.warning(messages.route_note_failed(channel_id, next(iter(decision.refused)), err))
        return MirrorTarget(route.incident_id, route.task_id, route.channel_name) if route else None

    def forget(self, channel_id: str) -> None:
        """Drop what is cached of ``channel_id``, so the next event looks it up again."""
        with self._lock:
            self._cache.pop(channel_id, None)


class RouteNotes:
    """The notes of a refused route, each written once per channel and incident (claimed in the incident's
    ``slack_messages_db`` under ``route/<channel>/refused``, and ``route/<channel>/elsewhere/<incident>`` in the
    incident the channel mirrors into), remembered per process so that a lookup asks SOAR again for none."""

    def __init__(self, rest_client: object, timing: Callable[[], Timing], owner: str) -> None:
        self.rest = rest_client
        self.timing = timing
        self.owner = owner
        self._written: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def __call__(self, decision: RouteDecision) -> None:
        """Note each refused incident of ``decision``, and in the incident the channel mirrors into, each other
        incident that named it."""
        if not mirror_log_ready(self.rest):
            return
        route, channel, name = decision.route, decision.channel_id, decision.channel_name
        owner = route.label if route else None
        for incident_id, findings in decision.refused.items():
            key = route_key(channel, "refused")
            self._once(incident_id, key, lambda k=key, f=findings: refused_note_html(channel, name, f, owner, k))
            if route is not None and route.incident_id != incident_id:
                key = route_key(channel, "elsewhere", incident_id)
                self._once(route.incident_id, key, lambda k=key, i=incident_id: elsewhere_note_html(
                    channel, name, f"incident {i}", k))

    def _once(self, incident_id: int, key: str, body: Callable[[], str]) -> None:
        """The note under ``key``, unless this process or another one recorded it already (one read then)."""
        with self._lock:
            if (incident_id, key) in self._written:
                return
        recorded = [claim for claim in MirrorLog(self.rest, incident_id).claims(key) if claim.state in (NOTED, FAILED)]
        if not recorded:
            place = NotePlace(incident_id, None, key, route_marker(key), PACKAGE)
            ClaimedNote(self.rest, place, self.timing(), owner=self.owner).write(body)
        with self._lock:
            self._written.add((incident_id, key))


class EventMirror:
    """People's messages in mirrored channels (read by slack_events) become notes, once: find the channel's
    incident, claim the event in its mirror log, write the note, mark the claim noted."""

    def __init__(self, settings: SlackSettings, rest_client: object, *, directory: ChannelDirectory | None = None,
                 owner: str | None = None, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.rest = rest_client
        self.owner = owner or owner_name()
        self.sleep = sleep
        self.clock = clock          # the claim time written in a claim row
        self.monotonic = monotonic  # how long another process's claim stood still (never another server's clock)
        self.directory = directory or ChannelDirectory(
            rest_client, Sealer(settings.seal_secret),
            refused=RouteNotes(rest_client, lambda: Timing(settings.event_claim_seconds, clock=self.clock,
                                                           monotonic=self.monotonic, sleep=self.sleep,
                                                           closing=self._closing), self.owner))
        self._identity: dict | None = None
        self._lock = threading.Lock()
        self._in_flight: dict[str, threading.Event] = {}
        self._closing = threading.Event()
        self.outcomes: dict[str, int] = {}

    def close(self) -> None:
        """Stop waiting for other processes' claims: work in progress ends unacked, Slack delivers it again."""
        self._closing.set()

    # ------------------------------------------------------------------ Slack facts, cached per process
    def _slack(self) -> SlackClient:
        return SlackClient(self.settings)

    def identity(self) -> dict:
        """The app's ``auth.test`` answer (team URL, bot user), asked once per process."""
        with self._lock:
            if self._identity is None:
                self._identity = self._slack().auth_test()
            return self._identity

    def person(self, user_id: str) -> Person:
        """Who the person with this Slack ID is (users.info: real name, e-mail, guest, external), remembered per
        process for a while (slack_memory.PERSON_TTL); when Slack cannot say, the ID alone, marked unverified —
        never a name the event itself carried."""
        try:
            return SlackPeople(self._slack()).person(user_id)
        except Exception as err:  # noqa: BLE001 - the note is written all the same, naming the ID unverified
            LOG.warning(messages.person_not_looked_up(user_id, err))
            return Person.unverified(user_id)

    def user_name(self, user_id: str) -> str:
        """The person's real name (users.info), else the ID: where one word names them (a mention)."""
        return self.person(user_id).name

    # ------------------------------------------------------------------ events
    def handle(self, event: SlackEvent, *, last_try: bool = False) -> str:
        """One person's message event; returns what was done ("noted", "duplicate", "recovered", "superseded",
        "unlinked", "skipped", "failed"). ``last_try``: Slack will not deliver the event again."""
        target = self.directory.target(event.channel)
        if target is None:
            return self._count("unlinked")
        if not mirror_log_ready(self.rest):
            LOG.warning(messages.mirror_table_missing(event.channel, MIRROR_TABLE))
            return self._count("skipped")
        return self._count(self._write_once_here(event, target, last_try))

    def _write_once_here(self, event: SlackEvent, target: MirrorTarget, last_try: bool = False) -> str:
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
            return self._write_once(event, target, last_try)
        try:
            return self._write_once(event, target, last_try)
        finally:
            with self._lock:
                self._in_flight.pop(event.key, None)
            running.set()

    def _count(self, outcome: str) -> str:
        with self._lock:
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        return outcome

    def _write_once(self, event: SlackEvent, target: MirrorTarget, last_try: bool = False) -> str:
        """The event's note, written once under the event's claim (soar.claimed_notes; the user guide draws
        the protocol, §12.2)."""
        author = self.person(event.user)
        link = message_link(self.identity().get("url"), event)
        place = NotePlace(target.incident_id, target.task_id, event.key, marker(event.key), author.label,
                          slack_link_html(link))
        timing = Timing(self.settings.event_claim_seconds, clock=self.clock, monotonic=self.monotonic,
                        sleep=self.sleep, closing=self._closing)

        def body() -> str:
            return note_html(event, author, target.channel_name, link, self._mention_names(),
                             channel_names={event.channel: target.channel_name}.get)

        def failed(note: ClaimedNote, claim: Claim, err: Exception) -> str:
            """The event's note could not be written. Before Slack's last delivery, the claim is released and
            the error raised: the envelope stays unacknowledged, Slack delivers it again and any process claims
            it afresh. At the last delivery, a note says which message could not be mirrored and links to it,
            and the claim row records the event as failed, so that it is neither lost silently nor claimed for
            good."""
            if not last_try:
                note.release(claim)
                raise err
            LOG.error(messages.mirror_event_given_up(event.key, err))
            return note.record_failure(claim, failed_note_html(event, author, target.channel_name, link))

        return ClaimedNote(self.rest, place, timing, owner=self.owner).write(body, failed=failed)

    def _mention_names(self) -> Callable[[str], str | None]:
        """Names for one event's mentions: every name this process knows, and at most ``MENTION_LOOKUPS`` more
        asked of Slack; None (the ID stays) for the rest."""
        lookups = [MENTION_LOOKUPS]
        people = SlackPeople(self._slack())

        def name(user_id: str) -> str | None:
            known = people.remembered(user_id)
            if known is not None:
                return known.name
            if lookups[0] <= 0:
                return None
            lookups[0] -= 1
            return self.user_name(user_id)

        return name


class MirrorService:
    """The listener and the mirror together, as the component runs them."""

    def __init__(self, settings: SlackSettings, rest_client: object, log: logging.Logger | None = None, *,
                 soar_link: Callable[[int, int | None], str] | None = None) -> None:
        self.log = log or LOG
        self.mirror = EventMirror(settings, rest_client, sleep=self._sleep)
        self.declare = DeclareIncident(settings, rest_client, DeclareEdges(
            person=self.mirror.person, slack=lambda: SlackClient(settings),
            soar_link=soar_link or soar_link_builder({}, getattr(rest_client, "org_id", None)),
            linked=self.mirror.directory.forget))
        self.listener = SocketListener(settings, self._handle,
                                       on_error=lambda text: self.log.error(messages.listener_cannot_start(text)),
                                       on_connected=self._connected, answer_first=self.declare.answer)
        self.answers = QuestionAnswers(settings, rest_client, self.listener.respond, user_name=self.mirror.user_name,
                                       person=self.mirror.person, pause=self._sleep)
        self.dispatch = EventDispatch(bot_user=lambda: self.mirror.identity().get("user_id"))
        mirror = self.mirror
        self.actions = SlackActions(settings.slash_command, settings.actions_roles, rest_client, ActionEdges(
            respond=self.listener.respond, person=mirror.person, identity=mirror.identity, place=self._place_of,
            timing=lambda: Timing(settings.event_claim_seconds, clock=mirror.clock, monotonic=mirror.monotonic,
                                  sleep=mirror.sleep, closing=mirror._closing),  # noqa: SLF001 - its own mirror
            owner=mirror.owner))
        self.listeners: dict[type, Callable[..., str]] = {
            QuestionReply: self.answers.on_reply, QuestionClick: self.answers.on_click,
            SlashCommand: self.actions.on_command, MessageShortcut: self.actions.on_message_shortcut,
            IocClick: self.actions.on_ioc_click, GlobalShortcut: self.declare.on_shortcut,
            ViewSubmission: self.declare.on_submission}
        """What each kind of event read goes to (``Ignored`` goes nowhere; a ``SlackEvent`` goes to the mirror
        with Slack's delivery count, see ``_deliver``)."""
        self.catch_up = MirrorCatchUp(settings, rest_client, self.dispatch.read,
                                      lambda read: self._deliver(read, {"retry_attempt": 0}), self.log,
                                      route=self._incident_of)
        """What Slack sent while this process was not connected, read from history at each connection."""

    def _place_of(self, channel_id: str) -> Place | None:
        """The incident (and task) a channel is linked to two-way, for an action from Slack."""
        target = self.mirror.directory.target(channel_id)
        return Place(channel_id, target.channel_name, target.incident_id, target.task_id) if target else None

    def _incident_of(self, channel_id: str) -> int | None:
        """The incident a channel mirrors into (the mirror's directory: cached, refusals noted), for catch-up."""
        target = self.mirror.directory.target(channel_id)
        return target.incident_id if target else None

    def _connected(self) -> None:
        """A new Socket Mode connection (Slack's ``hello``): catch up in the background."""
        self.catch_up.start()

    def _sleep(self, seconds: float) -> bool:
        """Sleep, cut short when the service closes; True when it is closing."""
        return self.mirror._closing.wait(seconds)  # noqa: SLF001 - the service owns its mirror

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
            rest = rest_client()
            return cls(settings, rest, log, soar_link=soar_link_builder(opts, getattr(rest, "org_id", None)))
        except Exception as err:  # noqa: BLE001 - the functions must load even when the listener cannot
            log.error(messages.listener_cannot_start(err))
            return None

    def _handle(self, kind: str, payload: dict, facts: dict) -> None:
        """One envelope: an event is acked when this returns (raising leaves it to Slack's retries); a click was
        acked before, and its listener retries its own work (QuestionAnswers.on_click)."""
        try:
            for read in self.dispatch.read(kind, payload):
                self._deliver(read, facts)
        except Exception as err:
            event = payload.get("event") or {}
            self.log.warning(messages.listener_event_failed(f"{event.get('channel')}/{event.get('ts')}", err))
            raise

    def _deliver(self, read: Read, facts: dict) -> None:
        if isinstance(read, SlackEvent):   # a mirrored event records a failure at Slack's last delivery
            self.mirror.handle(read, last_try=int(facts.get("retry_attempt") or 0) >= LAST_RETRY_ATTEMPT)
            return
        listener = self.listeners.get(type(read))
        if listener is not None:
            listener(read)

    def start(self) -> None:
        """Connect in the background (retried with backoff); the log says when the connection is up."""
        self.listener.start()
        self.log.info(messages.listener_started("Socket Mode"))

    def close(self) -> None:
        """Stop the listener and the mirror's waits; unacked envelopes come again from Slack."""
        self.mirror.close()
        self.catch_up.close()
        self.listener.close()


__all__ = ["ChannelDirectory", "EventMirror", "MirrorService", "MirrorTarget", "RouteNotes"]
