"""A STOMP 1.2 broker over TLS with queue semantics, standing in for SOAR's message destinations."""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stomp.utils import Frame, convert_frame, parse_frame

LOG = logging.getLogger(__name__)

_ESCAPES = {"\\": "\\\\", "\r": "\\r", "\n": "\\n", ":": "\\c"}
_HEADER_END = (b"\n\n", b"\r\n\r\n")
_DEFAULT_PREFETCH = 1000


def escape_header(value: str) -> str:
    """STOMP 1.2 header escaping (every frame except CONNECT/CONNECTED)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in str(value))


def encode_frame(command: str, headers: dict[str, Any], body: bytes = b"", escape: bool = True) -> bytes:
    """Build the wire bytes of one frame with stomp.py's frame converter."""
    clean = {escape_header(k) if escape else k: escape_header(v) if escape else str(v)
             for k, v in headers.items() if v is not None}
    if body:
        clean["content-length"] = str(len(body))
    return b"".join(convert_frame(Frame(command, clean, body)))


@dataclass
class QueuedMessage:
    """One message in a queue; it keeps its id across redeliveries, as ActiveMQ does."""

    message_id: str
    destination: str
    headers: dict[str, str]
    body: bytes
    deliveries: int = 0
    delivered_to: list[int] = field(default_factory=list)


@dataclass
class Subscription:
    connection: _Connection
    sub_id: str
    destination: str
    ack_mode: str
    prefetch: int
    unacked: int = 0


@dataclass
class Reply:
    """One message a function sent back on a reply-to destination."""

    correlation_id: str
    destination: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float = field(default_factory=time.time)


class ReplyLog:
    """The replies a broker saw, by correlation id, and waiting for a function's final one: what the built-in
    broker and the ActiveMQ front share. The broker sets ``self.lock`` before ``_start_reply_log()``."""

    lock: threading.RLock

    def _start_reply_log(self) -> None:
        self.replies_changed = threading.Condition(self.lock)
        self.replies: dict[str, list[Reply]] = collections.defaultdict(list)
        self.reply_listeners: list[Callable[[Reply], None]] = []

    def _add_reply(self, reply: Reply) -> None:
        with self.replies_changed:
            self.replies[reply.correlation_id].append(reply)
            listeners = list(self.reply_listeners)
            self.replies_changed.notify_all()
        for listener in listeners:
            listener(reply)

    def replies_for(self, correlation_id: str) -> list[Reply]:
        with self.lock:
            return list(self.replies.get(correlation_id, []))

    def wait_for_completion(self, correlation_id: str, timeout: float) -> Reply | None:
        """Block until a reply with complete=true arrives for the correlation id (None on time-out)."""
        deadline = time.monotonic() + timeout
        with self.replies_changed:
            while True:
                for reply in self.replies.get(correlation_id, []):
                    if isinstance(reply.body, dict) and reply.body.get("complete"):
                        return reply
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.replies_changed.wait(remaining)


