"""chat.*, conversations.history/replies and users.* in the Slack sandbox, and who a message would notify."""

from __future__ import annotations

import json

import pytest

from .helpers import slack_error


@pytest.fixture
def room(sb, client, ids):
    """A public channel the bot created, with alice and bob in it. These tests count what people and apps
    post, so Slack's channel_join messages are switched off here (test_realism.py covers them)."""
    sb.set_realism(join_messages=False)
    cid = client.conversations_create(name="inc-100")["channel"]["id"]
    client.conversations_invite(channel=cid, users=f"{ids['alice']},{ids['bob']}")
    return cid


def test_post_message_shape(sb, client, room, ids):
    resp = client.chat_postMessage(channel=room, text="Incident 100 opened")
    assert resp["channel"] == room
    message = resp["message"]
    assert message["text"] == "Incident 100 opened"
    assert message["user"] == ids["bot"] and message["bot_id"].startswith("B")
    assert message["ts"] == resp["ts"]
    assert [m["text"] for m in sb.messages(room)] == ["Incident 100 opened"]


def test_ts_strictly_increase_in_a_channel(client, room):
    stamps = [client.chat_postMessage(channel=room, text=str(i))["ts"] for i in range(20)]
    assert all(len(ts) == 17 and ts[10] == "." for ts in stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == 20


def test_post_by_channel_name(client, room):
    assert client.chat_postMessage(channel="#inc-100", text="by name")["channel"] == room


def test_public_channel_post_without_membership_needs_chat_write_public(sb, make_client, ids):
    outside = sb.add_channel("outside", members=[ids["alice"]])
    assert make_client().chat_postMessage(channel=outside, text="via chat:write.public")["ok"] is True
    sb.add_token("xoxb-basic", ["chat:write"])
    assert slack_error(make_client("xoxb-basic").chat_postMessage, channel=outside,
                       text="x")["error"] == "not_in_channel"


def test_private_channel_post_always_needs_membership(sb, client, ids):
    cid = sb.add_channel("hush", is_private=True, members=[ids["alice"]])
    assert slack_error(client.chat_postMessage, channel=cid, text="x")["error"] == "channel_not_found"


def test_username_override_needs_chat_write_customize(sb, make_client, room):
    resp = make_client().chat_postMessage(channel=room, text="x", username="SOAR")
    assert resp["message"]["username"] == "SOAR"
    sb.add_token("xoxb-plain", ["chat:write", "chat:write.public"])
    # Slack ignores the override silently: posted as the app, no username in the message.
    quiet = make_client("xoxb-plain").chat_postMessage(channel=room, text="y", username="SOAR", icon_emoji=":x:")
    assert "username" not in quiet["message"] and "icons" not in quiet["message"]
    assert quiet["message"].get("subtype") is None and quiet["message"]["bot_profile"]["name"] == "SOAR"
    assert "username" not in sb.messages(room)[-1]
    # The opt-in strict mode refuses instead.
    sb.set_realism(username_without_scope="missing_scope")
    err = slack_error(make_client("xoxb-plain").chat_postMessage, channel=room, text="x", username="SOAR")
    assert (err["error"], err["needed"]) == ("missing_scope", "chat:write.customize")


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_empty_message_is_no_text(client, room):
    assert slack_error(client.chat_postMessage, channel=room)["error"] == "no_text"


def test_long_text_is_truncated_with_warning(sb, client, room):
    resp = client.chat_postMessage(channel=room, text="x" * 40_005)
    assert resp["warning"] == "message_truncated"
    assert resp["response_metadata"]["warnings"] == ["message_truncated"]
    assert len(resp["message"]["text"]) == 40_000
    assert len(sb.messages(room)[0]["text"]) == 40_000


def test_text_at_limit_is_kept_whole(client, room):
    resp = client.chat_postMessage(channel=room, text="y" * 40_000)
    assert "warning" not in resp and len(resp["message"]["text"]) == 40_000


def test_attachments_accept_json_string_and_list(client, room):
    as_string = client.chat_postMessage(channel=room, text="t", attachments=json.dumps([{"text": "a"}]))
    as_list = client.chat_postMessage(channel=room, text="t", attachments=[{"text": "b", "color": "#ff0000"}])
    assert as_string["message"]["attachments"] == [{"text": "a", "id": 1}]
    assert as_list["message"]["attachments"][0]["color"] == "#ff0000"


@pytest.mark.parametrize("bad", ["[{'text': 'python repr'}]", '{"text": "not an array"}', "[1, 2]"])
def test_attachments_reject_non_json_arrays(client, room, bad):
    assert slack_error(client.chat_postMessage, channel=room, text="t", attachments=bad)["error"] == \
        "invalid_attachments"


def test_too_many_attachments(client, room):
    err = slack_error(client.chat_postMessage, channel=room, text="t", attachments=[{"text": "a"}] * 101)
    assert err["error"] == "too_many_attachments"


def test_invalid_blocks(client, room):
    assert slack_error(client.chat_postMessage, channel=room, text="t", blocks="[{'type': 1}]")["error"] == \
        "invalid_blocks"


def test_thread_replies_are_counted_on_the_parent(sb, client, room, make_client, ids):
    parent = client.chat_postMessage(channel=room, text="parent")["ts"]
    first = client.chat_postMessage(channel=room, text="r1", thread_ts=parent)
    sb.add_message(room, "alice", "r2", thread_ts=parent)
    last = client.chat_postMessage(channel=room, text="r3", thread_ts=first["ts"])  # reply to a reply
    assert first["message"]["thread_ts"] == parent and first["message"]["parent_user_id"] == ids["bot"]
    history = client.conversations_history(channel=room)["messages"]
    assert [m["text"] for m in history] == ["parent"]
    head = history[0]
    assert head["thread_ts"] == parent
    assert head["reply_count"] == 3 and head["reply_users_count"] == 2
    assert head["latest_reply"] == last["ts"]
    assert head["reply_users"] == [ids["bot"], ids["alice"]]


def test_reply_to_unknown_thread(client, room):
    assert slack_error(client.chat_postMessage, channel=room, text="r",
                       thread_ts="1700000000.000001")["error"] == "thread_not_found"
    assert slack_error(client.chat_postMessage, channel=room, text="r", thread_ts="soon")["error"] == \
        "invalid_thread_ts"


def test_reply_broadcast_also_shows_in_history(sb, client, room):
    parent = client.chat_postMessage(channel=room, text="parent")["ts"]
    client.chat_postMessage(channel=room, text="loud", thread_ts=parent, reply_broadcast=True)
    history = client.conversations_history(channel=room)["messages"]
    assert [(m["text"], m.get("subtype")) for m in history] == [("loud", "thread_broadcast"), ("parent", None)]
    assert [r["text"] for r in sb.messages(room)[0]["replies"]] == ["loud"]


def test_history_pages_newest_first(sb, client, room):
    stamps = sb.seed_history(room, 250)
    first = client.conversations_history(channel=room)
    assert len(first["messages"]) == 100 and first["has_more"] is True
    assert [m["ts"] for m in first["messages"]] == stamps[::-1][:100]
    collected = [m["ts"] for page in client.conversations_history(channel=room, limit=70) for m in page["messages"]]
    assert collected == stamps[::-1]


def test_history_limit_is_capped_at_999(sb, client, room):
    sb.seed_history(room, 1200)
    assert len(client.conversations_history(channel=room, limit=5000)["messages"]) == 999


def test_history_oldest_latest_inclusive(sb, client, room):
    stamps = sb.seed_history(room, 10)
    exclusive = client.conversations_history(channel=room, oldest=stamps[2], latest=stamps[6])["messages"]
    assert [m["ts"] for m in exclusive] == stamps[3:6][::-1]
    inclusive = client.conversations_history(channel=room, oldest=stamps[2], latest=stamps[6], inclusive=True)
    assert [m["ts"] for m in inclusive["messages"]] == stamps[2:7][::-1]
    assert slack_error(client.conversations_history, channel=room, latest="yesterday")["error"] == \
        "invalid_ts_latest"
    assert slack_error(client.conversations_history, channel=room, oldest="x")["error"] == "invalid_ts_oldest"


def test_history_rejects_bad_cursor(client, room):
    assert slack_error(client.conversations_history, channel=room, cursor="bm9wZQ==")["error"] == "invalid_cursor"


def test_bot_reads_history_only_where_it_is_a_member(sb, client, ids):
    outside = sb.add_channel("outside", members=[ids["alice"]])
    assert slack_error(client.conversations_history, channel=outside)["error"] == "not_in_channel"


def test_replies_parent_first_then_oldest_first_paginated(sb, client, room):
    parent = client.chat_postMessage(channel=room, text="parent")["ts"]
    replies = [client.chat_postMessage(channel=room, text=f"r{i}", thread_ts=parent)["ts"] for i in range(7)]
    whole = client.conversations_replies(channel=room, ts=parent)
    assert [m["ts"] for m in whole["messages"]] == [parent, *replies]
    assert whole["has_more"] is False
    # slack_sdk's iterator reuses one response object, so copy each page's messages as it comes.
    pages = [[m["ts"] for m in page["messages"]] for page in
             client.conversations_replies(channel=room, ts=parent, limit=3)]
    assert len(pages) == 3
    assert all(p[0] == parent for p in pages)
    assert [ts for p in pages for ts in p[1:]] == replies
    by_reply = client.conversations_replies(channel=room, ts=replies[3])
    assert by_reply["messages"][0]["ts"] == parent


def test_replies_unknown_thread(client, room):
    assert slack_error(client.conversations_replies, channel=room, ts="1700000000.000100")["error"] == \
        "thread_not_found"


def test_seeded_threads_and_files(sb, client, room):  # noqa: ARG001 - room switches join messages off
    sb.seed_history(room, 40, threads=4, replies_per_thread=5, files=2)
    history = [m for p in client.conversations_history(channel=room, limit=15) for m in p["messages"]]
    assert len(history) == 40
    threaded = [m for m in history if m.get("reply_count")]
    assert len(threaded) == 4 and all(m["reply_count"] == 5 for m in threaded)
    replies = client.conversations_replies(channel=room, ts=threaded[0]["ts"])["messages"]
    assert len(replies) == 6
    assert len([m for m in history if m.get("files")]) == 2


def test_permalinks(client, room):
    parent = client.chat_postMessage(channel=room, text="parent")["ts"]
    reply = client.chat_postMessage(channel=room, text="reply", thread_ts=parent)["ts"]
    link = client.chat_getPermalink(channel=room, message_ts=parent)
    assert link["channel"] == room
    assert link["permalink"] == f"https://sandbox.slack.com/archives/{room}/p{parent.replace('.', '')}"
    reply_link = client.chat_getPermalink(channel=room, message_ts=reply)["permalink"]
    assert reply_link == (f"https://sandbox.slack.com/archives/{room}/p{reply.replace('.', '')}"
                          f"?thread_ts={parent}&cid={room}")
    assert slack_error(client.chat_getPermalink, channel=room, message_ts="1700000000.000100")["error"] == \
        "message_not_found"


def test_users_lookup_and_info(sb, client, ids):
    alice = client.users_lookupByEmail(email="Alice@Example.com")["user"]
    assert alice["id"] == ids["alice"]
    assert alice["real_name"] == "Alice Adams"
    assert alice["profile"]["display_name"] == "Alice" and alice["profile"]["email"] == "alice@example.com"
    assert slack_error(client.users_lookupByEmail, email="mallory@example.com")["error"] == "users_not_found"
    bob = client.users_info(user=ids["bob"])["user"]
    assert (bob["name"], bob["real_name"], bob["is_bot"]) == ("bob", "Bob Brown", False)
    assert slack_error(client.users_info, user="U0NOBODY000")["error"] == "user_not_found"
    bot = client.users_info(user=ids["bot"])["user"]
    assert bot["is_bot"] is True and bot["profile"]["bot_id"].startswith("B")


def test_users_info_hides_email_without_users_read_email(sb, make_client, ids):
    sb.add_token("xoxb-users", ["users:read"])
    assert "email" not in make_client("xoxb-users").users_info(user=ids["carol"])["user"]["profile"]


def test_user_token_posts_as_its_user(sb, make_client, room, ids):
    sb.add_token("xoxp-alice", ["chat:write"], kind="user", user_id=ids["alice"])
    message = make_client("xoxp-alice").chat_postMessage(channel=room, text="from alice")["message"]
    assert message["user"] == ids["alice"] and "bot_id" not in message
    as_app = make_client("xoxp-alice").chat_postMessage(channel=room, text="as app", as_user=False,
                                                          username="helper")["message"]
    assert as_app["subtype"] == "bot_message" and as_app["username"] == "helper"


# ----- notifications ------------------------------------------------------------------------------------------
def notified(sb, client, room, text, **kwargs):
    ts = client.chat_postMessage(channel=room, text=text, **kwargs)["ts"]
    entry = [n for n in sb.notifications if n["ts"] == ts]
    assert len(entry) == 1
    return entry[0]


def test_plain_text_notifies_nobody(sb, client, room):
    assert notified(sb, client, room, "Incident 100: malware on host-7") == {
        "channel": room, "ts": sb.messages(room)[-1]["ts"], "broadcast": [], "users": [], "usergroups": []}


def test_special_mentions_broadcast(sb, client, room, ids):
    result = notified(sb, client, room, f"<!channel> <!here|here> <!everyone> <@{ids['bob']}|bob> "
                                        "<!subteam^S0ONCALL01|@oncall>")
    assert result["broadcast"] == ["channel", "here", "everyone"]
    assert result["users"] == [ids["bob"]]
    assert result["usergroups"] == ["S0ONCALL01"]


def test_escaped_mentions_never_notify(sb, client, room, ids):
    result = notified(sb, client, room, f"&lt;!channel&gt; &lt;@{ids['bob']}&gt; &lt;!here&gt;", link_names=True)
    assert result["broadcast"] == [] and result["users"] == []


def test_bare_mentions_only_with_link_names(sb, client, room, ids):
    text = "@channel @here @everyone ping @alice, mail bob@example.com"
    quiet = notified(sb, client, room, text)
    assert quiet["broadcast"] == [] and quiet["users"] == []
    loud = notified(sb, client, room, text, link_names=True)
    assert loud["broadcast"] == ["channel", "here", "everyone"]
    # Slack's link_names no longer links individual users: @alice stays plain text and notifies nobody.
    assert loud["users"] == []
    assert sb.messages(room)[-1]["text"] == "<!channel> <!here> <!everyone> ping @alice, mail bob@example.com"


def test_tidy_mode_scans_bare_user_names_with_link_names(sb, client, room, ids):
    sb.set_realism(rewrite_text=False)
    loud = notified(sb, client, room, "@here ping @alice", link_names=True)
    assert loud["broadcast"] == ["here"] and loud["users"] == [ids["alice"]]
    assert sb.messages(room)[-1]["text"] == "@here ping @alice"


def test_mentions_inside_blocks_notify(sb, client, room):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "<!here> look"}}]
    assert notified(sb, client, room, "plain", blocks=blocks)["broadcast"] == ["here"]
