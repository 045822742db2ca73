"""SlackClient, the Slack edge: paging, error kinds, people, uploads and authors (Slack sandbox, HTTP)."""

import pytest
from slack_sdk import WebClient

from fn_slack.lib.errors import RateLimitedError, SlackError, SlackUnreachableError
from fn_slack.lib.history_export import message_author
from fn_slack.lib.retry import ReconnectBackoff, RetryPolicy, WaitBudget
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_memory import ProcessMemory
from fn_slack.lib.slack_transport import WRITE_METHODS
from fn_slack.lib.slack_uploads import SlackUploads
from fn_slack.lib.slack_vocabulary import Channel, is_thread_parent, user_display_name
from sandbox.slack import DEFAULT_BOT_SCOPES
from tests.functions.harness import TOKEN


def utils(slack, wait: float = 2) -> SlackClient:
    return SlackClient(SlackSettings(token=TOKEN, api_url=slack.base_url, max_rate_limit_wait=wait, timeout=5))


def channel_of(slack, name: str) -> Channel:
    return Channel.from_slack(slack.channel(name))


def test_history_is_read_page_by_page_to_the_end_with_threads(slack):
    cid = slack.add_channel("big", members=["bot", "alice"])
    for n in range(2100):
        slack.add_message(cid, "alice", f"m{n}")
    parent = slack.add_message(cid, "alice", "question")
    slack.add_message(cid, "bob", "answer", thread_ts=parent)
    slack.clear_calls()
    client = utils(slack)

    threads = [(message["text"], [reply["text"] for reply in replies]) for message, replies in
               client.iter_threads(channel_of(slack, "big"))]

    assert len(threads) == 2101
    assert threads[0] == ("question", ["question", "answer"])
    assert threads[-1] == ("m0", [])
    assert [c.method for c in slack.calls].count("conversations.history") == 3    # 999 + 999 + 103
    assert client.transport.calls == len(slack.calls)


def test_a_slack_refusal_keeps_slacks_code_and_answer(slack):
    slack.add_channel("old", members=["bot"], archived=True)

    with pytest.raises(SlackError) as caught:
        utils(slack).post_message(channel_of(slack, "old"), "hello")

    assert caught.value.code == "is_archived"
    assert caught.value.response["error"] == "is_archived"
    assert caught.value.method == "chat.postMessage"


def test_slack_failing_with_5xx_is_unreachable_with_the_status_not_a_refusal(slack):
    slack.faults.add("auth.test", "http_status", status=503, times=10)

    with pytest.raises(SlackUnreachableError) as caught:
        utils(slack, wait=1).auth_test()

    assert not isinstance(caught.value, SlackError)
    assert caught.value.status == 503 and caught.value.method == "auth.test"
    assert "Slack failed to answer auth.test (HTTP 503)" in str(caught.value)


def test_a_dropped_connection_that_lasts_is_unreachable(slack):
    slack.faults.add("auth.test", "drop", times=10)

    with pytest.raises(SlackUnreachableError) as caught:
        utils(slack, wait=1).auth_test()

    assert caught.value.status is None and "Could not reach Slack" in str(caught.value)


def test_a_rate_limit_beyond_the_budget_names_the_setting(slack):
    slack.faults.add("auth.test", "ratelimit", retry_after=5, times=3)

    with pytest.raises(RateLimitedError) as caught:
        utils(slack, wait=1).auth_test()

    assert caught.value.code == "ratelimited" and "max_rate_limit_wait = 1 s" in str(caught.value)


def test_an_upload_dropped_once_is_sent_again_under_the_call_policy(slack):
    cid = slack.add_channel("files", members=["bot"])
    slack.faults.add("upload", "drop")
    client = utils(slack)

    uploaded = SlackUploads(client).upload_file(channel_of(slack, "files"), b"evidence", "e.txt", "Evidence")

    assert uploaded.name == "e.txt" and uploaded.share_ts
    assert client.transport.budget.spent > 0
    assert [m["files"][0]["name"] for m in slack.messages(cid) if m.get("files")] == ["e.txt"]


