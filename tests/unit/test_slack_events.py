"""The listener's dispatch (slack_events): each kind of envelope goes to its one reader; what people did not
write is filtered once, before any reader, with the reason; a kind without a reader is ignored with a log line."""

import logging

import pytest

from fn_slack.lib import slack_events
from fn_slack.lib.block_kit import QuestionRef
from fn_slack.lib.slack_events import EventDispatch, Ignored, QuestionClick, QuestionReply, SlackEvent

BOT = "UBOT"
QUESTION = QuestionRef(42, None, "q-1")


def message(**fields):
    return {"type": "message", "channel": "C1", "user": "UALICE", "text": "hi", "ts": "1700000000.000100", **fields}


def events_api(event: dict) -> tuple[str, dict]:
    return "events_api", {"event": event}


def click(**action):
    return "interactive", {"type": "block_actions", "user": {"id": "UALICE"}, "response_url": "https://hooks/r",
                           "container": {"type": "message", "channel_id": "C1", "message_ts": "1700000000.000100"},
                           "channel": {"id": "C1", "name": "inc"}, "message": {"ts": "1700000000.000100"},
                           "actions": [{"block_id": QUESTION.block_id(), "action_id": "fn_slack_answer_0",
                                        "value": "Yes", "action_ts": "1700000001.5", **action}]}


EDIT = {"type": "message", "subtype": "message_changed", "channel": "C1",
        "message": message(text="new", edited={"user": "UALICE", "ts": "1700000050.000000"}),
        "previous_message": message(text="old")}
DELETION = {"type": "message", "subtype": "message_deleted", "channel": "C1", "deleted_ts": "1700000000.000100",
            "previous_message": message(text="oops")}
REPLY_TO_BOT = message(ts="1700000009.000900", thread_ts="1700000000.000100", parent_user_id=BOT, text="maybe")


class Recorder:
    """The readers, each recording what it was given (so the test sees which reader ran, and how often)."""

    def __init__(self, monkeypatch):
        self.calls: list[str] = []
        readers = dict(slack_events.READERS)
        for kind, reader in readers.items():
            readers[kind] = self._recording(kind, reader)
        monkeypatch.setattr(slack_events, "READERS", readers)

    def _recording(self, kind, reader):
        def read(body, bot_user):
            self.calls.append(kind)
            return reader(body, bot_user)
        return read


@pytest.fixture
def readers(monkeypatch):
    return Recorder(monkeypatch)


def dispatch(asked: list | None = None) -> EventDispatch:
    def bot_user():
        if asked is not None:
            asked.append(1)
        return BOT
    return EventDispatch(bot_user)


@pytest.mark.parametrize(("envelope", "kinds", "expected"), [
    (events_api(message()), ["message"], SlackEvent("C1/1700000000.000100", "message", "C1", "1700000000.000100",
                                                     None, "UALICE", "hi", "", ())),
    (events_api(message(subtype="file_share", files=[{"name": "a.log", "permalink": "https://f/a"}])),
     ["file_share"], SlackEvent("C1/1700000000.000100", "message", "C1", "1700000000.000100", None, "UALICE",
                                "hi", "", (("a.log", "https://f/a"),))),
    (events_api(EDIT), ["message_changed"],
     SlackEvent("C1/1700000000.000100/edit/1700000050.000000", "edit", "C1", "1700000000.000100", None, "UALICE",
                "new", "old", ())),
    (events_api(DELETION), ["message_deleted"],
     SlackEvent("C1/1700000000.000100/deleted", "delete", "C1", "1700000000.000100", None, "UALICE", "", "oops",
                ())),
    (click(), ["block_actions"], QuestionClick(QUESTION, "UALICE", "Yes", "1700000001.5", "https://hooks/r", "C1",
                                               "1700000000.000100")),
], ids=["message", "file_share", "message_changed", "message_deleted", "block_actions"])
def test_each_kind_goes_to_its_one_reader(readers, envelope, kinds, expected):
    assert dispatch().read(*envelope) == [expected]
    assert readers.calls == kinds


def test_a_click_says_where_the_clicked_message_is_so_a_copy_elsewhere_is_told_apart():
    """Slack's block_actions payload names the clicked message in ``container`` (and ``channel``/``message``):
    the click carries it; a payload that names none carries nothing, which matches no question."""
    kind, payload = click()
    read = dispatch().read(kind, {**payload, "container": {"type": "message", "channel_id": "C2",
                                                           "message_ts": "1700000099.000100"}})
    assert [(r.channel_id, r.message_ts) for r in read] == [("C2", "1700000099.000100")]
    read = dispatch().read(kind, {**payload, "container": {}})
    assert [(r.channel_id, r.message_ts) for r in read] == [("C1", "1700000000.000100")]
    bare = {key: value for key, value in payload.items() if key not in ("container", "channel", "message")}
    assert [(r.channel_id, r.message_ts) for r in dispatch().read(kind, bare)] == [("", "")]


