"""Pins and bookmarks in the sandbox, through the real slack_sdk WebClient: the shapes, limits and errors of
pins.add/list/remove and bookmarks.add/list/edit/remove, and what the sandbox view shows of them."""

from __future__ import annotations

from sandbox.slack.workspace import DEFAULT_BOT_SCOPES

from .helpers import slack_error
from .test_html_view import channel_page

SOAR = "https://soar.example.com/#incidents/2101"


def test_pin_lists_marks_and_unpins_a_message(sb, make_client):
    sb.add_token("xoxb-pins-reader", [*DEFAULT_BOT_SCOPES, "pins:read"])   # fn_slack never lists pins
    client = make_client("xoxb-pins-reader")
    room = sb.add_channel("pins", members=["bot", "alice"])
    ts = client.chat_postMessage(channel=room, text="summary")["ts"]
    assert client.pins_add(channel=room, timestamp=ts)["ok"]
    assert slack_error(client.pins_add, channel=room, timestamp=ts)["error"] == "already_pinned"
    items = client.pins_list(channel=room)["items"]
    assert [(i["type"], i["channel"], i["message"]["ts"]) for i in items] == [("message", room, ts)]
    assert items[0]["created_by"] == sb.bot_user_id
    assert client.conversations_history(channel=room)["messages"][0]["pinned_to"] == [room]
    assert client.pins_remove(channel=room, timestamp=ts)["ok"]
    assert slack_error(client.pins_remove, channel=room, timestamp=ts)["error"] == "no_pin"
    assert client.pins_list(channel=room)["items"] == []
    assert "pinned_to" not in client.conversations_history(channel=room)["messages"][0]


def test_pin_errors(sb, client):
    room = sb.add_channel("pins-errors", members=["bot"])
    outside = sb.add_channel("pins-outside", members=["alice"])
    ts = sb.add_message(outside, "alice", "theirs")
    assert slack_error(client.pins_add, channel=room)["error"] == "no_item_specified"
    assert slack_error(client.pins_add, channel=room, timestamp="yesterday")["error"] == "bad_timestamp"
    assert slack_error(client.pins_add, channel=room, timestamp="1700000000.000100")["error"] == "message_not_found"
    assert slack_error(client.pins_add, channel=outside, timestamp=ts)["error"] == "not_in_channel"
    mine = client.chat_postMessage(channel=room, text="x")["ts"]
    client.conversations_archive(channel=room)
    assert slack_error(client.pins_add, channel=room, timestamp=mine)["error"] == "is_archived"


def test_pins_need_their_scopes(sb, make_client):
    room = sb.add_channel("pins-scopes", members=["bot"])
    ts = sb.add_message(room, "bot", "x")
    sb.add_token("xoxb-no-pins", ["channels:read", "chat:write"])
    bare = make_client("xoxb-no-pins")
    assert slack_error(bare.pins_add, channel=room, timestamp=ts)["needed"] == "pins:write"
    assert slack_error(bare.pins_list, channel=room)["needed"] == "pins:read"
    assert slack_error(bare.bookmarks_add, channel_id=room, title="t", type="link",
                       link=SOAR)["needed"] == "bookmarks:write"


def test_bookmark_add_edit_list_remove(sb, client):
    room = sb.add_channel("marks", members=["bot"])
    mark = client.bookmarks_add(channel_id=room, title="Incident 2101", type="link", link=SOAR)["bookmark"]
    assert (mark["channel_id"], mark["title"], mark["link"], mark["type"]) == (room, "Incident 2101", SOAR, "link")
    assert mark["id"].startswith("Bk") and mark["date_updated"] == 0
    edited = client.bookmarks_edit(channel_id=room, bookmark_id=mark["id"], title="Incident 2101 (High)")
    assert edited["bookmark"]["title"] == "Incident 2101 (High)" and edited["bookmark"]["link"] == SOAR
    assert [m["title"] for m in client.bookmarks_list(channel_id=room)["bookmarks"]] == ["Incident 2101 (High)"]
    assert client.bookmarks_remove(channel_id=room, bookmark_id=mark["id"])["ok"]
    assert client.bookmarks_list(channel_id=room)["bookmarks"] == []
    assert slack_error(client.bookmarks_remove, channel_id=room, bookmark_id=mark["id"])["error"] == "not_found"


def test_bookmark_errors_and_limit(sb, client):
    room = sb.add_channel("marks-errors", members=["bot"])
    assert slack_error(client.bookmarks_add, channel_id=room, title="t", type="file",
                       link=SOAR)["error"] == "invalid_bookmark_type"
    assert slack_error(client.bookmarks_add, channel_id=room, title="t", type="link",
                       link="javascript:alert(1)")["error"] == "invalid_link"
    assert slack_error(client.bookmarks_add, channel_id=room, title="", type="link",
                       link=SOAR)["error"] == "invalid_arguments"
    for n in range(100):
        client.bookmarks_add(channel_id=room, title=f"t{n}", type="link", link=SOAR)
    assert slack_error(client.bookmarks_add, channel_id=room, title="t", type="link",
                       link=SOAR)["error"] == "too_many_bookmarks"
    outside = sb.add_channel("marks-outside", members=["alice"])
    assert slack_error(client.bookmarks_add, channel_id=outside, title="t", type="link",
                       link=SOAR)["error"] == "not_in_channel"


def test_view_shows_topic_bookmarks_and_pinned_marker(sb, client):
    room = sb.add_channel("view-sync", members=["bot"])
    client.conversations_setTopic(channel=room, topic="High · Respond · Alice")
    client.bookmarks_add(channel_id=room, title="Incident <2101>", type="link", link=SOAR)
    ts = client.chat_postMessage(channel=room, text="summary")["ts"]
    client.pins_add(channel=room, timestamp=ts)
    soup = channel_page(sb, room)
    assert soup.select_one(".channel-head .topic").get_text() == "High · Respond · Alice"
    marks = soup.select(".channel-head .bookmarks a.bookmark")
    assert [(a.get_text(), a["href"]) for a in marks] == [("🔖 Incident <2101>", SOAR)]
    pinned = soup.select("[data-pinned]")
    assert len(pinned) == 1 and pinned[0].find_parent(class_="msg")["data-ts"] == ts
