"""`python -m fn_slack.util.platform_check`, run for real against the SOAR and Slack sandboxes in both positions of
every switch it reports on: it names the position each sandbox is in, and leaves nothing behind."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from sandbox.slack import SlackSandbox
from sandbox.soar import SoarSandbox
from sandbox.soar.circuits import run_cli, write_app_config
from sandbox.soar.state import SERVER_VERSION

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
USER_TOKEN_VAR = "FN_SLACK_CHECK_USER_TOKEN"
# Each SOAR switch in one position, then in the other, given to SoarSandbox(...) explicitly (the sandbox's
# row_versions default follows $FN_SLACK_SANDBOX_ROW_VERSIONS, so neither run depends on it).
DEFAULT_SOAR = {"row_versions": "checked", "unknown_columns": "refuse", "dotted_patch": "refuse"}
FLIPPED_SOAR = {"row_versions": "ignored", "unknown_columns": "drop", "dotted_patch": "accept"}


@dataclass
class Platform:
    soar: SoarSandbox
    slack: SlackSandbox
    config: Path

    def check(self, *args: str, user_token: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
        """Run the platform check as an administrator would, with this app.config."""
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
        env["PYTHONPATH"] = str(REPO)
        env.pop("APP_CONFIG_FILE", None)
        if user_token:
            env[USER_TOKEN_VAR] = self.slack.user_token("alice")
            args = (*args, "--user-token-env", USER_TOKEN_VAR)
        return subprocess.run([sys.executable, "-m", "fn_slack.util.platform_check", "-c", str(self.config), *args],
                              env=env, capture_output=True, text=True, timeout=timeout, check=False)

    def report(self, *args: str, **kwargs: object) -> tuple[int, dict, str]:
        proc = self.check("--yes", "--json", *args, **kwargs)
        assert proc.stdout.strip().startswith("{"), proc.stdout + proc.stderr
        return proc.returncode, json.loads(proc.stdout), proc.stdout + proc.stderr

    def assert_nothing_left(self, report: dict) -> None:
        """No scratch incident (nor its rows) in SOAR, every scratch channel archived in Slack."""
        assert report["not_removed"] == []
        with self.soar.state.lock:
            scratch = [i for i in self.soar.state.incidents.values() if i["name"].startswith("fn-slack-check-")]
            rows = [key for key in self.soar.state.rows if self.soar.state.rows[key]]
        assert scratch == [] and rows == []
        created = [c for c in self.slack.calls_to("conversations.create") if c.ok]
        assert created, "the check made its scratch channels"
        for call in created:
            channel = self.slack.channel(call.params["name"])
            assert channel["is_archived"], f"#{channel['name']} was left open"


def matches(report: dict) -> dict[str, str | None]:
    return {c["name"]: c["matches"] for c in report["checks"]}


def platform_of(report: dict) -> dict[str, str]:
    return {c["name"]: c["platform"] for c in report["checks"]}


@contextlib.contextmanager
def platform(customize: bool = True, realism: dict | None = None, **soar_switches: object) -> Iterator[Platform]:
    slack = SlackSandbox(realism=realism).start()
    soar = SoarSandbox(**soar_switches).start()
    try:
        with tempfile.TemporaryDirectory(prefix="fn-slack-platform-") as tmp:
            config = write_app_config(tmp, soar, slack.base_url)
            if customize:
                result = run_cli(config, "customize", "-y", "-l", "fn_slack")
                assert result.returncode == 0, result.output
            soar.state.calls.clear()
            slack.clear_calls()
            yield Platform(soar, slack, config)
    finally:
        soar.stop()
        slack.stop()


@pytest.fixture(scope="module")
def default_platform() -> Iterator[Platform]:
    """Every SOAR switch in its first position (DEFAULT_SOAR); Slack's real behaviour."""
    with platform(**DEFAULT_SOAR) as found:
        yield found


@pytest.fixture(scope="module")
def flipped_platform() -> Iterator[Platform]:
    """Every SOAR switch in its other position, given to SoarSandbox(...); idle connections closed after 2 s."""
    with platform(keepalive_seconds=2, **FLIPPED_SOAR) as found:
        yield found


def secrets_of(found: Platform) -> list[str]:
    return ["xoxb-sandbox-token", found.slack.user_token("alice"), "sandbox-api-key-secret"]


def test_the_default_positions_are_named(default_platform):
    code, report, output = default_platform.report("--idle-seconds", "1")
    assert code == 0, output
    assert matches(report) == {
        "row PUT, stale version": "checked", "row PUT, some cells": "checked", "row write, unknown column": "refuse",
        "PATCH bare name": "sandbox", "partial query properties": "sandbox", "PATCH dotted name": "refuse",
        "HTTP keep-alive": "sandbox", "archive, public channel": "true", "archive, private channel": "false",
        "metadata, user token": "refuse"}
    assert platform_of(report)["HTTP keep-alive"] == "0 new connection(s) for 3 calls; still open after 1 s idle"
    assert {c["status"] for c in report["checks"]} == {"ran"}
    assert report["versions"] == {"fn_slack": version("fn_slack"), "soar": SERVER_VERSION["version"]}
    assert report["switches"] == {"row_versions": "checked", "unknown_columns": "refuse", "dotted_patch": "refuse",
                                  "archive_ejects_app": "true", "archived_private_visible": "false",
                                  "user_token_metadata": "refuse"}
    default_platform.assert_nothing_left(report)
    assert not any(secret in output for secret in secrets_of(default_platform))


