"""A network path between one `resilient-circuits run` process and the SOAR sandbox's broker that a test can cut.

`StompPath(soar)` listens on its own 127.0.0.1 port and forwards each connection made to it to the broker's
STOMP port, byte for byte (TLS stays end to end: the process still checks the broker's certificate, the broker
still sees the process's login). An app.config whose `stomp_port` is the path's port (`write_app_config(...,
stomp_port=path.port)`) sends that process's STOMP connection through it, and the test decides when it breaks:

- `cut()` resets every connection on the path, both ends at once (SO_LINGER 0: a TCP RST, as a NAT table or
  firewall that forgot the connection, or a broker that closed it, leaves it). The broker puts back what the
  process held un-ACKed; the process notices at once and reconnects after resilient-circuits' back-off. New
  connections are forwarded again.
- `hold()` stops forwarding what the broker sends (it is kept, not lost) until `release()` or `cut()`: frames
  the broker has sent and the process has not received, as on a congested link. A held path that is then cut
  loses them: the broker dispatched those messages and the process never saw them.

Works the same in front of the built-in broker and ActiveMQ.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading

from .sandbox import SoarSandbox


class _Pair:
    """One forwarded connection: the process's socket and the one to the broker."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.held_downstream = bytearray()   # broker → process bytes kept while the path is held
        self.closed = False

    def reset(self) -> None:
        """Close both sockets with a TCP RST (no FIN, nothing more delivered)."""
        if self.closed:
            return
        self.closed = True
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                sock.close()


class StompPath:
    """Forwards connections from `port` to the sandbox's STOMP port; `cut()` and `hold()` break them."""

    def __init__(self, soar: SoarSandbox, host: str = "127.0.0.1") -> None:
        self.target = (soar.host, soar.stomp_port)
        self.host = host
        self.port = 0
        self.cuts = 0
        self.connections_made = 0
        self._listener: socket.socket | None = None
        self._selector = selectors.DefaultSelector()
        self._pairs: list[_Pair] = []
        self._lock = threading.Lock()
        self._holding = False
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._cut_done = threading.Event()

    def start(self) -> StompPath:
        listener = socket.create_server((self.host, 0))
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._selector.register(listener, selectors.EVENT_READ, ("accept", None))
        self._selector.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._thread = threading.Thread(target=self._loop, name=f"stomp-path-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            for pair in self._pairs:
                pair.reset()
            self._pairs.clear()
        if self._listener is not None:
            self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        self._selector.close()

    def __enter__(self) -> StompPath:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- what a test does
    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for pair in self._pairs if not pair.closed)

    def hold(self) -> None:
        """Keep what the broker sends from reaching the process (until `release` or `cut`)."""
        with self._lock:
            self._holding = True

    def release(self) -> None:
        """Deliver what was held and forward again."""
        with self._lock:
            self._holding = False
        self._wake()

    def cut(self) -> int:
        """Reset every connection on the path (what was held is lost); returns how many were cut."""
        with self._lock:
            live = [pair for pair in self._pairs if not pair.closed]
        self._wake(b"c")
        # The loop thread owns the sockets; it resets them and answers through the event.
        self._cut_done.wait(5)
        self._cut_done.clear()
        self.cuts += 1
        return len(live)

    # ---------------------------------------------------------------- the forwarding loop
    def _wake(self, what: bytes = b"w") -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(what)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            for key, _mask in self._selector.select(timeout=0.5):
                kind, pair = key.data
                if kind == "accept":
                    self._accept()
                elif kind == "wake":
                    self._on_wake()
                elif not pair.closed:
                    self._forward(pair, key.fileobj)
            self._flush_released()

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = _Pair(client, upstream)
        with self._lock:
            self._pairs.append(pair)
            self.connections_made += 1
        self._selector.register(client, selectors.EVENT_READ, ("client", pair))
        self._selector.register(upstream, selectors.EVENT_READ, ("upstream", pair))

    def _on_wake(self) -> None:
        try:
            data = self._wake_r.recv(64)
        except OSError:
            return
        if b"c" in data:
            with self._lock:
                pairs, self._pairs = self._pairs, []
            for pair in pairs:
                self._close(pair)   # what was held goes with it, never delivered
            with self._lock:
                self._holding = False   # new connections are forwarded as they come
            self._cut_done.set()

    def _close(self, pair: _Pair) -> None:
        for sock in (pair.client, pair.upstream):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
        pair.reset()

    def _forward(self, pair: _Pair, source: socket.socket) -> None:
        downstream = source is pair.upstream
        try:
            data = source.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:   # one side closed: close the other as the network would pass the FIN on
            self._close(pair)
            with self._lock:
                if pair in self._pairs:
                    self._pairs.remove(pair)
            return
        with self._lock:
            holding = self._holding
        if downstream and (holding or pair.held_downstream):
            pair.held_downstream += data
            return
        self._send(pair, pair.client if downstream else pair.upstream, data)

    def _flush_released(self) -> None:
        with self._lock:
            if self._holding:
                return
            pairs = [pair for pair in self._pairs if pair.held_downstream and not pair.closed]
        for pair in pairs:
            data, pair.held_downstream = bytes(pair.held_downstream), bytearray()
            self._send(pair, pair.client, data)

    def _send(self, pair: _Pair, sock: socket.socket, data: bytes) -> None:
        try:
            sock.settimeout(5)   # a process that stopped reading must not stall the path for ever
            sock.sendall(data)
            sock.setblocking(False)
        except OSError:
            self._close(pair)
