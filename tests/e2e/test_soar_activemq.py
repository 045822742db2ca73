"""The SOAR sandbox on Apache ActiveMQ: configured as SOAR's broker, driven with stomp.py over TLS.

Skipped where Debian's activemq package is not installed (`make activemq` installs it; CI does)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest

from sandbox.soar import SoarSandbox
from sandbox.soar.activemq import ActiveMQBroker, ActiveMQError, activemq_installed
from sandbox.soar.tls import make_self_signed_cert

from .stomp_client import connect, hang_up

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not activemq_installed(), reason=(
    "Apache ActiveMQ is not installed here (`make activemq` installs Debian's package; CI does)"))]

QUEUE = "actions.201.slack"
KEY, SECRET = "key-id-1", "key-secret-1"


@pytest.fixture(scope="module")
def soar():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET, broker="activemq") as sandbox:
        yield sandbox


def _consumer(soar, login=KEY, secret=SECRET, prefetch=10):
    conn, listener = connect(soar.stomp_port, login, secret, heartbeats=(0, 15000))
    assert listener.connected_headers, listener.errors
    conn.subscribe(QUEUE, id="sub", ack="client-individual", headers={"activemq.prefetchSize": str(prefetch)})
    return conn, listener


def _publish(soar, n: int, tag: str) -> list[str]:
    return [soar.broker.publish(QUEUE, json.dumps({"n": i, "tag": tag}),
                                {"reply-to": "acks.201.slack", "correlation-id": f"{tag}-{i}"}) for i in range(n)]


def test_it_is_activemq_speaking_stomp_1_2_over_tls_only(soar):
    conn, listener = connect(soar.stomp_port, KEY, SECRET)
    assert listener.connected_headers["server"].startswith("ActiveMQ/5.")
    assert listener.connected_headers["version"] == "1.2"
    hang_up(conn)
    # A plain-text STOMP CONNECT gets no CONNECTED: the port speaks TLS only.
    with socket.create_connection(("127.0.0.1", soar.stomp_port), timeout=5) as raw:
        raw.sendall(f"CONNECT\naccept-version:1.2\nlogin:{KEY}\npasscode:{SECRET}\n\n\x00".encode())
        try:
            answer = raw.recv(4096)
        except (TimeoutError, ConnectionResetError):
            answer = b""
    assert b"CONNECTED" not in answer
    # The certificate is the sandbox's own.
    context = ssl.create_default_context(cafile=soar._cert.cert_path)
    with socket.create_connection(("127.0.0.1", soar.stomp_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        assert tls.version() == "TLSv1.2"


def test_a_wrong_secret_is_refused_and_a_key_added_later_can_log_in(soar):
    conn, listener = connect(soar.stomp_port, KEY, "wrong-secret", wait=False)
    assert listener.wait_until(lambda: listener.errors)
    assert "invalid" in listener.errors[0].headers["message"]
    assert not listener.connected_headers
    hang_up(conn)
    soar.add_api_key("later-key", "later secret: with=odd #chars! \\ ä")
    conn, listener = connect(soar.stomp_port, "later-key", "later secret: with=odd #chars! \\ ä")
    assert listener.connected_headers and not listener.errors
    hang_up(conn)


def test_an_api_key_may_consume_the_org_queues_but_not_send_to_them(soar):
    conn, listener = _consumer(soar)
    conn.send("/queue/" + QUEUE, "{}", headers={"receipt": "r-1"})
    assert listener.wait_until(lambda: listener.errors)
    assert "not authorized" in listener.errors[0].headers["message"].lower()
    hang_up(conn)


def test_each_message_goes_to_exactly_one_of_two_consumers_and_replies_are_collected(soar):
    first, first_seen = _consumer(soar)
    second, second_seen = _consumer(soar)
    assert soar.broker.wait_for_consumers(QUEUE, 2)
    ids = _publish(soar, 10, "share")
    assert first_seen.wait_until(lambda: len(first_seen.messages) + len(second_seen.messages) == 10)
    time.sleep(0.5)
    seen = first_seen.messages + second_seen.messages
    assert sorted(m.headers["sandbox-message-id"] for m in seen) == sorted(ids)
    assert first_seen.messages and second_seen.messages, "ActiveMQ shares a queue between its consumers"
    for conn, listener in ((first, first_seen), (second, second_seen)):
        for message in listener.messages:
            assert message.headers["reply-to"] == "/queue/acks.201.slack"
            conn.send(message.headers["reply-to"], json.dumps({"message_type": 0, "complete": True}),
                      headers={"correlation-id": message.headers["correlation-id"]})
            conn.ack(message.headers["ack"])
    for i in range(10):
        reply = soar.broker.wait_for_completion(f"share-{i}", 10)
        assert reply is not None and reply.headers["JMSXUserID"] == KEY, "ActiveMQ stamps the sender's login"
    assert _wait(lambda: set(ids) <= set(soar.broker.acked))
    assert sorted(mid for mid, _, _ in soar.broker.deliveries if mid in ids) == sorted(ids)
    assert soar.broker.holders(QUEUE) == []
    hang_up(first)
    hang_up(second)


def test_an_unacked_message_is_redelivered_to_the_other_consumer_when_its_connection_drops(soar):
    first, first_seen = _consumer(soar, prefetch=1)
    [message_id] = _publish(soar, 1, "drop")
    assert first_seen.wait_until(lambda: first_seen.messages)
    second, second_seen = _consumer(soar, prefetch=1)
    assert soar.broker.wait_for_consumers(QUEUE, 2)
    assert _wait(lambda: soar.broker.holders(QUEUE) == [(message_id, KEY)])
    # The first consumer dies without ACK (no DISCONNECT: the socket just goes away).
    first.transport.socket.shutdown(socket.SHUT_RDWR)
    assert second_seen.wait_until(lambda: second_seen.messages, timeout=30)
    redelivered = second_seen.messages[0]
    assert redelivered.headers["sandbox-message-id"] == message_id
    assert redelivered.headers["redelivered"] == "true"
    assert json.loads(redelivered.body) == {"n": 0, "tag": "drop"}
    second.ack(redelivered.headers["ack"])
    assert _wait(lambda: message_id in soar.broker.acked)
    numbers = [number for mid, _, number in soar.broker.deliveries if mid == message_id]
    assert len(numbers) == 2 and numbers[0] != numbers[1], "delivered twice, to two connections"
    hang_up(second)


def test_a_broker_that_cannot_start_says_why_with_its_log(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        broker = ActiveMQBroker({KEY: SECRET}, make_self_signed_cert(str(tmp_path)), port=port)
        with pytest.raises(ActiveMQError) as failed:
            broker.start()
    assert "Address already in use" in str(failed.value) or "BindException" in str(failed.value)
    assert broker.process.poll() is not None, "the child process is gone"


def test_the_command_line_serves_on_activemq_and_takes_it_down_on_sigterm():
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.soar", "--broker", "activemq",
                             "--api-key-id", KEY, "--api-key-secret", SECRET], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert "on ActiveMQ" in line, line + proc.stdout.read()
        port = int(re.search(r"STOMP 127\.0\.0\.1:(\d+)", line)[1])
        conn, listener = connect(port, KEY, SECRET)
        assert listener.connected_headers["server"].startswith("ActiveMQ/")
        hang_up(conn)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # ActiveMQ went down with the sandbox


def _wait(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
