"""conversations.* in the Slack sandbox: name rules, visibility, listing, members, invites, joins, archiving."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .helpers import slack_error


def test_create_public_channel_makes_the_caller_a_member(sb, client, ids):
    channel = client.conversations_create(name="inc-42")["channel"]
    assert channel["name"] == "inc-42"
    assert channel["id"][0] == "C" and len(channel["id"]) == 11 and channel["id"].isupper()
    assert channel["is_private"] is False and channel["is_member"] is True
    assert sb.channel("inc-42")["members"] == [ids["bot"]]


def test_create_private_channel(sb, client):
    channel = client.conversations_create(name="inc-secret", is_private=True)["channel"]
    assert channel["is_private"] is True
    assert sb.channel(channel["id"])["is_private"] is True


@pytest.mark.parametrize(("name", "error"), [
    ("", "invalid_name_required"),
    ("   ", "invalid_name_required"),
    ("x" * 81, "invalid_name_maxlength"),
    ("---", "invalid_name_punctuation"),
    ("!!", "invalid_name_punctuation"),
    ("Incident-1", "invalid_name_specials"),
    ("inc 1", "invalid_name_specials"),
    ("inc#1", "invalid_name_specials"),
    ("here", "invalid_name"),
    ("general", "name_taken"),
])
def test_channel_name_rules(client, name, error):
    assert slack_error(client.conversations_create, name=name)["error"] == error


def test_eighty_character_name_is_allowed(client):
    assert client.conversations_create(name="a" * 80)["channel"]["name"] == "a" * 80


def test_archived_and_invisible_private_channels_hold_their_names(sb, client):
    sb.add_channel("old-incident", archived=True)
    sb.add_channel("hr-only", is_private=True, members=["alice"])
    assert slack_error(client.conversations_create, name="old-incident")["error"] == "name_taken"
    assert slack_error(client.conversations_create, name="hr-only", is_private=True)["error"] == "name_taken"


def test_private_channel_is_invisible_to_non_members(sb, client):
    cid = sb.add_channel("hr-only", is_private=True, members=["alice"])
    for call, kwargs in [
        (client.conversations_info, {"channel": cid}),
        (client.conversations_members, {"channel": cid}),
        (client.conversations_history, {"channel": cid}),
        (client.conversations_invite, {"channel": cid, "users": sb.user("bob")["id"]}),
        (client.conversations_archive, {"channel": cid}),
        (client.chat_postMessage, {"channel": cid, "text": "hi"}),
        (client.chat_getPermalink, {"channel": cid, "message_ts": "1700000000.000100"}),
    ]:
        assert slack_error(call, **kwargs)["error"] == "channel_not_found", call
    listed = client.conversations_list(types="public_channel,private_channel")["channels"]
    assert cid not in [c["id"] for c in listed]


def test_private_channel_visible_to_members(sb, client, ids):
    cid = sb.add_channel("war-room", is_private=True, members=[ids["bot"], ids["alice"]])
    info = client.conversations_info(channel=cid, include_num_members=True)["channel"]
    assert (info["name"], info["is_private"], info["num_members"], info["is_member"]) == ("war-room", True, 2, True)
    listed = client.conversations_list(types="private_channel")["channels"]
    assert [c["id"] for c in listed] == [cid]


def test_info_unknown_channel_and_names_are_not_ids(client):
    assert slack_error(client.conversations_info, channel="C0000000000")["error"] == "channel_not_found"
    assert slack_error(client.conversations_info, channel="general")["error"] == "channel_not_found"


def test_list_pages_in_creation_order(sb, client):
    created = sb.seed_channels(45, prefix="page")
    names, cursor, pages = [], None, 0
    while True:
        resp = client.conversations_list(limit=10, cursor=cursor)
        pages += 1
        names += [c["name"] for c in resp["channels"]]
        cursor = resp["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 5  # general + 45 channels, ten at a time
    assert names == ["general"] + [sb.channel(cid)["name"] for cid in created]


def test_list_pages_may_be_short_when_filtering(sb, client):
    sb.add_channel("a-archived", archived=True)
    sb.add_channel("b-live")
    first = client.conversations_list(limit=2, exclude_archived=True)
    assert [c["name"] for c in first["channels"]] == ["general"]
    assert first["response_metadata"]["next_cursor"]
    second = client.conversations_list(limit=2, exclude_archived=True,
                                       cursor=first["response_metadata"]["next_cursor"])
    assert [c["name"] for c in second["channels"]] == ["b-live"]
    assert second["response_metadata"]["next_cursor"] == ""


def test_list_iterates_with_slack_sdk_pagination(sb, client):
    sb.seed_channels(30)
    seen = [c["name"] for page in client.conversations_list(limit=7) for c in page["channels"]]
    assert len(seen) == 31 and len(set(seen)) == 31


def test_list_types_and_archived(sb, client, ids):
    sb.add_channel("shut", archived=True)
    sb.add_channel("mine", is_private=True, members=[ids["bot"]])
    public = [c["name"] for c in client.conversations_list()["channels"]]
    assert public == ["general", "shut"]
    both = [c["name"] for c in client.conversations_list(types="public_channel,private_channel",
                                                         exclude_archived=True)["channels"]]
    assert both == ["general", "mine"]
    assert slack_error(client.conversations_list, types="dm")["error"] == "invalid_types"


def test_list_rejects_bad_cursor(client):
    assert slack_error(client.conversations_list, cursor="garbage!")["error"] == "invalid_cursor"


def test_members_paginates(sb, client, ids):
    for i in range(7):
        sb.add_user(f"user{i}", f"user{i}@example.com")
    everyone = [u["id"] for u in sb.state_json()["users"]]
    cid = sb.add_channel("crowd", members=everyone)
    members = [m for page in client.conversations_members(channel=cid, limit=3) for m in page["members"]]
    assert members == sb.channel(cid)["members"] == everyone
    assert len(members) == 14  # the bot, alice, bob, carol, gina, dan, erin and seven more


def test_invite_adds_users(sb, client, ids):
    cid = client.conversations_create(name="inc-7")["channel"]["id"]
    resp = client.conversations_invite(channel=cid, users=f"{ids['alice']},{ids['bob']}")
    assert resp["channel"]["id"] == cid
    assert sb.channel(cid)["members"] == [ids["bot"], ids["alice"], ids["bob"]]


@pytest.mark.parametrize(("who", "error"), [
    ("bot", "cant_invite_self"), ("nobody", "user_not_found"), ("member", "already_in_channel"),
])
def test_invite_failures_without_force_fail_the_call(sb, client, ids, who, error):
    cid = client.conversations_create(name="inc-8")["channel"]["id"]
    client.conversations_invite(channel=cid, users=ids["carol"])
    target = {"bot": ids["bot"], "nobody": "U0NOBODY000", "member": ids["carol"]}[who]
    resp = slack_error(client.conversations_invite, channel=cid, users=f"{ids['alice']},{target}")
    assert resp["error"] == error
    assert resp["errors"] == [{"user": target, "ok": False, "error": error}]
    assert ids["alice"] not in sb.channel(cid)["members"]


def test_invite_with_force_invites_the_valid_users_and_answers_ok_false(sb, client, ids):
    cid = client.conversations_create(name="inc-9")["channel"]["id"]
    resp = slack_error(client.conversations_invite, channel=cid, users=f"{ids['alice']},U0NOBODY000,{ids['bob']}",
                       force=True)
    assert resp["error"] == "user_not_found"
    assert resp["errors"] == [{"user": "U0NOBODY000", "ok": False, "error": "user_not_found"}]
    assert sb.channel(cid)["members"] == [ids["bot"], ids["alice"], ids["bob"]]


def test_invite_with_force_in_tidy_mode_answers_ok_true(sb, client, ids):
    sb.set_realism(invite_partial="ok")
    cid = client.conversations_create(name="inc-9")["channel"]["id"]
    resp = client.conversations_invite(channel=cid, users=f"{ids['alice']},U0NOBODY000,{ids['bob']}", force=True)
    assert resp["ok"] is True
    assert resp["errors"] == [{"user": "U0NOBODY000", "ok": False, "error": "user_not_found"}]
    assert sb.channel(cid)["members"] == [ids["bot"], ids["alice"], ids["bob"]]


def test_invite_needs_caller_membership_and_live_channel(sb, client, ids):
    outside = sb.add_channel("outside", members=[ids["alice"]])
    assert slack_error(client.conversations_invite, channel=outside, users=ids["bob"])["error"] == "not_in_channel"
    shut = sb.add_channel("shut", members=[ids["bot"]], archived=True)
    assert slack_error(client.conversations_invite, channel=shut, users=ids["bob"])["error"] == "is_archived"
    live = sb.add_channel("live", members=[ids["bot"]])
    assert slack_error(client.conversations_invite, channel=live, users="")["error"] == "no_user"


def test_join_public_channel(sb, client, ids):
    resp = client.conversations_join(channel=ids["general"])
    assert resp["channel"]["is_member"] is True and "warning" not in resp
    assert ids["bot"] in sb.channel("general")["members"]
    again = client.conversations_join(channel=ids["general"])
    assert again["warning"] == "already_in_channel"
    assert again["response_metadata"]["warnings"] == ["already_in_channel"]


def test_join_refuses_archived_and_private(sb, client, ids):
    shut = sb.add_channel("shut", archived=True)
    assert slack_error(client.conversations_join, channel=shut)["error"] == "is_archived"
    mine = sb.add_channel("mine", is_private=True, members=[ids["bot"]])
    assert slack_error(client.conversations_join, channel=mine)["error"] == "method_not_supported_for_channel_type"


def test_archive(sb, client):
    cid = client.conversations_create(name="inc-10")["channel"]["id"]
    assert client.conversations_archive(channel=cid)["ok"] is True
    assert sb.channel(cid)["is_archived"] is True
    assert client.conversations_info(channel=cid)["channel"]["is_archived"] is True
    assert slack_error(client.conversations_archive, channel=cid)["error"] == "already_archived"
    assert slack_error(client.chat_postMessage, channel=cid, text="late")["error"] == "is_archived"


class TestArchiveEjectsTheApp:
    """conversations.archive takes the app's bot out of the channel (field reports elastic/connectors #1972,
    slack-go/slack #1066) and writes a channel_archive message (Slack's message subtypes reference)."""

    def test_the_bot_no_longer_reads_an_archived_public_channel_it_was_in(self, sb, client, ids):
        cid = client.conversations_create(name="inc-13")["channel"]["id"]
        client.conversations_invite(channel=cid, users=ids["alice"])
        parent = client.chat_postMessage(channel=cid, text="evidence")["ts"]
        client.conversations_archive(channel=cid)

        assert ids["bot"] not in sb.channel(cid)["members"]
        assert ids["alice"] in sb.channel(cid)["members"]
        assert slack_error(client.conversations_history, channel=cid)["error"] == "not_in_channel"
        assert slack_error(client.conversations_replies, channel=cid, ts=parent)["error"] == "not_in_channel"
        assert slack_error(client.conversations_members, channel=cid)["error"] == "not_in_channel"
        assert slack_error(client.conversations_join, channel=cid)["error"] == "is_archived"
        assert slack_error(client.chat_postMessage, channel=cid, text="late")["error"] == "is_archived"
        info = client.conversations_info(channel=cid)["channel"]
        assert info["is_archived"] is True and info["is_member"] is False

    def test_archiving_writes_a_channel_archive_message_by_whoever_archived(self, sb, client, ids):
        cid = client.conversations_create(name="inc-14")["channel"]["id"]
        client.conversations_invite(channel=cid, users=ids["alice"])
        client.conversations_archive(channel=cid)

        alice = WebClient(token=sb.user_token("alice"), base_url=sb.base_url)
        newest = alice.conversations_history(channel=cid, limit=1)["messages"][0]
        assert newest["subtype"] == "channel_archive" and newest["user"] == ids["bot"]
        assert [m["subtype"] for m in sb.messages(cid, system=True)][-1] == "channel_archive"
        assert sb.messages(cid) == []   # a system message, not a person's

    def test_people_who_were_members_keep_reading_an_archived_private_channel(self, sb, client, ids):
        cid = client.conversations_create(name="inc-15", is_private=True)["channel"]["id"]
        client.conversations_invite(channel=cid, users=ids["alice"])
        ts = client.chat_postMessage(channel=cid, text="private evidence")["ts"]
        client.chat_postMessage(channel=cid, text="a reply", thread_ts=ts)
        client.conversations_archive(channel=cid)

        alice = WebClient(token=sb.user_token("alice"), base_url=sb.base_url)
        texts = [m["text"] for m in alice.conversations_history(channel=cid)["messages"]]
        assert "private evidence" in texts
        assert [m["text"] for m in alice.conversations_replies(channel=cid, ts=ts)["messages"]][-1] == "a reply"
        assert alice.conversations_info(channel=cid)["channel"]["is_archived"] is True

    def test_an_archived_private_channel_is_gone_for_the_app_unless_the_switch_says_otherwise(self, sb, client):
        cid = client.conversations_create(name="inc-16", is_private=True)["channel"]["id"]
        client.conversations_archive(channel=cid)

        assert slack_error(client.conversations_info, channel=cid)["error"] == "channel_not_found"
        assert slack_error(client.conversations_history, channel=cid)["error"] == "channel_not_found"
        sb.set_realism(archived_private_visible=True)
        assert client.conversations_info(channel=cid)["channel"]["is_archived"] is True
        assert slack_error(client.conversations_history, channel=cid)["error"] == "not_in_channel"
        assert slack_error(client.conversations_archive, channel=cid)["error"] == "already_archived"

    def test_tidy_archive_keeps_the_bot(self, sb, client, ids):
        sb.set_realism(archive_ejects_app=False)
        cid = client.conversations_create(name="inc-17")["channel"]["id"]
        client.conversations_archive(channel=cid)

        assert ids["bot"] in sb.channel(cid)["members"]
        assert client.conversations_history(channel=cid)["messages"][0]["subtype"] == "channel_archive"


