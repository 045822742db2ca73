"""Apache ActiveMQ Classic (Debian's `activemq` package) behind the SOAR sandbox, set up like SOAR's broker.

ActiveMQ runs as a child process with its own configuration and data in a temporary directory, on a free
127.0.0.1 port: STOMP over TLS with the sandbox's certificate, one user per API key (JAAS properties that
ActiveMQ reloads when a key is added), queues `actions.<org>.<destination>` that only the keys can read and
`acks.<org>.<destination>` that only they can write, client-individual acks and redelivery of what a dropped
consumer held. The sandbox talks to it as a STOMP client (stomp.py): it publishes the function messages,
reads the replies, and follows ActiveMQ's logging broker plugin for what a STOMP client cannot ask:
consumers per queue, which consumer got which message, acknowledgements (the Debian package ships neither
the web console nor a JMX client, and advisory messages need XStream to reach a STOMP client).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import stomp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .broker import Reply, ReplyLog

LOG = logging.getLogger(__name__)

ACTIVEMQ_HOME = Path(os.environ.get("ACTIVEMQ_HOME", "/usr/share/activemq"))
JAVA = os.environ.get("JAVA", "java")
SANDBOX_LOGIN = "soar-sandbox"
START_TIMEOUT = 90.0
# A small heap and the client compiler: the broker holds a few thousand small messages at most, and start-up
# time matters more than peak throughput of the JIT (measured: see sandbox/soar/README.md).
JVM_OPTIONS = ["-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
               # stomp.py reads and writes one SSL socket from two threads; a TLS 1.3 session ticket arriving
               # right after the handshake can swallow its CONNECT frame.
               "-Djdk.tls.server.protocols=TLSv1.2"]
# Lines of ActiveMQ's logging broker plugin that the sandbox follows (one line per event, see _LOG4J).
_CONNECTION_ADDED = re.compile(r"Adding Connection: ConnectionInfo \{.*?connectionId = (?P<conn>\S+?), .*?"
                               r"userName = (?P<user>\S+?), ")
_CONSUMER = re.compile(r"(?P<what>Adding|Removing) Consumer: ConsumerInfo \{.*?consumerId = (?P<consumer>\S+?), "
                       r"destination = queue://(?P<destination>[^,\s]+),")
_DISPATCH = re.compile(r"preProcessDispatch: MessageDispatch \{.*?consumerId = (?P<consumer>\S+?), "
                       r"destination = queue://(?P<destination>[^,\s]+), message = .*?messageId = (?P<amq>\S+?), "
                       r".*?properties = \{[^}]*?sandbox-message-id=(?P<mid>[^,}\s]+)")
_ACK = re.compile(r"Acknowledging message for client ID: \S+?, (?P<amq>ID:[^\s,]+)")

_LOG4J = """\
log4j.rootLogger=INFO, log
log4j.logger.org.springframework=WARN
log4j.logger.org.apache.xbean=WARN
log4j.appender.log=org.apache.log4j.FileAppender
log4j.appender.log.File={data}/activemq.log
log4j.appender.log.layout=org.apache.log4j.PatternLayout
log4j.appender.log.layout.ConversionPattern=%d{{HH:mm:ss.SSS}} %-5p %c{{1}} | %m%n
log4j.logger.org.apache.activemq.broker.util.LoggingBrokerPlugin=INFO, events
log4j.additivity.org.apache.activemq.broker.util.LoggingBrokerPlugin=false
log4j.appender.events=org.apache.log4j.FileAppender
log4j.appender.events.File={data}/events.log
log4j.appender.events.BufferedIO=false
log4j.appender.events.layout=org.apache.log4j.PatternLayout
log4j.appender.events.layout.ConversionPattern=%m%n
"""

_LOGIN_CONFIG = """\
soar-sandbox {{
    org.apache.activemq.jaas.PropertiesLoginModule required
        org.apache.activemq.jaas.properties.user="users.properties"
        org.apache.activemq.jaas.properties.group="groups.properties"
        reload=true;
}};
"""

_BROKER_XML = """\
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans
         http://www.springframework.org/schema/beans/spring-beans.xsd
         http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="soar-sandbox" useJmx="false"
          persistent="false" advisorySupport="false" schedulerSupport="false" dataDirectory="{data}"
          populateJMSXUserID="true" useAuthenticatedPrincipalForJMSXUserID="true">
    <destinationPolicy>
      <policyMap><policyEntries>
        <!-- SOAR's destinations are plain queues with competing consumers; no DLQ for what a lost consumer held. -->
        <policyEntry queue="&gt;" queuePrefetch="1000" producerFlowControl="false" useCache="false">
          <deadLetterStrategy><sharedDeadLetterStrategy processExpired="false"/></deadLetterStrategy>
        </policyEntry>
      </policyEntries></policyMap>
    </destinationPolicy>
    <plugins>
      <jaasAuthenticationPlugin configuration="soar-sandbox"/>
      <authorizationPlugin><map><authorizationMap><authorizationEntries>
        <authorizationEntry queue="actions.&gt;" read="apps,sandbox" write="sandbox" admin="apps,sandbox"/>
        <authorizationEntry queue="acks.&gt;" read="sandbox" write="apps,sandbox" admin="apps,sandbox"/>
      </authorizationEntries></authorizationMap></map></authorizationPlugin>
      {logging}
    </plugins>
    <systemUsage><systemUsage>
      <memoryUsage><memoryUsage limit="64 mb"/></memoryUsage>
      <tempUsage><tempUsage limit="256 mb"/></tempUsage>
    </systemUsage></systemUsage>
    <sslContext>
      <sslContext keyStore="file:{conf}/broker.p12" keyStoreType="PKCS12" keyStorePassword="{store_password}"/>
    </sslContext>
    <transportConnectors>
      <transportConnector name="stomp+ssl" uri="stomp+ssl://{host}:{port}?transport.hbGracePeriodMultiplier=1.5"/>
    </transportConnectors>
  </broker>
