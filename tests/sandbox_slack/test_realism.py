"""Slack's untidy behaviour in the sandbox, through the real slack_sdk WebClient: guests and partners, partial
invitations, failures after commit, rate-limit shapes, system messages, text rewriting, uploads, limits, people."""

from __future__ import annotations

import os
import ssl
import time
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack import SlackSandbox, WorkspaceError
from sandbox.slack.realism import Realism, make_realism, tidy

from .helpers import slack_error


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def raw(sb):
    """A WebClient that does not retry, so each fault shows exactly once."""
    return WebClient(token=sb.default_token, base_url=sb.base_url, retry_handlers=[], timeout=10)


@pytest.fixture
def people(sb):
    return {name: sb.user(name)["id"] for name in ("alice", "bob", "carol", "gina", "dan", "erin")}


def texts(history):
    return [(m.get("subtype"), m["text"]) for m in history]


# ----- switches ----------------------------------------------------------------------------------------------

def test_realism_defaults_are_slack_and_tidy_is_the_old_sandbox():
    assert make_realism(None) == Realism() == make_realism("real")
    assert make_realism("tidy") == Realism(**tidy())
    assert make_realism({"join_messages": False}).join_messages is False
    with pytest.raises(ValueError, match="unknown realism switch"):
        make_realism({"nope": 1})
    with pytest.raises(ValueError, match="username_without_scope"):
        Realism(username_without_scope="shout")


def test_reset_restores_the_constructors_realism(sb):
    sb.set_realism("tidy", rewrite_text=True)
    assert sb.realism.join_messages is False and sb.realism.rewrite_text is True
    sb.reset()
    assert sb.realism == Realism()
    assert sb.state_json()["settings"]["realism"]["join_messages"] is True


# ----- guests, deactivated and external users ----------------------------------------------------------------

def test_default_workspace_has_a_guest_a_deactivated_user_and_a_partner(client, people):
    gina = client.users_info(user=people["gina"])["user"]
    assert gina["is_restricted"] is True and gina["is_ultra_restricted"] is True
    assert client.users_info(user=people["dan"])["user"]["deleted"] is True
    erin = client.users_info(user=people["erin"])["user"]
    assert erin["team_id"] == "T0PARTNER1" and erin["is_stranger"] is True
    assert client.users_info(user=people["alice"])["user"]["is_restricted"] is False


def test_lookup_by_email_does_not_find_deactivated_users(client, people):
    assert slack_error(client.users_lookupByEmail, email="dan@example.com")["error"] == "users_not_found"
    assert client.users_lookupByEmail(email="gina@example.com")["user"]["id"] == people["gina"]
    assert client.users_lookupByEmail(email="erin@partner.example")["user"]["id"] == people["erin"]


@pytest.mark.parametrize(("who", "error"), [("gina", "ura_max_channels"), ("erin", "cant_invite")])
def test_invite_refuses_a_single_channel_guest_and_another_teams_user(sb, client, people, who, error):
    cid = client.conversations_create(name="inc-guests")["channel"]["id"]
    resp = slack_error(client.conversations_invite, channel=cid, users=f"{people['alice']},{people[who]}")
    assert resp["error"] == error
    assert resp["errors"] == [{"user": people[who], "ok": False, "error": error}]
    assert people["alice"] not in sb.channel(cid)["members"]


def test_a_guest_not_yet_in_a_channel_can_be_invited_once(sb, client):
    newcomer = sb.add_user("gus", "gus@example.com", is_ultra_restricted=True)
    first = client.conversations_create(name="inc-g1")["channel"]["id"]
    second = client.conversations_create(name="inc-g2")["channel"]["id"]
    client.conversations_invite(channel=first, users=newcomer)
    assert slack_error(client.conversations_invite, channel=second, users=newcomer)["error"] == "ura_max_channels"


@pytest.mark.parametrize("error", ["org_user_not_in_team", "no_permission", "user_is_restricted"])
def test_invite_error_set_per_user(sb, client, error):
    uid = sb.add_user("odd", "odd@example.com", invite_error=error)
    cid = client.conversations_create(name="inc-odd")["channel"]["id"]
    assert slack_error(client.conversations_invite, channel=cid, users=uid)["errors"][0]["error"] == error


