"""The SOAR sandbox's STOMP broker, driven with stomp.py's own client over TLS."""

from __future__ import annotations

import json
import socket
import ssl
import time

import pytest
import stomp

from sandbox.soar import SoarSandbox

from .stomp_client import connect, hang_up

pytestmark = pytest.mark.e2e

QUEUE = "actions.201.slack"
KEY, SECRET = "key-id-1", "key-secret-1"


@pytest.fixture
def soar():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET) as sandbox:
        yield sandbox


def _publish(soar, n: int, **headers: str) -> list[str]:
    return [soar.broker.publish(QUEUE, json.dumps({"n": i}), {"reply-to": "acks.201.slack",
                                                               "correlation-id": f"c-{i}", **headers})
            for i in range(n)]


def test_wrong_passcode_gets_an_error_frame_and_no_session(soar):
    conn, listener = connect(soar.stomp_port, KEY, "wrong-secret", wait=False)
    assert listener.wait_until(lambda: listener.errors)
    assert "Authentication failed" in listener.errors[0].headers["message"]
    assert not listener.connected_headers
    hang_up(conn)


def test_each_message_goes_to_exactly_one_of_two_subscribers(soar):
    consumers = [connect(soar.stomp_port, KEY, SECRET) for _ in range(2)]
    for i, (conn, _) in enumerate(consumers):
        conn.subscribe(QUEUE, id=f"sub-{i}", ack="client-individual")
    assert soar.broker.wait_for_consumers(QUEUE, 2)
    sent = _publish(soar, 20)
    got = [consumers[0][1], consumers[1][1]]
    assert _wait(lambda: len(got[0].messages) + len(got[1].messages) == 20)
    ids = [[m.headers["message-id"] for m in listener.messages] for listener in got]
    assert sorted(ids[0] + ids[1]) == sorted(sent)
    assert not set(ids[0]) & set(ids[1])
    assert ids[0] and ids[1], "the queue spreads work over both consumers"
    for conn, listener in consumers:
        for message in listener.messages:
            conn.ack(message.headers["ack"])
        hang_up(conn)


def test_unacked_message_is_redelivered_to_the_other_consumer_when_its_connection_drops(soar):
    first, first_seen = connect(soar.stomp_port, KEY, SECRET)
    first.subscribe(QUEUE, id="a", ack="client-individual", headers={"activemq.prefetchSize": "1"})
    assert soar.broker.wait_for_consumers(QUEUE, 1)
    [message_id] = _publish(soar, 1)
    assert first_seen.wait_until(lambda: first_seen.messages)
    second, second_seen = connect(soar.stomp_port, KEY, SECRET)
    second.subscribe(QUEUE, id="b", ack="client-individual")
    assert soar.broker.wait_for_consumers(QUEUE, 2)
    time.sleep(0.2)
    assert not second_seen.messages, "a message held un-ACKed is not given to anyone else"

    first.transport.socket.shutdown(socket.SHUT_RDWR)  # the process dies: no DISCONNECT, no ACK

    assert second_seen.wait_until(lambda: second_seen.messages)
    redelivered = second_seen.messages[0]
    assert redelivered.headers["message-id"] == message_id
    assert redelivered.headers["redelivered"] == "true"
    assert json.loads(redelivered.body) == {"n": 0}
    second.ack(redelivered.headers["ack"])
    assert _wait(lambda: message_id in soar.broker.acked)
    assert soar.broker.queue_depth(QUEUE) == 0
    hang_up(second)


def test_acked_message_is_not_redelivered_after_disconnect(soar):
    conn, seen = connect(soar.stomp_port, KEY, SECRET)
    conn.subscribe(QUEUE, id="a", ack="client-individual")
    [message_id] = _publish(soar, 1)
    assert seen.wait_until(lambda: seen.messages)
    conn.ack(seen.messages[0].headers["ack"])
    assert _wait(lambda: message_id in soar.broker.acked)
    hang_up(conn)
    other, other_seen = connect(soar.stomp_port, KEY, SECRET)
    other.subscribe(QUEUE, id="b", ack="client-individual")
    assert soar.broker.wait_for_consumers(QUEUE, 1)
    time.sleep(0.3)
    assert other_seen.messages == []
    hang_up(other)


def test_nack_puts_the_message_back_for_another_consumer(soar):
    first, first_seen = connect(soar.stomp_port, KEY, SECRET)
    first.subscribe(QUEUE, id="a", ack="client-individual", headers={"activemq.prefetchSize": "1"})
    [message_id] = _publish(soar, 1)
    assert first_seen.wait_until(lambda: first_seen.messages)
    second, second_seen = connect(soar.stomp_port, KEY, SECRET)
    second.subscribe(QUEUE, id="b", ack="client-individual")
    assert soar.broker.wait_for_consumers(QUEUE, 2)
    first.nack(first_seen.messages[0].headers["ack"])
    assert second_seen.wait_until(lambda: second_seen.messages)
    assert second_seen.messages[0].headers["message-id"] == message_id
    hang_up(first)
    hang_up(second)


