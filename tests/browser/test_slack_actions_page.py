"""A person acts on SOAR from the Slack sandbox's page in a real browser (`make try`'s stack: a real
`resilient-circuits run` answers through its Socket Mode listener): a message shortcut from a message's menu, a
slash command typed in the composer, and a modal the app opened, filled and submitted."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from slack_sdk import WebClient

from tools.browser_pages import SlackView, SoarPage, new_page

POST_INCIDENT = "Example: Post Incident to Slack"
ALICE_SAYS = "Browser test: the sender was phish@evil.example"
REQUIRED = "Please complete this required field."


@pytest.fixture(scope="module")
def soar(stack, browser: Browser) -> SoarPage:
    return SoarPage(new_page(browser), stack.soar_page_url)


@pytest.fixture(scope="module")
def view(stack, browser: Browser) -> SlackView:
    return SlackView(new_page(browser), stack.slack_view_url)


@pytest.fixture(scope="module")
def room(stack, soar: SoarPage) -> str:
    """The incident's channel, linked two-way by Example: Post Incident to Slack; Bob is a member of the incident
    in SOAR (so he may act), Alice has written in the channel."""
    channel = f"inc-{stack.incident_id}-actions"
    emails = ", ".join(stack.slack.user(p)["profile"]["email"] for p in ("alice", "bob"))
    posted = soar.click_menu_item(POST_INCIDENT, {
        "rule_slack_channel": channel, "rule_slack_is_channel_private": False,
        "rule_slack_participant_emails": emails, "rule_slack_text": "Browser test: actions from Slack"})
    assert posted.state == "succeeded", str(posted)
    stack.soar.state.set_members(stack.incident_id, [stack.slack.user("bob")["profile"]["email"]])
    stack.slack.add_message(stack.slack.channel(channel)["id"], "alice", ALICE_SAYS)
    return channel


def test_bob_sends_a_message_to_soar_from_its_menu_and_it_becomes_a_note(stack, room: str, soar: SoarPage,
                                                                        view: SlackView):
    view.open_channel(room, "bob")
    view.message_shortcut(view.message(ALICE_SAYS), "Send to SOAR")

    expect(view.wait_for_ephemeral(f"Sent to incident {stack.incident_id} as a note")).to_contain_text(
        "Only visible to you")
    note = soar.wait_for_note("acting as the SOAR user")
    expect(note).to_contain_text(ALICE_SAYS)
    expect(note).to_contain_text("Bob Brown")


def test_bob_runs_soar_status_in_the_composer_and_sees_the_answer_alone(stack, room: str, view: SlackView):
    view.open_channel(room, "bob")
    view.command("/soar status")

    answer = view.wait_for_ephemeral(stack.soar.state.incident(stack.incident_id)["name"])
    expect(answer).to_contain_text("Only visible to you")
    view.open_channel(room, "alice")
    expect(view.page.locator("[data-ephemeral]")).to_have_count(0)


def test_an_unknown_command_is_refused_as_slack_refuses_it(room: str, view: SlackView):
    view.open_channel(room, "bob")
    compose = view.page.locator("form[data-compose]")
    compose.locator('textarea[name="text"]').fill("/soarr status")
    with view.page.expect_navigation(wait_until="load"):
        compose.locator("button[type=submit]").click()
    expect(view.page.locator('[data-error="not_a_valid_command"]')).to_contain_text(
        "/soarr is not a valid command.")


def test_a_modal_the_app_opened_is_filled_and_submitted_from_the_page(stack, room: str, view: SlackView):
    slack = stack.slack
    trigger = slack.actions.global_shortcut(slack.user_token("bob"), "browser_test")["trigger_id"]
    modal_view = {
        "type": "modal", "callback_id": "browser_test", "title": {"type": "plain_text", "text": "Browser test"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [{"type": "input", "block_id": "what", "label": {"type": "plain_text", "text": "What happened"},
                    "element": {"type": "plain_text_input", "action_id": "value", "multiline": True}},
                   {"type": "input", "block_id": "how", "label": {"type": "plain_text", "text": "Severity"},
                    "element": {"type": "static_select", "action_id": "value", "options": [
                        {"text": {"type": "plain_text", "text": t}, "value": t.lower()} for t in ("Low", "High")]}}]}
    opened = WebClient(token=slack.default_token, base_url=slack.base_url).views_open(trigger_id=trigger,
                                                                                      view=modal_view)
    view_id = opened["view"]["id"]

    view.open_channel(room, "bob")
    expect(view.modal().locator("[data-modal-title]")).to_have_text("Browser test")
    view.fill_modal({"Severity": "High"})
    view.submit_modal()
    expect(view.modal().locator('[data-block-id="what"] [data-input-error]')).to_have_text(REQUIRED)
    assert slack.actions.open_views(slack.user("bob")["id"]), "a blank required input never submits"

    view.fill_modal({"What happened": "A second phishing wave"})
    view.submit_modal()
    expect(view.page.locator("[data-modal]")).to_have_count(0)
    assert slack.actions.open_views(slack.user("bob")["id"]) == []
    [envelope] = _submissions(slack, view_id)   # one view_submission reached the app, which acked it
    assert envelope in slack.socket_mode.acked


def _submissions(slack, view_id: str) -> list[str]:
    with slack._lock:  # noqa: SLF001 - the sandbox's record of a view's submissions
        return list(slack._ws.views[view_id]["submissions"])  # noqa: SLF001