def test_deactivated_users_fail_silently_and_the_rest_are_invited(sb, client, people):
    cid = client.conversations_create(name="inc-removed")["channel"]["id"]
    resp = client.conversations_invite(channel=cid, users=f"{people['dan']},{people['bob']}")
    assert resp["ok"] is True and "errors" not in resp
    assert sb.channel(cid)["members"] == [sb.bot_user_id, people["bob"]]
    sb.set_realism(invite_removed_silently=False)
    assert slack_error(client.conversations_invite, channel=cid, users=people["dan"])["error"] == "user_not_found"


def test_partial_failure_with_force_is_ok_false_with_errors_but_the_valid_users_are_in(sb, client, people):
    cid = client.conversations_create(name="inc-partial")["channel"]["id"]
    resp = slack_error(client.conversations_invite, channel=cid, force=True,
                       users=f"{people['alice']},{people['gina']},{people['erin']},{people['bob']}")
    assert resp["error"] == "ura_max_channels"
    assert resp["errors"] == [{"user": people["gina"], "ok": False, "error": "ura_max_channels"},
                              {"user": people["erin"], "ok": False, "error": "cant_invite"}]
    assert sb.channel(cid)["members"] == [sb.bot_user_id, people["alice"], people["bob"]]


def test_a_guests_own_token_cannot_set_the_topic(sb, make_client, people):
    sb.add_token("xoxp-gina", ["channels:write", "groups:write", "chat:write"], kind="user", user_id=people["gina"])
    partners = sb.channel("partners")["id"]
    resp = slack_error(make_client("xoxp-gina").conversations_setTopic, channel=partners, topic="mine")
    assert resp["error"] == "user_is_restricted"


# ----- failures after commit --------------------------------------------------------------------------------

def _upload_and_complete(sb, client, cid):
    ticket = client.files_getUploadURLExternal(filename="a.txt", length=3)
    req = urllib.request.Request(ticket["upload_url"], data=b"abc", method="POST")
    with urllib.request.urlopen(req, timeout=5):
        pass
    client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "a"}], channel_id=cid)


WRITES = {
    "chat.postMessage": (lambda sb, c, cid: c.chat_postMessage(channel=cid, text="once"),
                         lambda sb, cid: [m["text"] for m in sb.messages(cid)] == ["once"]),
    "conversations.create": (lambda sb, c, cid: c.conversations_create(name="made-anyway"),
                             lambda sb, cid: sb.channel("made-anyway") is not None),
    "conversations.invite": (lambda sb, c, cid: c.conversations_invite(channel=cid, users=sb.user("bob")["id"]),
                             lambda sb, cid: sb.user("bob")["id"] in sb.channel(cid)["members"]),
    "files.completeUploadExternal": (_upload_and_complete,
                                     lambda sb, cid: [len(m.get("files", [])) for m in sb.messages(cid)] == [1]),
    "conversations.archive": (lambda sb, c, cid: c.conversations_archive(channel=cid),
                              lambda sb, cid: sb.channel(cid)["is_archived"]),
}


@pytest.mark.parametrize("then", ["http_status", "drop", "timeout"])
@pytest.mark.parametrize("method", list(WRITES))
def test_after_commit_fault_takes_effect_then_fails(sb, method, then):
    cid = sb.add_channel("target", members=[sb.bot_user_id])
    client = WebClient(token=sb.default_token, base_url=sb.base_url, retry_handlers=[], timeout=1)
    sb.faults.add(method, "after_commit", then=then, status=503, delay=2 if then == "timeout" else 0)
    call, took_effect = WRITES[method]
    with pytest.raises((SlackApiError, OSError)) as info:
        call(sb, client, cid)
    if then == "http_status":
        assert info.value.response.status_code == 503
    elif then == "timeout":
        assert isinstance(info.value, TimeoutError)
    assert took_effect(sb, cid)
    # The call log says the call took effect although the client saw a failure.
    logged = wait_for(lambda: [c for c in sb.calls_to(method) if c.ok])
    assert logged[-1].http_status == {"http_status": 503, "drop": 0, "timeout": 200}[then]


def test_a_retried_post_after_a_dropped_answer_posts_twice(sb, client):
    # slack_sdk's default handler retries a dropped connection once: the message was already stored.
    sb.faults.add("chat.postMessage", "after_commit", then="drop")
    assert client.chat_postMessage(channel="general", text="duplicate?")["ok"] is True
    assert [m["text"] for m in sb.messages("general")] == ["duplicate?", "duplicate?"]


