"""Fixtures that start the Slack and SOAR sandboxes and real `resilient-circuits` processes."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sandbox.slack import SlackSandbox
from sandbox.soar import SoarSandbox
from sandbox.soar.activemq import activemq_installed
from sandbox.soar.circuits import CircuitsProcess, run_cli, write_app_config
from sandbox.soar.driver import SoarDriver

QUEUE = "actions.201.slack"


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
    return Stack(soar=soar, slack=slack, workdir=workdir, config=config, driver=SoarDriver(soar, timeout=60))


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
