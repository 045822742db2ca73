"""Authentication, scopes, retired and unknown methods of the Slack sandbox, through slack_sdk."""

from __future__ import annotations

import json
import urllib.request

import pytest
from slack_sdk import WebClient

from sandbox.slack import DEFAULT_BOT_SCOPES

from .helpers import slack_error as error_of


def test_auth_test_describes_the_bot_and_team(sb, client):
    resp = client.auth_test()
    assert resp["team"] == "sandbox"
    assert resp["team_id"] == "T0SANDBOX1"
    assert resp["url"] == "https://sandbox.slack.com/"
    assert resp["user"] == "soar"   # the bot user of the app the manifest creates
    assert resp["user_id"] == sb.bot_user_id
    assert resp["user_id"].startswith("U")
    assert resp["bot_id"].startswith("B")


def test_user_token_acts_as_its_user(sb, make_client, ids):
    sb.add_token("xoxp-alice", ["chat:write", "channels:read"], kind="user", user_id=ids["alice"])
    resp = make_client("xoxp-alice").auth_test()
    assert resp["user_id"] == ids["alice"]
    assert resp["user"] == "alice"
    assert "bot_id" not in resp


def test_unknown_token_is_invalid_auth(make_client):
    assert error_of(make_client("xoxb-nope").auth_test)["error"] == "invalid_auth"


def test_missing_token_is_not_authed(sb):
    client = WebClient(base_url=sb.base_url)
    assert error_of(client.auth_test)["error"] == "not_authed"


def test_revoked_token_is_token_revoked(sb, client):
    sb.revoke_token(sb.default_token)
    assert error_of(client.auth_test)["error"] == "token_revoked"


def test_token_in_form_field_is_accepted(sb):
    body = b"token=xoxb-sandbox-token"
    req = urllib.request.Request(sb.base_url + "auth.test", data=body, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["ok"] is True


def test_query_string_token_is_refused(sb):
    with urllib.request.urlopen(sb.base_url + "auth.test?token=xoxb-sandbox-token", timeout=5) as resp:
        assert json.loads(resp.read()) == {"ok": False, "error": "not_authed"}


@pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")
@pytest.mark.parametrize("method", ["channels.list", "channels.create", "groups.list", "files.upload",
                                    "im.open", "mpim.list"])
def test_retired_methods_answer_method_deprecated(client, method):
    assert error_of(client.api_call, api_method=method)["error"] == "method_deprecated"


def test_unknown_method_answers_unknown_method(client):
    resp = error_of(client.api_call, api_method="chat.teleport")
    assert resp["error"] == "unknown_method"


def test_missing_scope_names_needed_and_provided(sb, make_client):
    sb.add_token("xoxb-narrow", ["channels:read", "users:read"])
    resp = error_of(make_client("xoxb-narrow").chat_postMessage, channel="general", text="hi")
    assert resp["error"] == "missing_scope"
    assert resp["needed"] == "chat:write"
    assert resp["provided"] == "channels:read,users:read"


def test_missing_scope_for_private_channel_type(sb, make_client, ids):
    cid = sb.add_channel("secret", is_private=True, members=[ids["bot"]])
    sb.add_token("xoxb-public-only", ["channels:read"])
    resp = error_of(make_client("xoxb-public-only").conversations_info, channel=cid)
    assert (resp["error"], resp["needed"]) == ("missing_scope", "groups:read")


def test_lookup_by_email_needs_users_read_email(sb, make_client):
    sb.add_token("xoxb-users", ["users:read"])
    resp = error_of(make_client("xoxb-users").users_lookupByEmail, email="alice@example.com")
    assert (resp["error"], resp["needed"]) == ("missing_scope", "users:read.email")


def test_default_token_has_every_scope_fn_slack_needs(sb):
    state = sb.state_json()
    default = [t for t in state["tokens"] if t["kind"] == "bot"][0]
    assert set(default["scopes"]) == set(DEFAULT_BOT_SCOPES)
    assert "chat:write.customize" in default["scopes"]


def test_calls_are_logged_without_tokens_in_params(sb, client):
    client.auth_test()
    client.chat_postMessage(channel="general", text="logged")
    calls = sb.calls_to("chat.postMessage")
    assert len(calls) == 1
    assert calls[0].params["text"] == "logged"
    assert "token" not in calls[0].params
    assert calls[0].token == sb.default_token
    assert calls[0].ok and calls[0].http_status == 200 and calls[0].error is None
    sb.clear_calls()
    assert sb.calls == []


def post_json(sb, method, body, token=None):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(sb.base_url + method, data=json.dumps(body).encode(), method="POST",
                                 headers=headers)
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_json_bodies_authenticate_with_the_header_only(sb):
    assert post_json(sb, "auth.test", {"token": sb.default_token}) == {"ok": False, "error": "not_authed"}
    assert post_json(sb, "auth.test", {}, token=sb.default_token)["ok"] is True


def test_json_bodies_take_real_lists_and_booleans(sb, ids):
    created = post_json(sb, "conversations.create", {"name": "json-room", "is_private": True}, sb.default_token)
    assert created["channel"]["is_private"] is True
    cid = created["channel"]["id"]
    invited = post_json(sb, "conversations.invite", {"channel": cid, "users": [ids["alice"], ids["bob"]]},
                        sb.default_token)
    assert invited["ok"] is True
    assert sb.channel(cid)["members"] == [ids["bot"], ids["alice"], ids["bob"]]


def test_malformed_json_body(sb):
    req = urllib.request.Request(sb.base_url + "auth.test", data=b"{nope", method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {sb.default_token}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read()) == {"ok": False, "error": "invalid_json"}


def test_token_of_a_deactivated_user_is_account_inactive(sb, make_client):
    sb.reset({"users": [{"name": "gone", "email": "gone@example.com", "deleted": True}],
              "tokens": [{"token": "xoxp-gone", "kind": "user", "user": "gone", "scopes": ["chat:write"]}]})
    assert error_of(make_client("xoxp-gone").auth_test)["error"] == "account_inactive"