def test_after_commit_timeout_needs_a_delay(sb):
    with pytest.raises(ValueError, match="delay"):
        sb.faults.add("chat.postMessage", "after_commit", then="timeout")


# ----- rate limits and error bodies --------------------------------------------------------------------------

def test_post_message_pace_can_answer_http_200_rate_limited(sb, client):
    sb.set_rate_limits(True, time_scale=1.0, post_limit_answer="ok_false")
    for i in range(5):
        client.chat_postMessage(channel="general", text=str(i))
    resp = slack_error(client.chat_postMessage, channel="general", text="too fast")
    assert resp["error"] == "rate_limited" and "Retry-After" not in resp.headers
    assert [m["text"] for m in sb.messages("general")] == ["0", "1", "2", "3", "4"]


def test_retry_after_zero(sb, raw):
    sb.faults.add("auth.test", "ratelimit", retry_after=0)
    with pytest.raises(SlackApiError) as info:
        raw.auth_test()
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "0"


@pytest.mark.parametrize("kind", ["http_status", "after_commit"])
def test_5xx_answers_can_be_html_pages(sb, raw, kind):
    sb.faults.add("chat.postMessage", kind, status=502, body="html")
    with pytest.raises(SlackApiError) as info:
        raw.chat_postMessage(channel="general", text="x")
    assert info.value.response.status_code == 502
    assert "non-JSON" in info.value.response["error"] and "<html>" in info.value.response["error"]
    assert len(sb.messages("general")) == (1 if kind == "after_commit" else 0)
    req = urllib.request.Request(sb.base_url + "auth.test", method="POST")
    sb.faults.add("auth.test", "http_status", status=504, body="html")
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(req, timeout=5)
    assert http.value.code == 504 and http.value.headers["Content-Type"].startswith("text/html")


# ----- system messages ---------------------------------------------------------------------------------------

def test_create_invite_and_join_leave_channel_join_messages(sb, client, people):
    cid = client.conversations_create(name="inc-joins")["channel"]["id"]
    client.conversations_invite(channel=cid, users=people["alice"])
    history = client.conversations_history(channel=cid)["messages"]
    assert texts(history) == [("channel_join", f"<@{people['alice']}> has joined the channel"),
                              ("channel_join", f"<@{sb.bot_user_id}> has joined the channel")]
    assert history[0]["inviter"] == sb.bot_user_id and history[1]["user"] == sb.bot_user_id
    client.conversations_join(channel=sb.channel("general")["id"])
    assert client.conversations_history(channel=sb.channel("general")["id"])["messages"][0]["subtype"] == \
        "channel_join"
    assert sb.messages(cid) == [] and len(sb.messages(cid, system=True)) == 2


def test_tidy_channels_have_no_join_messages(sb, client, people):
    sb.set_realism(join_messages=False)
    cid = client.conversations_create(name="inc-quiet")["channel"]["id"]
    client.conversations_invite(channel=cid, users=people["alice"])
    assert client.conversations_history(channel=cid)["messages"] == []


def test_topic_purpose_and_rename_leave_messages(sb, client):
    sb.set_realism(join_messages=False)
    cid = client.conversations_create(name="inc-old")["channel"]["id"]
    assert client.conversations_setTopic(channel=cid, topic="Phishing")["channel"]["topic"]["value"] == "Phishing"
    client.conversations_setPurpose(channel=cid, purpose="Incident 1")
    renamed = client.conversations_rename(channel=cid, name="inc-new")["channel"]
    assert renamed["name"] == "inc-new" and renamed["previous_names"] == ["inc-old"]
    history = client.conversations_history(channel=cid)["messages"]
    bot = sb.bot_user_id
    assert texts(history) == [
        ("channel_name", f'<@{bot}> has renamed the channel from "inc-old" to "inc-new"'),
        ("channel_purpose", f"<@{bot}> set the channel description: Incident 1"),
        ("channel_topic", f"<@{bot}> set the channel topic: Phishing"),
    ]
    assert (history[0]["old_name"], history[0]["name"]) == ("inc-old", "inc-new")
    assert history[1]["purpose"] == "Incident 1" and history[2]["topic"] == "Phishing"
    assert slack_error(client.conversations_rename, channel=cid, name="general")["error"] == "name_taken"
    assert slack_error(client.conversations_setTopic, channel=cid, topic="x" * 251)["error"] == "too_long"


