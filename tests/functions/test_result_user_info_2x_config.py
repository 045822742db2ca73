"""An [fn_slack] section without result_user_info — every app.config of IBM's fn_slack 2.x — fills
results.user_info as 2.x did, so an org's own copies of IBM's workflows still note the channel's people."""

from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.functions.test_result_user_info import described

config_data = make_config(result_user_info=None)   # the key is not in the section at all


def test_a_2x_section_fills_user_info_and_it_costs_one_members_call_plus_one_per_member(circuits_app, slack, soar):
    first = run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": "inc-2095", "slack_is_channel_private": False,
        "slack_participant_emails": "alice@example.com, bob@example.com, carol@example.com", "slack_text": "Hello"})
    assert sorted(first.result["user_info"]) == sorted(described(slack, who) for who in ("alice", "bob", "carol"))

    before = len(slack.calls)
    linked = run_function(circuits_app, "slack_post_message", {"incident_id": INCIDENT, "slack_text": "Again"})

    assert sorted(linked.result["user_info"]) == sorted(first.result["user_info"])
    methods = [call.method for call in slack.calls[before:]]
    # The linked post's own 2 calls, then conversations.members and users.info for each of the 3 people and the
    # app's bot: 4 + N calls for N people (the config -c comment says it).
    assert methods.count("chat.postMessage") == 1 and methods.count("chat.getPermalink") == 1
    assert methods.count("conversations.members") == 1 and methods.count("users.info") == 4
    assert len(methods) == 2 + 1 + 4
