"""The Slack writes that keep a channel in step with its incident — the topic, the bookmark, the pinned summary —
each made once (``SlackWrites``): after a lost answer, Slack is asked whether the write took effect before it is
sent again.

- ``conversations.setTopic``: a second request would leave a second "set the channel topic" message, so after a
  lost answer the topic is read back (``conversations.info``) and set again only when it is not the one sent.
- ``bookmarks.add``: a second request would add a second bookmark, so after a lost answer the channel's
  bookmarks are listed and the one with this title and link is taken.
- ``bookmarks.edit``, ``chat.update`` and ``pins.add`` leave the channel the same when sent twice (a second pin
  answers ``already_pinned``, which is success): their answers lost, they are sent again under the call's retry
  policy.
- The summary's first post is ``SlackClient.post_message`` (found by its key after a lost answer).
"""

from __future__ import annotations

from fn_slack.lib.errors import SlackError
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_vocabulary import Channel
from fn_slack.lib.text_conventions import slack_unescape

GONE = ("not_found", "invalid_bookmark_id", "bookmark_not_found")   # a bookmark someone removed in Slack
MESSAGE_GONE = ("message_not_found",)


class ChannelParts:
    """The topic, bookmark and pin writes of one function call's ``SlackClient``."""

    def __init__(self, client: SlackClient) -> None:
        self.client = client
        self.writes = client.writes
        self.calls = 0   # the Slack writes made (what a run of slack_sync_channel cost)

    def set_topic(self, channel: Channel, topic: str) -> None:
        """The channel's topic, set once."""
        def send() -> bool:
            self.calls += 1
            self.client.call("conversations.setTopic", json={"channel": channel.id, "topic": topic})
            return True

        def landed() -> bool | None:
            now = self.client.call("conversations.info", http_verb="GET", channel=channel.id)
            value = ((now.get("channel") or {}).get("topic") or {}).get("value") or ""
            return True if slack_unescape(value) == slack_unescape(topic) else None

        self.client.with_membership(channel, lambda: self.writes.write("conversations.setTopic", send, landed))

    def add_bookmark(self, channel: Channel, title: str, link: str) -> str:
        """A link bookmark added once; its ID."""
        def send() -> str:
            self.calls += 1
            answer = self.client.call("bookmarks.add", json={"channel_id": channel.id, "title": title,
                                                             "type": "link", "link": link})
            return str((answer.get("bookmark") or {}).get("id") or "")

        def landed() -> str | None:
            found = self.client.call("bookmarks.list", http_verb="GET", channel_id=channel.id)
            return next((str(mark["id"]) for mark in found.get("bookmarks") or []
                         if mark.get("title") == title and mark.get("link") == link), None)

        return self.writes.write("bookmarks.add", send, landed)

    def edit_bookmark(self, channel: Channel, bookmark_id: str, title: str, link: str) -> str:
        """The bookmark changed to this title and link; one removed in Slack meanwhile is added again. Its ID."""
        try:
            self.calls += 1
            self.client.call("bookmarks.edit", json={"channel_id": channel.id, "bookmark_id": bookmark_id,
                                                     "title": title, "link": link})
        except SlackError as err:
            if err.code not in GONE:
                raise
            return self.add_bookmark(channel, title, link)
        return bookmark_id

    def update_summary(self, channel: Channel, ts: str, text: str, blocks: list[dict]) -> bool:
        """The pinned summary replaced in place (chat.update); False when it was deleted in Slack."""
        try:
            self.calls += 1
            self.client.update_message(channel.id, ts, text, blocks)
        except SlackError as err:
            if err.code in MESSAGE_GONE:
                return False
            raise
        return True

    def post_summary(self, channel: Channel, text: str, blocks: list[dict], key: str, *, redelivered: bool) -> str:
        """The summary posted once (found by ``key`` after a lost answer, or — ``redelivered``, SOAR's second
        delivery of the run — first looked for as the earlier delivery's post); its ts."""
        self.calls += 1
        return self.client.post_message(channel, text, blocks=blocks, key=key, check_first=redelivered).ts

    def pin(self, channel: Channel, ts: str) -> None:
        """The message pinned (already pinned is success)."""
        try:
            self.calls += 1
            self.client.call("pins.add", json={"channel": channel.id, "timestamp": ts})
        except SlackError as err:
            if err.code != "already_pinned":
                raise
