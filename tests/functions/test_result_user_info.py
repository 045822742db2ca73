"""[fn_slack] result_user_info = true: the post results list the channel's people as IBM's 2.1 did."""

from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function

config_data = make_config(result_user_info="true")


def described(slack, who: str) -> str:
    user = slack.user(who)
    return f"{user['profile']['display_name'] or user['real_name']}: {user['profile']['email']}"


def test_user_info_lists_the_human_members_with_their_emails_flat_and_in_the_content(circuits_app, slack, soar):
    outcome = run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": "inc-2095", "slack_is_channel_private": False,
        "slack_participant_emails": "alice@example.com, bob@example.com", "slack_text": "Hello"})

    expected = sorted([described(slack, "alice"), described(slack, "bob")])
    assert sorted(outcome.result["user_info"]) == expected          # results.user_info, as 2.1 scripts read it
    assert sorted(outcome.result["content"]["user_info"]) == expected
    assert not any("fn_slack" in line for line in outcome.result["user_info"])   # the app's bot is not a person
