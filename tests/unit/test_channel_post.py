"""ChannelPost: which channel a post goes to, and the single table write at finish (Slack and SOAR sandboxes over
HTTP)."""

import threading

import pytest
from slack_sdk import WebClient

from fn_slack.lib.channel_post import ChannelPost, PostRequest
from fn_slack.lib.errors import ChannelStateError, InputError
from fn_slack.lib.inputs import Participants
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.soar.columns import forget_table_columns
from fn_slack.lib.soar.links import ConversationsTable
from tests.functions.harness import TOKEN
from tests.unit.soar_links import SEALER, Org

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture
def rest(soar):
    """The link table of a new incident (named ``rest`` as the client the flow is given)."""
    forget_table_columns()
    return Org(soar)


def request(incident_id: int, **fields) -> PostRequest:
    values = {"incident_id": incident_id, "task_id": None, "channel_id": None, "channel_name": None,
              "is_private": None, "participants": Participants(emails=[], malformed=[]), "text": "x"}
    values.update(fields)
    return PostRequest(**values)


def channel_post(slack, rest, **fields) -> ChannelPost:
    utils = SlackClient(SlackSettings(token=TOKEN, api_url=slack.base_url, max_rate_limit_wait=5))
    return ChannelPost(utils, ConversationsTable(rest.rest, rest.incident, SEALER), request(rest.incident, **fields))


def test_a_first_post_claims_the_channel_writes_the_link_once_at_finish_and_releases_the_claim(slack, rest):
    with channel_post(slack, rest, channel_name="inc-2095", is_private=False).enter() as target:
        # the link read; nothing linked: the channel's claim (added, read back) and the link read again under it
        assert rest.verbs() == ["GET", "POST", "GET", "GET"]
        assert [row["slack_msg_key"] for row in rest.soar.state.rows_of(rest.incident, "slack_messages_db")] \
            == ["channel/incident"]
        outcome = target.finish("https://permalink", "1.2")

    # the write, the check that it won, and the claim removed
    assert rest.verbs() == ["GET", "POST", "GET", "GET", "POST", "GET", "DELETE"]
    assert rest.soar.state.rows_of(rest.incident, "slack_messages_db") == []
    assert outcome.created and outcome.linked
    assert [row["slack_db_channel_id"] for row in rest.values()] == [slack.channel("inc-2095")["id"]]


def test_a_post_that_waited_for_the_lock_while_this_process_linked_the_incident_reads_the_link_again(slack, rest):
    first = channel_post(slack, rest, channel_name="inc-2095", is_private=False)
    waiting = channel_post(slack, rest)     # no channel given: only the link can say where it goes
    outcome: dict = {}

    def second_post() -> None:
        with waiting.enter() as target:
            outcome["second"] = target.finish("https://permalink/2", "1.3")

    with first.enter() as target:
        racer = threading.Thread(target=second_post)
        racer.start()
        racer.join(0.5)
        assert racer.is_alive(), "the second post waits for the incident's lock"
        outcome["first"] = target.finish("https://permalink/1", "1.2")
    racer.join(10)

    assert outcome["second"].channel.id == outcome["first"].channel.id and not outcome["second"].linked
    assert len(rest.values()) == 1
    # the first post's read and claim; the waiting post's first read; the link written, the claim removed; the
    # waiting post's read again comes last
    assert rest.verbs() == ["GET", "POST", "GET", "GET", "GET", "POST", "GET", "DELETE", "GET"]


def test_a_post_to_the_linked_channel_reads_once_and_writes_nothing(slack, rest):
    cid = slack.add_channel("inc-2095", members=["bot"])
    rest.add_row(slack_db_res_id=f"RES-{rest.incident}", slack_db_channel="inc-2095", slack_db_channel_id=cid,
                 slack_db_channel_type="Public")
    slack.clear_calls()

    with channel_post(slack, rest).enter() as target:
        outcome = target.finish("https://permalink", "1.2")

    assert rest.verbs() == ["GET"]
    assert slack.calls == []        # the row knows the channel: Slack is not asked
    assert outcome.channel.id == cid and not outcome.linked and not outcome.created


def test_an_old_row_gets_its_channel_id_in_the_one_write_at_finish(slack, rest):
    cid = slack.add_channel("legacy-room", members=["bot"])
    rest.add_row(slack_db_res_id=f"RES-{rest.incident}", slack_db_channel="legacy-room", slack_db_channel_type="Public")

    with channel_post(slack, rest).enter() as target:
        assert rest.verbs() == ["GET"]
        target.finish("https://permalink", "1.2")

    assert rest.verbs() == ["GET", "PUT"]
    assert rest.values()[0]["slack_db_channel_id"] == cid


def test_nothing_is_written_to_the_table_when_the_post_fails_before_finish(slack, rest):
    with pytest.raises(RuntimeError), channel_post(slack, rest, channel_name="inc-2095", is_private=True).enter():
        raise RuntimeError("chat.postMessage failed")

    assert "POST" not in rest.link_verbs() and rest.values() == []
    assert rest.claims() == [], "the failed post removed its claim of the channel at once"


def test_a_named_channel_that_does_not_exist_is_refused_when_the_flag_is_empty(slack, rest):
    with pytest.raises(InputError) as caught, channel_post(slack, rest, channel_name="new-room").enter():
        pass

    assert "slack_is_channel_private is empty" in str(caught.value)
    assert slack.channel("new-room") is None
    assert [call.method for call in slack.calls] == ["conversations.list"]
    assert "POST" not in rest.link_verbs() and rest.values() == [] and rest.claims() == []


def test_a_channel_this_process_remembers_but_slack_lost_is_created_when_the_flag_is_set(slack, rest):
    with channel_post(slack, rest, channel_name="gone-room", is_private=True).enter() as target:
        target.finish("https://permalink", "1.2")
    WebClient(token=slack.default_token, base_url=slack.base_url).conversations_rename(
        channel=slack.channel("gone-room")["id"], name="renamed-room")

    with channel_post(slack, Org(rest.soar), channel_name="gone-room", is_private=True).enter() as target:
        assert target.created and target.channel.name == "gone-room"


def test_a_named_channel_other_than_the_linked_one_is_used_and_not_linked(slack, rest):
    linked = slack.add_channel("linked-room", members=["bot"])
    rest.add_row(slack_db_res_id=f"RES-{rest.incident}", slack_db_channel="linked-room", slack_db_channel_id=linked,
                 slack_db_channel_type="Public")

    post = channel_post(slack, rest, channel_name="general")
    with post.enter() as target:
        outcome = target.finish("https://permalink", "1.2")

    assert outcome.channel.name == "general" and not outcome.linked
    assert rest.verbs() == ["GET"]
    assert post.notices == ["The channel linked to this incident, #linked-room, was not used: the message went to "
                            "#general as slack_channel asked."]


def test_an_archived_channel_is_refused_naming_it(slack, rest):
    slack.add_channel("old-room", members=["bot"], archived=True)

    with pytest.raises(ChannelStateError) as caught, channel_post(slack, rest, channel_name="old-room").enter():
        pass

    assert str(caught.value) == ("Slack channel #old-room is archived and cannot be posted to: give another "
                                 "slack_channel.")


def test_nothing_linked_and_no_channel_given_asks_for_one(slack, rest):
    with pytest.raises(InputError) as caught, channel_post(slack, rest, task_id=7).enter():
        pass

    assert "No Slack channel is linked to this task" in str(caught.value)
    assert slack.calls == []