def test_bot_message_edited_and_deleted_messages(sb, client, make_client):
    sb.set_realism(join_messages=False)
    cid = client.conversations_create(name="inc-edits")["channel"]["id"]
    legacy = client.chat_postMessage(channel=cid, text="as SOAR", username="IBM SOAR")["message"]
    assert legacy["subtype"] == "bot_message" and legacy["username"] == "IBM SOAR"
    parent = client.chat_postMessage(channel=cid, text="parent")["ts"]
    reply = client.chat_postMessage(channel=cid, text="reply", thread_ts=parent)["ts"]
    client.chat_postMessage(channel=cid, text="second reply", thread_ts=parent)
    updated = client.chat_update(channel=cid, ts=parent, text="parent (edited)")
    assert updated["message"]["edited"]["user"] == sb.bot_user_id
    client.chat_delete(channel=cid, ts=reply)
    client.chat_delete(channel=cid, ts=parent)
    history = client.conversations_history(channel=cid)["messages"]
    tomb = history[0]
    assert (tomb["subtype"], tomb["text"], tomb["user"], tomb["hidden"]) == \
        ("tombstone", "This message was deleted.", "USLACKBOT", True)
    assert tomb["reply_count"] == 1
    thread = client.conversations_replies(channel=cid, ts=parent)["messages"]
    assert [m["text"] for m in thread] == ["This message was deleted.", "second reply"]
    alice = make_client(sb.user_token("alice"))
    client.conversations_invite(channel=cid, users=sb.user("alice")["id"])
    assert slack_error(alice.chat_update, channel=cid, ts=legacy["ts"], text="x")["error"] == "cant_update_message"
    assert slack_error(alice.chat_delete, channel=cid, ts=legacy["ts"])["error"] == "cant_delete_message"


def test_arranged_edits_and_deletions(sb, client):
    general = sb.channel("general")["id"]
    client.conversations_join(channel=general)
    ts = sb.add_message(general, "alice", "typo")
    sb.edit_message(general, ts, "fixed", editor="alice")
    lonely = sb.add_message(general, "bob", "gone soon")
    sb.delete_message(general, lonely)
    history = client.conversations_history(channel=general)["messages"]
    assert [m["text"] for m in history if not m.get("subtype")] == ["fixed"]
    assert history[0]["edited"]["user"] == sb.user("alice")["id"]


def test_deleted_and_limit_hidden_files(sb, client):
    sb.set_realism(join_messages=False)
    cid = client.conversations_create(name="inc-files")["channel"]["id"]
    gone = client.files_upload_v2(content="a", filename="gone.txt", channel=cid)["file"]["id"]
    hidden = client.files_upload_v2(content="b", filename="old.txt", channel=cid)["file"]["id"]
    sb.delete_file(gone)
    sb.hide_file(hidden)
    files = [m["files"][0] for m in reversed(client.conversations_history(channel=cid)["messages"])]
    assert files == [{"id": gone, "mode": "tombstone"}, {"id": hidden, "mode": "hidden_by_limit"}]
    assert slack_error(client.files_info, file=gone)["error"] == "file_deleted"
    assert slack_error(client.files_info, file=hidden)["error"] == "file_not_found"


def test_free_plan_history_window(sb, client):
    general = sb.channel("general")["id"]
    sb.set_realism(join_messages=False)
    client.conversations_join(channel=general)
    parent = sb.seed_history(general, 120, threads=1, replies_per_thread=2)[0]
    assert len([m for p in client.conversations_history(channel=general) for m in p["messages"]]) == 120
    sb.set_realism(history_days=60 / 86_400)  # the last minute only
    visible = [m for p in client.conversations_history(channel=general) for m in p["messages"]]
    assert 55 <= len(visible) <= 61
    assert all(float(m["ts"]) >= time.time() - 62 for m in visible)
    # The old thread's parent and replies are out of the window too.
    assert client.conversations_replies(channel=general, ts=parent)["messages"][1:] == []


# ----- text rewriting and notifications ----------------------------------------------------------------------

