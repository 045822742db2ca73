"""A `resilient-circuits run` process whose STOMP connection drops while it runs calls: every action still gets
exactly one result, and Slack exactly one post per action.

Two processes share the slack destination, each reaching the broker through its own `StompPath`
(sandbox/soar/relay.py), which the test cuts (a TCP reset on both ends) at a chosen moment. The broker gives what
the cut process held un-ACKed to the other process with redelivered:true; the cut process finishes what it was
running, cannot answer (NotConnectedException), and reconnects after resilient-circuits' 20 s back-off. On the
built-in broker and on ActiveMQ (skipped where it is not installed)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from fn_slack.lib.messages import REDELIVERED_REASON
from sandbox.soar.circuits import write_app_config
from sandbox.soar.relay import StompPath
from tests.polling import wait_until

from .conftest import QUEUE, assert_each_answered_once, customized, redelivery_wait, require_broker

pytestmark = pytest.mark.e2e

POST_INCIDENT = "Example: Post Incident to Slack"
KEYS = {"run-a": ("app-key-a", "app-secret-a"), "run-b": ("app-key-b", "app-secret-b")}
# A redelivered run looks for the first delivery's post for timeout + write_settle_seconds: shorter than the
# defaults (30 + 30 s) to keep the suite short; the click's wait follows from them.
FN_SLACK = {"timeout": "10", "write_settle_seconds": "10"}
CLICK_WAIT = redelivery_wait(FN_SLACK)


@pytest.fixture(scope="module", params=["builtin", "activemq"])
def paths_stack(request):
    """The customized sandboxes and two `run` processes, each behind its own StompPath: {login: (process, path)}."""
    require_broker(request.param)
    with customized(request.param) as stack:
        runs = {}
        try:
            for name, key in KEYS.items():
                stack.soar.add_api_key(*key)
                path = StompPath(stack.soar).start()
                runs[key[0]] = (None, path)
                config = write_app_config(stack.workdir, stack.soar, stack.slack.base_url, name=f"{name}.config",
                                          api_key=key, fn_slack=FN_SLACK, stomp_port=path.port)
                runs[key[0]] = (stack.start_run(name, config=config), path)
            yield stack, runs
        finally:
            for _process, path in runs.values():
                path.stop()


@pytest.fixture
def two_runs(paths_stack):
    """Both processes subscribed (one cut by an earlier test has reconnected), nothing held back."""
    stack, runs = paths_stack
    for _process, path in runs.values():
        path.release()
    # resilient-circuits reconnects STOMP_RECONNECT_INITIAL_DELAY (20 s) after a drop.
    assert stack.soar.broker.wait_for_consumers(QUEUE, len(runs), timeout=60), stack.logs()
    stack.slack.faults.clear()
    yield stack, runs
    stack.slack.faults.clear()


def _post(stack, incident_id: int, channel: str):
    return stack.driver.click(POST_INCIDENT, incident_id=incident_id, timeout=CLICK_WAIT,
                              properties={"rule_slack_channel": channel, "rule_slack_is_channel_private": False,
                                          "rule_slack_text": "connection drop"})


def test_a_connection_dropped_mid_call_leaves_one_result_and_one_post_per_action(two_runs):
    """Both processes are inside chat.postMessage for their share of ten actions when one's connection drops:
    its posts land, the other process gets its messages again, finds each post and answers; nothing twice."""
    stack, runs = two_runs
    incidents = [stack.soar.create_incident(f"Dropped mid-call {i}") for i in range(10)]
    channels = [f"drop-{inc['id']}" for inc in incidents]
    stack.slack.faults.add("chat.postMessage", "delay", delay=3.0, times=len(incidents))
    with ThreadPoolExecutor(max_workers=len(incidents)) as pool:
        clicks = [pool.submit(_post, stack, inc["id"], name) for inc, name in zip(incidents, channels, strict=True)]

        def all_posting() -> bool:
            held = stack.soar.broker.holders(QUEUE)
            return (len(held) == len(incidents) and len({login for _, login in held}) == len(runs)
                    and all(stack.slack.channel(name) is not None for name in channels))

        assert wait_until(all_posting), "the calls never all got as far as posting" + stack.logs()
        time.sleep(0.5)   # every worker is now inside chat.postMessage
        cut_login = sorted(runs)[0]
        cut_held = {mid for mid, login in stack.soar.broker.holders(QUEUE) if login == cut_login}
        assert cut_held, "the process to cut holds none of the calls"
        assert runs[cut_login][1].cut() == 1
        results = [click.result() for click in clicks]

    failed = [r.report() for r in results if not r.completed]
    assert not failed, "\n".join(failed[:3]) + stack.logs()
    assert_each_answered_once(stack, results)
    again = {mid: [who for m, who, _ in stack.soar.broker.deliveries if m == mid] for mid in cut_held}
    assert all(who[0] == cut_login and who[1] != cut_login for who in again.values()), again
    for incident, name in zip(incidents, channels, strict=True):
        assert len(stack.slack.messages(stack.slack.channel(name)["id"])) == 1, f"#{name}: posted once"
        assert len(stack.soar.state.rows_of(incident["id"])) == 1
        assert len(stack.soar.state.notes_of(incident["id"])) == 1


def test_a_message_the_dropped_process_never_received_is_posted_once_by_the_other(two_runs):
    """The broker sent the function message to a process whose connection then dropped before the frame
    arrived: nobody ran it. The other process gets it with redelivered:true, cannot know that, so it looks for
    the first delivery's post as long as one could still land, tells the analyst it waits, then posts once."""
    stack, runs = two_runs
    incident = stack.soar.create_incident("Never received")
    channel = f"unseen-{incident['id']}"
    for _process, path in runs.values():
        path.hold()
    outcome = {}
    clicker = threading.Thread(target=lambda: outcome.setdefault("result", _post(stack, incident["id"], channel)))
    clicker.start()
    assert wait_until(lambda: stack.soar.broker.holders(QUEUE)), "the message was never dispatched"
    [(message_id, holder)] = stack.soar.broker.holders(QUEUE)
    for login, (_process, path) in runs.items():
        if login != holder:
            path.release()
    assert runs[holder][1].cut() == 1
    clicker.join(CLICK_WAIT + 10)

    result = outcome["result"]
    assert result.completed, result.report() + stack.logs()
    assert_each_answered_once(stack, [result])
    delivered_to = [who for mid, who, _ in stack.soar.broker.deliveries if mid == message_id]
    assert delivered_to[0] == holder and delivered_to[1] != holder, delivered_to
    assert any(m.startswith(REDELIVERED_REASON) for m in result.status_messages), result.report()
    assert len(stack.slack.messages(stack.slack.channel(channel)["id"])) == 1
    assert len(stack.soar.state.rows_of(incident["id"])) == 1
