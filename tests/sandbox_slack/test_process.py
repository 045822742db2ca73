"""The Slack sandbox as a process, its HTTP inspection endpoints, workspace files and seeding."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from slack_sdk import WebClient

from sandbox.slack import SlackSandbox, WorkspaceError

from .helpers import slack_error

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "sandbox" / "slack" / "example_workspace.json"
LINE = re.compile(r"^Slack sandbox listening on (http://127\.0\.0\.1:(\d+)/api/)$")


def start_process(*args: str) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.slack", "--port", "0", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().rstrip("\n")
    match = LINE.match(line)
    if not match:
        proc.kill()
        raise AssertionError(f"unexpected first line {line!r}: {proc.stderr.read()}")
    return proc, match.group(1)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_process_prints_one_line_serves_and_stops(stop_signal):
    proc, base_url = start_process()
    try:
        assert WebClient(token="xoxb-sandbox-token", base_url=base_url).auth_test()["team"] == "sandbox"
        proc.send_signal(stop_signal)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert out == ""  # nothing after the single announcement line
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_process_with_workspace_file_and_options():
    proc, base_url = start_process("--workspace", str(EXAMPLE), "--rate-limits", "--time-scale", "0.01",
                                   "--share-delay", "0.5", "--latency-ms", "1", "--non-marketplace",
                                   "--tidy", "--realism", "rewrite_text=true", "--realism", "history_days=90",
                                   "--post-limit-answer", "ok_false")
    try:
        client = WebClient(token="xoxp-alice", base_url=base_url)
        assert client.auth_test()["user"] == "alice"
        with urllib.request.urlopen(base_url.replace("/api/", "/_sandbox/state"), timeout=5) as resp:
            state = json.loads(resp.read())
        assert state["team"]["id"] == "T0EXAMPLE01"
        settings = state["settings"]
        assert settings.pop("upload_base_url").startswith("http://127.0.0.1:")
        assert settings.pop("realism") == {"join_messages": False, "rewrite_text": True,
                                           "username_without_scope": "missing_scope", "invite_partial": "ok",
                                           "invite_removed_silently": False, "strict_list_limit": False,
                                           "history_days": 90.0, "archive_ejects_app": False,
                                           "archived_private_visible": True,
                                           "user_token_metadata": "accept", "block_kit_validation": False,
                                           "event_metadata": True}
        assert settings == {"latency_ms": 1.0, "rate_limits": True, "time_scale": 0.01, "non_marketplace": True,
                            "share_delay": 0.5, "upload_tls": False, "post_limit_answer": "ok_false"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_state_and_calls_endpoints_mask_tokens(sb, client):
    sb.add_token("xoxp-very-secret-user-token", ["chat:write"], kind="user", user_id=sb.user("bob")["id"])
    client.chat_postMessage(channel="general", text="state me")
    root = sb.base_url[:-len("api/")]
    with urllib.request.urlopen(root + "_sandbox/state", timeout=5) as resp:
        raw_state = resp.read().decode()
    with urllib.request.urlopen(root + "_sandbox/calls", timeout=5) as resp:
        raw_calls = resp.read().decode()
    for raw in (raw_state, raw_calls):
        assert "xoxb-sandbox-token" not in raw and "very-secret" not in raw
    state = json.loads(raw_state)
    assert state == json.loads(json.dumps(sb.state_json()))
    general = [c for c in state["channels"] if c["name"] == "general"][0]
    assert [m["text"] for m in general["messages"]] == ["state me"]
    assert sorted(general["members"]) == sorted(sb.channel("general")["members"])
    # The default people's own tokens (xoxp-sandbox-alice... and the guest's) are masked too.
    assert {t["token"] for t in state["tokens"]} == {"xoxb-****oken", "xoxp-****oken", "xoxp-****lice",
                                                     "xoxp-****-bob", "xoxp-****arol", "xoxp-****gina"}
    calls = json.loads(raw_calls)
    assert calls[-1]["method"] == "chat.postMessage" and calls[-1]["token"] == "xoxb-****oken"


def test_unknown_paths_are_404(sb):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(sb.base_url.replace("/api/", "/nowhere"), timeout=5)
    assert info.value.code == 404


def test_example_workspace_through_the_api(sb, make_client):
    sb.reset(EXAMPLE)
    bot = make_client()
    assert bot.auth_test()["team"] == "acme-soc"
    incidents = sb.channel("soc-incidents")
    history = bot.conversations_history(channel=incidents["id"])["messages"]
    assert [m["text"] for m in history] == ["Incident 2001 created", "Phishing wave reported"]
    assert history[1]["ts"] == "1700000000.000100" and history[1]["reply_count"] == 2
    replies = bot.conversations_replies(channel=incidents["id"], ts="1700000000.000100")["messages"]
    assert replies[2]["files"][0]["name"] == "headers.txt"
    listed = [c["name"] for c in bot.conversations_list(types="public_channel,private_channel")["channels"]]
    assert listed == ["general", "soc-incidents", "soc-leads", "old-incident-1999"]
    assert slack_error(bot.conversations_create, name="hr-private")["error"] == "name_taken"
    assert slack_error(make_client("xoxb-old").auth_test)["error"] == "token_revoked"
    limited = make_client("xoxb-limited")
    assert slack_error(limited.users_info, user=sb.bot_user_id)["needed"] == "users:read"
    alice = make_client("xoxp-alice")
    assert alice.conversations_history(channel=sb.channel("general")["id"])["ok"] is True  # user token, public
    # dave is deactivated: not found by e-mail, still known by id.
    assert slack_error(bot.users_lookupByEmail, email="dave@example.com")["error"] == "users_not_found"
    assert bot.users_info(user=sb.user("dave")["id"])["user"]["deleted"] is True
    # gina is a partner's single-channel guest: in #soc-incidents only, refused elsewhere.
    gina = bot.users_lookupByEmail(email="gina@partner.example")["user"]
    assert gina["is_restricted"] is True and gina["is_ultra_restricted"] is True
    assert [c["name"] for c in sb.state_json()["channels"] if gina["id"] in c["members"]] == ["soc-incidents"]
    guest = make_client(sb.user_token("gina"))
    assert slack_error(guest.chat_postMessage, channel="general", text="hi")["error"] == "not_in_channel"
    assert guest.chat_postMessage(channel="soc-incidents", text="hi")["message"]["user"] == gina["id"]
    assert [p["name"] for p in sb.people()] == ["alice", "bob", "carol", "gina"]  # the page's person picker


def test_workspace_dict_with_usergroups_and_mentions(sb, client):
    sb.reset({"usergroups": [{"id": "S0SECOPS01", "handle": "secops", "users": ["alice"]}]})
    ts = client.chat_postMessage(channel="general", text="ping @secops and <!subteam^S0SECOPS01>",
                                 link_names=True)["ts"]
    assert sb.notifications == [{"channel": sb.channel("general")["id"], "ts": ts, "broadcast": [], "users": [],
                                 "usergroups": ["S0SECOPS01"]}]


def test_bad_workspace_definitions_are_refused():
    with pytest.raises(WorkspaceError):
        SlackSandbox({"channels": [{"name": "x", "members": ["nobody"]}]})
    with pytest.raises(WorkspaceError):
        SlackSandbox({"channels": [{"name": "x"}, {"name": "x"}]})


def test_seeding_big_workspaces(sb, client, ids):
    created = sb.seed_channels(20_000)
    assert len(created) == 20_000 and len(set(created)) == 20_000
    assert sb.channel("chan-20000")["id"] == created[-1]
    stamps = sb.seed_history(ids["general"], 100_000, threads=100, files=10)
    assert len(stamps) == 100_000
    client.conversations_join(channel=ids["general"])
    page = client.conversations_history(channel=ids["general"], limit=999)
    assert len(page["messages"]) == 999 and page["has_more"] is True
    assert page["messages"][0]["subtype"] == "channel_join"  # the app's join, newest
    assert page["messages"][1]["ts"] == stamps[-1]
