"""slack_ask_question's inputs through resilient-circuits: a bad question is refused before anything is asked,
who may answer fails closed, and incident data in a question reaches Slack inert."""

import pytest

from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.functions.soar_org import QUESTIONS

config_data = make_config()
FN = "slack_ask_question"


@pytest.mark.parametrize(("inputs", "message"), [
    ({"slack_question_options": "Yes|No"}, "slack_question is empty: give the question to ask."),
    ({"slack_question": "Go?"}, "slack_question_options is empty: give the answers as buttons (one per line, or "
                                "separated by |), or set slack_question_free_text to Yes."),
    ({"slack_question": "Go?", "slack_question_options": "|".join(str(i) for i in range(11))},
     "slack_question_options has more than 10 answers; give at most 10."),
    ({"slack_question": "Go?", "slack_question_options": "Yes|" + "n" * 76},
     "An answer in slack_question_options is longer than 75 characters (Slack's limit for a button)."),
    ({"slack_question": "Go?", "slack_question_options": "Yes|No", "slack_question_direct": True},
     "slack_question_direct is Yes but slack_participant_emails is empty: say whom to ask."),
    ({"slack_question": "Go?", "slack_question_options": "Yes|No", "slack_question_expiry_minutes": 0},
     "slack_question_expiry_minutes must be a number of minutes, at least 1 (got 0)."),
    ({"slack_question": "Go?", "slack_question_options": "Yes|No"},
     "Not asked: nobody may answer. Name the people who may answer in slack_participant_emails, or set "
     "slack_question_anyone to Yes to let any member of the question's channel answer."),
    ({"slack_question": "Go?", "slack_question_options": "Yes|No", "slack_question_direct": True,
      "slack_question_anyone": True, "slack_participant_emails": "alice@example.com"},
     "slack_question_anyone is Yes with slack_question_direct: a direct question is answered by the people of "
     "slack_participant_emails only."),
])
def test_a_bad_question_is_refused_before_anything_is_asked(circuits_app, slack, soar, inputs, message):
    outcome = run_function(circuits_app, FN, {"incident_id": INCIDENT, "slack_channel": "ask-room",
                                              "slack_is_channel_private": False, **inputs})
    assert outcome.error is not None and message in outcome.error
    assert slack.calls == [] and soar.calls == []


def test_asking_someone_who_is_not_in_the_workspace_directly_is_refused(circuits_app, slack, soar):
    outcome = run_function(circuits_app, FN, {"incident_id": INCIDENT, "slack_question": "Go?",
                                              "slack_question_options": "Yes|No", "slack_question_direct": True,
                                              "slack_participant_emails": "nobody@example.com"})
    assert "Not asked: no Slack member has the e-mail nobody@example.com (slack_participant_emails)." in outcome.error
    assert [c.method for c in slack.calls] == ["users.lookupByEmail"] and soar.calls == []


@pytest.mark.parametrize("emails", ["nobody@example.com", "alice@example.com, nobody@example.com"])
def test_a_channel_question_naming_someone_slack_does_not_know_is_not_asked(circuits_app, slack, soar, emails):
    """Fail closed: an approver who cannot be found would leave the question to whoever else is in the channel
    (with nobody left, to anyone at all), so nothing is posted, no channel is made and no row is written."""
    outcome = run_function(circuits_app, FN, {"incident_id": INCIDENT, "slack_question": "Disable the account?",
                                              "slack_question_options": "Yes|No", "slack_channel": "ask-room",
                                              "slack_is_channel_private": True, "slack_participant_emails": emails})

    assert outcome.error is not None, outcome.result
    assert "Not asked: no Slack member has the e-mail nobody@example.com (slack_participant_emails)" in outcome.error
    assert "alice@example.com" not in outcome.error
    assert slack.channel("ask-room") is None
    assert not {c.method for c in slack.calls} & SLACK_WRITES, [c.method for c in slack.calls]
    assert soar.calls == [] and soar.rows_of(INCIDENT, QUESTIONS) == []