class _Connection:
    """One client socket: a reader thread, a heart-beat thread and a write lock."""

    _ids = itertools.count(1)

    def __init__(self, broker: StompBroker, sock: socket.socket, address: tuple) -> None:
        self.broker = broker
        self.sock = sock
        self.address = address
        self.number = next(self._ids)
        self.connected = False
        self.closed = threading.Event()
        # One lock for reads and writes: an SSL connection must not be used by two threads at once.
        self._io_lock = threading.Lock()
        self._last_write = time.monotonic()
        self._last_read = time.monotonic()
        self.send_heartbeat_ms = 0
        self.expect_heartbeat_ms = 0
        self.login = ""
        self.finish_by: float | None = None
        self.subscriptions: dict[str, Subscription] = {}
        self.inflight: dict[str, tuple[QueuedMessage, Subscription]] = {}

    # ---------------------------------------------------------------- writing
    def write(self, data: bytes) -> bool:
        with self._io_lock:
            if self.closed.is_set():
                return False
            try:
                self.sock.sendall(data)
            except OSError as exc:
                LOG.debug("connection %s: write failed: %s", self.number, exc)
                self.closed.set()
                return False
            self._last_write = time.monotonic()
            return True

    def send_frame(self, command: str, headers: dict[str, Any], body: bytes = b"") -> bool:
        return self.write(encode_frame(command, headers, body, escape=command != "CONNECTED"))

    def error(self, message: str, detail: str = "", receipt_id: str | None = None) -> None:
        headers = {"message": message, "content-type": "text/plain"}
        if receipt_id:
            headers["receipt-id"] = receipt_id
        self.send_frame("ERROR", headers, detail.encode("utf-8"))

    def finish(self) -> None:
        """Close after an ERROR: stop sending, let the client read what was sent, then drop the socket.

        Closing at once would reset the connection while the client's last bytes sit unread, and a
        reset can discard the ERROR frame before the client sees it."""
        with self._io_lock:
            self.finish_by = time.monotonic() + 2.0
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)

    # ---------------------------------------------------------------- reading
    def run(self) -> None:
        try:
            self.sock.settimeout(self.broker.handshake_timeout)
            if isinstance(self.sock, ssl.SSLSocket):
                self.sock.do_handshake()
            self.sock.settimeout(5.0)
            self._read_loop()
        except (OSError, ssl.SSLError) as exc:
            LOG.debug("connection %s ended: %s", self.number, exc)
        finally:
            self.close()

    def _read_loop(self) -> None:
        buffer = b""
        while not self.closed.is_set():
            if self.finish_by is not None and time.monotonic() > self.finish_by:
                return
            chunk = self._read_available()
            if chunk is None:
                # Nothing decrypted is waiting: sleep until the socket has bytes (or half a second passes).
                # Reading first matters: OpenSSL may already hold a whole record that select cannot see.
                try:
                    readable, _, _ = select.select([self.sock], [], [], 0.5)
                except ValueError:
                    return  # closed by another thread (stop, or a failed write)
                if not readable:
                    self._check_heartbeat()
                continue
            if not chunk:
                return
            self._last_read = time.monotonic()
            buffer += chunk
            while self.finish_by is None:
                frame, buffer = _take_frame(buffer)
                if frame is None:
                    break
                self.broker._handle(self, frame)
                if self.closed.is_set():
                    return

    def _read_available(self) -> bytes | None:
        """What can be read without blocking: bytes, b"" at end of stream, or None when nothing is there."""
        with self._io_lock:
            self.sock.settimeout(0.0)
            try:
                return self.sock.recv(65536)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                return None
            finally:
                with contextlib.suppress(OSError):
                    self.sock.settimeout(5.0)

    def _check_heartbeat(self) -> None:
        # A client that promised heart-beats and went silent for three periods is gone.
        if self.expect_heartbeat_ms and \
                time.monotonic() - self._last_read > 3 * self.expect_heartbeat_ms / 1000:
            LOG.info("connection %s missed its heart-beats; closing it", self.number)
            self.close()

    def heartbeat_loop(self) -> None:
        interval = self.send_heartbeat_ms / 1000
        while not self.closed.wait(interval / 2):
            if time.monotonic() - self._last_write >= interval * 0.9:
                with self._io_lock:
                    if self.closed.is_set():
                        return
                    try:
                        self.sock.sendall(b"\n")
                    except OSError:
                        self.closed.set()
                        return
                    self._last_write = time.monotonic()

    def close(self) -> None:
        already = self.closed.is_set()
        self.closed.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
        if not already or self.inflight or self.subscriptions:
            self.broker._connection_closed(self)


