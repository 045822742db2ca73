"""SoarSandbox: the REST API and the STOMP broker of one local SOAR org, started and stopped together."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, Protocol

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .broker import Reply, StompBroker
from .rest import SoarRestApp
from .state import DOTTED_PATCH, ORG_ID, ORG_NAME, ROW_VERSIONS, UNKNOWN_COLUMNS, SoarState, default_row_versions
from .tls import SandboxCertificate

if TYPE_CHECKING:
    from .web import SoarWebServer

DEFAULT_API_KEY_ID = "sandbox-api-key-id"
DEFAULT_API_KEY_SECRET = "sandbox-api-key-secret"  # noqa: S105 - a local test credential


BrokerKind = Literal["builtin", "activemq"]
BROKERS: tuple[BrokerKind, ...] = ("builtin", "activemq")


class MessageBroker(Protocol):
    """What the REST side, the driver and the tests use of a broker: the built-in StompBroker and
    ActiveMQBroker both provide it."""

    port: int
    deliveries: list[tuple[str, str, int]]
    ended_connections: set[int]
    acked: list[str]
    reply_listeners: list

    def publish(self, destination: str, body: bytes | str, headers: dict[str, str] | None = None) -> str: ...
    def replies_for(self, correlation_id: str) -> list[Reply]: ...
    def wait_for_completion(self, correlation_id: str, timeout: float) -> Reply | None: ...
    def consumers(self, destination: str) -> int: ...
    def wait_for_consumers(self, destination: str, count: int = 1, timeout: float = 30.0) -> bool: ...
    def queue_depth(self, destination: str) -> int: ...
    def inflight_count(self, destination: str | None = None) -> int: ...
    def holders(self, destination: str | None = None) -> list[tuple[str, str]]: ...
    def stop(self) -> None: ...


# Real SOAR serves its REST API over HTTP/1.1 with persistent connections, and resilient's client keeps them
# in a pool (requests' HTTPAdapter). How long SOAR keeps an idle connection open is not documented; the
# sandbox closes one after this many idle seconds (SoarSandbox(keepalive_seconds=...)).
KEEPALIVE_SECONDS = 30.0


class _BodyOnce:
    """The connection's read stream for one request: once the request's body has been read whole, reads give
    nothing, so that Werkzeug's clean-up after the response (which discards whatever the client has sent
    meanwhile) cannot swallow the next request of a kept-alive connection."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._body_read = False

    def body_read(self) -> None:
        self._body_read = True

    def read(self, size: int = -1) -> bytes:
        return b"" if self._body_read else self._stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        return b"" if self._body_read else self._stream.readline(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _KeepAliveHandler(WSGIRequestHandler):
    """Werkzeug's handler, without its per-request stderr line (the sandbox keeps its own call log), that keeps
    HTTP/1.1 connections open: Werkzeug's development server answers every request with ``Connection: close``
    because it cannot drain an unread request body; the sandbox reads every body whole before the app runs
    (``_read_body_first``), so the next request line is always where the handler looks for it. An idle
    connection is closed after the server's ``keepalive_seconds``."""

    protocol_version = "HTTP/1.1"
    # The status line and headers, then the body, leave in separate writes: with Nagle's algorithm the body
    # waits for the client's delayed ACK (40 ms on Linux) on every answer of a kept-alive connection.
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        connection_stream = self.rfile
        self.rfile = _BodyOnce(connection_stream)
        try:
            super().run_wsgi()
        finally:
            self.rfile = connection_stream

    def make_environ(self) -> dict:
        environ = super().make_environ()
        environ["sandbox.body_read"] = self.rfile.body_read
        environ["sandbox.drop_connection"] = self._drop_connection
        return environ

    def _drop_connection(self) -> None:
        """Close the connection without an answer (what a client sees when SOAR or a proxy in front of it drops
        the connection after the request arrived)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def setup(self) -> None:
        self.timeout = self.server.keepalive_seconds   # socket timeout: the bounded idle time
        super().setup()
        self.server.connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.connection_closed(self.connection)

    def send_header(self, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close" and not self._client_closes():
            return   # Werkzeug's blanket close; the client did not ask for it
        super().send_header(keyword, value)

    def _client_closes(self) -> bool:
        asked = (self.headers.get("Connection", "") if self.headers else "").lower()
        return asked == "close" or self.request_version != "HTTP/1.1"

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


def _read_body_first(app: Callable) -> Callable:
    """WSGI middleware: read the request body whole (by Content-Length, or to its end when chunked) before the
    app runs, so that nothing of it is left on a kept-alive connection."""
    def wrapped(environ: dict, start_response: Callable) -> Iterable[bytes]:
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH") or ""
        if length.isdigit():
            body = stream.read(int(length)) if int(length) else b""
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ.pop("sandbox.body_read", lambda: None)()
        return app(environ, start_response)
    return wrapped


class SoarSandbox:
    """A local SOAR org for `resilient-circuits` and fn_slack: HTTPS REST plus STOMP over TLS on 127.0.0.1."""

    def __init__(self, api_key_id: str = DEFAULT_API_KEY_ID, api_key_secret: str = DEFAULT_API_KEY_SECRET, *,
                 rest_port: int = 0, stomp_port: int = 0, host: str = "127.0.0.1",
                 org_id: int = ORG_ID, org_name: str = ORG_NAME, broker: BrokerKind = "builtin",
                 track_deliveries: bool = True, unknown_columns: str = "refuse",
                 dotted_patch: str = "refuse", row_versions: str | None = None,
                 keepalive_seconds: float = KEEPALIVE_SECONDS, ui_port: int = 0) -> None:
        """`broker`: "builtin" (this package's STOMP broker, the default) or "activemq" (Apache ActiveMQ
        Classic from Debian's package, started as a child process; see sandbox/soar/activemq.py).
        `track_deliveries` (ActiveMQ only): follow ActiveMQ's dispatch log, for `deliveries`/`holders`.
        `unknown_columns`: a data table row write naming a column the table lacks is refused with HTTP 400
        ("refuse", the default) or written without that cell ("drop"); see README, "Where the sandbox decides".
        `dotted_patch`: an incident PATCH naming a custom field as ``properties.<field>`` is refused with HTTP
        400 ("refuse", the default) or taken as the bare name ("accept"); see README.
        `row_versions`: a data table row PUT with a stale ``version`` is refused with HTTP 409 and changes only
        the cells sent ("checked"), or the version is ignored and the PUT replaces the whole row ("ignored");
        unset: $FN_SLACK_SANDBOX_ROW_VERSIONS, else "ignored"; see README.
        `keepalive_seconds`: how long an idle HTTP/1.1 connection stays open.
        `ui_port`: the port of the web page (plain HTTP on the same host; 0 = any free port)."""
        if broker not in BROKERS:
            raise ValueError(f"broker must be one of {', '.join(BROKERS)}, not {broker!r}")
        if unknown_columns not in UNKNOWN_COLUMNS:
            raise ValueError(f"unknown_columns must be one of {', '.join(UNKNOWN_COLUMNS)}, not {unknown_columns!r}")
        if dotted_patch not in DOTTED_PATCH:
            raise ValueError(f"dotted_patch must be one of {', '.join(DOTTED_PATCH)}, not {dotted_patch!r}")
        row_versions = row_versions or default_row_versions()
        if row_versions not in ROW_VERSIONS:
            raise ValueError(f"row_versions must be one of {', '.join(ROW_VERSIONS)}, not {row_versions!r}")
        self.broker_kind: BrokerKind = broker
        self.track_deliveries = track_deliveries
        self._api_keys: dict[str, str] = {api_key_id: api_key_secret}
        self.api_key_id = api_key_id
        self.api_key_secret = api_key_secret
        self.host = host
        self._org = {"org_id": org_id, "org_name": org_name, "unknown_columns": unknown_columns,
                     "dotted_patch": dotted_patch, "row_versions": row_versions}
        self.state = SoarState(**self._org)
        self._requested_rest_port = rest_port
        self._requested_stomp_port = stomp_port
        self._cert: SandboxCertificate | None = None
        self._server: BaseWSGIServer | None = None
        self.keepalive_seconds = keepalive_seconds
        self._connections_guard = threading.Lock()
        self._open_connections: set[socket.socket] = set()
        self.connections_opened = 0   # HTTPS connections accepted (each one a TLS handshake)
        self._thread: threading.Thread | None = None
        self._requested_ui_port = ui_port
        self.web: SoarWebServer | None = None   # the web page, see ui_url
        self.broker: MessageBroker | None = None
        self.state.add_api_key(api_key_id, api_key_secret)
        self.app = SoarRestApp(self.state)

    # ---------------------------------------------------------------- life cycle
    def start(self) -> SoarSandbox:
        """Make the certificate, bind both ports and serve in background threads."""
        self._cert = SandboxCertificate()
        self._server = make_server(self.host, self._requested_rest_port, _read_body_first(self.app), threaded=True,
                                   ssl_context=self._cert.server_context(), request_handler=_KeepAliveHandler)
        self._server.keepalive_seconds = self.keepalive_seconds
        self._server.connection_opened = self._connection_opened
        self._server.connection_closed = self._connection_closed
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="soar-rest", daemon=True)
        self._thread.start()
        try:
            self.broker = self._start_broker()
            from .web import SoarWebServer  # noqa: PLC0415 - the page's driver imports this module

            self.web = SoarWebServer(self, self.host, self._requested_ui_port).start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_broker(self) -> MessageBroker:
        if self.broker_kind == "activemq":
            from .activemq import ActiveMQBroker  # noqa: PLC0415 - only when asked for

            broker = ActiveMQBroker(self._api_keys, (self._cert.cert_path, self._cert.key_path), host=self.host,
                                    port=self._requested_stomp_port, track_deliveries=self.track_deliveries)
            self.broker = broker
            return broker.start()
        return StompBroker(lambda key, secret: self.state.api_key_handle(key, secret) is not None,
                           self._cert.server_context(), host=self.host, port=self._requested_stomp_port).start()

    def stop(self) -> None:
        if self.web is not None:
            self.web.stop()
            self.web = None
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            with self._connections_guard:
                kept = list(self._open_connections)
            for connection in kept:   # kept-alive connections end with the sandbox, not at their idle time
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._cert is not None:
            self._cert.cleanup()
            self._cert = None

    def _connection_opened(self, connection: socket.socket) -> None:
        with self._connections_guard:
            self._open_connections.add(connection)
            self.connections_opened += 1

    def _connection_closed(self, connection: socket.socket) -> None:
        with self._connections_guard:
            self._open_connections.discard(connection)

    def __enter__(self) -> SoarSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- addresses
    @property
    def rest_port(self) -> int:
        return self._server.server_port if self._server else 0

    @property
    def stomp_port(self) -> int:
        return self.broker.port if self.broker else 0

    @property
    def ui_url(self) -> str:
        """The web page's address, ``http://127.0.0.1:<port>/``: incidents, their objects and menu items."""
        return self.web.url if self.web is not None else ""

    @property
    def rest_url(self) -> str:
        return f"https://{self.host}:{self.rest_port}/"

    def rest_client(self, *, retries: int = 1) -> Any:
        """resilient's SimpleClient for this sandbox, signed in with its API key (the self-signed certificate is
        not verified); ``retries`` is resilient's ``request_max_retries``, with no delay between them."""
        import resilient  # noqa: PLC0415 - only the callers that talk REST through resilient need it

        client = resilient.SimpleClient(org_name=self.org_name, base_url=self.rest_url.rstrip("/"), verify=False,
                                        request_max_retries=retries, request_retry_delay=0)
        client.set_api_key(self.api_key_id, self.api_key_secret)
        return client

    @property
    def org_id(self) -> int:
        return self.state.org_id

    @property
    def org_name(self) -> str:
        return self.state.org_name

    def describe(self) -> str:
        broker = " on ActiveMQ" if self.broker_kind == "activemq" else ""
        return (f"SOAR sandbox REST {self.rest_url} STOMP {self.host}:{self.stomp_port}{broker} "
                f'(org "{self.org_name}" id {self.org_id})')

    def reset(self) -> SoarState:
        """A fresh, empty org in place of the current one, with the switches the sandbox was started with and
        its API keys, on the same ports and connections (for test suites that share one sandbox); returns the
        new state."""
        fresh = SoarState(**self._org)
        for key_id, secret in self._api_keys.items():
            fresh.add_api_key(key_id, secret)
        self.state = self.app.state = fresh
        if self.web is not None:   # the page's clicks were on the old org's objects
            self.web.driver.clicks.clear()
            self.web.driver.automatic_runs.clear()
        return fresh

    def add_api_key(self, key_id: str, secret: str) -> int:
        """Another API key (say, one per app process); returns its principal handle."""
        handle = self.state.add_api_key(key_id, secret)
        self._api_keys[key_id] = secret
        add_user = getattr(self.broker, "add_user", None)
        if add_user is not None:
            add_user(key_id, secret)
        return handle

    def app_config_section(self, logdir: str, num_workers: int = 10, api_key: tuple[str, str] | None = None,
                           stomp_port: int | None = None, **extra: Any) -> str:
        """The [resilient] section of an app.config that points resilient-circuits at this sandbox
        (logs go to `logdir`; `api_key` is (id, secret), default the sandbox's first key; `stomp_port` another
        port that leads to the broker, such as a `relay.StompPath`'s; `extra` adds keys)."""
        key_id, secret = api_key or (self.api_key_id, self.api_key_secret)
        lines = ["[resilient]", f"host = {self.host}", f"port = {self.rest_port}", f"org = {self.org_name}",
                 f"api_key_id = {key_id}", f"api_key_secret = {secret}",
                 "cafile = false", f"stomp_port = {stomp_port or self.stomp_port}", f"num_workers = {num_workers}",
                 f"logdir = {logdir}", "loglevel = INFO"]
        lines += [f"{key} = {value}" for key, value in extra.items()]
        return "\n".join(lines) + "\n"

    # ---------------------------------------------------------------- in-process helpers
    def create_incident(self, name: str, description: str = "", **values: Any) -> dict:
        return self.state.create_incident(name, description, **values)

    def create_task(self, inc_id: int, name: str, **values: Any) -> dict:
        return self.state.create_task(inc_id, name, **values)

    def add_note(self, inc_id: int, html: str, task_id: int | None = None) -> dict:
        return self.state.add_note(inc_id, html, task_id=task_id)

    def add_artifact(self, inc_id: int, artifact_type: str, value: str, description: str = "", *,
                     file_name: str | None = None, data: bytes | None = None,
                     content_type: str = "application/octet-stream") -> dict:
        return self.state.add_artifact(inc_id, artifact_type, value, description, file_name=file_name,
                                       data=data, content_type=content_type)

    def add_attachment(self, inc_id: int, name: str, data: bytes, *,
                       content_type: str = "application/octet-stream", task_id: int | None = None) -> dict:
        return self.state.add_attachment(inc_id, name, data, content_type=content_type, task_id=task_id)
