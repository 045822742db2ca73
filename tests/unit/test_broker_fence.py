"""A run whose process lost its connection to SOAR's broker writes nothing more to Slack (``BrokerLink``, the
fence on every write attempt); reads and runs outside a STOMP delivery are not fenced (Slack sandbox, HTTP)."""

import threading
import time
from types import SimpleNamespace

import pytest

from fn_slack.components.function_component import SlackFunctionComponent
from fn_slack.lib import invocation
from fn_slack.lib.errors import BrokerConnectionLostError
from fn_slack.lib.invocation import BrokerLink, fenced, still_holds_message
from fn_slack.lib.messages import broker_connection_lost
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_uploads import SlackUploads
from fn_slack.lib.slack_vocabulary import Channel
from tests.functions.harness import TOKEN


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def client_of(slack) -> SlackClient:
    return SlackClient(SlackSettings(token=TOKEN, api_url=slack.base_url, max_rate_limit_wait=30, timeout=5))


def lost_and_reconnected(message_id: str = "m-1") -> BrokerLink:
    """A link that received ``message_id``, lost that connection, and has been connected again long enough for
    the broker to have given the message back (it did not)."""
    clock = Clock()
    link = BrokerLink(clock)
    link.received(message_id)
    link.lost()
    link.connected()
    clock.now += 60
    return link


def test_a_message_is_held_until_the_connection_it_came_on_is_lost():
    clock = Clock()
    link = BrokerLink(clock)
    link.received("m-1")
    assert link.holds("m-1")
    link.lost()
    assert not link.holds("m-1")
    link.connected()
    clock.now += 60
    assert not link.still_holds("m-1")
    link.received("m-2")   # a message received on the new connection is held
    assert link.holds("m-2")


def test_a_message_the_broker_gives_back_to_this_process_is_held_again():
    """With no other integration server connected, the broker redelivers to this process when it reconnects;
    resilient-circuits lets the run that is still going on finish it, so that run may write."""
    link = BrokerLink()
    link.received("m-1")
    link.lost()

    def reconnect() -> None:
        time.sleep(0.2)
        link.connected()
        link.received("m-1")

    threading.Thread(target=reconnect).start()
    started = time.monotonic()
    assert link.still_holds("m-1", wait=10, grace=5)
    assert time.monotonic() - started < 4


def test_the_components_hear_resilient_circuits_connection_events():
    """The handlers fn_slack's function components register get what resilient-circuits fires (fake events)."""
    message = SimpleNamespace(frame=SimpleNamespace(headers={"message-id": "ID:handler-test-1"}))
    SlackFunctionComponent._broker_message(None, message)
    assert invocation.BROKER.holds("ID:handler-test-1")
    SlackFunctionComponent._broker_lost(None)
    assert not invocation.BROKER.holds("ID:handler-test-1")
    SlackFunctionComponent._broker_connected(None)
    assert invocation.BROKER.connected_since is not None


def test_outside_a_run_delivered_over_stomp_nothing_is_fenced():
    link = lost_and_reconnected()
    assert still_holds_message()
    with fenced(None, link):
        assert still_holds_message()
    with fenced("never-received", link):   # a flow called directly, not through the broker
        assert still_holds_message()
    with fenced("m-1", link):
        assert not still_holds_message()
    assert still_holds_message()


def test_a_run_that_lost_its_message_sends_no_write_to_slack_but_still_reads(slack):
    cid = slack.add_channel("fenced", members=["bot"])
    client = client_of(slack)
    slack.clear_calls()
    with fenced("m-1", lost_and_reconnected()):
        assert client.call("conversations.info", http_verb="GET", channel=cid)["channel"]["id"] == cid
        with pytest.raises(BrokerConnectionLostError) as raised:
            client.call("chat.postMessage", channel=cid, text="late")
    assert str(raised.value) == broker_connection_lost("chat.postMessage")
    assert [c.method for c in slack.calls] == ["conversations.info"]
    assert slack.messages(cid) == []


def test_a_write_waiting_out_a_rate_limit_is_not_sent_again_after_the_connection_was_lost(slack):
    """The first attempt was sent and refused (429); the connection is lost while the run waits; the attempt
    after the wait is not sent."""
    cid = slack.add_channel("waiting", members=["bot"])
    slack.faults.add("chat.postMessage", "ratelimit", retry_after=1, times=1)
    clock = Clock()
    link = BrokerLink(clock)
    link.received("m-1")
    client = client_of(slack)
    slack.clear_calls()

    def drop_while_waiting() -> None:
        while not slack.calls_to("chat.postMessage"):
            time.sleep(0.01)
        link.lost()
        link.connected()
        clock.now += 60

    dropper = threading.Thread(target=drop_while_waiting)
    dropper.start()
    with fenced("m-1", link), pytest.raises(BrokerConnectionLostError):
        client.call("chat.postMessage", channel=cid, text="late")
    dropper.join()
    assert [c.http_status for c in slack.calls_to("chat.postMessage")] == [429]
    assert slack.messages(cid) == []


def test_an_upload_sends_no_bytes_after_the_connection_was_lost(slack):
    cid = slack.add_channel("files", members=["bot"])
    slack.clear_calls()
    with fenced("m-1", lost_and_reconnected()), pytest.raises(BrokerConnectionLostError) as raised:
        SlackUploads(client_of(slack)).upload_file(Channel.from_slack(slack.channel("files")), b"x", "x.txt", "X")
    assert str(raised.value) == broker_connection_lost("files.upload")
    assert "files.completeUploadExternal" not in [c.method for c in slack.calls]
    assert slack.messages(cid) == []