def test_an_upload_that_keeps_failing_is_unreachable_and_shares_nothing(slack):
    cid = slack.add_channel("files", members=["bot"])
    slack.faults.add("upload", "http_status", status=502, times=20)

    with pytest.raises(SlackUnreachableError) as caught:
        SlackUploads(utils(slack)).upload_file(channel_of(slack, "files"), b"evidence", "e.txt", "Evidence")

    assert "Uploading the file to Slack failed (HTTP 502); nothing was shared" in str(caught.value)
    assert slack.messages(cid) == []


def test_member_descriptions_are_the_humans_with_their_emails(slack):
    cid = slack.add_channel("room", members=["bot", "alice", "bob"])

    described = utils(slack).member_descriptions(channel_of(slack, "room"))

    assert sorted(described) == sorted(f"{user_display_name(slack.user(u))}: {slack.user(u)['profile']['email']}"
                                       for u in ("alice", "bob"))
    assert cid


def test_process_memory_forgets_answers_older_than_its_ttl(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("fn_slack.lib.slack_memory.time.monotonic", lambda: clock[0])
    memory: ProcessMemory[str, str] = ProcessMemory(ttl=900)
    workspace = ("https://slack.test/api/", 1)
    memory.remember(workspace, [("a@example.com", "U1"), ("b@example.com", "U2")])

    clock[0] += 899
    assert memory.get(workspace, "a@example.com") == "U1"
    memory.forget_value(workspace, "U2")
    assert memory.get(workspace, "b@example.com") is None
    clock[0] += 2
    assert memory.get(workspace, "a@example.com") is None


@pytest.mark.parametrize(("user", "name"), [
    ({"name": "jdoe", "real_name": "Jane Doe", "profile": {"display_name": "Jane", "real_name": "Jane Doe"}}, "Jane"),
    ({"name": "jdoe", "real_name": "Jane Doe", "profile": {"display_name": "", "real_name": "Jane Doe"}}, "Jane Doe"),
    ({"name": "jdoe", "real_name": "Jane R. Doe", "profile": {"display_name": " "}}, "Jane R. Doe"),
    ({"name": "jdoe", "profile": {}}, "jdoe"),
    ({}, ""),
])
def test_user_display_name_prefers_display_then_real_then_user_name(user, name):
    assert user_display_name(user) == name


@pytest.mark.parametrize(("msg", "parent"), [
    ({"ts": "1.1", "thread_ts": "1.1", "reply_count": 3}, True),
    ({"ts": "1.1", "reply_count": 1}, True),
    ({"ts": "1.1", "thread_ts": "1.1", "reply_count": 0}, False),
    ({"ts": "1.2", "thread_ts": "1.1", "subtype": "thread_broadcast"}, False),
    ({"ts": "1.1", "replies": [{"user": "U1", "ts": "1.2"}]}, False),  # Slack's retired array is not used
])
def test_thread_parents_are_detected_from_reply_count_and_thread_ts(msg, parent):
    assert is_thread_parent(msg) is parent


@pytest.mark.parametrize(("msg", "author"), [
    ({"user": "U1", "text": "x"}, "Una"),
    ({"user": "U1", "bot_id": "B1", "username": "SOAR"}, "SOAR"),
    ({"subtype": "bot_message", "username": "Alerts"}, "Alerts"),
    ({"bot_id": "B1", "bot_profile": {"name": "fn_slack"}}, "fn_slack"),
    ({"bot_id": "B1"}, ""),
    ({"text": "orphan"}, ""),
])
def test_message_author_names_users_and_bots(msg, author):
    assert message_author(msg, {"U1": "Una"}.get) == author


def test_chat_post_message_rate_limited_with_http_200_is_waited_out_and_posted_once(slack):
    slack.set_rate_limits(True, post_limit_answer="ok_false")
    client = utils(slack, wait=10)
    general = channel_of(slack, "general")

    texts = [f"m{n}" for n in range(7)]
    for text in texts:     # at once: past chat.postMessage's burst of about one per second per channel
        client.post_message(general, text)

    assert [m["text"] for m in slack.messages(general.id)] == texts
    assert any(c.error == "rate_limited" for c in slack.calls_to("chat.postMessage"))
    assert client.transport.budget.spent >= 1.0


def test_retry_after_zero_still_backs_off(slack):
    slack.faults.add("auth.test", "ratelimit", retry_after=0)
    client = utils(slack, wait=5)

    assert client.auth_test()["ok"] is True
    assert client.transport.budget.spent >= 1.0


def test_a_channel_search_pages_under_slacks_list_limit(slack):
    slack.seed_channels(1500)
    client = utils(slack)

    found = client.find_channel_by_name("chan-01450")

    assert found is not None and found.name == "chan-01450"
    limits = [int(c.params["limit"]) for c in slack.calls_to("conversations.list")]
    assert max(limits) < 1000 and all(c.ok for c in slack.calls_to("conversations.list"))


def test_an_upload_host_whose_certificate_does_not_verify_is_not_retried_and_names_verify():
    from sandbox.slack import SlackSandbox  # noqa: PLC0415 - a sandbox of its own, with a TLS upload host

    sandbox = SlackSandbox(upload_tls=True).start()
    try:
        cid = sandbox.add_channel("files", members=["bot"])
        client = SlackClient(SlackSettings(token=sandbox.default_token, api_url=sandbox.base_url,
                                           max_rate_limit_wait=5))

        with pytest.raises(SlackUnreachableError) as caught:
            SlackUploads(client).upload_file(Channel.from_slack(sandbox.channel("files")), b"x", "x.txt", "X")

        assert "TLS certificate did not verify" in str(caught.value) and "[fn_slack] verify" in str(caught.value)
        assert client.transport.budget.spent == 0
        assert sandbox.messages(cid) == []

        trusting = SlackClient(SlackSettings(token=sandbox.default_token, api_url=sandbox.base_url,
                                            verify=sandbox.upload_ca_file))
        files = Channel.from_slack(sandbox.channel("files"))
        assert SlackUploads(trusting).upload_file(files, b"x", "x.txt", "X").share_ts
    finally:
        sandbox.stop()


def test_tls_to_slack_reuses_one_context_instead_of_loading_the_ca_store_per_call(monkeypatch):
    """urllib opens a connection per Slack call; a context made per connection costs tens of ms of CPU."""
    import ssl  # noqa: PLC0415

    from sandbox.slack import SlackSandbox  # noqa: PLC0415

    sandbox = SlackSandbox(upload_tls=True).start()
    try:
        sandbox.add_channel("files", members=["bot"])
        settings = SlackSettings(token=sandbox.default_token, api_url=sandbox.base_url, verify=sandbox.upload_ca_file)
        SlackClient(settings)    # the process's first call makes the context
        made = []
        real = ssl.create_default_context
        monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: made.append(1) or real(*a, **k))

        for n in range(3):
            files = Channel.from_slack(sandbox.channel("files"))
            SlackUploads(SlackClient(settings)).upload_file(files, b"x", f"{n}.txt", "X")

        assert made == []
    finally:
        sandbox.stop()


