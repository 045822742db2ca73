"""users.list through the real WebClient: everyone in the workspace, paged by cursor, bots and deactivated
accounts included as Slack lists them, Tier 2 under rate limits."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from .helpers import slack_error


def _all_pages(client, **kwargs) -> tuple[list[dict], int]:
    members, pages, cursor = [], 0, None
    while True:
        page = client.users_list(cursor=cursor, **kwargs)
        members += page["members"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            return members, pages


def test_paged_with_limit_lists_everyone_once_including_bots_and_deactivated_people(sb, client, ids):
    whole = client.users_list()
    assert whole["response_metadata"]["next_cursor"] == "" and isinstance(whole["cache_ts"], int)

    members, pages = _all_pages(client, limit=2)

    assert [m["id"] for m in members] == [m["id"] for m in whole["members"]]
    assert pages == -(-len(members) // 2)
    by_name = {m["name"]: m for m in members}
    assert by_name["dan"]["deleted"] is True                           # deactivated, still listed
    assert by_name["alice"]["deleted"] is False and by_name["alice"]["is_bot"] is False
    [bot] = [m for m in members if m["id"] == ids["bot"]]
    assert bot["is_bot"] is True and bot["profile"]["bot_id"]           # the app's bot is listed as a bot
    assert by_name["alice"]["profile"]["email"] == "alice@example.com"  # users:read.email


def test_a_user_added_later_appears_on_the_last_page(sb, client):
    sb.add_user("zoe", "zoe@example.com")
    members, _ = _all_pages(client, limit=3)
    assert members[-1]["name"] == "zoe"


def test_emails_need_users_read_email_and_the_list_needs_users_read(sb, make_client):
    sb.add_token("xoxb-no-email", ["users:read"])
    listed = make_client("xoxb-no-email").users_list()["members"]
    assert all("email" not in m["profile"] for m in listed)
    sb.add_token("xoxb-no-users", ["chat:write"])
    refused = slack_error(make_client("xoxb-no-users").users_list)
    assert refused["error"] == "missing_scope" and refused["needed"] == "users:read"


def test_a_cursor_that_is_not_slack_s_is_invalid_cursor(client):
    assert slack_error(client.users_list, cursor="bm90LWEtY3Vyc29y")["error"] == "invalid_cursor"


def test_users_list_is_tier_2(sb, make_client):
    sb.set_rate_limits(True, time_scale=0.01)
    client = make_client()
    for _ in range(20):
        client.users_list(limit=1)
    with pytest.raises(SlackApiError) as caught:
        client.users_list(limit=1)
    assert caught.value.response.status_code == 429
