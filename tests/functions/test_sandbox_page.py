"""fn_slack's question answered by hand on the Slack sandbox's page: people click its buttons there, and the
app (a resilient-circuits app with its Socket Mode listener) records the answer in SOAR and answers them as it
answers any click."""

from __future__ import annotations

from sandbox.slack.socket_mode import APP_TOKEN
from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.functions.soar_org import QUESTIONS
from tests.polling import wait_until
from tests.sandbox_slack.helpers import Browser, error_of

config_data = make_config(app_token=APP_TOKEN)


def test_a_question_answered_by_clicking_on_the_page_is_recorded_for_that_person(circuits_app, slack, soar):
    assert slack.socket_mode.wait_for_connections(1, timeout=30), "the app's listener did not connect"
    question = run_function(circuits_app, "slack_ask_question", {
        "incident_id": INCIDENT, "slack_question": "Isolate host-17 now?", "slack_question_options": "Yes|No",
        "slack_channel": "ask-room", "slack_is_channel_private": False,
        "slack_participant_emails": "alice@example.com, bob@example.com"}).content
    page = f"/_sandbox/channels/{question['channel_id']}"

    def buttons(browser: Browser) -> dict:
        shown = browser.get(page).select_one(f'div.msg[data-ts="{question["ts"]}"]')
        return {b.get_text(): b for b in shown.select("button[data-action-id]")}

    # Carol sees the question but was not asked: the app tells her so, on her page only.
    carol = Browser(slack)
    carol.get(f"{page}?as=carol")
    yes = buttons(carol)["Yes"]
    assert error_of(carol.submit(yes.find_parent("form"), yes)) is None
    assert wait_until(lambda: carol.get(page).select("[data-ephemeral]"), timeout=30)
    [told] = carol.get(page).select("[data-ephemeral]")
    assert told.select_one(".text").get_text() == "Only @Alice, @Bob may answer this question."
    assert Browser(slack).get(f"{page}?as=bob").select("[data-ephemeral]") == []

    bob = Browser(slack)
    bob.get(f"{page}?as=bob")
    yes = buttons(bob)["Yes"]
    bob.submit(yes.find_parent("form"), yes)

    assert wait_until(lambda: [r["slack_q_status"] for r in soar.rows_of(INCIDENT, QUESTIONS)] == ["answered"],
                      timeout=30)
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert (row["slack_q_answer"], row["slack_q_answered_by"]) == ("Yes", "Bob Brown")
    assert wait_until(lambda: buttons(bob) == {}, timeout=30)  # the app replaced the question with its answer
    answered = bob.get(page).select_one(f'div.msg[data-ts="{question["ts"]}"]')
    assert "\u2705 Yes \u2014 @Bob" in answered.get_text()  # Slack draws :white_check_mark: as the emoji
