"""`make try`: the stack a person clicks by hand starts, serves both pages with the demo incident, and stops
with nothing left running - in process (TryStack) and as the command (SIGTERM, as Ctrl-C)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup

from sandbox.try_it import TryStack

pytestmark = pytest.mark.e2e

QUEUE = "actions.201.slack"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _port_open(url: str) -> bool:
    host_port = re.match(r"https?://([^/]+)/", url)[1]
    host, port = host_port.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def test_try_stack_serves_the_demo_incident_with_resilient_circuits_running_and_stops_cleanly(tmp_path: Path):
    with TryStack(tmp_path) as stack:
        run = stack.demo.run_process
        # subscribed (again, should a STOMP connection drop under load have made it reconnect)
        assert run.running() and stack.soar.broker.wait_for_consumers(QUEUE, 1, timeout=60), run.log()[-3000:]
        assert stack.slack.socket_mode.wait_for_connections(1, timeout=30), "the Socket Mode listener connected"
        page = BeautifulSoup(requests.get(stack.soar_page_url, timeout=10).text, "html.parser")
        assert page.select_one("h1[data-incident-name]").get_text() == "Phishing campaign against Finance"
        assert page.select_one(f'section[data-section="tasks"] [data-task-id="{stack.demo.ids["task"]}"]')
        assert page.select_one('button[data-menu-item="Example: Post Incident to Slack"]') is not None
        assert stack.soar_page_url == f"{stack.soar.ui_url}incidents/{stack.incident_id}"
        assert requests.get(stack.slack_view_url, timeout=10).status_code == 200
        assert "inputs.slack_mirror = True" in stack.soar.web.driver.customizations.workflow(
            "create_slack_message").pre_script, "two-way channels on for Post Incident to Slack"
        urls = [stack.soar_page_url, stack.slack_view_url, stack.soar.rest_url]
    assert not run.running() and not _alive(run.pid)
    assert not any(_port_open(url) for url in urls)


def test_make_try_prints_both_urls_and_stops_on_sigterm_with_no_process_left(tmp_path: Path):
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.try_it", "--workdir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        while not any(line.startswith("Click a menu item") for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        output = "".join(lines)
        assert re.search(r"^Ready in \d+\.\d s", output, re.MULTILINE), output
        soar_url = re.search(r"^  SOAR incident page  (http://127\.0\.0\.1:\d+/incidents/\d+)$", output,
                             re.MULTILINE)[1]
        slack_url = re.search(r"^  Slack channel view  (http://127\.0\.0\.1:\d+/_sandbox/)$", output,
                              re.MULTILINE)[1]
        assert "Ctrl-C stops everything" in output
        assert requests.get(soar_url, timeout=10).status_code == 200
        assert requests.get(slack_url, timeout=10).status_code == 200
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True,
                                  check=False).stdout.split()
        assert children, "resilient-circuits run is a child of make try"
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, rest
    assert rest.strip().splitlines()[-1] == "Stopped."
    deadline = time.monotonic() + 10
    while any(_alive(int(pid)) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(int(pid)) for pid in children), "no orphan resilient-circuits"
    assert not _port_open(soar_url.split("incidents")[0]) and not _port_open(slack_url)
