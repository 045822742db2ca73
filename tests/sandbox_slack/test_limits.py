"""Rate limits, non-Marketplace mode, scripted faults, latency and concurrency of the Slack sandbox."""

from __future__ import annotations

import re
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from .helpers import slack_error


def rate_limited(call, **kwargs):
    with pytest.raises(SlackApiError) as info:
        call(**kwargs)
    resp = info.value.response
    assert resp.status_code == 429
    assert resp["error"] == "ratelimited"
    return resp


def test_tier_2_allows_twenty_a_minute_then_429(sb, make_client):
    sb.set_rate_limits(True, time_scale=0.01)
    client = make_client(retry_handlers=[])
    for _ in range(20):
        client.conversations_list()
    resp = rate_limited(client.conversations_list)
    wait = float(resp.headers["X-Sandbox-Retry-After-Seconds"])
    assert 0 < wait <= 0.6
    # the scaled wait rounded up to the millisecond (the exact header is rounded to the nearest one)
    assert re.fullmatch(r"0\.\d{3}", resp.headers["Retry-After"])
    assert 0 <= float(resp.headers["Retry-After"]) - wait <= 0.0015
    time.sleep(wait + 0.05)
    assert client.conversations_list()["ok"] is True


def test_limits_are_per_method_and_per_token(sb, make_client):
    sb.set_rate_limits(True, time_scale=0.01)
    sb.add_token("xoxb-second", ["channels:read"])
    client = make_client(retry_handlers=[])
    for _ in range(20):
        client.conversations_list()
    rate_limited(client.conversations_list)
    assert client.auth_test()["ok"] is True
    assert make_client("xoxb-second", retry_handlers=[]).conversations_list()["ok"] is True


def test_retry_after_is_at_least_one_second_at_real_speed(sb, make_client):
    sb.set_rate_limits(True, time_scale=1.0)
    client = make_client(retry_handlers=[])
    for _ in range(20):
        client.conversations_list()
    resp = rate_limited(client.conversations_list)
    assert 1 <= int(resp.headers["Retry-After"]) <= 60


def test_post_message_bursts_then_one_per_second_per_channel(sb, make_client, ids):
    sb.set_rate_limits(True, time_scale=1.0)
    client = make_client(retry_handlers=[])
    other = client.conversations_create(name="other")["channel"]["id"]
    for i in range(5):
        client.chat_postMessage(channel=ids["general"], text=str(i))
    resp = rate_limited(client.chat_postMessage, channel=ids["general"], text="too fast")
    assert resp.headers["Retry-After"] == "1"
    assert client.chat_postMessage(channel=other, text="another channel")["ok"] is True


def test_whole_seconds_below_real_speed_on_request(sb, make_client):
    sb.set_rate_limits(True, time_scale=0.01, retry_after_fractions=False)
    client = make_client(retry_handlers=[])
    for _ in range(20):
        client.conversations_list()
    assert rate_limited(client.conversations_list).headers["Retry-After"] == "0"


def test_slack_sdk_rate_limit_handler_recovers(sb, make_client):
    # slack_sdk's built-in handler reads Retry-After as whole seconds only
    sb.set_rate_limits(True, time_scale=0.01, retry_after_fractions=False)
    client = make_client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=10)])
    for _ in range(22):
        assert client.conversations_list()["ok"] is True
    assert [c.http_status for c in sb.calls_to("conversations.list")].count(429) >= 1


def test_limits_off_by_default(sb, make_client):
    client = make_client(retry_handlers=[])
    for _ in range(30):
        client.conversations_list()
    assert all(c.http_status == 200 for c in sb.calls)


def test_non_marketplace_pages_of_15_and_one_call_a_minute(sb, make_client, ids):
    client = make_client(retry_handlers=[])
    client.conversations_join(channel=ids["general"])
    sb.seed_history(ids["general"], 40)
    sb.non_marketplace = True
    sb.set_rate_limits(False, time_scale=0.01)
    first = client.conversations_history(channel=ids["general"], limit=200)
    assert len(first["messages"]) == 15 and first["has_more"] is True
    resp = rate_limited(client.conversations_history, channel=ids["general"])
    time.sleep(float(resp.headers["X-Sandbox-Retry-After-Seconds"]) + 0.05)
    assert len(client.conversations_history(channel=ids["general"],
                                            cursor=first["response_metadata"]["next_cursor"])["messages"]) == 15


