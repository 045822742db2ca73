"""`make try`: fn_slack to try by hand - both sandboxes, a real `resilient-circuits run` with the Slack Socket
Mode listener, two-way channels on for Example: Post Incident to Slack, and the demo incident; prints the SOAR
page of that incident and the Slack channel view, and runs until Ctrl-C (or SIGTERM).

It is `make demo`'s set-up (sandbox.demo.Demo) without the clicks: the clicks are yours, on the SOAR page. Bob is
a member of the demo incident in SOAR, so that he may act on it from Slack."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from sandbox.demo import Demo
from sandbox.slack import SlackSandbox
from sandbox.soar import SoarSandbox
from sandbox.soar.__main__ import wait_for_stop_signal


class TryError(RuntimeError):
    """The stack could not be started; the message says which step failed and why."""


class TryStack:
    """Everything `make try` runs, as a context manager for tests and screenshots::

        with TryStack(workdir) as stack:
            stack.soar_page_url, stack.slack_view_url, stack.incident_id, stack.soar, stack.slack

    On the way out it stops `resilient-circuits run` and both sandboxes, whatever happened."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.lines: list[str] = []   # what the demo's set-up reported, for the error when a step fails
        self.demo = Demo(self.workdir, out=self.lines.append)
        self.startup_seconds = 0.0

    def start(self) -> TryStack:
        started = time.monotonic()
        try:
            self.demo.start()
            if not self.demo.passed:
                failed = [f"{c.what}: {c.detail[-800:]}" for c in self.demo.checks if not c.ok]
                raise TryError("the stack did not start:\n  " + "\n  ".join(failed))
            # SOAR starts the automatic playbook of an answered question, as in the demo.
            self.soar.web.driver.watch_rows()
            self.demo.create_incident()
            # Bob may act on the demo incident from Slack (/soar, Send to SOAR): its owner and members may.
            self.soar.state.set_members(self.incident_id, [self.slack.user("bob")["profile"]["email"]])
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        self.demo.stop()

    def __enter__(self) -> TryStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def soar(self) -> SoarSandbox:
        return self.demo.soar

    @property
    def slack(self) -> SlackSandbox:
        return self.demo.slack

    @property
    def incident_id(self) -> int:
        return self.demo.ids["incident"]

    @property
    def soar_page_url(self) -> str:
        """The SOAR page of the demo incident."""
        return f"{self.soar.ui_url}incidents/{self.incident_id}"

    @property
    def slack_view_url(self) -> str:
        """The Slack sandbox's channel view (channels as Slack shows them)."""
        return self.demo._slack_view_url()


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make try", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", help="where app.config and the logs go, kept afterwards (default: a temporary "
                                          "directory, removed at the end)")
    args = parser.parse_args(argv)
    # SIGTERM while starting up stops what has started, as Ctrl-C does (no resilient-circuits left behind).
    signal.signal(signal.SIGTERM, _interrupt)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="fn-slack-try-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print("Starting the Slack and SOAR sandboxes and resilient-circuits run (about 10 s) ...", flush=True)
    stack = TryStack(workdir)
    keep_workdir = args.workdir is not None
    try:
        stack.start()
        print(f"Ready in {stack.startup_seconds:.1f} s: the demo incident "
              f"\"{stack.soar.state.incident(stack.incident_id)['name']}\" with its task, note, artifacts and "
              "attachments.", flush=True)
        print(f"  SOAR incident page  {stack.soar_page_url}")
        print(f"  Slack channel view  {stack.slack_view_url}")
        print(f"  Logs, app.config    {workdir}")
        print("Click a menu item on the SOAR page, then see the channel in Slack. Ctrl-C stops everything.",
              flush=True)
        wait_for_stop_signal()
    except KeyboardInterrupt:
        pass
    except TryError as err:
        keep_workdir = True
        print(f"make try: {err}\n  Logs and app.config are kept in {workdir}", file=sys.stderr)
        return 1
    finally:
        print("Stopping ...", flush=True)
        stack.stop()
        if not keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