def test_a_question_anyone_in_the_channel_may_answer_still_invites_the_people_named(circuits_app, slack, soar):
    outcome = run_function(circuits_app, FN, {"incident_id": INCIDENT, "slack_question": "Disable the account?",
                                              "slack_question_options": "Yes|No", "slack_channel": "ask-room",
                                              "slack_is_channel_private": True, "slack_question_anyone": True,
                                              "slack_participant_emails": "bob@example.com"})

    channel = slack.channel("ask-room")
    assert slack.user("bob")["id"] in channel["members"]
    assert outcome.content["allowed_user_ids"] == []
    [row] = soar.rows_of(INCIDENT, QUESTIONS)
    assert row["slack_q_anyone"] is True and not row.get("slack_q_allowed") and row["slack_q_seal"].startswith("v1.")
    [asked] = slack.messages(channel["id"])
    assert "Answer: any member of this channel" in asked["blocks"][-1]["elements"][0]["text"]
    assert "any member of the channel may answer" in outcome.statuses[-1]


# Every Slack method that changes the workspace and that asking could send.
SLACK_WRITES = {"conversations.create", "conversations.invite", "conversations.join", "conversations.open",
                "chat.postMessage", "chat.update"}


def test_a_question_to_a_new_channel_without_the_private_flag_is_refused_before_any_slack_write(circuits_app, slack,
                                                                                               soar):
    outcome = run_function(circuits_app, FN, {"incident_id": INCIDENT, "slack_question": "Contain the host?",
                                              "slack_question_options": "Yes|No", "slack_channel": "ask-room",
                                              "slack_participant_emails": "alice@example.com"})

    assert "slack_is_channel_private is empty" in outcome.error
    assert "set slack_is_channel_private to Yes (private) or No (public)" in outcome.error
    assert slack.channel("ask-room") is None
    assert not {c.method for c in slack.calls} & SLACK_WRITES, [c.method for c in slack.calls]
    assert soar.rows_of(INCIDENT) == [] and soar.rows_of(INCIDENT, QUESTIONS) == []
    assert [call.method for call in soar.calls if call.method != "GET"] == []


def test_a_question_to_the_linked_channel_with_an_empty_flag_is_asked_there(circuits_app, slack, soar):
    channel = slack.add_channel("inc-2095", is_private=True, members=[slack.bot_user_id])
    soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "inc-2095",
                            "slack_db_channel_id": channel, "slack_db_channel_type": "Private",
                            "slack_db_permalink": "", "slack_db_time": 1})

    outcome = run_function(circuits_app, FN, {"incident_id": INCIDENT, "slack_question": "Contain the host?",
                                              "slack_question_options": "Yes|No", "slack_channel": "inc-2095",
                                              "slack_is_channel_private": "", "slack_question_anyone": True})

    assert outcome.content["channel_id"] == channel
    [asked] = slack.messages(channel)
    assert asked["text"] == "Contain the host?"
    assert "conversations.create" not in [c.method for c in slack.calls]
    assert len(soar.rows_of(INCIDENT, QUESTIONS)) == 1


def test_a_free_text_question_without_options_is_asked_with_no_buttons(circuits_app, slack, soar):
    channel = slack.add_channel("inc-2095", is_private=True, members=[slack.bot_user_id])
    soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "inc-2095",
                            "slack_db_channel_id": channel, "slack_db_channel_type": "Private",
                            "slack_db_permalink": "", "slack_db_time": 1})

    outcome = run_function(circuits_app, FN, {"incident_id": INCIDENT, "slack_question": "What did you see?",
                                              "slack_question_free_text": True, "slack_channel": "inc-2095",
                                              "slack_is_channel_private": "", "slack_question_anyone": True})

    assert outcome.error is None, outcome.error
    [asked] = slack.messages(channel)
    assert asked["text"] == "What did you see?"
    assert not [b for b in asked["blocks"] if b["type"] == "actions"]
    assert len(soar.rows_of(INCIDENT, QUESTIONS)) == 1
