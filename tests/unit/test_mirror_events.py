"""What of Slack's message events becomes a note (slack_events), and the note's HTML (event_notes.note_html)."""

from bs4 import BeautifulSoup

from fn_slack.lib.event_notes import note_html
from fn_slack.lib.people import Person
from fn_slack.lib.slack_events import EventDispatch, SlackEvent

BOT = "UBOT"


def read_event(event: dict, bot_user: str) -> SlackEvent | None:
    """The mirrored event the listener reads from one Events API message event, or None."""
    reads = EventDispatch(lambda: bot_user).read("events_api", {"event": event})
    return next((read for read in reads if isinstance(read, SlackEvent)), None)


def message(**fields):
    return {"type": "message", "channel": "C1", "user": "UALICE", "text": "hi", "ts": "1700000000.000100", **fields}


def test_a_person_s_message_and_thread_reply_are_mirrored():
    plain = read_event(message(), BOT)
    reply = read_event(message(ts="1700000001.000200", thread_ts="1700000000.000100"), BOT)
    assert (plain.kind, plain.key, plain.thread_ts) == ("message", "C1/1700000000.000100", None)
    assert (reply.kind, reply.thread_ts) == ("reply", "1700000000.000100")


def test_bots_fn_slack_itself_and_system_messages_are_not_mirrored():
    assert read_event(message(user=BOT), BOT) is None
    assert read_event(message(bot_id="B1"), BOT) is None
    assert read_event(message(subtype="bot_message", username="SOAR"), BOT) is None
    assert read_event(message(subtype="channel_join", text="<@U2> has joined the channel"), BOT) is None
    assert read_event({"type": "reaction_added", "channel": "C1"}, BOT) is None


def test_slack_s_channel_archive_message_is_not_mirrored_whoever_archived():
    """A person archiving the channel in Slack: Slack writes channel_archive under their name."""
    assert read_event(message(subtype="channel_archive", text="<@UALICE> archived the channel"), BOT) is None
    assert read_event(message(user=BOT, subtype="channel_archive", text="archived the channel"), BOT) is None


def test_edits_count_only_when_the_text_changed():
    edited = {"type": "message", "subtype": "message_changed", "channel": "C1",
              "message": message(text="new", edited={"user": "UALICE", "ts": "1700000050.000000"}),
              "previous_message": message(text="old")}
    counters_only = {**edited, "message": message(text="old", reply_count=2)}
    event = read_event(edited, BOT)
    assert (event.kind, event.key, event.text, event.previous_text) == \
        ("edit", "C1/1700000000.000100/edit/1700000050.000000", "new", "old")
    assert read_event(counters_only, BOT) is None


def test_a_deletion_keeps_what_the_message_said():
    event = read_event({"type": "message", "subtype": "message_deleted", "channel": "C1",
                        "deleted_ts": "1700000000.000100", "previous_message": message(text="oops")}, BOT)
    assert (event.kind, event.key, event.previous_text) == ("delete", "C1/1700000000.000100/deleted", "oops")
    bot_deleted = {"type": "message", "subtype": "message_deleted", "channel": "C1", "deleted_ts": "1",
                   "previous_message": message(bot_id="B1")}
    assert read_event(bot_deleted, BOT) is None


def test_the_note_names_author_channel_time_and_link_and_escapes_everything():
    event = read_event(message(text="see <https://x.example/|this>",
                               files=[{"name": "a.log", "title": "<b>a.log</b>", "permalink": "https://f/a"},
                                      {"name": "b", "permalink": "javascript:alert(1)"}]), BOT)
    html = note_html(event, Person("U0MAL", "<Mallory>", "m@example.com"), "ir-<1>", "https://sandbox.slack.com/archives/C1/p1700000000000100",
                     lambda uid: None)
    soup = BeautifulSoup(html, "html.parser")
    assert ("<b>&lt;Mallory&gt; &lt;m@example.com&gt; (U0MAL)</b> wrote in <b>#ir-&lt;1&gt;</b> at "
            "2023-11-14 22:13:20 UTC") in html
    assert [a["href"] for a in soup.find_all("a")] == [
        "https://sandbox.slack.com/archives/C1/p1700000000000100", "https://x.example/", "https://f/a"]
    assert "Files: " in html and "&lt;b&gt;a.log&lt;/b&gt;" in html and ">b<" not in html
    assert soup.find("small").get_text() == "slack-event C1/1700000000.000100"