</beans>
"""
# Connection and consumer events give the consumer counts (and acks); internal events add one line per dispatch.
_LOGGING_PLUGIN = ('<loggingBrokerPlugin logConnectionEvents="true" logConsumerEvents="true" '
                   'logInternalEvents="{dispatches}"/>')


def activemq_installed() -> bool:
    """Whether Debian's activemq package (and a java) is there to run."""
    return (ACTIVEMQ_HOME / "bin" / "activemq.jar").exists() and shutil.which(JAVA) is not None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ActiveMQError(RuntimeError):
    """ActiveMQ did not start, or the sandbox lost its connection to it."""


class _ReplyListener(stomp.ConnectionListener):
    def __init__(self, broker: ActiveMQBroker) -> None:
        self.broker = broker

    def on_message(self, frame) -> None:  # noqa: ANN001 - stomp.py's Frame
        self.broker._on_reply(frame.headers, frame.body)

    def on_error(self, frame) -> None:  # noqa: ANN001
        LOG.warning("ActiveMQ refused a frame of the sandbox: %s %s", frame.headers.get("message"), frame.body)

    def on_disconnected(self) -> None:
        if not self.broker._stopping.is_set():
            LOG.error("the sandbox lost its STOMP connection to ActiveMQ")


class ActiveMQBroker(ReplyLog):
    """The SOAR sandbox's message destinations on Apache ActiveMQ Classic (same interface as StompBroker).

    `authenticate` is not consulted per connection as in the built-in broker: every API key known to
    the sandbox is written to ActiveMQ's user file (`add_user`), and ActiveMQ checks logins itself."""

    def __init__(self, users: dict[str, str], ssl_cert: tuple[str, str], host: str = "127.0.0.1",
                 port: int = 0, *, track_deliveries: bool = True, jvm_options: list[str] | None = None) -> None:
        self.host = host
        self.requested_port = port
        self.port = 0
        self.cert_path, self.key_path = ssl_cert
        self.track_deliveries = track_deliveries
        self.jvm_options = list(jvm_options or JVM_OPTIONS)
        self._users = dict(users)
        self._sandbox_secret = secrets.token_urlsafe(24)
        self._dir: tempfile.TemporaryDirectory | None = None
        self.conf: Path | None = None
        self.data: Path | None = None
        self.process: subprocess.Popen | None = None
        self.started_in: float | None = None
        self.lock = threading.RLock()
        self._start_reply_log()
        self.acked: list[str] = []
        # (sandbox message-id, login of the consumer, connection number) for every dispatch ActiveMQ logged.
        self.deliveries: list[tuple[str, str, int]] = []
        self.ended_connections: set[int] = set()   # numbers of the connections whose consumers went away
        self._published: dict[str, str] = {}  # sandbox message-id -> destination
        self._by_correlation: dict[str, str] = {}
        self._amq_ids: dict[str, str] = {}  # ActiveMQ message-id -> sandbox message-id
        self._holding: dict[str, tuple[str, str]] = {}  # sandbox message-id -> (ActiveMQ connection id, login)
        self._connection_users: dict[str, str] = {}
        self._connection_numbers: dict[str, int] = {}
        self._consumers: dict[str, set[str]] = collections.defaultdict(set)
        self._numbers = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._session = f"soar-sandbox-amq-{int(time.time())}"
        self._send_lock = threading.Lock()
        self._stopping = threading.Event()
        self._tail: threading.Thread | None = None
        self._conn: stomp.StompConnection12 | None = None

    # ---------------------------------------------------------------- life cycle
    def start(self) -> ActiveMQBroker:
        if not activemq_installed():
            raise ActiveMQError(f"Apache ActiveMQ is not installed ({ACTIVEMQ_HOME}/bin/activemq.jar missing, "
                                "or no java): run `make activemq`")
        started = time.monotonic()
        self._dir = tempfile.TemporaryDirectory(prefix="soar-sandbox-activemq-")
        base = Path(self._dir.name)
        self.conf, self.data = base / "conf", base / "data"
        self.conf.mkdir()
        self.data.mkdir()
        self.port = self.requested_port or free_port(self.host)
        store_password = secrets.token_urlsafe(16)
        self._write_keystore(store_password)
        self._write_users()
        (self.conf / "login.config").write_text(_LOGIN_CONFIG.format(), encoding="utf-8")
        (self.conf / "log4j.properties").write_text(_LOG4J.format(data=self.data), encoding="utf-8")
        (self.data / "events.log").touch()
        (self.conf / "activemq.xml").write_text(_BROKER_XML.format(
            data=xml_escape(str(self.data)), conf=xml_escape(str(self.conf)), host=self.host, port=self.port,
            store_password=store_password,
            logging=_LOGGING_PLUGIN.format(dispatches=str(self.track_deliveries).lower())),
            encoding="utf-8")
        command = [JAVA, *self.jvm_options,
                   f"-Djava.security.auth.login.config={self.conf / 'login.config'}",
                   f"-Dactivemq.classpath={self.conf}", f"-Dactivemq.home={ACTIVEMQ_HOME}",
                   f"-Dactivemq.base={base}", f"-Dactivemq.conf={self.conf}", f"-Dactivemq.data={self.data}",
                   "-jar", str(ACTIVEMQ_HOME / "bin" / "activemq.jar"),
                   "start", f"xbean:file:{self.conf / 'activemq.xml'}"]
        out = open(self.data / "console.out", "wb")  # noqa: SIM115 - the child writes to it until it ends
        self.process = subprocess.Popen(command, cwd=str(base), stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        try:
            self._wait_until_listening(started + START_TIMEOUT)
            self._tail = threading.Thread(target=self._follow_events, name="activemq-events", daemon=True)
            self._tail.start()
            self._connect()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - started
        LOG.info("ActiveMQ ready on %s:%s in %.2f s", self.host, self.port, self.started_in)
        return self

    def _write_keystore(self, password: str) -> None:
        """The sandbox certificate and key as a PKCS12 key store, which Java reads as it is."""
        cert = x509.load_pem_x509_certificate(Path(self.cert_path).read_bytes())
        key = serialization.load_pem_private_key(Path(self.key_path).read_bytes(), None)
        data = pkcs12.serialize_key_and_certificates(b"soar-sandbox", key, cert, None,
                                                     serialization.BestAvailableEncryption(password.encode()))
        path = self.conf / "broker.p12"
        path.write_bytes(data)
        path.chmod(0o600)

    def _write_users(self) -> None:
        """users.properties / groups.properties for the JAAS properties login module (reloaded on change)."""
        users = {SANDBOX_LOGIN: self._sandbox_secret, **self._users}
        for name in users:
            if not re.fullmatch(r"[A-Za-z0-9_.@-]+", name):
                raise ActiveMQError(f"API key id {name!r} cannot be an ActiveMQ user name")
        lines = "".join(f"{name}={_escape_property(secret)}\n" for name, secret in users.items())
        apps = ",".join(name for name in self._users if name != SANDBOX_LOGIN)
        tmp = self.conf / "users.properties.new"
        tmp.write_text(lines, encoding="utf-8")
        tmp.chmod(0o600)
        (self.conf / "groups.properties.new").write_text(f"sandbox={SANDBOX_LOGIN}\napps={apps}\n", encoding="utf-8")
        os.replace(self.conf / "groups.properties.new", self.conf / "groups.properties")
        os.replace(tmp, self.conf / "users.properties")

    def add_user(self, login: str, secret: str) -> None:
        """Another API key: ActiveMQ reads the user files again at the next login."""
        self._users[login] = secret
        if self.conf is not None:
            self._write_users()

    def _wait_until_listening(self, deadline: float) -> None:
        # ActiveMQ logs the line once the connector is bound. No probe connection: one that closes without a
        # TLS handshake leaves "Transport Connection ... failed: Remote host terminated the handshake" in the
        # log, which reads like a dropped client. The sandbox's own STOMP connection (`_connect`) follows.
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ActiveMQError(f"ActiveMQ exited with {self.process.returncode}:\n{self.log_tail()}")
            if "Connector stomp+ssl started" in self._read(self.data / "activemq.log"):
                return
            time.sleep(0.05)
        raise ActiveMQError(f"ActiveMQ did not listen on {self.host}:{self.port} in time:\n{self.log_tail()}")

    def _connect(self) -> None:
        conn = stomp.StompConnection12([(self.host, self.port)], heartbeats=(0, 0), reconnect_attempts_max=1,
                                       auto_decode=True)
        conn.set_ssl(for_hosts=[(self.host, self.port)])
        conn.set_listener("sandbox", _ReplyListener(self))
        conn.connect(SANDBOX_LOGIN, self._sandbox_secret, wait=True)
        # Every reply destination of the org: acks.<org>.<destination>.
        conn.subscribe("/queue/acks.>", id="sandbox-replies", ack="auto")
        self._conn = conn

    def stop(self) -> None:
        self._stopping.set()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.disconnect()
            self._conn = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._tail is not None:
            self._tail.join(timeout=5)
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def log_tail(self, chars: int = 6000) -> str:
        """The end of ActiveMQ's console and log files, for failure messages."""
        if self.data is None:
            return ""
        text = self._read(self.data / "console.out") + self._read(self.data / "activemq.log")
        return text[-chars:]

    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    # ---------------------------------------------------------------- ActiveMQ's event log
    def _follow_events(self) -> None:
        with open(self.data / "events.log", encoding="utf-8", errors="replace") as events:
            pending = ""
            while True:
                chunk = events.readline()
                if not chunk:
                    if self._stopping.is_set() and (self.process is None or self.process.poll() is not None):
                        return
                    time.sleep(0.01)
                    continue
                pending += chunk
                if not pending.endswith("\n"):
                    continue
                line, pending = pending.rstrip("\n"), ""
                try:
                    self._on_event(line)
                except Exception:  # a line we misread must not stop the follower
                    LOG.exception("could not read ActiveMQ event %r", line[:200])

    def _on_event(self, line: str) -> None:
        if line.startswith("preProcessDispatch"):
            match = _DISPATCH.search(line)
            if match:
                self._dispatched(match["consumer"], match["amq"], match["mid"])
        elif line.startswith("Acknowledging"):
            match = _ACK.search(line)
            if match:
                with self.lock:
                    mid = self._amq_ids.get(match["amq"])
                    if mid is not None and self._holding.pop(mid, None) is not None:
                        self.acked.append(mid)
        elif line.startswith(("Adding Consumer", "Removing Consumer")):
            match = _CONSUMER.search(line)
            if match:
                with self.lock:
                    consumers = self._consumers[match["destination"]]
                    if match["what"] == "Adding":
                        consumers.add(match["consumer"])
                    else:
                        consumers.discard(match["consumer"])
                        connection = _connection_of(match["consumer"])
                        self.ended_connections.add(self._connection_numbers.get(connection, 0))
                        self._release(connection)
        elif line.startswith("Adding Connection"):
            match = _CONNECTION_ADDED.search(line)
            if match:
                with self.lock:
                    self._connection_users[match["conn"]] = match["user"]
                    self._connection_numbers[match["conn"]] = next(self._numbers)

    def _dispatched(self, consumer: str, amq_id: str, mid: str) -> None:
        connection = _connection_of(consumer)
        with self.lock:
            login = self._connection_users.get(connection, "")
            self._amq_ids[amq_id] = mid
            self._holding[mid] = (connection, login)
            self.deliveries.append((mid, login, self._connection_numbers.get(connection, 0)))

    def _release(self, connection: str) -> None:
        """A consumer went away: ActiveMQ puts back what it held un-ACKed (it is dispatched again)."""
        for mid, (holder, _login) in list(self._holding.items()):
            if holder == connection:
                del self._holding[mid]

    # ---------------------------------------------------------------- publishing and replies
    def publish(self, destination: str, body: bytes | str, headers: dict[str, str] | None = None) -> str:
        """Send a message to a queue as SOAR does; returns the sandbox's id for it."""
        if self._conn is None:
            raise ActiveMQError("ActiveMQ is not running")
        message_id = f"ID:{self._session}:{next(self._message_ids)}"
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        sent = {k: v for k, v in (headers or {}).items() if k not in ("destination", "content-length")}
        if "reply-to" in sent:
            sent["reply-to"] = _queue(sent["reply-to"])
        sent["sandbox-message-id"] = message_id
        sent["amq-msg-type"] = "text"  # a JMS TextMessage, as SOAR sends
        with self.lock:
            self._published[message_id] = destination
            if sent.get("correlation-id"):
                self._by_correlation[sent["correlation-id"]] = message_id
        with self._send_lock:
            self._conn.send(_queue(destination), text, headers=sent)
        return message_id

    def _on_reply(self, headers: dict[str, str], body: str) -> None:
        correlation_id = headers.get("correlation-id")
        if not correlation_id:
            return
        try:
            parsed = json.loads(body or "null")
        except json.JSONDecodeError:
            parsed = {"unparsed": body}
        destination = headers.get("destination", "").removeprefix("/queue/")
        self._add_reply(Reply(correlation_id, destination, dict(headers), parsed))

    # ---------------------------------------------------------------- inspection
    def consumers(self, destination: str) -> int:
        with self.lock:
            return len(self._consumers.get(destination, ()))

    def wait_for_consumers(self, destination: str, count: int = 1, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.consumers(destination) >= count:
                return True
            time.sleep(0.05)
        return False

    def queue_depth(self, destination: str) -> int:
        """Messages the sandbox published to `destination` that ActiveMQ has not dispatched yet."""
        with self.lock:
            dispatched = {mid for mid, _, _ in self.deliveries}
            return sum(1 for mid, dest in self._published.items()
                       if dest == destination and mid not in dispatched)

    def inflight_count(self, destination: str | None = None) -> int:
        return len(self.holders(destination))

    def holders(self, destination: str | None = None) -> list[tuple[str, str]]:
        """(message-id, consumer login) of every message dispatched and not yet ACKed."""
        with self.lock:
            return [(mid, login) for mid, (_conn, login) in self._holding.items()
                    if destination is None or self._published.get(mid) == destination]



def _connection_of(consumer_id: str) -> str:
    """ActiveMQ's consumer ids are <connection id>:<session>:<consumer>."""
    return consumer_id.rsplit(":", 2)[0]


def _queue(name: str) -> str:
    """ActiveMQ's STOMP names: a queue is /queue/<name> (SOAR's clients subscribe with the bare name)."""
    return name if name.startswith("/") else f"/queue/{name}"


def _escape_property(value: str) -> str:
    """A value as java.util.Properties reads it back (ISO-8859-1 file: other characters as \\uXXXX)."""
    out = []
    for ch in value:
        if ch in "\\:=#! ":
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) > 0x7E:
            out.append("".join(f"\\u{unit:04x}" for unit in _utf16_units(ch)))
        else:
            out.append(ch)
    return "".join(out)


def _utf16_units(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
