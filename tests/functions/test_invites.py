"""Inviting people against a real workspace: guests, deactivated and external users, partial answers, stale IDs
(behavior §3.2: a person Slack will not invite is a status message, never a failed post)."""

import pytest

from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function

config_data = make_config()


def post(circuits_app, channel, emails, text="x"):
    return run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": channel, "slack_is_channel_private": False,
        "slack_participant_emails": emails, "slack_text": text})


def test_guests_deactivated_and_external_users_are_reported_and_the_rest_invited(circuits_app, slack, soar):
    outcome = post(circuits_app, "inc-2095",
                   "alice@example.com, gina@example.com, dan@example.com, erin@partner.example")

    assert outcome.error is None, outcome.error
    channel = slack.channel("inc-2095")
    assert slack.user("alice")["id"] in channel["members"]
    assert not {slack.user(u)["id"] for u in ("gina", "dan", "erin")} & set(channel["members"])
    assert [m["text"] for m in slack.messages(channel["id"])] == ["x"]
    assert "1 user invited to #inc-2095: alice@example.com." in outcome.statuses
    assert "User dan@example.com is not a member of your workspace." in outcome.statuses
    assert ("User gina@example.com could not be invited to #inc-2095: a single-channel guest who is already in "
            "another channel (ura_max_channels).") in outcome.statuses
    assert ("User erin@partner.example could not be invited to #inc-2095: Slack does not let the app invite this "
            "person (for example a user of another organisation) (cant_invite).") in outcome.statuses


@pytest.mark.slack_tidy("invite_partial")
def test_partial_refusals_in_an_ok_answer_are_read_the_same_way(circuits_app, slack, soar):
    outcome = post(circuits_app, "inc-2095", "alice@example.com, gina@example.com")

    assert outcome.error is None, outcome.error
    assert slack.user("alice")["id"] in slack.channel("inc-2095")["members"]
    assert any(s.startswith("User gina@example.com could not be invited") for s in outcome.statuses)


def test_a_refusal_without_errors_list_is_pinned_to_the_right_person(circuits_app, slack, soar):
    slack.add_user("olga", "olga@example.com", invite_error="org_user_not_in_team")

    outcome = post(circuits_app, "inc-2095", "alice@example.com, olga@example.com, bob@example.com")

    assert outcome.error is None, outcome.error
    members = slack.channel("inc-2095")["members"]
    assert {slack.user("alice")["id"], slack.user("bob")["id"]} <= set(members)
    assert any(s.startswith("User olga@example.com could not be invited to #inc-2095: a member of your "
                            "organisation") for s in outcome.statuses)


@pytest.mark.slack_tidy("invite_removed_silently")
def test_a_remembered_id_of_a_user_since_deactivated_does_not_break_the_post(circuits_app, slack, soar):
    assert post(circuits_app, "first-room", "bob@example.com").error is None
    slack.deactivate_user("bob")

    outcome = post(circuits_app, "second-room", "bob@example.com, alice@example.com", text="again")

    assert outcome.error is None, outcome.error
    assert [m["text"] for m in slack.messages(slack.channel("second-room")["id"])] == ["again"]
    assert "User bob@example.com is not a member of your workspace." in outcome.statuses
    assert slack.user("alice")["id"] in slack.channel("second-room")["members"]