def test_fault_http_status(sb, make_client):
    sb.faults.add("auth.test", "http_status", status=503)
    client = make_client(retry_handlers=[])
    with pytest.raises(SlackApiError) as info:
        client.auth_test()
    assert info.value.response.status_code == 503
    assert client.auth_test()["ok"] is True  # used up
    assert [c.http_status for c in sb.calls_to("auth.test")] == [503, 200]


def test_fault_drop_closes_the_connection(sb, make_client):
    sb.faults.add("auth.test", "drop")
    with pytest.raises(ConnectionError):  # http.client.RemoteDisconnected: closed without a response
        make_client(retry_handlers=[]).auth_test()
    sb.faults.add("auth.test", "drop")
    # slack_sdk's default ConnectionErrorRetryHandler retries once, so one drop goes unnoticed.
    assert make_client().auth_test()["ok"] is True
    assert [c.http_status for c in sb.calls_to("auth.test")] == [0, 0, 200]


def test_fault_ratelimit(sb, make_client):
    sb.faults.add("chat.postMessage", "ratelimit", retry_after=7)
    resp = rate_limited(make_client(retry_handlers=[]).chat_postMessage, channel="general", text="x")
    assert resp.headers["Retry-After"] == "7"


def test_fault_slack_error_and_wildcard_order(sb, make_client):
    sb.faults.add("*", "slack_error", times=2, error="fatal_error")
    sb.faults.add("auth.test", "slack_error", error="service_unavailable")
    client = make_client(retry_handlers=[])
    assert slack_error(client.users_info, user=sb.bot_user_id)["error"] == "fatal_error"
    assert slack_error(client.auth_test)["error"] == "fatal_error"
    assert slack_error(client.auth_test)["error"] == "service_unavailable"
    assert client.auth_test()["ok"] is True


def test_fault_delay_and_latency_outlast_a_short_client_timeout(sb, make_client):
    sb.faults.add("auth.test", "delay", delay=1.0)
    with pytest.raises(TimeoutError):
        make_client(retry_handlers=[], timeout=0.2).auth_test()
    sb.latency_ms = 1000
    with pytest.raises(TimeoutError):
        make_client(retry_handlers=[], timeout=0.2).auth_test()


def test_fault_on_the_upload_url(sb, client):
    sb.faults.add("upload", "http_status", status=500)
    with pytest.raises(urllib.error.HTTPError, match="500"):
        client.files_upload_v2(content="x", filename="a.txt")


def test_reset_clears_faults_limits_and_logs(sb, make_client):
    sb.faults.add("auth.test", "slack_error")
    sb.set_rate_limits(True, time_scale=0.01)
    sb.latency_ms = 50
    make_client().chat_postMessage(channel="general", text="<!here>")
    sb.reset()
    assert sb.faults.pending() == [] and sb.calls == [] and sb.notifications == []
    assert (sb.rate_limits, sb.latency_ms) == (False, 0)
    assert sb.messages("general") == []


def test_twenty_five_concurrent_clients(sb, make_client, ids):
    def worker(n):
        client = make_client()
        return [client.chat_postMessage(channel=ids["general"], text=f"{n}-{i}")["ts"] for i in range(4)]

    with ThreadPoolExecutor(max_workers=30) as pool:
        results = list(pool.map(worker, range(30)))
    stamps = [ts for batch in results for ts in batch]
    assert len(set(stamps)) == 120
    stored = [m["ts"] for m in sb.messages(ids["general"])]
    assert stored == sorted(stamps)


def test_request_in_flight_across_reset_does_not_leak_into_the_fresh_workspace(sb, make_client, ids):
    sb.faults.add("chat.postMessage", "delay", delay=0.5)
    with pytest.raises(TimeoutError):
        make_client(retry_handlers=[], timeout=0.1).chat_postMessage(channel=ids["general"], text="stale")
    sb.reset()
    time.sleep(0.8)  # let the delayed request finish on the server
    assert sb.messages("general") == []
    assert sb.calls == [] and sb.notifications == []