def test_the_other_positions_are_named(flipped_platform):
    flipped_platform.slack.set_realism("real", archived_private_visible=True, user_token_metadata="accept")
    code, report, output = flipped_platform.report("--idle-seconds", "4")
    assert code == 0, output
    assert matches(report) == {
        "row PUT, stale version": "ignored", "row PUT, some cells": "ignored", "row write, unknown column": "drop",
        "PATCH bare name": "sandbox", "partial query properties": "sandbox", "PATCH dotted name": "accept",
        "HTTP keep-alive": "sandbox", "archive, public channel": "true", "archive, private channel": "true",
        "metadata, user token": "accept"}
    assert platform_of(report)["HTTP keep-alive"] == "0 new connection(s) for 3 calls; closed within 4 s idle"
    flipped_platform.assert_nothing_left(report)
    assert not any(secret in output for secret in secrets_of(flipped_platform))


def test_a_bot_kept_in_archived_channels_is_named(default_platform):
    default_platform.slack.set_realism("real", archive_ejects_app=False)
    try:
        code, report, output = default_platform.report()
    finally:
        default_platform.slack.set_realism("real")
    assert code == 0, output
    assert matches(report)["archive, public channel"] == "false"
    assert platform_of(report)["archive, public channel"] == "history still readable"
    assert matches(report)["archive, private channel"] == "either", "the private switch cannot apply then"
    default_platform.assert_nothing_left(report)


def test_the_table_names_each_position_for_people(flipped_platform):
    flipped_platform.slack.set_realism("real")
    proc = flipped_platform.check("--yes")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = {line.split("  ")[0]: line for line in proc.stdout.splitlines()}
    assert lines["row PUT, stale version"].rstrip().endswith("ignored")
    assert "row written without the cell" in lines["row write, unknown column"]
    assert lines["PATCH dotted name"].rstrip().endswith("accept")
    assert "refused: metadata_must_be_sent_from_app" in lines["metadata, user token"]
    assert "removed: SOAR incident" in proc.stdout
    assert "NOT REMOVED" not in proc.stdout
    assert not any(secret in proc.stdout + proc.stderr for secret in secrets_of(flipped_platform))


def test_without_yes_nothing_is_asked_or_written(default_platform):
    default_platform.soar.state.calls.clear()
    default_platform.slack.clear_calls()
    proc = default_platform.check()
    assert proc.returncode == 1
    assert "runs only with --yes" in proc.stdout and "Nothing was written" in proc.stdout
    assert "fn-slack-check-" in proc.stdout, "it says what it would create"
    assert default_platform.soar.state.calls == []
    assert default_platform.slack.calls == []


def test_without_a_user_token_the_metadata_check_is_not_tried(default_platform):
    code, report, output = default_platform.report(user_token=False)
    assert code == 0, output
    metadata = next(c for c in report["checks"] if c["name"] == "metadata, user token")
    assert metadata["status"] == "skipped" and metadata["matches"] is None
    assert "no user token" in metadata["platform"]
    assert not [c for c in default_platform.slack.calls if c.token and c.token.startswith("xoxp-")]
    default_platform.assert_nothing_left(report)


def test_an_org_without_the_customizations_says_why_the_soar_checks_could_not_run():
    with platform(customize=False) as bare:
        code, report, output = bare.report()
        assert code == 2, output
        refused = [c for c in report["checks"] if c["status"] == "could not run"]
        assert {c["name"] for c in refused} == {"row PUT, stale version", "row PUT, some cells",
                                                "row write, unknown column", "partial query properties",
                                                "PATCH bare name", "PATCH dotted name"}
        assert all("run resilient-circuits customize" in c["platform"] for c in refused)
        assert matches(report)["archive, public channel"] == "true", "the Slack checks still ran"
        assert bare.soar.state.incidents == {}, "no scratch incident without the table to test"
        bare.assert_nothing_left(report)


def test_a_refused_api_key_is_reported_without_its_secret_and_the_slack_checks_still_run(default_platform):
    found = default_platform
    with tempfile.TemporaryDirectory(prefix="fn-slack-platform-") as tmp:
        config = write_app_config(tmp, found.soar, found.slack.base_url,
                                  api_key=("sandbox-api-key-id", "wrong-secret-for-the-check"))
        code, report, output = Platform(found.soar, found.slack, config).report(user_token=False)
    assert code == 2, output
    assert "wrong-secret-for-the-check" not in output
    assert any("SOAR could not be reached or refused the API key" in p for p in report["problems"])
    assert {c["status"] for c in report["checks"] if c["switch"] in ("row_versions", "dotted_patch")} == {
        "could not run"}
    assert matches(report)["archive, public channel"] == "true"
    found.assert_nothing_left(report)


def test_a_check_slack_refuses_is_named_with_slacks_reason_and_the_rest_still_runs(default_platform):
    found = default_platform
    scopes = ["channels:read", "groups:read", "channels:manage", "channels:join", "chat:write", "users:read",
              "channels:history", "groups:history"]   # no groups:write: no private channel
    found.slack.add_token("xoxb-check-without-groups-write", scopes)
    with tempfile.TemporaryDirectory(prefix="fn-slack-platform-") as tmp:
        config = write_app_config(tmp, found.soar, found.slack.base_url, api_token="xoxb-check-without-groups-write")
        code, report, output = Platform(found.soar, found.slack, config).report(user_token=False)
    assert code == 2, output
    private = next(c for c in report["checks"] if c["name"] == "archive, private channel")
    assert private["status"] == "could not run" and "missing_scope" in private["platform"]
    assert matches(report)["archive, public channel"] == "true"
    assert matches(report)["row PUT, stale version"] == "checked"
    assert "xoxb-check-without-groups-write" not in output
    found.assert_nothing_left(report)
