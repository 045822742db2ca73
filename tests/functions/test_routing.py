"""A channel mirrors into exactly one incident or task, the one fn_slack linked it to; a link changed in SOAR
behind fn_slack's back is not used. slack_post_message through resilient-circuits against both sandboxes; the
insider's edits go through SOAR's REST API, as the UI sends them (the whole row)."""

from fn_slack.lib.mirror import ChannelDirectory, MirrorTarget
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.incidents import MirrorIndex
from fn_slack.lib.soar.links import TABLE, ConversationsTable
from fn_slack.lib.soar.seals import Sealer
from tests.functions.conftest import INCIDENT
from tests.functions.harness import TOKEN, run_function
from tests.functions.harness import config_data as make_config

config_data = make_config()
FN = "slack_post_message"
SEALER = Sealer(SlackSettings(token=TOKEN).seal_secret)   # what the app.config above makes fn_slack seal with


def post(circuits_app, **inputs):
    inputs.setdefault("incident_id", INCIDENT)
    inputs.setdefault("slack_text", "Incident update")
    return run_function(circuits_app, FN, inputs)


def insider_edits(soar, incident_id: int, **changes: object) -> None:
    """Someone who may edit the incident changes cells of its (only) link in SOAR's UI: a PUT of the whole row."""
    rest = soar.sandbox.rest_client()
    uri = f"/incidents/{incident_id}/table_data/{TABLE}"
    [row] = rest.get(f"{uri}?handle_format=names")["rows"]
    cells = {column: {"value": cell.get("value")} for column, cell in row["cells"].items()}
    cells.update({column: {"value": value} for column, value in changes.items()})
    rest.put(f"{uri}/row_data/{row['id']}?handle_format=names", {"cells": cells})


def channel_messages(slack, *names: str) -> int:
    return sum(len(slack.messages(slack.channel(name)["id"])) for name in names)


def notes(soar, incident_id: int) -> list[str]:
    return [n["text"]["content"] if isinstance(n["text"], dict) else n["text"]
            for n in soar.state.notes_of(incident_id)]


def test_a_post_to_a_link_whose_channel_was_changed_outside_fn_slack_is_refused_and_posts_nothing(
        circuits_app, slack, soar):
    first = post(circuits_app, slack_channel="inc-route", slack_is_channel_private=True)
    assert first.error is None, first.error
    elsewhere = slack.add_channel("ceo-private", is_private=True, members=["alice", "bot"])
    ours = slack.channel("inc-route")["id"]
    insider_edits(soar, INCIDENT, slack_db_channel_id=elsewhere, slack_db_channel="ceo-private")
    before, calls = channel_messages(slack, "inc-route", "ceo-private"), len(slack.calls)
    [row_before] = soar.state.rows_of(INCIDENT)

    outcome = post(circuits_app)

    assert outcome.error is not None, "the post went to the channel the edited row names"
    assert f"The link RES-{INCIDENT} in the slack_conversations_db data table was changed outside fn_slack" \
        in outcome.error
    assert f"slack_db_channel_id: “{ours}” → “{elsewhere}”" in outcome.error
    assert "slack_db_channel: “inc-route” → “ceo-private”" in outcome.error
    assert "delete the row" in outcome.error
    assert channel_messages(slack, "inc-route", "ceo-private") == before
    assert not [c for c in slack.calls[calls:] if c.method in ("chat.postMessage", "conversations.invite")]
    assert soar.state.rows_of(INCIDENT) == [row_before], "fn_slack does not seal an edited row as it stands"


def test_a_post_whose_link_had_its_mirror_flag_set_outside_fn_slack_is_refused(circuits_app, slack, soar):
    assert post(circuits_app, slack_channel="inc-one-way", slack_is_channel_private=False).error is None
    insider_edits(soar, INCIDENT, slack_db_mirror=True)

    outcome = post(circuits_app)

    assert outcome.error is not None and "slack_db_mirror: (empty) → “true”" in outcome.error, outcome.error