def test_posted_text_is_rewritten_the_way_slack_stores_it(sb, client):
    sb.reset({"usergroups": [{"id": "S0ONCALL01", "handle": "oncall", "users": ["alice"]}]})
    sent = "R&D <b>bold</b> see https://soar.example.com/#incidents/1?a=1&b=2. <@U0ALICE01> &amp; @here @oncall"
    stored = client.chat_postMessage(channel="general", text=sent, link_names=1)["message"]["text"]
    assert stored == ("R&amp;D &lt;b&gt;bold&lt;/b&gt; see <https://soar.example.com/#incidents/1?a=1&amp;b=2>. "
                      "<@U0ALICE01> &amp; <!here> <!subteam^S0ONCALL01|@oncall>")
    assert sb.notifications[-1]["broadcast"] == ["here"]
    assert sb.notifications[-1]["usergroups"] == ["S0ONCALL01"]
    # Without link_names the words stay words; parse=none leaves URLs bare.
    plain = client.chat_postMessage(channel="general", text="@channel x>1 http://a.example", parse="none")
    assert plain["message"]["text"] == "@channel x&gt;1 http://a.example"
    assert sb.notifications[-1]["broadcast"] == []


def test_tidy_text_is_stored_as_sent(sb, client):
    sb.set_realism(rewrite_text=False)
    assert client.chat_postMessage(channel="general", text="a & <b>")["message"]["text"] == "a & <b>"


def test_file_comments_are_rewritten_too(sb, client):
    cid = sb.add_channel("inc-comment", members=[sb.bot_user_id])
    client.files_upload_v2(content="x", filename="x.txt", channel=cid, initial_comment="IOCs <here> & https://x.example")
    assert sb.messages(cid)[-1]["text"] == "IOCs &lt;here&gt; &amp; <https://x.example>"