def test_archive_rules(sb, client, ids):
    client.conversations_join(channel=ids["general"])
    assert slack_error(client.conversations_archive, channel=ids["general"])["error"] == "cant_archive_general"
    outside = sb.add_channel("outside", members=[ids["alice"]])
    assert slack_error(client.conversations_archive, channel=outside)["error"] == "not_in_channel"


def test_removed_member_loses_access_to_private_channel(sb, client, ids):
    cid = client.conversations_create(name="inc-11", is_private=True)["channel"]["id"]
    sb.remove_member(cid, ids["bot"])
    assert slack_error(client.conversations_info, channel=cid)["error"] == "channel_not_found"


def test_invite_caps_the_user_list(client, ids):
    cid = client.conversations_create(name="inc-12")["channel"]["id"]
    many = ",".join(f"U{i:010d}" for i in range(1001))
    assert slack_error(client.conversations_invite, channel=cid, users=many)["error"] == "too_many_users"


def test_members_rejects_bad_cursor(client, ids):
    assert slack_error(client.conversations_members, channel=ids["general"], cursor="eA==")["error"] == \
        "invalid_cursor"


def test_unarchive_is_for_user_tokens_only(sb):
    cid = sb.add_channel("old-room", members=["bot", "alice"], archived=True)
    bot = WebClient(token=sb.default_token, base_url=sb.base_url)
    alice = WebClient(token=sb.user_token("alice"), base_url=sb.base_url)

    with pytest.raises(SlackApiError) as refused:
        bot.conversations_unarchive(channel=cid)
    assert refused.value.response["error"] == "not_allowed_token_type"

    assert alice.conversations_unarchive(channel=cid)["ok"] is True
    assert sb.channel(cid)["is_archived"] is False
    with pytest.raises(SlackApiError) as again:
        alice.conversations_unarchive(channel=cid)
    assert again.value.response["error"] == "not_archived"


def test_message_metadata_comes_back_only_when_asked_for(sb):
    bot = WebClient(token=sb.default_token, base_url=sb.base_url)
    cid = sb.add_channel("meta", members=["bot"])
    posted = bot.chat_postMessage(channel=cid, text="x", metadata={"event_type": "t", "event_payload": {"k": 1}})
    assert posted["message"]["metadata"]["event_payload"] == {"k": 1}

    plain = bot.conversations_history(channel=cid, limit=1)["messages"][0]
    full = bot.conversations_history(channel=cid, limit=1, include_all_metadata=True)["messages"][0]

    assert "metadata" not in plain
    assert full["metadata"]["event_type"] == "t" and full["metadata"]["event_payload"] == {"k": 1}
    with pytest.raises(SlackApiError) as bad:
        bot.chat_postMessage(channel=cid, text="x", metadata={"event_payload": {}})
    assert bad.value.response["error"] == "invalid_metadata_format"