def test_mirroring_a_channel_another_incident_mirrors_is_refused_before_anything_is_posted(circuits_app, slack,
                                                                                           soar):
    other = soar.state.create_incident("Lower-numbered", id=INCIDENT - 1)["id"]
    owner = post(circuits_app, slack_channel="shared-room", slack_is_channel_private=False, slack_mirror=True)
    assert owner.error is None, owner.error
    channel = slack.channel("shared-room")["id"]
    before, calls = len(slack.messages(channel)), len(slack.calls)

    refused = post(circuits_app, incident_id=other, slack_channel="shared-room", slack_mirror=True,
                   slack_participant_emails="carol@example.com")

    assert refused.error is not None, "a second incident turned mirroring on for a channel that already mirrors"
    assert (f"Slack channel #shared-room ({channel}) is already mirrored into incident {INCIDENT}, so it cannot "
            f"also be mirrored into the incident {other}") in refused.error
    assert "Nothing was posted" in refused.error
    assert len(slack.messages(channel)) == before
    assert not [c for c in slack.calls[calls:] if c.method in ("chat.postMessage", "conversations.invite")]
    assert soar.state.rows_of(other) == [], "no link was made"
    assert not soar.state.incident(other)["properties"].get("slack_mirror_channels")
    [here] = notes(soar, other)
    assert "refused to mirror channel <b>#shared-room</b>" in here and f"incident {INCIDENT}" in here
    [there] = notes(soar, INCIDENT)
    assert f"A post of incident {other} asked to mirror this incident's channel <b>#shared-room</b>" in there
    assert ChannelDirectory(soar.sandbox.rest_client(), SEALER).target(channel) == MirrorTarget(
        INCIDENT, None, "shared-room")

    # one-way posts to the channel stay possible: only mirroring is one incident's
    assert post(circuits_app, incident_id=other, slack_channel="shared-room").error is None


def test_a_3_0_link_that_mirrors_without_a_seal_mirrors_again_after_one_post_with_slack_mirror(circuits_app, slack,
                                                                                               soar):
    channel = slack.add_channel("from-3-0", members=["alice", "bot"])
    soar.add_row(INCIDENT, {"slack_db_res_id": f"RES-{INCIDENT}", "slack_db_channel": "from-3-0",
                            "slack_db_channel_type": "Public", "slack_db_channel_id": channel,
                            "slack_db_mirror": True, "slack_db_time": 1_700_000_000_000})
    rest = soar.sandbox.rest_client()
    MirrorIndex(rest).add(INCIDENT, channel)
    assert ChannelDirectory(rest, SEALER).target(channel) is None, "an unsealed row does not mirror"

    outcome = post(circuits_app, slack_mirror=True)

    assert outcome.error is None, outcome.error
    assert "Messages of people in #from-3-0 are now written to the incident 2095 as notes." in outcome.statuses
    [row] = soar.state.rows_of(INCIDENT)
    assert row["slack_db_seal"].startswith("v1.")
    assert ConversationsTable(rest, INCIDENT, SEALER).find_link().intact
    assert ChannelDirectory(rest, SEALER).target(channel) == MirrorTarget(INCIDENT, None, "from-3-0")


def test_a_post_without_slack_mirror_keeps_an_unsealed_2x_link_working_and_seals_it_only_when_it_writes(
        circuits_app, slack, soar):
    channel = slack.add_channel("from-2-1", members=["alice", "bot"])
    soar.add_row(INCIDENT, {"slack_db_res_id": f"RES-{INCIDENT}", "slack_db_channel": "from-2-1",
                            "slack_db_channel_type": "Public", "slack_db_time": 1_700_000_000_000})

    outcome = post(circuits_app)

    assert outcome.error is None, outcome.error
    assert len(slack.messages(channel)) == 1
    [row] = soar.state.rows_of(INCIDENT)
    assert row["slack_db_channel_id"] == channel and row["slack_db_seal"].startswith("v1.")
    assert not row.get("slack_db_mirror")


def test_an_archive_of_a_link_whose_channel_was_changed_outside_fn_slack_archives_nothing(circuits_app, slack, soar):
    assert post(circuits_app, slack_channel="inc-to-close", slack_is_channel_private=False).error is None
    other = slack.add_channel("other-incident-room", members=["alice", "bot"])
    slack.add_message(other, slack.user("alice")["id"], "another incident's conversation")
    insider_edits(soar, INCIDENT, slack_db_channel_id=other, slack_db_channel="other-incident-room")
    calls = len(slack.calls)

    outcome = run_function(circuits_app, "slack_archive_channel", {"incident_id": INCIDENT})

    assert outcome.error is not None and "was changed outside fn_slack" in outcome.error, outcome
    assert not slack.channel("other-incident-room")["is_archived"]
    assert not slack.channel("inc-to-close")["is_archived"]
    assert soar.state.attachments_of(INCIDENT) == []
    assert [c.method for c in slack.calls[calls:]] == []