def test_notifications_read_attachment_fields_and_blocks(sb, client, people):
    alice = people["alice"]
    client.chat_postMessage(channel="general", text="fallback", attachments=[
        {"pretext": "<!here> new", "title": "t", "text": f"<@{alice}>",
         "fields": [{"title": "Owner", "value": "<!channel>"}],
         "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "<!everyone>"}}]}])
    note = sb.notifications[-1]
    assert note["broadcast"] == ["here", "channel", "everyone"] and note["users"] == [alice]


# ----- uploads -----------------------------------------------------------------------------------------------

def test_upload_completion_rules(sb, client):
    general = sb.channel("general")["id"]  # the app is not a member
    ticket = client.files_getUploadURLExternal(filename="x.txt", length=1)
    urllib.request.urlopen(urllib.request.Request(ticket["upload_url"], data=b"x", method="POST"), timeout=5).close()
    files = [{"id": ticket["file_id"]}]
    assert slack_error(client.files_completeUploadExternal, files=files, channel_id=general)["error"] == \
        "not_in_channel"
    client.files_completeUploadExternal(files=files)
    assert slack_error(client.files_completeUploadExternal, files=files)["error"] == "file_not_found"
    assert slack_error(client.files_getUploadURLExternal, filename="empty.txt", length=0)["error"] == \
        "missing_argument"


def test_upload_host_is_separate_and_the_api_host_keeps_no_upload_route(sb, client):
    ticket = client.files_getUploadURLExternal(filename="x.txt", length=1)
    assert ticket["upload_url"].startswith(sb.upload_base_url)
    with pytest.raises(urllib.error.HTTPError) as info:  # the upload host serves uploads only
        urllib.request.urlopen(sb.upload_base_url + "api/auth.test", timeout=5)
    assert info.value.code == 404


def test_shares_that_never_appear(sb, client):
    sb.set_realism(join_messages=False)
    cid = client.conversations_create(name="inc-never")["channel"]["id"]
    sb.share_delay = float("inf")
    file_id = client.files_upload_v2(content="x", filename="x.txt", channel=cid)["file"]["id"]
    time.sleep(0.3)
    assert client.files_info(file=file_id)["file"]["shares"] == {}
    assert client.conversations_history(channel=cid)["messages"] == []
    assert sb.state_json()["settings"]["share_delay"] is None


def test_upload_host_over_tls_with_its_own_certificate():
    with SlackSandbox(upload_tls=True) as sb:
        assert sb.upload_base_url.startswith("https://127.0.0.1:") and sb.upload_ca_file
        trusted = ssl.create_default_context(cafile=sb.upload_ca_file)
        cid = sb.add_channel("tls-room", members=[sb.bot_user_id])
        ok = WebClient(token=sb.default_token, base_url=sb.base_url, ssl=trusted)
        assert ok.files_upload_v2(content="secure", filename="s.txt", channel=cid)["file"]["id"]
        assert sb.messages(cid)[-1]["files"][0]["name"] == "s.txt"
        untrusting = WebClient(token=sb.default_token, base_url=sb.base_url, retry_handlers=[])
        with pytest.raises(urllib.error.URLError) as info:
            untrusting.files_upload_v2(content="x", filename="x.txt", channel=cid)
        assert isinstance(info.value.reason, ssl.SSLCertVerificationError)
        ca = sb.upload_ca_file
    assert not os.path.exists(ca)  # the throw-away certificate goes with the sandbox


# ----- limits, types and admin restrictions ------------------------------------------------------------------

def test_list_limit_must_be_under_1000(sb, client):
    assert slack_error(client.conversations_list, limit=1000)["error"] == "invalid_limit"
    assert client.conversations_list(limit=999)["ok"] is True
    sb.set_realism(strict_list_limit=False)
    assert client.conversations_list(limit=1000)["ok"] is True


def test_list_types_the_scopes_do_not_allow(sb, make_client):
    sb.add_token("xoxb-public-only", ["channels:read"])
    resp = slack_error(make_client("xoxb-public-only").conversations_list, types="public_channel,private_channel")
    assert (resp["error"], resp["needed"]) == ("missing_scope", "groups:read")
    assert slack_error(make_client("xoxb-public-only").conversations_list, types="channels")["error"] == \
        "invalid_types"


def test_admin_restrictions_per_channel(sb, client, people):
    cid = client.conversations_create(name="inc-locked")["channel"]["id"]
    sb.restrict_channel(cid, posting="restricted_action", archiving="cant_archive_required",
                        inviting="restricted_action")
    assert slack_error(client.chat_postMessage, channel=cid, text="x")["error"] == "restricted_action"
    assert slack_error(client.files_upload_v2, content="x", filename="x.txt", channel=cid)["error"] == \
        "posting_to_channel_denied"
    assert slack_error(client.conversations_archive, channel=cid)["error"] == "cant_archive_required"
    assert slack_error(client.conversations_invite, channel=cid, users=people["bob"])["error"] == \
        "restricted_action"
    sb.restrict_channel(cid, archiving="restricted_action", posting="posting_to_channel_denied")
    assert slack_error(client.conversations_archive, channel=cid)["error"] == "restricted_action"
    assert slack_error(client.chat_postMessage, channel=cid, text="x")["error"] == "posting_to_channel_denied"
    with pytest.raises(WorkspaceError):
        sb.restrict_channel(cid, posting="nope")
    # Admins still post in a restricted channel.
    sb.add_token("xoxp-admin", ["chat:write"], kind="user", user_id=sb.add_user("ada", "ada@example.com",
                                                                                 is_admin=True))
    sb.add_member(cid, "ada")
    assert WebClient(token="xoxp-admin", base_url=sb.base_url).chat_postMessage(channel=cid, text="ok")["ok"]
    sb.restrict_channel(cid)
    assert client.chat_postMessage(channel=cid, text="free again")["ok"] is True
    assert slack_error(client.conversations_archive, channel=sb.channel("general")["id"])["error"] == \
        "cant_archive_general"


# ----- people acting with their own tokens -------------------------------------------------------------------

def test_people_post_and_reply_with_their_user_tokens(sb, make_client, people):
    alice = make_client(sb.user_token("alice"))
    bob = make_client(sb.user_token("bob"))
    assert alice.auth_test()["user"] == "alice" and sb.user_token("carol").startswith("xoxp-")
    question = alice.chat_postMessage(channel="general", text="Anyone on the phishing case?")
    assert question["message"]["user"] == people["alice"] and "bot_id" not in question["message"]
    bob.chat_postMessage(channel="general", text="On it", thread_ts=question["ts"])
    [head] = sb.messages("general")
    assert [(r["user"], r["text"]) for r in head["replies"]] == [(people["bob"], "On it")]
    history = alice.conversations_history(channel=sb.channel("general")["id"])["messages"]
    assert history[0]["reply_users"] == [people["bob"]]