def _take_frame(buffer: bytes) -> tuple[Frame | None, bytes]:
    """Cut one complete frame off the front of `buffer` (heart-beat EOLs are skipped)."""
    buffer = buffer.lstrip(b"\r\n")
    if not buffer:
        return None, b""
    header_end = -1
    sep_len = 0
    for sep in _HEADER_END:
        pos = buffer.find(sep)
        if pos != -1 and (header_end == -1 or pos < header_end):
            header_end, sep_len = pos, len(sep)
    if header_end == -1:
        return None, buffer
    body_start = header_end + sep_len
    length = None
    for line in buffer[:header_end].split(b"\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1].strip() or 0)
            break
    if length is not None:
        end = body_start + length
        if len(buffer) < end + 1:
            return None, buffer
    else:
        end = buffer.find(b"\x00", body_start)
        if end == -1:
            return None, buffer
    frame = parse_frame(buffer[:end])
    return frame, buffer[end + 1:]


class StompBroker(ReplyLog):
    """Queues named by destination; each message goes to exactly one subscriber and is redelivered
    when the connection that holds it un-ACKed drops."""

    def __init__(self, authenticate: Callable[[str, str], bool], ssl_context: ssl.SSLContext | None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.authenticate = authenticate
        self.ssl_context = ssl_context
        self.host = host
        self.requested_port = port
        self.port = 0
        self.handshake_timeout = 10.0
        self.lock = threading.RLock()
        self._start_reply_log()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._connections: set[_Connection] = set()
        self._queues: dict[str, collections.deque[QueuedMessage]] = collections.defaultdict(collections.deque)
        self._subscribers: dict[str, list[Subscription]] = collections.defaultdict(list)
        self._round_robin: dict[str, int] = collections.defaultdict(int)
        self._message_ids = itertools.count(1)
        self._session = f"soar-sandbox-{int(time.time())}"
        self.acked: list[str] = []
        # (message-id, login of the consumer, connection number) for every delivery, redeliveries included.
        self.deliveries: list[tuple[str, str, int]] = []
        self.ended_connections: set[int] = set()   # numbers of the connections that closed or dropped
        self._stopping = threading.Event()

    # ---------------------------------------------------------------- life cycle
    def start(self) -> StompBroker:
        listener = socket.create_server((self.host, self.requested_port), reuse_port=False)
        listener.settimeout(0.1)
        self._listener = listener
        self.port = listener.getsockname()[1]
        thread = threading.Thread(target=self._accept_loop, name="stomp-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        with self.lock:
            connections = list(self._connections)
        for conn in connections:
            conn.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            # Frames are small and each one is awaited by someone: do not let Nagle hold them back.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_context is not None:
                try:
                    sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                except (OSError, ssl.SSLError):
                    sock.close()
                    continue
            conn = _Connection(self, sock, address)
            with self.lock:
                self._connections.add(conn)
            thread = threading.Thread(target=conn.run, name=f"stomp-conn-{conn.number}", daemon=True)
            thread.start()

    # ---------------------------------------------------------------- frames from clients
    def _handle(self, conn: _Connection, frame: Frame) -> None:
        LOG.debug("connection %s: %s", conn.number, frame.cmd)
        command = frame.cmd
        headers = frame.headers
        if command in ("CONNECT", "STOMP"):
            self._on_connect(conn, headers)
        elif not conn.connected:
            conn.error("Not connected", "Send CONNECT first")
            conn.finish()
            return
        elif command == "SUBSCRIBE":
            self._on_subscribe(conn, headers)
        elif command == "UNSUBSCRIBE":
            self._on_unsubscribe(conn, headers.get("id", ""))
        elif command == "SEND":
            self._on_send(conn, headers, frame.body or b"")
        elif command in ("ACK", "NACK"):
            self._on_ack(conn, headers.get("id", ""), requeue=command == "NACK")
        elif command == "DISCONNECT":
            if headers.get("receipt"):
                conn.send_frame("RECEIPT", {"receipt-id": headers["receipt"]})
            conn.close()
            return
        elif command in ("BEGIN", "COMMIT", "ABORT"):
            conn.error("Transactions are not supported", receipt_id=headers.get("receipt"))
            return
        else:
            conn.error(f"Unknown command {command}")
            conn.finish()
            return
        if headers.get("receipt") and not conn.closed.is_set():
            conn.send_frame("RECEIPT", {"receipt-id": headers["receipt"]})

    def _on_connect(self, conn: _Connection, headers: dict[str, str]) -> None:
        versions = headers.get("accept-version", "1.0").split(",")
        if "1.2" not in versions:
            conn.error("Supported protocol versions are 1.2",
                       f"accept-version was {headers.get('accept-version')}")
            conn.finish()
            return
        login = headers.get("login", "")
        passcode = headers.get("passcode", "")
        if not self.authenticate(login, passcode):
            conn.error("Authentication failed: the API key id or secret is wrong")
            conn.finish()
            return
        beats = (headers.get("heart-beat") or "0,0").split(",") + ["0"]
        client_send, client_want = int(beats[0] or 0), int(beats[1] or 0)
        # We send as often as the client wants to hear from us, and accept what it offers to send.
        conn.send_heartbeat_ms = client_want
        conn.expect_heartbeat_ms = client_send
        conn.login = login
        conn.connected = True
        conn.send_frame("CONNECTED", {"version": "1.2", "server": "fn_slack-soar-sandbox/1.0",
                                      "session": f"{self._session}-{conn.number}",
                                      "heart-beat": f"{client_want},{client_send}"})
        if client_want:
            thread = threading.Thread(target=conn.heartbeat_loop, name=f"stomp-hb-{conn.number}", daemon=True)
            thread.start()

    def _on_subscribe(self, conn: _Connection, headers: dict[str, str]) -> None:
        destination = headers.get("destination")
        sub_id = headers.get("id")
        if not destination or sub_id is None:
            conn.error("SUBSCRIBE needs destination and id")
            return
        ack_mode = headers.get("ack", "auto")
        if ack_mode not in ("auto", "client", "client-individual"):
            conn.error(f"Unknown ack mode {ack_mode}")
            return
        try:
            prefetch = int(headers.get("activemq.prefetchSize", _DEFAULT_PREFETCH))
        except ValueError:
            prefetch = _DEFAULT_PREFETCH
        sub = Subscription(conn, sub_id, destination, ack_mode, max(prefetch, 1))
        with self.lock:
            old = conn.subscriptions.get(sub_id)
            if old is not None:
                self._subscribers[old.destination].remove(old)
            conn.subscriptions[sub_id] = sub
            self._subscribers[destination].append(sub)
            self._dispatch(destination)

    def _on_unsubscribe(self, conn: _Connection, sub_id: str) -> None:
        with self.lock:
            sub = conn.subscriptions.pop(sub_id, None)
            if sub is None:
                return
            self._subscribers[sub.destination].remove(sub)
            # Messages the subscription holds un-ACKed go back to the queue.
            for ack_id, (message, held_by) in list(conn.inflight.items()):
                if held_by is sub:
                    del conn.inflight[ack_id]
                    self._queues[message.destination].appendleft(message)
            self._dispatch(sub.destination)

    def _on_send(self, conn: _Connection, headers: dict[str, str], body: bytes) -> None:
        destination = headers.get("destination", "")
        if not destination:
            conn.error("SEND needs a destination")
            return
        correlation_id = headers.get("correlation-id")
        if destination.startswith("acks.") and correlation_id:
            self._record_reply(destination, headers, body)
            return
        self.publish(destination, body, {k: v for k, v in headers.items()
                                         if k not in ("destination", "content-length", "receipt")})

    def _on_ack(self, conn: _Connection, ack_id: str, requeue: bool) -> None:
        with self.lock:
            held = conn.inflight.pop(ack_id, None)
            if held is None:
                conn.error(f"No message to acknowledge with id {ack_id}")
                return
            message, sub = held
            sub.unacked -= 1
            if requeue:
                self._queues[message.destination].appendleft(message)
            else:
                self.acked.append(message.message_id)
            self._dispatch(message.destination)

    def _record_reply(self, destination: str, headers: dict[str, str], body: bytes) -> None:
        try:
            parsed = json.loads(body.decode("utf-8") or "null")
        except (UnicodeDecodeError, json.JSONDecodeError):
            parsed = {"unparsed": body.decode("utf-8", "replace")}
        self._add_reply(Reply(headers["correlation-id"], destination, dict(headers), parsed))

    # ---------------------------------------------------------------- queues
    def publish(self, destination: str, body: bytes | str, headers: dict[str, str] | None = None) -> str:
        """Put a message on a queue; returns its message-id."""
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        message_id = f"ID:{self._session}:{next(self._message_ids)}"
        message = QueuedMessage(message_id, destination, dict(headers or {}), data)
        with self.lock:
            self._queues[destination].append(message)
            self._dispatch(destination)
        return message_id

    def _dispatch(self, destination: str) -> None:
        """Hand queued messages to subscribers with room, round-robin (called with the lock held)."""
        queue = self._queues[destination]
        while queue:
            subs = [s for s in self._subscribers.get(destination, [])
                    if not s.connection.closed.is_set() and s.unacked < s.prefetch]
            if not subs:
                return
            start = self._round_robin[destination] % len(subs)
            self._round_robin[destination] += 1
            # Prefer a consumer that has not had this message before, so a redelivery moves on.
            message = queue[0]
            ordered = subs[start:] + subs[:start]
            sub = next((s for s in ordered if s.connection.number not in message.delivered_to), ordered[0])
            queue.popleft()
            self._deliver(message, sub)

    def _deliver(self, message: QueuedMessage, sub: Subscription) -> None:
        message.deliveries += 1
        message.delivered_to.append(sub.connection.number)
        self.deliveries.append((message.message_id, sub.connection.login, sub.connection.number))
        ack_id = f"{message.message_id}:{message.deliveries}"
        headers = dict(message.headers)
        headers.update({"destination": message.destination, "subscription": sub.sub_id,
                        "message-id": message.message_id, "ack": ack_id})
        if message.deliveries > 1:
            headers["redelivered"] = "true"
        if sub.ack_mode == "auto":
            ok = sub.connection.send_frame("MESSAGE", headers, message.body)
            if ok:
                self.acked.append(message.message_id)
            else:
                self._queues[message.destination].appendleft(message)
            return
        sub.unacked += 1
        sub.connection.inflight[ack_id] = (message, sub)
        if not sub.connection.send_frame("MESSAGE", headers, message.body):
            sub.unacked -= 1
            sub.connection.inflight.pop(ack_id, None)
            self._queues[message.destination].appendleft(message)

    def _connection_closed(self, conn: _Connection) -> None:
        with self.lock:
            self._connections.discard(conn)
            self.ended_connections.add(conn.number)
            touched = set()
            for sub in conn.subscriptions.values():
                if sub in self._subscribers[sub.destination]:
                    self._subscribers[sub.destination].remove(sub)
                touched.add(sub.destination)
            conn.subscriptions.clear()
            # Un-ACKed messages go back to the head of their queue, oldest first.
            for message, _sub in reversed(list(conn.inflight.values())):
                self._queues[message.destination].appendleft(message)
                touched.add(message.destination)
            conn.inflight.clear()
            for destination in touched:
                self._dispatch(destination)

    # ---------------------------------------------------------------- inspection
    def consumers(self, destination: str) -> int:
        """How many live subscriptions the destination has."""
        with self.lock:
            subs = self._subscribers.get(destination, [])
            return len([s for s in subs if not s.connection.closed.is_set()])

    def wait_for_consumers(self, destination: str, count: int = 1, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.consumers(destination) >= count:
                return True
            time.sleep(0.05)
        return False

    def queue_depth(self, destination: str) -> int:
        with self.lock:
            return len(self._queues.get(destination, ()))

    def inflight_count(self, destination: str | None = None) -> int:
        with self.lock:
            return sum(1 for conn in self._connections for message, _ in conn.inflight.values()
                       if destination is None or message.destination == destination)

    def holders(self, destination: str | None = None) -> list[tuple[str, str]]:
        """(message-id, consumer login) of every message delivered and not yet ACKed."""
        with self.lock:
            return [(message.message_id, conn.login) for conn in self._connections
                    for message, _ in conn.inflight.values()
                    if destination is None or message.destination == destination]

