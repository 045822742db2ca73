"""Socket Mode for the Slack sandbox: ``apps.connections.open``, the WebSocket server on 127.0.0.1, the
``hello`` / ``events_api`` / ``interactive`` / ``disconnect`` messages, envelope acks and Slack's retries.

Facts followed (Slack's Socket Mode guide and apps.connections.open method page): the method takes an
app-level token (``xapp-``, scope ``connections:write``) and answers a one-time WebSocket URL; the server
greets each connection with ``hello`` (``num_connections``, ``connection_info.app_id``, ``debug_info``); an
app may hold up to 10 connections and each envelope goes to one of them; the app acknowledges an envelope by
sending ``{"envelope_id": ...}`` back within 3 seconds, else Slack retries it (``retry_attempt``,
``retry_reason``) on a connection, up to 3 retries; ``disconnect`` (``reason`` ``refresh_requested``,
``warning``, ``link_disabled``) asks the app to open a new connection.

Interactive envelopes (a click: ``block_actions``) are the exception: Slack sends them once, with
``accepts_response_payload: false`` and no retry fields, and never again; when no ack comes within 3 seconds
the person who clicked sees an error next to the button (``timeouts``), whatever the app does later.

Where Slack is less kind (each with its source in README.md): an event for an app with no open connection is
held for ``event_hold_seconds`` (default: Slack's Events API retries end about 5 minutes after the first
attempt) and then dropped (``dropped``, with the reason in ``drop_reasons``); with ``duplicate_events`` N, every
Nth event is delivered twice under two envelope ids; an 11th connection of the app gets ``disconnect`` with
``reason`` ``too_many_websockets`` and is closed.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

MAX_CONNECTIONS = 10
ACK_TIMEOUT = 3.0
MAX_RETRIES = 3
APP_TOKEN = "xapp-1-A0SANDBOXAPP-sandbox-app-token"
# Slack's Events API retries a failed delivery nearly at once, after 1 minute and after 5 minutes, then gives
# up; an app without a Socket Mode connection is a failed delivery, so its events are gone about 5 minutes on.
EVENT_HOLD_SECONDS = 300.0
EVENT_HOLD_ENV = "SLACK_SANDBOX_EVENT_HOLD_SECONDS"
DUPLICATE_EVENTS_ENV = "SLACK_SANDBOX_DUPLICATE_EVENTS"   # N: every Nth event is delivered twice; 0: none
DUPLICATE_ACTIONS_ENV = "SLACK_SANDBOX_DUPLICATE_ACTIONS"  # N: every Nth command/shortcut/submission twice
# Envelopes Slack sends once (a person's click, command, shortcut or submission): no retry fields, 3 s to ack.
ONCE = frozenset({"interactive", "slash_commands"})
DROPPED_AFTER_RETRIES = "retries_exhausted"   # unacked after the last retry
DROPPED_UNCONNECTED = "no_connection"         # held past event_hold_seconds without an open connection


def _env_number(name: str, default: float) -> float:
    """A number from the environment (the sandbox run as a process), else ``default``."""
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


@dataclass
class Delivery:
    """One envelope sent on one connection (the log tests and the benchmark read)."""

    envelope_id: str
    connection: int
    retry_attempt: int
    time: float


@dataclass
class _Pending:
    envelope: dict
    attempts: list[int] = field(default_factory=list)  # connection numbers tried, in order
    deadline: float = 0.0
    connection: int | None = None
    published: float = 0.0   # time.monotonic() of publish: an event's hold and a click's 3 s count from there


class _Conn:
    def __init__(self, number: int, ws: ServerConnection) -> None:
        self.number = number
        self.ws = ws
        self.send_lock = threading.Lock()
        self.open = True

    def send(self, message: dict) -> bool:
        with self.send_lock:
            if not self.open:
                return False
            try:
                self.ws.send(json.dumps(message))
                return True
            except (ConnectionClosed, OSError):
                self.open = False
                return False


class SocketModeHub:
    """The Socket Mode side of one sandbox Slack: connections, envelopes in flight, acks and retries."""

    def __init__(self, app_id: Callable[[], str], *, ack_timeout: float = ACK_TIMEOUT,
                 max_retries: int = MAX_RETRIES, event_hold_seconds: float | None = None,
                 duplicate_events: int | None = None) -> None:
        self._app_id = app_id
        self.ack_timeout = ack_timeout
        self.max_retries = max_retries
        self._defaults = (
            _env_number(EVENT_HOLD_ENV, EVENT_HOLD_SECONDS) if event_hold_seconds is None else event_hold_seconds,
            int(_env_number(DUPLICATE_EVENTS_ENV, 0)) if duplicate_events is None else duplicate_events)
        self.event_hold_seconds, self.duplicate_events = self._defaults
        self._events_published = 0
        self._actions_published = 0
        self.duplicate_actions = int(_env_number(DUPLICATE_ACTIONS_ENV, 0))
        self.duplicated: dict[str, str] = {}  # envelope id of a second delivery -> the first's
        self.drop_reasons: dict[str, str] = {}  # dropped envelope id -> why (DROPPED_*)
        self.too_many: list[int] = []  # connection numbers told too_many_websockets
        self.app_tokens: set[str] = {APP_TOKEN}
        self._lock = threading.Condition()
        self._tickets: set[str] = set()
        self._conns: dict[int, _Conn] = {}
        self._numbers = itertools.count(1)
        self._rr = 0
        self.first_choice: int | None = None  # a connection every first delivery goes to while it is open
        self._pending: dict[str, _Pending] = {}
        self._backlog: list[str] = []  # envelope ids waiting for any connection
        self.deliveries: list[Delivery] = []
        self.acked: dict[str, float] = {}  # envelope id -> when its ack arrived
        self.acks_by_connection: dict[str, int] = {}
        self.dropped: list[str] = []  # envelopes given up after the last retry
        self.timeouts: dict[str, float] = {}  # interactive envelope id -> when the person saw the timeout
        self.ack_payloads: dict[str, dict] = {}
        self.published: dict[str, float] = {}
        self._server = None
        self._thread: threading.Thread | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port = 0

    # ----- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> SocketModeHub:
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None, max_size=2 ** 22)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-socket-mode", daemon=True)
        self._thread.start()
        self._ticker = threading.Thread(target=self._tick, name="slack-socket-mode-retries", daemon=True)
        self._ticker.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            conns = list(self._conns.values())
            self._lock.notify_all()
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.ws.close()
        if self._server is not None:
            self._server.shutdown()
        for thread in (self._thread, self._ticker):
            if thread is not None:
                thread.join(timeout=5)
        self._server = None

    def reset(self) -> None:
        """Forget envelopes and logs (connections stay open)."""
        with self._lock:
            self._pending.clear()
            self._backlog.clear()
            self.deliveries.clear()
            self.acked.clear()
            self.acks_by_connection.clear()
            self.dropped.clear()
            self.timeouts.clear()
            self.ack_payloads.clear()
            self.published.clear()
            self.duplicated.clear()
            self.drop_reasons.clear()
            self.too_many.clear()
            self._events_published = 0
            self._actions_published = 0
            self.duplicate_actions = int(_env_number(DUPLICATE_ACTIONS_ENV, 0))
            self.first_choice = None
            self.event_hold_seconds, self.duplicate_events = self._defaults

    # ----- apps.connections.open -------------------------------------------------------------------------
    def open_connection(self, token: str | None) -> dict:
        """The answer of apps.connections.open for this token."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token not in self.app_tokens:
            if token.startswith(("xoxb-", "xoxp-")):
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": False, "error": "invalid_auth"}
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self._app_id()}"}

    # ----- inspection ------------------------------------------------------------------------------------
    @property
    def connection_count(self) -> int:
        with self._lock:
            return sum(1 for c in self._conns.values() if c.open)

    def open_connections(self) -> list[int]:
        """The numbers of the open connections, oldest first (a test names one as ``first_choice``)."""
        with self._lock:
            return sorted(n for n, c in self._conns.items() if c.open)

    def wait_for_connections(self, n: int, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        with self._lock:
            while sum(1 for c in self._conns.values() if c.open) < n:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.2))
            return True

    def in_flight(self) -> list[str]:
        with self._lock:
            return [eid for eid, p in self._pending.items() if p.connection is not None]

    def wait_acked(self, envelope_id: str, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        with self._lock:
            while envelope_id not in self.acked:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.2))
            return True

    def wait_timed_out(self, envelope_id: str, timeout: float = 30.0) -> bool:
        """Wait until the person who made an interactive envelope saw Slack's timeout (no ack within 3 s)."""
        end = time.monotonic() + timeout
        with self._lock:
            while envelope_id not in self.timeouts:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.2))
            return True

    def wait_delivered(self, envelope_id: str, attempt: int = 0, timeout: float = 30.0) -> Delivery | None:
        end = time.monotonic() + timeout
        with self._lock:
            while True:
                for d in self.deliveries:
                    if d.envelope_id == envelope_id and d.retry_attempt >= attempt:
                        return d
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self._lock.wait(min(left, 0.2))

    # ----- publishing ------------------------------------------------------------------------------------
    def publish(self, kind: str, payload: dict) -> str:
        """Queue an envelope (``events_api`` or ``interactive``) for delivery; returns its envelope id. An
        interactive envelope (a click) carries no retry fields: Slack sends it once."""
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "payload": payload, "type": kind,
                    "accepts_response_payload": kind == "slash_commands"}
        if kind not in ONCE:
            envelope.update(retry_attempt=0, retry_reason="")
        with self._lock:
            self._queue(envelope)
            if kind == "events_api":
                self._maybe_duplicate(envelope)
            elif kind in ONCE and payload.get("type") != "block_actions":
                self._maybe_duplicate_action(envelope)
            self._lock.notify_all()
        return envelope_id

    def _queue(self, envelope: dict) -> None:
        """Under the lock: an envelope waits for a connection."""
        self._pending[envelope["envelope_id"]] = _Pending(envelope, published=time.monotonic())
        self.published[envelope["envelope_id"]] = time.time()
        self._backlog.append(envelope["envelope_id"])

    def _maybe_duplicate(self, envelope: dict) -> None:
        """Under the lock: with ``duplicate_events`` N, every Nth event is queued a second time under another
        envelope id, as Slack sometimes delivers one event twice."""
        self._events_published += 1
        every = int(self.duplicate_events or 0)
        if every > 0 and self._events_published % every == 0:
            copy = {**envelope, "envelope_id": str(uuid.uuid4())}
            self.duplicated[copy["envelope_id"]] = envelope["envelope_id"]
            self._queue(copy)

    def _maybe_duplicate_action(self, envelope: dict) -> None:
        """Under the lock: with ``duplicate_actions`` N, every Nth command, shortcut or modal submission is
        queued a second time under another envelope id (a switch, off by default: Slack documents these as sent
        once, and whether an ack lost with its connection ever brings one back is not documented)."""
        self._actions_published += 1
        every = int(self.duplicate_actions or 0)
        if every > 0 and self._actions_published % every == 0:
            copy = {**envelope, "envelope_id": str(uuid.uuid4())}
            self.duplicated[copy["envelope_id"]] = envelope["envelope_id"]
            self._queue(copy)

    def disconnect(self, connection: int | None = None, reason: str = "refresh_requested") -> int:
        """Send ``disconnect`` to one connection (or all); Slack closes the socket a little later."""
        with self._lock:
            targets = [c for n, c in self._conns.items() if c.open and (connection is None or n == connection)]
        for conn in targets:
            conn.send({"type": "disconnect", "reason": reason,
                       "debug_info": {"host": "sandbox-socket-mode"}})
        def close_later() -> None:
            time.sleep(1.0)
            for conn in targets:
                with contextlib.suppress(Exception):
                    conn.ws.close()
        threading.Thread(target=close_later, daemon=True).start()
        return len(targets)

    # ----- the WebSocket side ----------------------------------------------------------------------------
    def _handle(self, ws: ServerConnection) -> None:
        query = parse_qs(urlparse(ws.request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
            too_many = sum(1 for c in self._conns.values() if c.open) >= MAX_CONNECTIONS
        if not valid:
            ws.close(code=1008, reason="invalid ticket")
            return
        number = next(self._numbers)
        if too_many:  # Slack accepts the socket, says why in a disconnect message, and closes it
            with self._lock:
                self.too_many.append(number)
            with contextlib.suppress(ConnectionClosed, OSError):
                ws.send(json.dumps({"type": "disconnect", "reason": "too_many_websockets",
                                    "debug_info": {"host": "sandbox-socket-mode"}}))
                ws.close()
            return
        conn = _Conn(number, ws)
        with self._lock:
            self._conns[number] = conn
            count = sum(1 for c in self._conns.values() if c.open)
        conn.send({"type": "hello", "num_connections": count,
                   "debug_info": {"host": "sandbox-socket-mode", "build_number": 1,
                                  "approximate_connection_time": 18060},
                   "connection_info": {"app_id": self._app_id()}})
        with self._lock:
            self._lock.notify_all()
        try:
            for raw in ws:
                self._on_message(number, raw)
        except ConnectionClosed:
            pass
        finally:
            conn.open = False
            with self._lock:
                self._conns.pop(number, None)
                # Envelopes this connection held unacked are retried at once (the connection went away).
                for pending in self._pending.values():
                    if pending.connection == number:
                        pending.deadline = 0.0
                self._lock.notify_all()

    def _on_message(self, number: int, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not envelope_id:
            return
        with self._lock:
            pending = self._pending.get(envelope_id)
            if pending is None or pending.connection != number:
                return  # an ack for an envelope that was retried elsewhere or already acked
            del self._pending[envelope_id]
            self.acked[envelope_id] = time.time()
            self.acks_by_connection[envelope_id] = number
            if isinstance(message.get("payload"), dict):
                self.ack_payloads[envelope_id] = message["payload"]
            self._lock.notify_all()

    def _pick(self, avoid: list[int]) -> _Conn | None:
        open_conns = [c for n, c in sorted(self._conns.items()) if c.open]
        if not open_conns:
            return None
        chosen = self._conns.get(self.first_choice) if self.first_choice is not None and not avoid else None
        if chosen is not None and chosen.open:   # a test decides who gets the first delivery; retries go elsewhere
            return chosen
        fresh = [c for c in open_conns if c.number not in avoid] or open_conns
        self._rr += 1
        return fresh[self._rr % len(fresh)]

    def _due(self, now: float) -> list[tuple[_Conn, dict]]:
        """Under the lock: envelopes to send now (new ones, and retries of those not acked in time)."""
        sends: list[tuple[_Conn, dict]] = []
        for eid, pending in list(self._pending.items()):
            if pending.envelope["type"] in ONCE and self._timed_out(eid, pending, now):
                continue
            waiting = eid in self._backlog
            if waiting and self._held_too_long(pending, now):
                self._backlog.remove(eid)
                self._drop(eid, DROPPED_UNCONNECTED)
                continue
            if pending.connection is not None and pending.deadline > now:
                continue
            if pending.connection is None and not waiting:
                continue
            envelope = dict(pending.envelope)
            if pending.connection is not None:  # not acked in time, or its connection went away
                if len(pending.attempts) > self.max_retries:
                    self._drop(eid, DROPPED_AFTER_RETRIES)
                    continue
                envelope.update(retry_attempt=len(pending.attempts), retry_reason="timeout")
            conn = self._pick(pending.attempts)
            if conn is None:
                pending.connection = None
                if not waiting:
                    self._backlog.append(eid)
                continue
            if waiting:
                self._backlog.remove(eid)
            pending.envelope = envelope
            pending.connection = conn.number
            pending.attempts.append(conn.number)
            pending.deadline = now + self.ack_timeout
            if envelope["type"] in ONCE:   # the 3 s of a click (command, shortcut) run from the click
                pending.deadline = pending.published + self.ack_timeout
            self.deliveries.append(Delivery(eid, conn.number, envelope.get("retry_attempt", 0), time.time()))
            sends.append((conn, envelope))
        return sends

    def _timed_out(self, eid: str, pending: _Pending, now: float) -> bool:
        """Under the lock: an interactive envelope is never delivered again. Once sent, or 3 s after the click
        when no connection took it, without an ack in time it is over: the person saw the timeout."""
        if pending.connection is not None:
            over = pending.deadline <= now   # not acked in time, or its connection went away
        else:
            over = now - pending.published >= self.ack_timeout   # no connection took it in time
        if not over:
            return False
        del self._pending[eid]
        if eid in self._backlog:
            self._backlog.remove(eid)
        self.timeouts[eid] = time.time()
        self._lock.notify_all()
        return True

    def _held_too_long(self, pending: _Pending, now: float) -> bool:
        """An event waiting for a connection past ``event_hold_seconds`` (interactive envelopes aside)."""
        return pending.envelope.get("type") == "events_api" and now - pending.published >= self.event_hold_seconds

    def _drop(self, envelope_id: str, reason: str) -> None:
        """Under the lock: give an envelope up, with the reason."""
        self._pending.pop(envelope_id, None)
        self.dropped.append(envelope_id)
        self.drop_reasons[envelope_id] = reason

    def _tick(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                sends = self._due(time.monotonic())
                if not sends:
                    self._lock.wait(0.02)
            for conn, envelope in sends:
                if not conn.send(envelope):
                    with self._lock:
                        pending = self._pending.get(envelope["envelope_id"])
                        if pending is not None:
                            pending.deadline = 0.0


def event_payload(event: dict, *, team_id: str, app_id: str, event_time: int | None = None,
                  bot_user_id: str | None = None) -> dict:
    """An ``event_callback`` payload as the Events API wraps one event, with ``authorizations`` (the one
    installation the event is for: the app's bot user in the team)."""
    return {"token": "sandbox-verification-token", "team_id": team_id, "api_app_id": app_id, "event": event,
            "type": "event_callback", "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": event_time or int(time.time()), "is_ext_shared_channel": False,
            "event_context": "4-" + uuid.uuid4().hex,
            "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": bot_user_id,
                                "is_bot": True, "is_enterprise_install": False}]}


__all__ = ["ACK_TIMEOUT", "APP_TOKEN", "DROPPED_AFTER_RETRIES", "DROPPED_UNCONNECTED", "EVENT_HOLD_SECONDS",
           "MAX_CONNECTIONS", "Delivery", "SocketModeHub", "event_payload"]
