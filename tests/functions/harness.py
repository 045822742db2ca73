"""Runs fn_slack's functions through resilient-circuits (pytest-resilient-circuits) against the Slack sandbox."""

from __future__ import annotations

import atexit
import json
import threading
import time
from dataclasses import dataclass, field

from circuits import Component, handler
from resilient_circuits import SubmitTestFunction

from sandbox.slack import SlackSandbox
from tests.functions.soar_org import soar_sandbox

TOKEN = "xoxb-sandbox-token"
_sandbox: SlackSandbox | None = None
_sandbox_lock = threading.Lock()


def slack_sandbox() -> SlackSandbox:
    """The Slack sandbox shared by the function tests of this process (started once, reset per test)."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            _sandbox = SlackSandbox().start()
            atexit.register(_sandbox.stop)
        return _sandbox


def config_data(*, num_workers: int = 10, **fn_slack: object) -> str:
    """app.config text for a test module: [resilient] points at the SOAR sandbox's REST API, [fn_slack] at the
    Slack sandbox. The tests hand each function message straight to the app (SubmitTestFunction, as
    pytest-resilient-circuits does), so the app runs without STOMP: ``resilient_mock`` is resilient-circuits'
    only way to that, and the "mock" it names is resilient's own HTTPS adapter (``soar_org.RealHttps``).
    ``num_workers``: how many function calls the app runs at once (resilient-circuits' default is 10)."""
    settings = {
        "api_token": TOKEN,
        "slack_api_url": slack_sandbox().base_url,
        "username": "SOAR",
        "max_rate_limit_wait": 10,
        "timeout": 10,
        "result_user_info": "false",   # as `resilient-circuits config -c` writes it; None leaves the key out
    }
    settings.update(fn_slack)
    lines = "\n".join(f"{key} = {value}" for key, value in settings.items() if value is not None)
    soar = soar_sandbox()
    return f"""[resilient]
host = {soar.host}
port = {soar.rest_port}
org = {soar.org_name}
api_key_id = {soar.api_key_id}
api_key_secret = {soar.api_key_secret}
cafile = false
resilient_mock = tests.functions.soar_org.RealHttps
request_max_retries = 1
request_retry_delay = 0
max_connection_retries = 1
num_workers = {num_workers}

[fn_slack]
{lines}
"""


class _ReplyCollector(Component):
    """Collects the replies (status messages, result or error) that SOAR would receive."""

    def __init__(self):
        super().__init__()
        self.replies: dict[str, list[dict]] = {}
        self.lock = threading.Lock()

    @handler("test_response")
    def _test_response(self, msg_id, message, *args, **kwargs):
        with self.lock:
            self.replies.setdefault(msg_id, []).append(json.loads(message))


@dataclass
class Outcome:
    """What SOAR saw of one function call."""

    statuses: list[str] = field(default_factory=list)
    result: dict | None = None
    error: str | None = None

    @property
    def content(self) -> dict:
        assert self.error is None, f"the function failed: {self.error}"
        assert self.result is not None
        return self.result.get("content", self.result)


_collectors: dict[int, _ReplyCollector] = {}


def _collector(circuits_app) -> _ReplyCollector:
    key = id(circuits_app.manager)
    if key not in _collectors:
        _collectors[key] = _ReplyCollector().register(circuits_app.manager)
    return _collectors[key]


def run_function(circuits_app, name: str, inputs: dict, timeout: float = 30) -> Outcome:
    """Fire a function message and wait for its final reply, like SOAR waiting on the action."""
    collector = _collector(circuits_app)
    event = SubmitTestFunction(name, inputs)
    msg_id = event.kwargs["msg_id"]
    circuits_app.manager.fire(event)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with collector.lock:
            replies = list(collector.replies.get(msg_id, []))
        final = [r for r in replies if r.get("complete")]
        if final:
            outcome = Outcome(statuses=[r["message"] for r in replies if not r.get("complete")])
            if final[0]["message_type"] == 0:
                outcome.result = final[0].get("results")
            else:
                outcome.error = final[0]["message"]
            return outcome
        time.sleep(0.02)
    raise AssertionError(f"{name} did not answer within {timeout} s; replies so far: {replies}")


def wait_for_messages(slack: SlackSandbox, channel_id: str, count: int, seconds: float = 10.0) -> list[dict]:
    """The channel's messages once there are ``count`` of them (a write Slack carries out late), or after
    ``seconds``."""
    deadline = time.monotonic() + seconds
    while len(slack.messages(channel_id)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return slack.messages(channel_id)