def test_slack_calls_share_one_url_opener_per_process_instead_of_building_one_per_call(slack, monkeypatch):
    """urllib's build_opener inspects a dozen handlers (about a millisecond of CPU); a linked post makes two Slack
    calls, each function call its own SlackClient: none of them builds an opener once the process has one."""
    import urllib.request  # noqa: PLC0415

    general = channel_of(slack, "general")
    utils(slack).auth_test()     # the process's first call makes the opener
    built = []
    real = urllib.request.build_opener
    monkeypatch.setattr(urllib.request, "build_opener", lambda *a: built.append(1) or real(*a))

    for n in range(3):           # three function calls: a post and its permalink each
        client = utils(slack)
        posted = client.post_message(general, f"update {n}")
        assert client.permalink_if_given(general, posted.ts)

    assert [m["text"] for m in slack.messages(general.id)][-3:] == ["update 0", "update 1", "update 2"]
    assert built == []


def test_the_policys_handlers_wait_out_http_200_rate_limited_inside_slack_sdk(slack):
    """chat.postMessage's own limit is HTTP 200 with ok=false: the policy's retry handlers wait it out in
    slack_sdk's retry chain, so any WebClient built with them posts every message once."""
    slack.set_rate_limits(True, post_limit_answer="ok_false")
    budget = WaitBudget(10)
    web = WebClient(token=TOKEN, base_url=slack.base_url, timeout=5,
                    retry_handlers=RetryPolicy(budget, writes=WRITE_METHODS).handlers())
    general = slack.channel("general")["id"]

    for n in range(7):     # at once: past chat.postMessage's burst of about one per second per channel
        web.chat_postMessage(channel=general, text=f"m{n}")

    assert [m["text"] for m in slack.messages(general)] == [f"m{n}" for n in range(7)]
    assert any(c.error == "rate_limited" and c.http_status == 200 for c in slack.calls_to("chat.postMessage"))
    assert budget.spent >= 1.0


