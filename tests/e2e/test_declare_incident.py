"""*Declare incident* through a real `resilient-circuits run`: the Socket Mode listener answers the global shortcut
with the modal (or a modal saying why not), and the submitted modal creates the SOAR incident and its private
channel with the person in it, linked two-way so that what is said there becomes notes."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from sandbox.slack.socket_mode import APP_TOKEN
from sandbox.soar.circuits import run_cli, write_app_config
from tests.polling import wait_until

from .conftest import Stack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

KEY = ("declare-key", "declare-secret")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="fn-slack-declare-") as tmp:
        stack = start_stack(Path(tmp))
        try:
            result = run_cli(stack.config, "customize", "-y", "-l", "fn_slack")
            assert result.returncode == 0, result.output
            stack.soar.add_api_key(*KEY)
            config = write_app_config(stack.workdir, stack.soar, stack.slack.base_url, name="declare.config",
                                      api_key=KEY, num_workers=5,
                                      fn_slack={"app_token": APP_TOKEN, "event_claim_seconds": "4"})
            stack.start_run("run-a", config=config, consumers=1)
            assert stack.slack.socket_mode.wait_for_connections(1, timeout=60), stack.logs()
            yield stack
        finally:
            stop_stack(stack)


def _modal(stack: Stack, person: str) -> dict:
    uid = stack.slack.user(person)["id"]
    sent = stack.slack.actions.global_shortcut(stack.slack.user_token(person), "declare_incident")
    assert sent["ok"], sent
    assert wait_until(lambda: stack.slack.actions.open_views(uid), timeout=60), stack.logs()
    [view] = stack.slack.actions.open_views(uid)
    return view


def _incidents(stack: Stack, name: str) -> list[dict]:
    return [i for i in stack.soar.state.query_incidents([])["data"] if i["name"] == name]


def test_bob_declares_an_incident_and_its_channel_mirrors_into_it(stack):
    bob = stack.slack.user("bob")["id"]
    _modal(stack, "bob")
    with stack.slack._lock:  # noqa: SLF001 - the test reads which modal is Bob's
        [view_id] = [v for v, view in stack.slack._ws.views.items() if view["user"] == bob and view["open"]]  # noqa: SLF001
    sent = stack.slack.actions.submit_view(stack.slack.user_token("bob"), view_id, {
        "declare_name": {"name": "Ransomware on file server"}, "declare_severity": {"severity": "High"},
        "declare_description": {"description": "Files renamed *.locked on fs-02"}})
    assert sent["ok"], sent
    assert stack.slack.actions.submission_result(view_id, sent["envelope_id"], timeout=30) == {
        "closed": True, "errors": {}}

    def noted() -> bool:   # the last step: the incident, its channel linked and indexed, the note
        found = _incidents(stack, "Ransomware on file server")
        return bool(found) and any("declared this incident" in str(n["text"])
                                   for n in stack.soar.state.notes_of(found[0]["id"]))
    assert wait_until(noted, timeout=60), stack.logs()
    [incident] = _incidents(stack, "Ransomware on file server")
    assert incident["severity_code"] == "High" and incident["owner_id"] == "bob@example.com"
    channel = stack.slack.channel(f"inc-{incident['id']}-ransomware-on-file-server")
    assert channel is not None and channel["is_private"] and bob in channel["members"]
    [row] = stack.soar.state.rows_of(incident["id"])
    assert row["slack_db_channel_id"] == channel["id"]

    bob_writes = WebClient(token=stack.slack.user_token("bob"), base_url=stack.slack.base_url)
    bob_writes.chat_postMessage(channel=channel["id"], text="fs-02 isolated from the network")   # linked two-way
    assert wait_until(lambda: any("fs-02 isolated" in str(n["text"]) for n in stack.soar.state.notes_of(
        incident["id"])), timeout=60), stack.logs()


def test_gina_a_guest_gets_the_refusal_and_nothing_is_created(stack):
    before = len(stack.soar.state.query_incidents([])["data"])
    view = _modal(stack, "gina")
    said = " ".join(b["text"]["text"] for b in view["view"]["blocks"] if b.get("text"))
    assert said == ":no_entry: You cannot declare a SOAR incident from Slack: guests of the Slack workspace never " \
                   "act on SOAR."
    assert "submit" not in view["view"]
    assert len(stack.soar.state.query_incidents([])["data"]) == before
