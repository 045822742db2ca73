"""What a new user meets first: the Makefile's Python check, `make demo`'s output, and what --keep offers."""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DEMO_TIMEOUT = 300  # the demo takes ~15 s alone; generous for a loaded machine


def demo_env(tmp_path: Path) -> dict[str, str]:
    """The demo's environment, with its temporary files (the work directory) under tmp_path."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["TMPDIR"] = str(tmp_path)
    return env


def test_make_refuses_a_python_older_than_3_11_before_creating_anything(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for name in ("Makefile", "setup.py", "requirements-dev.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    old_python = tmp_path / "python3.9"
    old_python.write_text('#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python 3.9.2"; exit 0; fi\nexit 1\n')
    old_python.chmod(0o755)

    result = subprocess.run(["make", "demo", f"PYTHON={old_python}"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, check=False)

    assert result.returncode != 0
    assert f"fn_slack needs Python 3.11 or later, but '{old_python}' is Python 3.9.2." in result.stdout
    assert "make demo PYTHON=python3.11" in result.stdout
    assert not (tmp_path / ".venv").exists()


def test_plain_demo_passes_in_a_screenful_and_leaves_no_work_directory(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sandbox.demo"], cwd=ROOT, env=demo_env(tmp_path),
                            capture_output=True, text=True, timeout=DEMO_TIMEOUT, check=False)
    output = result.stdout + result.stderr

    assert result.returncode == 0, output[-4000:]
    checks = re.search(r"Checks: (\d+) of (\d+) passed - every step did what it should\.", output)
    assert checks and checks.group(1) == checks.group(2), output[-4000:]
    lines = output.splitlines()
    # Without --verbose a click, a playbook included, is one line: its steps are --verbose's.
    assert not [line for line in lines if line.startswith("     ")], output
    # The output names nothing the reader lacks (a spec) and no mention Slack would show as typed.
    assert "spec" not in output and "<@alice>" not in output, output
    assert "[ok  ] the Additional Text's mention notified Alice" in output, output
    assert len(lines) <= 80, f"{len(lines)} lines:\n{output}"
    assert not [line for line in lines if re.search(r"warning|traceback", line, re.IGNORECASE)], output
    assert list(tmp_path.glob("fn-slack-demo-*")) == []


def _wait_for(process: subprocess.Popen, log: Path, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(encoding="utf-8", errors="replace")
        if text in output:
            return output
        if process.poll() is not None:
            break
        time.sleep(0.5)
    raise AssertionError(f"the demo never printed {text!r}:\n{log.read_text(errors='replace')[-4000:]}")


def _get(url: str) -> int:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the SOAR sandbox's self-signed certificate
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    with opener.open(url, timeout=30) as response:
        return response.status


def test_keep_prints_commands_and_views_that_work_against_the_kept_sandboxes(tmp_path):
    log = tmp_path / "demo.out"
    env = demo_env(tmp_path)
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "sandbox.demo", "--keep"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        output = _wait_for(process, log, " run\n", DEMO_TIMEOUT)
        commands = re.findall(r"^ {4}(APP_CONFIG_FILE=(\S+) (\S+) (selftest -l fn_slack|run))$", output, re.MULTILINE)
        assert [c[3] for c in commands] == ["selftest -l fn_slack", "run"], output[-3000:]
        _, config, circuits, _ = commands[0]
        assert Path(config).is_file() and (ROOT / circuits).exists()

        selftest = subprocess.run([str(ROOT / circuits), "selftest", "-l", "fn_slack"], cwd=ROOT,
                                  env={**env, "APP_CONFIG_FILE": config}, capture_output=True, text=True,
                                  timeout=120, check=False)
        assert selftest.returncode == 0, selftest.stdout[-3000:] + selftest.stderr[-3000:]
        assert "selftest: success" in selftest.stdout + selftest.stderr

        views = dict(re.findall(r"^ {2}(SOAR page of the demo incident|Slack channels, as Slack shows them|"
                                r"SOAR state \(JSON\)) +(\S+)$", output, re.MULTILINE))
        assert set(views) == {"SOAR page of the demo incident", "Slack channels, as Slack shows them",
                              "SOAR state (JSON)"}, output[-3000:]
        assert [_get(url) for url in views.values()] == [200, 200, 200]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert process.returncode == 0
    # --keep keeps the work directory, and says where it is.
    assert f"Work directory (app.config, logs): {Path(config).parent}" in log.read_text(encoding="utf-8")
    assert Path(config).is_file()
