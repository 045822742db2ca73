"""FLOW helpers of slack_post_message (3.x): one incident as one thread in a shared channel, the container as
Block Kit, and direct messages to people by e-mail.

Threads (input ``slack_thread`` Yes): the link's row in ``slack_conversations_db`` keeps the ``ts`` of the
message that starts the incident's (or task's) thread (column ``slack_db_thread_ts``). A threaded post to the
linked channel replies in that thread; when there is none yet (a new link, or a link of 1.x/2.x) the post
itself becomes the thread's first message: its ts goes into the post's one link write (``ChannelPost.finish``).
A thread whose first message was deleted (``thread_not_found``) is replaced: the post goes to the channel and
starts a new thread. Posts without ``slack_thread`` stay as they were.

Direct messages (input ``slack_direct`` Yes): the post goes to the people of ``slack_participant_emails`` in
the app's direct message with them (a group DM for several, at most 8), instead of a channel; nothing is
created, invited or linked.

Block Kit (``[fn_slack] message_style = blocks``): the container becomes a header, sections of fields and a
context line with the SOAR link; the top-level ``text`` (the analyst's Additional Text, else the title) is
what notifications and clients without Block Kit show. The default ``attachment`` keeps the legacy attachment.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fn_slack.lib import messages
from fn_slack.lib.block_kit import container_blocks
from fn_slack.lib.errors import InputError, SlackError
from fn_slack.lib.message_format import SlackMessage
from fn_slack.lib.slack_vocabulary import Channel
from fn_slack.lib.soar.links import ChannelLink

if TYPE_CHECKING:
    from fn_slack.lib.channel_post import PostOutcome, PostRequest
    from fn_slack.lib.settings import SlackSettings
    from fn_slack.lib.slack_client import SlackClient

MAX_DM_PEOPLE = 8  # conversations.open: a group DM holds at most 8 people besides the app


def styled(message: SlackMessage, style: str) -> tuple[list[dict] | None, list[dict] | None]:
    """(blocks, attachments) to send for the configured message style."""
    if style == "blocks" and message.attachments:
        pretext = message.text if message.text != message.title else None
        return container_blocks(message.title, message.fields, message.link, pretext), None
    return None, message.attachments


@dataclass
class ThreadChoice:
    """Where a post goes: the channel, or the thread of the link's first message."""

    wanted: bool
    thread_ts: str | None
    starts_thread: bool = False

    @classmethod
    def of(cls, wanted: bool | None, link: ChannelLink | None, channel_id: str) -> ThreadChoice:
        """The choice for a post to ``channel_id``: the link's thread when it is that channel's, else the channel."""
        if not wanted:
            return cls(False, None)
        same_channel = link is not None and link.channel_id in (None, channel_id)
        if same_channel and link.thread_ts:
            return cls(True, link.thread_ts)
        # A new link, or one without a thread yet: this post starts it (only in the linked channel).
        return cls(True, None, starts_thread=link is None or same_channel)

    def post(self, send: Callable[[str | None], str], label: str, notices: list[str]) -> str:
        """Send the post (``send(thread_ts)``) where it belongs and return its ts."""
        if not self.thread_ts:
            return send(None)
        try:
            ts = send(self.thread_ts)
        except SlackError as err:
            if err.code != "thread_not_found":
                raise
            notices.append(messages.thread_gone(label))
            self.thread_ts, self.starts_thread = None, True
            return send(None)
        notices.append(messages.posted_in_thread(label))
        return ts

    def root_ts(self, ts: str | None) -> str | None:
        """The ts the link keeps as the thread's first message: this post's, when it starts the thread."""
        return ts if self.starts_thread and ts else None

    def status(self, link: ChannelLink | None, channel: Channel, ts: str, label: str) -> str | None:
        """What became of a post that starts the thread, from the link as ``ChannelPost.finish`` wrote it (None:
        nothing to say, or the write's notices already say it)."""
        if not self.starts_thread or not ts:
            return None
        if link is None or not link.names(channel.name, channel.id):
            return messages.thread_not_kept(label)
        if link.thread_ts == ts:
            return messages.thread_started(label)
        if link.thread_ts:   # another post of the incident started its thread at the same moment
            return messages.thread_started_by_another_post(label)
        return None   # the table has no thread column yet: the write's notice says how to finish the upgrade


def post_direct(slack: SlackClient, post: PostRequest, message: SlackMessage, settings: SlackSettings, *,  # noqa: PLR0913
                username: str | None, as_user: bool | None, mrkdwn: bool | None) -> Generator[str, None, PostOutcome]:
    """Post to the people of slack_participant_emails in a direct message; yields status messages and returns
    the outcome (a ``PostOutcome`` of the DM: never created, never linked)."""
    from fn_slack.lib.channel_post import PostOutcome  # noqa: PLC0415 - channel_post imports nothing of this

    emails = post.participants.emails
    if not emails:
        raise InputError(messages.direct_needs_people())
    if len(emails) > MAX_DM_PEOPLE:
        raise InputError(messages.direct_too_many_people(MAX_DM_PEOPLE))
    for bad in post.participants.malformed:
        yield messages.malformed_email_skipped(bad)
    found, unknown = slack.lookup_user_ids(emails)
    for email in unknown:
        yield messages.user_not_in_workspace(email)
    if not found:
        raise InputError(messages.direct_nobody_found())
    channel = slack.open_conversation([found[e] for e in emails if e in found])
    blocks, attachments = styled(message, settings.message_style)
    username = None if as_user else (username or settings.username)
    posted = slack.post_message(channel, message.text, attachments=attachments, blocks=blocks, username=username,
                                as_user=bool(as_user), mrkdwn=mrkdwn is not False)
    if posted.username_dropped:
        yield messages.posted_as_app(username or "")
    ts = posted.ts
    url = slack.permalink(channel, ts)
    yield messages.posted_directly(len(found))
    return PostOutcome(channel=channel, url=url, ts=ts, created=False, linked=False)


__all__ = ["ThreadChoice", "post_direct", "styled"]
