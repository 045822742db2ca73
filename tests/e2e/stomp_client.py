"""A stomp.py client wrapper that records frames, for driving the SOAR sandbox's broker in tests."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import stomp


@dataclass
class Received:
    headers: dict[str, str]
    body: str


@dataclass
class RecordingListener(stomp.ConnectionListener):
    """Keeps every MESSAGE and ERROR frame and counts heart-beats."""

    messages: list[Received] = field(default_factory=list)
    errors: list[Received] = field(default_factory=list)
    connected_headers: dict[str, str] = field(default_factory=dict)
    heartbeats: int = 0
    disconnected: bool = False
    changed: threading.Condition = field(default_factory=threading.Condition)

    def on_connected(self, frame: Any) -> None:
        with self.changed:
            self.connected_headers = dict(frame.headers)
            self.changed.notify_all()

    def on_message(self, frame: Any) -> None:
        with self.changed:
            self.messages.append(Received(dict(frame.headers), frame.body))
            self.changed.notify_all()

    def on_error(self, frame: Any) -> None:
        with self.changed:
            self.errors.append(Received(dict(frame.headers), frame.body))
            self.changed.notify_all()

    def on_heartbeat(self) -> None:
        with self.changed:
            self.heartbeats += 1
            self.changed.notify_all()

    def on_disconnected(self) -> None:
        with self.changed:
            self.disconnected = True
            self.changed.notify_all()

    def wait_until(self, predicate: Any, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(remaining)
            return True


def connect(port: int, login: str, passcode: str, heartbeats: tuple[int, int] = (0, 0),
            wait: bool = True) -> tuple[stomp.StompConnection12, RecordingListener]:
    """A TLS STOMP 1.2 connection to the sandbox broker (certificate not verified, as cafile=false)."""
    conn = stomp.StompConnection12([("127.0.0.1", port)], heartbeats=heartbeats, reconnect_attempts_max=1,
                                   auto_decode=True)
    conn.set_ssl(for_hosts=[("127.0.0.1", port)])
    listener = RecordingListener()
    conn.set_listener("recorder", listener)
    # stomp.py's own wait for CONNECTED has no limit; a bounded wait keeps a broken broker from hanging tests.
    conn.connect(login, passcode, wait=False)
    if wait and not listener.wait_until(lambda: listener.connected_headers or listener.errors, timeout=15):
        hang_up(conn)
        raise AssertionError("the broker did not answer CONNECT")
    return conn, listener


def hang_up(conn: stomp.StompConnection12, timeout: float = 5.0) -> None:
    """DISCONNECT, without waiting longer than `timeout` for the broker's receipt."""
    closer = threading.Thread(target=conn.disconnect, daemon=True)
    closer.start()
    closer.join(timeout)
    if closer.is_alive() and conn.transport.socket is not None:
        conn.transport.socket.shutdown(socket.SHUT_RDWR)


class ScriptedApp:
    """Plays an integration server on the sandbox broker: consumes ``queue`` and answers the first function
    message with ``replies``; with ``hold_after`` N it sends the first N, then waits for ``release`` (or
    ``close``) before the rest, as a function that is still running."""

    def __init__(self, soar: Any, replies: list[dict], *, queue: str, login: tuple[str, str],
                 hold_after: int | None = None) -> None:
        self.conn, self.seen = connect(soar.stomp_port, *login)
        self.replies, self.hold_after = replies, hold_after
        self.release = threading.Event()
        self.conn.subscribe(queue, id="scripted", ack="client-individual")
        assert soar.broker.wait_for_consumers(queue, 1)
        self.thread = threading.Thread(target=self._answer, daemon=True)
        self.thread.start()

    def _answer(self) -> None:
        if not self.seen.wait_until(lambda: self.seen.messages, timeout=30):
            return
        message = self.seen.messages[0]
        for number, reply in enumerate(self.replies):
            if number == self.hold_after:
                self.release.wait(30)
            self.conn.send(message.headers["reply-to"], json.dumps(reply),
                           headers={"correlation-id": message.headers["correlation-id"]})
        self.conn.ack(message.headers["ack"])

    def close(self) -> None:
        self.release.set()
        self.thread.join(10)
        hang_up(self.conn)
