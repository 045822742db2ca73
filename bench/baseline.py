"""The original (2018) app's strategy, rebuilt on slack_sdk for comparison in the same harness.

It differs from fn_slack exactly where the issue says the original did: the channel is found by listing
channels 100 per page until the name matches, on every post; every exported message costs one
``users.info``; the whole history is held in a list before anything is written. Everything else (history
pages of 999, the same HTTP client, the same retry on 429) is kept equal so the figures compare strategies.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.handler import RetryHandler

from bench.soar_table import InMemoryTable

LIST_PAGE = 100
HISTORY_PAGE = 999


class BaselineSlack:
    """The original app's Slack conversation for one function call."""

    def __init__(self, base_url: str, token: str, retry_handlers: list[RetryHandler] | None = None) -> None:
        self.client = WebClient(token=token, base_url=base_url, retry_handlers=retry_handlers or [])

    def _call(self, method: str, http_verb: str = "GET", **params) -> dict:
        params = {k: v for k, v in params.items() if v is not None}
        if http_verb == "GET":
            return self.client.api_call(method, http_verb="GET", params=params).data
        return self.client.api_call(method, json=params).data

    def find_channel(self, name: str) -> dict | None:
        cursor = None
        while True:
            page = self._call("conversations.list", types="public_channel,private_channel", limit=LIST_PAGE,
                              cursor=cursor)
            for channel in page.get("channels", []):
                if channel.get("name") == name:
                    return channel
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def invite(self, channel_id: str, emails: list[str]) -> list[str]:
        user_ids, unknown = [], []
        for email in emails:
            try:
                user_ids.append(self._call("users.lookupByEmail", email=email)["user"]["id"])
            except SlackApiError:
                unknown.append(email)
        if user_ids:
            try:
                self._call("conversations.invite", "POST", channel=channel_id, users=",".join(user_ids))
            except SlackApiError as err:
                if err.response.get("error") != "already_in_channel":
                    raise
        return unknown

    def user_name(self, user_id: str) -> str:
        user = self._call("users.info", user=user_id)["user"]
        profile = user.get("profile") or {}
        return profile.get("display_name") or profile.get("real_name") or user.get("name") or ""


def post_message(base_url: str, token: str, table: InMemoryTable, text: str, *, channel_name: str | None = None,
                 emails: list[str] | None = None) -> dict:
    """The original post: the table row gives a channel name, which is searched for in the workspace."""
    slack = BaselineSlack(base_url, token)
    link = table.find_link(None)
    name = channel_name or (link.channel_name if link else None)
    if not name:
        raise LookupError("no channel named and none linked")
    channel = slack.find_channel(name)
    if channel is None:
        channel = slack._call("conversations.create", "POST", name=name)["channel"]
    if emails:
        slack.invite(channel["id"], emails)
    ts = slack._call("chat.postMessage", "POST", channel=channel["id"], text=text, username="SOAR")["ts"]
    url = slack._call("chat.getPermalink", channel=channel["id"], message_ts=ts)["permalink"]
    if link is None:
        table.add_link(None, name, channel["id"], "Public", url)
    return {"channel_id": channel["id"], "ts": ts, "url": url}


def _stamp(ts: str) -> str:
    return datetime.fromtimestamp(int(str(ts).split(".", 1)[0]), tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _line(slack: BaselineSlack, msg: dict, indent: str) -> str:
    author = msg.get("username") or (slack.user_name(msg["user"]) if msg.get("user") else "")
    files = "".join(f"\n{indent}\tFile: {f.get('name')} {f.get('permalink')}" for f in msg.get("files") or [])
    return f"{indent}{_stamp(msg['ts'])} {author}: {msg.get('text', '')}{files}\n"


def export_history(base_url: str, token: str, channel_id: str, out: TextIO,
                   retry_handlers: list[RetryHandler] | None = None) -> int:
    """The original export: every message (and every thread's replies) read into a list, one users.info per
    message, the whole text built, then written."""
    slack = BaselineSlack(base_url, token, retry_handlers)
    history: list[dict] = []
    cursor = None
    while True:
        page = slack._call("conversations.history", channel=channel_id, limit=HISTORY_PAGE, cursor=cursor)
        history.extend(page.get("messages", []))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    threads: dict[str, list[dict]] = {}
    for msg in history:
        if msg.get("reply_count") and msg.get("thread_ts") == msg.get("ts"):
            replies: list[dict] = []
            cursor = None
            while True:
                page = slack._call("conversations.replies", channel=channel_id, ts=msg["ts"], limit=1000,
                                   cursor=cursor)
                replies.extend(m for m in page.get("messages", []) if m.get("ts") != msg["ts"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
            threads[msg["ts"]] = replies
    lines: list[str] = []
    count = 0
    for msg in history:
        if msg.get("thread_ts") and msg.get("thread_ts") != msg.get("ts"):
            continue
        lines.append(_line(slack, msg, ""))
        count += 1
        for reply in threads.get(msg["ts"], []):
            lines.append(_line(slack, reply, "\t"))
            count += 1
    out.write("".join(lines))
    return count
