"""Fixtures that start the Slack and SOAR sandboxes and real `resilient-circuits` processes."""

from __future__ import annotations

import collections
import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from resilient_circuits.constants import STOMP_RECONNECT_INITIAL_DELAY

from fn_slack.lib.settings import DEFAULT_TIMEOUT, DEFAULT_WRITE_SETTLE_SECONDS
from sandbox.slack import SlackSandbox
from sandbox.soar import SoarSandbox
from sandbox.soar.activemq import activemq_installed
from sandbox.soar.circuits import CircuitsProcess, run_cli, write_app_config
from sandbox.soar.driver import SoarDriver

QUEUE = "actions.201.slack"
# How long the driver waits for one click's result when nothing goes wrong with its delivery.
CALL_WAIT = 60.0


def redelivery_wait(fn_slack: dict[str, str] | None = None) -> float:
    """How long a click may take when its function message is delivered again (the process that held it lost
    its STOMP connection or died), for processes with these [fn_slack] settings: the call's own allowance
    (the first delivery's work up to the drop and the redelivered run's together make one call), plus the
    redelivered run's wait for a write of the first delivery that may still land (fn_slack's ``timeout`` +
    ``write_settle_seconds``: a message the first process never received waits all of it), plus
    resilient-circuits' reconnect delay (``STOMP_RECONNECT_INITIAL_DELAY``, 20 s), after which a message
    that comes back to the process that dropped it is answered."""
    settings = fn_slack or {}
    earlier_write = (float(settings.get("timeout", DEFAULT_TIMEOUT))
                     + float(settings.get("write_settle_seconds", DEFAULT_WRITE_SETTLE_SECONDS)))
    return CALL_WAIT + earlier_write + STOMP_RECONNECT_INITIAL_DELAY


def assert_each_answered_once(stack: Stack, results: list) -> None:
    """SOAR got exactly one final result for each click, and each function message was delivered once — or
    twice, when the connection it was first delivered on ended before it was acknowledged (the broker then
    gives it to a process again, with redelivered:true)."""
    for result in results:
        finals = [r for r in stack.soar.broker.replies_for(result.correlation_id)
                  if isinstance(r.body, dict) and r.body.get("complete")]
        assert len(finals) == 1, f"{len(finals)} final results for one action: {[r.body for r in finals]}"
    message_ids = {r.message_id for r in results}
    deliveries = [(mid, conn) for mid, _, conn in stack.soar.broker.deliveries if mid in message_ids]
    per_message = collections.Counter(mid for mid, _ in deliveries)
    assert set(per_message) == message_ids, "every message was delivered"
    for message_id, count in per_message.items():
        if count != 1:
            first = next(conn for mid, conn in deliveries if mid == message_id)
            assert count == 2 and first in stack.soar.broker.ended_connections, \
                f"{message_id} delivered {count} times, first on connection {first}, which had not dropped"


@dataclass
class Stack:
    """Both sandboxes, the app.config pointing at them, and the `run` processes started on it."""

    soar: SoarSandbox
    slack: SlackSandbox
    workdir: Path
    config: Path
    driver: SoarDriver
    processes: list[CircuitsProcess] = field(default_factory=list)

    def start_run(self, name: str = "run", config: Path | None = None, consumers: int | None = None,
                  env: dict[str, str] | None = None) -> CircuitsProcess:
        """Start `resilient-circuits run` and wait until it has subscribed to the slack destination."""
        process = CircuitsProcess(config or self.config, name=name, env=env).start()
        self.processes.append(process)
        expected = consumers if consumers is not None else len([p for p in self.processes if p.running()])
        if not self.soar.broker.wait_for_consumers(QUEUE, expected, timeout=60):
            raise AssertionError(f"{name} did not subscribe to {QUEUE}:\n{process.log()[-4000:]}")
        return process

    def logs(self) -> str:
        text = "\n".join(f"----- {p.name} -----\n{p.log()[-6000:]}" for p in self.processes)
        broker_log = getattr(self.soar.broker, "log_tail", None)
        if broker_log is not None:
            text += f"\n----- ActiveMQ -----\n{broker_log(4000)}"
        return text


NO_ACTIVEMQ = "Apache ActiveMQ is not installed here (`make activemq` installs Debian's package; CI does)"


def require_broker(broker: str) -> None:
    """Skip the test when it asks for ActiveMQ and the machine has none."""
    if broker == "activemq" and not activemq_installed():
        pytest.skip(NO_ACTIVEMQ)


def start_stack(workdir: Path, broker: str = "builtin") -> Stack:
    slack = SlackSandbox().start()
    try:
        soar = SoarSandbox(broker=broker).start()
    except BaseException:
        slack.stop()
        raise
    config = write_app_config(workdir, soar, slack.base_url)
    return Stack(soar=soar, slack=slack, workdir=workdir, config=config, driver=SoarDriver(soar, timeout=CALL_WAIT))


def stop_stack(stack: Stack) -> None:
    for process in stack.processes:
        process.stop()
    stack.soar.stop()
    stack.slack.stop()


@contextlib.contextmanager
def customized(broker: str = "builtin") -> Iterator[Stack]:
    """Sandboxes (SOAR's message destinations on `broker`) with fn_slack's customizations imported by the
    real `resilient-circuits customize -y`."""
    with tempfile.TemporaryDirectory(prefix="fn-slack-e2e-") as tmp:
        stack = start_stack(Path(tmp), broker)
        try:
            result = run_cli(stack.config, "customize", "-y", "-l", "fn_slack")
            assert result.returncode == 0, result.output
            yield stack
        finally:
            stop_stack(stack)


@pytest.fixture(scope="module")
def customized_stack() -> Iterator[Stack]:
    """Sandboxes with fn_slack's customizations, on the SOAR sandbox's built-in broker."""
    with customized() as stack:
        yield stack


@pytest.fixture(scope="module")
def running_stack(customized_stack: Stack) -> Stack:
    """The customized stack with one `resilient-circuits run` process consuming the slack destination."""
    customized_stack.start_run("run-1")
    return customized_stack