def test_replies_on_reply_to_are_collected_per_correlation_id(soar):
    conn, _ = connect(soar.stomp_port, KEY, SECRET)
    conn.send("acks.201.slack", json.dumps({"message_type": 0, "message": "Channel #x was created",
                                            "complete": False}), headers={"correlation-id": "corr-1"})
    conn.send("acks.201.slack", json.dumps({"message_type": 0, "message": "other", "complete": False}),
              headers={"correlation-id": "corr-2"})
    conn.send("acks.201.slack", json.dumps({"message_type": 0, "message": "Completed", "complete": True,
                                            "results": {"success": True, "content": {"channel": "x"}}}),
              headers={"correlation-id": "corr-1"})
    final = soar.broker.wait_for_completion("corr-1", timeout=10)
    assert final is not None
    assert final.body["results"]["content"] == {"channel": "x"}
    assert [r.body["message"] for r in soar.broker.replies_for("corr-1")] == ["Channel #x was created", "Completed"]
    assert [r.body["message"] for r in soar.broker.replies_for("corr-2")] == ["other"]
    hang_up(conn)


def test_server_heartbeats_follow_what_the_client_asks(soar):
    conn, seen = connect(soar.stomp_port, KEY, SECRET, heartbeats=(0, 200))
    assert seen.wait_until(lambda: seen.connected_headers)
    assert seen.connected_headers["heart-beat"] == "200,0"
    assert seen.wait_until(lambda: seen.heartbeats >= 2, timeout=10)
    assert conn.is_connected()
    hang_up(conn)


def _raw_frames(sock: ssl.SSLSocket, until: bytes, timeout: float = 10.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    sock.settimeout(0.5)
    while until not in data and time.monotonic() < deadline:
        try:
            data += sock.recv(65536)
        except TimeoutError:
            continue
    return data


def test_headers_are_escaped_on_the_wire_and_an_escaped_ack_id_is_understood(soar):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", soar.stomp_port)) as raw, \
            context.wrap_socket(raw) as sock:
        sock.sendall(f"CONNECT\naccept-version:1.2\nhost:127.0.0.1\nlogin:{KEY}\npasscode:{SECRET}\n\n\x00".encode())
        assert b"CONNECTED" in _raw_frames(sock, b"\x00")
        sock.sendall(f"SUBSCRIBE\ndestination:{QUEUE}\nid:s\nack:client-individual\n\n\x00".encode())
        assert soar.broker.wait_for_consumers(QUEUE, 1)
        [message_id] = _publish(soar, 1, **{"Co3ContextToken": "a:b"})
        wire = _raw_frames(sock, b"\x00")
        headers = dict(line.split(":", 1) for line in wire.split(b"\n\n")[0].decode().splitlines()[1:])
        assert headers["Co3ContextToken"] == "a\\cb"
        assert headers["message-id"] == message_id.replace(":", "\\c")
        assert ":" in message_id and "\\c" in headers["ack"]
        sock.sendall(f"ACK\nid:{headers['ack']}\nreceipt:r1\n\n\x00".encode())
        assert b"receipt-id:r1" in _raw_frames(sock, b"receipt-id")
    assert message_id in soar.broker.acked


def test_a_frame_before_connect_is_refused(soar):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", soar.stomp_port)) as raw, context.wrap_socket(raw) as sock:
        sock.sendall(f"SUBSCRIBE\ndestination:{QUEUE}\nid:s\n\n\x00".encode())
        assert b"ERROR" in _raw_frames(sock, b"\x00")
    assert soar.broker.consumers(QUEUE) == 0


def test_stomp_py_client_refuses_to_connect_without_tls(soar):
    conn = stomp.StompConnection12([("127.0.0.1", soar.stomp_port)], reconnect_attempts_max=1, timeout=3)
    with pytest.raises(stomp.exception.StompException):
        conn.connect(KEY, SECRET, wait=True)


def _wait(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_body_with_nul_bytes_travels_whole_when_content_length_is_given(soar):
    consumer, seen = connect(soar.stomp_port, KEY, SECRET)
    consumer.subscribe(QUEUE, id="c", ack="auto")
    assert soar.broker.wait_for_consumers(QUEUE, 1)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    body = b"before\x00after"
    with socket.create_connection(("127.0.0.1", soar.stomp_port)) as raw, context.wrap_socket(raw) as sock:
        sock.sendall(f"CONNECT\naccept-version:1.2\nlogin:{KEY}\npasscode:{SECRET}\n\n\x00".encode())
        assert b"CONNECTED" in _raw_frames(sock, b"\x00")
        sock.sendall(f"SEND\ndestination:{QUEUE}\ncontent-length:{len(body)}\nreceipt:s1\n\n".encode()
                     + body + b"\x00")
        assert b"receipt-id:s1" in _raw_frames(sock, b"receipt-id")
    assert seen.wait_until(lambda: seen.messages)
    assert seen.messages[0].body == body.decode()
    hang_up(consumer)