def test_a_reply_in_a_thread_of_fn_slack_is_a_possible_answer_first_and_then_a_mirrored_reply(readers):
    reads = dispatch().read(*events_api(REPLY_TO_BOT))

    assert reads == [QuestionReply("C1", "1700000000.000100", "1700000009.000900", "UALICE", "maybe"),
                     SlackEvent("C1/1700000009.000900", "reply", "C1", "1700000009.000900", "1700000000.000100",
                                "UALICE", "maybe", "", ())]
    assert readers.calls == ["question_reply", "message"]


def test_a_reply_in_someone_else_s_thread_is_no_answer():
    reads = dispatch().read(*events_api({**REPLY_TO_BOT, "parent_user_id": "UBOB"}))
    assert [type(read) for read in reads] == [Ignored, SlackEvent]
    assert reads[0] == Ignored("question_reply", "not a reply to fn_slack")


@pytest.mark.parametrize(("event", "reason"), [
    (message(bot_id="B1", subtype="bot_message", username="SOAR"), "bot"),
    ({**REPLY_TO_BOT, "bot_id": "B1"}, "bot"),
    (message(user=BOT), "self"),
    (message(subtype="channel_join", text="<@UALICE> has joined the channel"), "system"),
    (message(subtype="channel_archive", text="<@UALICE> archived the channel"), "system"),
    ({**EDIT, "message": message(subtype="tombstone", text="This message was deleted.", edited={"ts": "1"})},
     "system"),
    ({**EDIT, "message": message(user=BOT, text="new", edited={"ts": "1"})}, "self"),
    ({**DELETION, "previous_message": message(bot_id="B1")}, "bot"),
    (message(user=""), "no author"),
], ids=["bot", "bot reply to a question", "self", "join", "archive", "tombstone edit", "own edit",
        "bot deletion", "no author"])
def test_what_people_did_not_write_is_filtered_once_before_any_reader_with_the_reason(readers, event, reason):
    asked: list = []
    one = dispatch(asked)

    reads = one.read(*events_api(event))

    assert len(reads) == 1 and reads[0].reason == reason
    assert readers.calls == []          # no reader ran, not even for an envelope of two kinds
    assert asked == [1]                 # the bot user asked once for the envelope
    assert one.ignored == {reason: 1}


def test_an_edit_that_did_not_change_the_text_is_read_and_ignored(readers):
    counters_only = {**EDIT, "message": message(text="old", reply_count=2)}
    assert dispatch().read(*events_api(counters_only)) == [Ignored("message_changed", "unchanged")]
    assert readers.calls == ["message_changed"]


@pytest.mark.parametrize(("envelope", "kind"), [
    (events_api({"type": "reaction_added", "user": "UALICE", "reaction": "eyes"}), "event reaction_added"),
    (("interactive", {"type": "view_closed", "user": {"id": "UALICE"}}), "view_closed"),
    (("app_rate_limited", {"minute_rate_limited": 1}), "app_rate_limited"),
], ids=["event", "interaction", "envelope"])
def test_a_kind_without_a_reader_is_ignored_with_a_log_line(readers, caplog, envelope, kind):
    asked: list = []
    with caplog.at_level(logging.INFO, logger="fn_slack.lib.slack_events"):
        reads = dispatch(asked).read(*envelope)

    assert reads == [Ignored(kind, "no reader")]
    assert f"Slack sent an event of a kind fn_slack does not read ({kind}); it is ignored." in caplog.text
    assert readers.calls == [] and asked == []   # nothing asked of Slack for what is not a message event


def test_a_click_on_another_app_s_button_is_no_answer():
    reads = dispatch().read(*click(block_id="other_block", action_id="approve"))
    assert reads == [Ignored("block_actions", "not a question's button")]


def ephemeral_click(**drop: object) -> tuple[str, dict]:
    payload = {"type": "block_actions", "user": {"id": "U0BOB01"}, "trigger_id": "1.2.abc",
               "response_url": "https://hooks.slack.com/actions/T1/1/x",
               "container": {"type": "message", "message_ts": "1700000000.000300", "channel_id": "C0ROOM01",
                             "is_ephemeral": True},
               "channel": {"id": "C0ROOM01"},
               "actions": [{"action_id": "fn_slack_ioc_0", "block_id": "fn_slack_iocs", "value": "{}"}]}
    for key in drop:
        payload.pop(key)
    return "interactive", payload


def test_a_click_on_an_artifact_button_of_an_ephemeral_answer_is_read_with_its_channel_and_trigger():
    assert dispatch().read(*ephemeral_click()) == [slack_events.IocClick(
        "U0BOB01", "C0ROOM01", "{}", "1.2.abc", "https://hooks.slack.com/actions/T1/1/x")]
    assert dispatch().read(*ephemeral_click(response_url=None)) == [Ignored("block_actions", "incomplete")]