def test_http_200_rate_limited_beyond_the_budget_names_the_setting_and_posts_nothing_more(slack):
    slack.set_rate_limits(True, post_limit_answer="ok_false")
    client = utils(slack, wait=0)
    general = channel_of(slack, "general")
    posted = []

    with pytest.raises(RateLimitedError) as caught:
        for n in range(20):     # past the burst Slack allows
            client.post_message(general, f"m{n}")
            posted.append(f"m{n}")

    assert "max_rate_limit_wait = 0 s" in str(caught.value)
    assert [m["text"] for m in slack.messages(general.id)] == posted
    assert slack.calls_to("chat.postMessage")[-1].error == "rate_limited"


def test_a_dropped_username_override_comes_back_as_a_fact_of_the_post(slack):
    """Slack posts under the app's name when the token lacks chat:write.customize; the client says so in
    what it returns and leaves the wording to the flow."""
    general = channel_of(slack, "general")
    kept = utils(slack).post_message(general, "with the scope", username="Analyst Ann")
    slack.add_token(slack.default_token, [s for s in DEFAULT_BOT_SCOPES if s != "chat:write.customize"],
                    kind="bot", user_id=slack.bot_user_id)

    dropped = utils(slack).post_message(general, "without it", username="Analyst Ann")

    assert not kept.username_dropped and dropped.username_dropped
    assert [m["ts"] for m in slack.messages(general.id)] == [kept.ts, dropped.ts]


def test_a_share_slack_has_not_shown_yet_comes_back_as_a_fact_of_the_upload(slack):
    cid = slack.add_channel("files", members=["bot"])
    slack.share_delay = 5.0
    uploads = SlackUploads(utils(slack), share_wait=0.3)

    uploaded = uploads.upload_file(channel_of(slack, "files"), b"evidence", "e.txt", "Evidence")

    assert not uploaded.share_seen and uploaded.share_ts is None
    assert uploaded.permalink == slack.file(uploaded.id)["permalink"]
    assert slack.messages(cid) == []


def test_a_question_is_updated_and_a_person_told_through_client_methods(slack):
    general = channel_of(slack, "general")
    client = utils(slack)
    ts = client.post_message(general, "Block the sender?").ts

    client.update_message(general.id, ts, "Answered: yes", [{"type": "section",
                                                             "text": {"type": "mrkdwn", "text": "Answered: yes"}}])
    client.post_ephemeral(general.id, slack.user("alice")["id"], "Your answer was recorded.", thread_ts=ts)

    [message] = slack.messages(general.id)
    assert message["text"] == "Answered: yes"
    [update] = slack.calls_to("chat.update")
    assert "Answered: yes" in str(update.params["blocks"])
    assert [c.method for c in slack.calls if c.ok][-2:] == ["chat.update", "chat.postEphemeral"]


def test_the_listeners_reconnects_back_off_to_a_minute_and_keep_trying():
    pauses = ReconnectBackoff().pauses()

    assert [next(pauses) for _ in range(9)] == [1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 60.0, 60.0, 60.0]
