"""File uploads in the Slack sandbox: files_upload_v2's three steps, the delayed share, size checks, files.info."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

from .helpers import slack_error


@pytest.fixture
def room(sb, client):
    """A channel the bot created; its channel_join message is switched off so history holds only shares."""
    sb.set_realism(join_messages=False)
    return client.conversations_create(name="inc-200")["channel"]["id"]


def wait_for(condition, timeout=5.0):
    """Poll until condition() is truthy; the share delay is real time, so never assert on elapsed time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_files_upload_v2_shares_the_file_with_its_comment(sb, client, room, ids):
    resp = client.files_upload_v2(content=b"line 1\nline 2\n", filename="evidence.txt", title="Evidence",
                                  channel=room, initial_comment="Attached evidence")
    file = resp["file"]
    assert file["id"].startswith("F") and file["name"] == "evidence.txt" and file["title"] == "Evidence"
    assert file["size"] == 14
    assert file["permalink"] == f"https://sandbox.slack.com/files/{ids['bot']}/{file['id']}/evidence.txt"
    [message] = sb.messages(room)
    assert message["text"] == "Attached evidence"
    assert [f["id"] for f in message["files"]] == [file["id"]]
    assert sb.file(file["id"])["data"] == b"line 1\nline 2\n"
    info = client.files_info(file=file["id"])["file"]
    assert list(info["shares"]["public"]) == [room]
    assert info["channels"] == [room]


def test_private_channel_share_lands_under_private_and_groups(client):
    cid = client.conversations_create(name="inc-201", is_private=True)["channel"]["id"]
    file = client.files_upload_v2(content="x", filename="a.txt", channel=cid)["file"]
    info = client.files_info(file=file["id"])["file"]
    assert list(info["shares"]["private"]) == [cid] and info["groups"] == [cid] and info["channels"] == []


def test_share_appears_after_the_configured_delay(sb, client, room):
    sb.share_delay = 1.0
    file = client.files_upload_v2(content="late", filename="late.txt", channel=room, initial_comment="soon")["file"]
    assert client.files_info(file=file["id"])["file"]["shares"] == {}
    assert client.conversations_history(channel=room)["messages"] == []
    shared = wait_for(lambda: client.files_info(file=file["id"])["file"]["shares"])
    assert list(shared["public"]) == [room]
    assert [m["text"] for m in client.conversations_history(channel=room)["messages"]] == ["soon"]


def test_upload_into_a_thread(sb, client, room):
    parent = client.chat_postMessage(channel=room, text="parent")["ts"]
    client.files_upload_v2(content="x", filename="t.txt", channel=room, thread_ts=parent, initial_comment="here")
    [head] = sb.messages(room)
    assert [r["text"] for r in head["replies"]] == ["here"]
    assert head["reply_count"] == 1


def test_complete_without_channel_keeps_the_file_private(sb, client):
    file = client.files_upload_v2(content="x", filename="quiet.txt")["file"]
    assert client.files_info(file=file["id"])["file"]["shares"] == {}


def test_upload_rules_for_channels(sb, client, ids):
    outside = sb.add_channel("outside", members=[ids["alice"]])
    hidden = sb.add_channel("hidden", is_private=True, members=[ids["alice"]])
    assert slack_error(client.files_upload_v2, content="x", filename="a.txt", channel=outside)["error"] == \
        "not_in_channel"
    assert slack_error(client.files_upload_v2, content="x", filename="a.txt", channel=hidden)["error"] == \
        "channel_not_found"
    client.conversations_create(name="by-name")
    assert slack_error(client.files_upload_v2, content="x", filename="a.txt", channel="by-name")["error"] == \
        "channel_not_found"


def test_files_over_one_gigabyte_are_refused(client):
    err = slack_error(client.files_getUploadURLExternal, filename="huge.bin", length=(1 << 30) + 1)
    assert err["error"] == "file_upload_size_restricted"


def test_upload_url_is_an_absolute_sandbox_url(sb, client):
    resp = client.files_getUploadURLExternal(filename="a.txt", length=3)
    # On its own host (port), as Slack's upload URLs are on files.slack.com, not the API host.
    assert resp["upload_url"] == f"{sb.upload_base_url}upload/{resp['file_id']}"
    assert sb.upload_base_url.startswith("http://127.0.0.1:") and sb.upload_base_url not in sb.base_url


def post(url, data, headers=None):
    req = urllib.request.Request(url, data=data, method="POST", headers=headers or {})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.status, resp.read().decode()


def test_upload_url_accepts_raw_and_multipart_bodies(sb, client, room):
    raw = client.files_getUploadURLExternal(filename="raw.txt", length=5)
    assert post(raw["upload_url"], b"hello") == (200, "OK - 5")
    multi = client.files_getUploadURLExternal(filename="multi.txt", length=4)
    boundary = "sandboxboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"multi.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\nabcd\r\n--{boundary}--\r\n").encode()
    assert post(multi["upload_url"], body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}) == \
        (200, "OK - 4")
    done = client.files_completeUploadExternal(files=[{"id": raw["file_id"]}, {"id": multi["file_id"], "title": "M"}],
                                               channel_id=room)
    assert [f["title"] for f in done["files"]] == ["raw.txt", "M"]
    assert sb.file(multi["file_id"])["data"] == b"abcd"
    [message] = sb.messages(room)
    assert [f["id"] for f in message["files"]] == [raw["file_id"], multi["file_id"]]


def test_length_mismatch_fails_at_completion(client, room):
    resp = client.files_getUploadURLExternal(filename="short.txt", length=10)
    post(resp["upload_url"], b"12345")
    err = slack_error(client.files_completeUploadExternal, files=[{"id": resp["file_id"]}], channel_id=room)
    assert err["error"] == "invalid_arguments"
    assert "received 5" in err["response_metadata"]["messages"][0]


def test_completing_before_upload_fails(client, room):
    resp = client.files_getUploadURLExternal(filename="never.txt", length=3)
    err = slack_error(client.files_completeUploadExternal, files=[{"id": resp["file_id"]}], channel_id=room)
    assert err["error"] == "invalid_arguments"


def test_unknown_upload_url_is_404(sb):
    with pytest.raises(urllib.error.HTTPError) as info:
        post(sb.base_url.replace("/api/", "/upload/F0NOPE00000"), b"x")
    assert info.value.code == 404


def test_files_info_errors(sb, client, make_client, ids):
    assert slack_error(client.files_info, file="F0NOPE00000")["error"] == "file_not_found"
    hidden = sb.add_channel("hidden", is_private=True, members=[ids["alice"]])
    sb.add_message(hidden, "alice", "secret file", files=[{"name": "s.txt", "content": "s"}])
    file_id = sb.messages(hidden)[0]["files"][0]["id"]
    assert slack_error(client.files_info, file=file_id)["error"] == "file_not_found"
    sb.add_token("xoxb-nofiles", ["files:write"])
    err = slack_error(make_client("xoxb-nofiles").files_info, file=file_id)
    assert (err["error"], err["needed"]) == ("missing_scope", "files:read")
