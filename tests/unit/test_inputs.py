"""Input validation: each bad input is refused with a message that names it and says how to fix it."""

import pytest

from fn_slack.lib import inputs
from fn_slack.lib.errors import InputError


@pytest.mark.parametrize("name", ["inc-2095", "#inc-2095", "a", "x" * 80, "under_score", "2095"])
def test_valid_channel_names_pass(name):
    assert inputs.channel_name(name) == name.lstrip("#")


@pytest.mark.parametrize(("name", "says"), [
    ("Incident", "has capital letters"),
    ("my channel", "characters Slack does not allow (' ')"),
    ("x" * 81, "has 81 characters"),
    ("---", "only punctuation"),
    ("café", "characters Slack does not allow ('é')"),
    ("a.b", "characters Slack does not allow ('.')"),
])
def test_invalid_channel_names_are_refused_with_the_rule(name, says):
    with pytest.raises(InputError) as err:
        inputs.channel_name(name)
    assert says in str(err.value)
    assert "slack_channel" in str(err.value)
    assert "lowercase letters, digits, '-' and '_', at most 80 characters" in str(err.value)


def test_empty_channel_name_means_not_given():
    assert inputs.channel_name("  ") is None and inputs.channel_name(None) is None


@pytest.mark.parametrize("value", ["#", " # ", "#  "])
def test_a_lone_hash_is_a_bad_name_not_an_empty_one(value):
    with pytest.raises(InputError) as err:
        inputs.channel_name(value)
    assert str(err.value) == ("slack_channel '#' has no name after the '#': give the channel's name (e.g. "
                              "#incident-2095), or leave slack_channel empty to use the linked channel.")


@pytest.mark.parametrize("value", ["C0123ABCD", "#C0123ABCD", "G01ABCDEFGH", "C0ABCDEFGHIJ"])
def test_a_channel_id_typed_as_a_name_points_to_slack_channel_id(value):
    with pytest.raises(InputError) as err:
        inputs.channel_name(value)
    name = value.lstrip("#")
    assert str(err.value) == (f"slack_channel '{name}' is a Slack channel ID, not a channel name: use "
                              f"slack_channel_id for IDs (and leave slack_channel empty).")


@pytest.mark.parametrize("value", ["GENERAL", "CHANNELS", "C0123"])
def test_shouted_names_still_get_the_capitals_advice(value):
    with pytest.raises(InputError, match="has capital letters"):
        inputs.channel_name(value)


@pytest.mark.parametrize("value", ["general", "c0123", "C", "C 123"])
def test_bad_channel_ids_name_the_input(value):
    with pytest.raises(InputError, match="slack_channel_id"):
        inputs.channel_id(value)


@pytest.mark.parametrize(("value", "says"), [(None, "incident_id is required"), ("-3", "positive"),
                                             ("abc", "whole number"), (0, "positive")])
def test_bad_incident_ids(value, says):
    with pytest.raises(InputError, match=says):
        inputs.record_id("incident_id", value, required=True)


def test_emails_are_split_trimmed_deduplicated_and_malformed_ones_set_apart():
    got = inputs.participant_emails(" a@example.com,b@example.com ,, A@EXAMPLE.COM, nope, c@d , x@y.org")
    assert got.emails == ["a@example.com", "b@example.com", "x@y.org"]
    assert got.malformed == ["nope", "c@d"]


@pytest.mark.parametrize(("value", "expected"), [(True, True), ("false", False), ("Yes", True), ("", None),
                                                 (None, None)])
def test_flags(value, expected):
    assert inputs.flag(value, "slack_mrkdwn") is expected


def test_flag_that_is_not_a_boolean_names_the_input():
    with pytest.raises(InputError, match="slack_is_channel_private must be true or false"):
        inputs.flag("maybe", "slack_is_channel_private")
