"""A person tries fn_slack by hand, in a real browser: the SOAR sandbox's incident page and the Slack sandbox's
channel view, clicked (`make try`'s stack: the clicks run the example workflows through a real
`resilient-circuits run`, and what people do in Slack comes back through its Socket Mode listener)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tools.browser_pages import SlackView, SoarPage, new_page

POST_INCIDENT = "Example: Post Incident to Slack"
ASK_QUESTION = "Example: Ask a Question in Slack"
POST_TEXT = "Browser test: please join"
BOB_REPLY = "Bob from the browser: WS-0231 is isolated."
QUESTION = "Browser test: block the sender domain for good?"


@pytest.fixture(scope="module")
def soar(stack, browser: Browser) -> SoarPage:
    return SoarPage(new_page(browser), stack.soar_page_url)


@pytest.fixture(scope="module")
def view(stack, browser: Browser) -> SlackView:
    return SlackView(new_page(browser), stack.slack_view_url)


@pytest.fixture(scope="module")
def incident_channel(stack) -> str:
    return f"inc-{stack.incident_id}-browser"


@pytest.fixture(scope="module")
def posted(stack, soar: SoarPage, incident_channel: str):
    """Example: Post Incident to Slack clicked on the SOAR page, Bob named as the participant (once a module)."""
    return soar.click_menu_item(POST_INCIDENT, {
        "rule_slack_channel": incident_channel, "rule_slack_is_channel_private": False,
        "rule_slack_participant_emails": stack.slack.user("bob")["profile"]["email"], "rule_slack_text": POST_TEXT})


def test_post_incident_clicked_on_the_soar_page_shows_in_the_slack_view(stack, posted, view: SlackView,
                                                                         incident_channel: str):
    assert posted.state == "succeeded", str(posted)
    view.open_channel(incident_channel, "bob")
    post = view.message(POST_TEXT)
    expect(post).to_be_visible()
    expect(post).to_contain_text(stack.soar.state.incident(stack.incident_id)["name"])


def test_bobs_reply_in_the_slack_view_becomes_a_note_on_the_soar_page(posted, soar: SoarPage, view: SlackView,
                                                                      incident_channel: str):
    assert posted.state == "succeeded", str(posted)
    view.open_channel(incident_channel, "bob")
    view.reply(view.message(POST_TEXT), BOB_REPLY)
    note = soar.wait_for_note(BOB_REPLY)
    expect(note).to_contain_text("Bob Brown")


def test_a_question_answered_by_a_click_in_the_slack_view_is_answered_on_the_soar_page(
        stack, posted, soar: SoarPage, view: SlackView, incident_channel: str):
    assert posted.state == "succeeded", str(posted)
    alice = stack.slack.user("alice")["profile"]["email"]
    asked = soar.click_menu_item(ASK_QUESTION, {"rule_slack_question": QUESTION,
                                                "rule_slack_question_options": "Yes|No",
                                                "rule_slack_participant_emails": alice})
    assert asked.state == "succeeded", str(asked)
    view.open_channel(incident_channel, "alice")
    question = view.message(QUESTION)
    expect(question.locator("button[data-action-id]")).to_have_count(2)
    ts = question.get_attribute("data-ts")
    view.click_button(question, "Yes")
    view.wait_for_answered(ts, "Yes")

    row = soar.wait_for_row("slack_questions_db", "slack_q_status", "answered")
    expect(soar.cell(row, "slack_q_answer")).to_have_text("Yes")
    expect(soar.cell(row, "slack_q_answered_by")).to_contain_text("Alice Adams")
