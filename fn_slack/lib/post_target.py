"""Which channel a post goes to: resolution, creation, invitations and the table link (behavior §3.1, §3.2, §5)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from fn_slack.lib import inputs
from fn_slack.lib.conversations_table import ChannelLink, ConversationsTable, incident_lock
from fn_slack.lib.errors import InputError, SlackError
from fn_slack.lib.slack_utils import Channel, SlackUtils


@dataclass(frozen=True)
class PostRequest:
    """The validated inputs common to slack_post_message and slack_post_attachment."""

    incident_id: int
    task_id: int | None
    channel_id: str | None
    channel_name: str | None
    is_private: bool | None
    participants: inputs.Participants
    text: str | None

    @classmethod
    def from_inputs(cls, fn_inputs: Any) -> PostRequest:
        def get(name: str):
            return getattr(fn_inputs, name, None)

        return cls(
            incident_id=inputs.record_id("incident_id", get("incident_id"), required=True),
            task_id=inputs.record_id("task_id", get("task_id")),
            channel_id=inputs.channel_id(get("slack_channel_id")),
            channel_name=inputs.channel_name(get("slack_channel")),
            is_private=inputs.flag(get("slack_is_channel_private"), "slack_is_channel_private"),
            participants=inputs.participant_emails(get("slack_participant_emails")),
            text=inputs.text_input(get("slack_text")),
        )

    @property
    def object_label(self) -> str:
        return f"task {self.task_id}" if self.task_id else f"incident {self.incident_id}"


@dataclass
class PostTarget:
    """The channel chosen for a post, and what the table knew before."""

    channel: Channel
    link: ChannelLink | None
    created: bool = False
    notices: list[str] = field(default_factory=list)


def _from_link(link: ChannelLink) -> Channel:
    return Channel(id=link.channel_id or "", name=link.channel_name, is_private=link.is_private)


def linked_channel(slack: SlackUtils, table: ConversationsTable, link: ChannelLink) -> Channel:
    """The channel of a table row; a row written by the original app (name only) gets its ID filled in."""
    if link.channel_id:
        return _from_link(link)
    channel = slack.find_channel_by_name(link.channel_name)
    if channel is None:
        raise SlackError(f"The channel #{link.channel_name} linked in {link.res_id} no longer exists or the Slack "
                         f"app cannot see it: give slack_channel to post elsewhere, or invite the app to the "
                         f"private channel.", code="channel_not_found")
    table.fill_channel_id(link, channel.id)
    return channel


def _find_or_create(slack: SlackUtils, name: str, is_private: bool | None) -> tuple[Channel, bool]:
    if is_private is not None and not slack.remembers_channel(name):
        try:
            return slack.create_channel(name, is_private), True
        except SlackError as err:
            if err.code != "name_taken":
                raise
            taken = err
        found = slack.find_channel_by_name(name)
        if found is None:
            raise taken
        return found, False
    found = slack.find_channel_by_name(name)
    if found is not None:
        return found, False
    if is_private is None:
        raise InputError(f"Slack channel #{name} does not exist, and slack_is_channel_private is empty: set it "
                         f"to Yes or No so that fn_slack can create the channel.")
    return slack.create_channel(name, is_private), True


def resolve_post_target(slack: SlackUtils, table: ConversationsTable, request: PostRequest,
                        link: ChannelLink | None = None) -> PostTarget:
    """Decide the channel: slack_channel_id, else slack_channel (found or created), else the linked one.

    ``link`` is the incident/task's row when the caller has already read it."""
    if link is None:
        link = table.find_link(request.task_id)
    notices: list[str] = []
    created = False
    if request.channel_id:
        channel = slack.channel_info(request.channel_id)
    elif request.channel_name:
        if link is not None and link.channel_name == request.channel_name:
            channel = linked_channel(slack, table, link)
        else:
            channel, created = _find_or_create(slack, request.channel_name, request.is_private)
            if created:
                notices.append(f"Channel #{channel.name} was created in your workspace "
                               f"({channel.channel_type.lower()}).")
            if link is not None:
                notices.append(f"The channel linked to this {request.object_label.split()[0]}, #{link.channel_name}, "
                               f"was not used: the message went to #{channel.name} as slack_channel asked.")
    elif link is not None:
        channel = linked_channel(slack, table, link)
    else:
        raise InputError(f"No Slack channel is linked to this {request.object_label.split()[0]}; give "
                         f"slack_channel (the channel's name) or slack_channel_id.")

    if channel.is_archived:
        raise SlackError(f"Slack channel #{channel.name} is archived and cannot be posted to: give another "
                         f"slack_channel.", code="is_archived")
    if not created and request.is_private is not None and request.is_private != channel.is_private:
        actual = "private" if channel.is_private else "public"
        raise InputError(f"Slack channel #{channel.name} is {actual}, but slack_is_channel_private says "
                         f"{'Yes' if request.is_private else 'No'}: set slack_is_channel_private to "
                         f"{'Yes' if channel.is_private else 'No'} or leave it empty, or give another slack_channel.")
    return PostTarget(channel=channel, link=link, created=created, notices=notices)


def invite_participants(slack: SlackUtils, channel: Channel, participants: inputs.Participants) -> list[str]:
    """Invite the participants; returns the status messages that say what became of each e-mail."""
    messages = [f"'{bad}' in slack_participant_emails is not a valid e-mail address; it was skipped."
                for bad in participants.malformed]
    if not participants.emails:
        return messages
    outcome = slack.invite_by_email(channel, participants.emails)
    messages += [f"User {email} is not a member of your workspace." for email in outcome.unknown]
    if outcome.invited:
        count = len(outcome.invited)
        messages.append(f"{count} user{'s' if count != 1 else ''} invited to #{channel.name}: "
                        f"{', '.join(outcome.invited)}.")
    if outcome.already_members:
        messages.append(f"Already in #{channel.name}: {', '.join(outcome.already_members)}.")
    messages += [f"User {email} could not be invited to #{channel.name} ({reason})."
                 for email, reason in outcome.failed.items()]
    return messages


@contextmanager
def post_target(slack: SlackUtils, table: ConversationsTable, request: PostRequest) -> Iterator[PostTarget]:
    """The channel to post to, with the participants invited; ``notices`` says what happened on the way.

    Held for the whole post: only a call that may link a channel (nothing linked yet) holds the incident's
    lock, and it reads the table again under it, so posts to a linked incident never wait."""
    link = table.find_link(request.task_id)
    with incident_lock(request.incident_id) if link is None else nullcontext():
        target = resolve_post_target(slack, table, request, link)
        target.notices += invite_participants(slack, target.channel, request.participants)
        yield target


def link_if_new(table: ConversationsTable, request: PostRequest, target: PostTarget, permalink: str) -> bool:
    """Link the channel to the incident/task if nothing was linked yet (only the first channel is linked)."""
    if target.link is not None:
        return False
    link = table.add_link(request.task_id, target.channel.name, target.channel.id, target.channel.channel_type,
                          permalink)
    return link.channel_id == target.channel.id


def post_result(request: PostRequest, target: PostTarget, url: str, ts: str, linked: bool) -> dict:
    """The result both post functions return (original keys ``channel`` and ``url`` first)."""
    return {
        "channel": target.channel.name,
        "url": url,
        "channel_id": target.channel.id,
        "ts": ts,
        "channel_type": target.channel.channel_type,
        "channel_created": target.created,
        "linked": linked,
    }
