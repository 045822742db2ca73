"""The channel-post flow both post functions run: which channel, created or found, people invited, then linked.

Steps (behavior.md §3.1, §3.2, §5), in the order a post takes them:

1. ``enter()`` reads the incident's (or task's) link once. Only when nothing is linked yet does it take the
   incident's lock, so that posts to a linked incident never wait; under it the link is read again only when
   another post of this process linked the same incident (or task) since that read. A link changed in SOAR
   behind fn_slack's back (its seal no longer fits: ``soar.links``) is not used: the post is refused, naming
   the cells changed, before anything is asked of Slack. A post that still finds nothing linked and may create
   its channel claims it across integration servers (``_claimed``, ``soar.channel_claims``): one creates and
   links it, the others wait for its link and post there like any post to a linked incident.
2. It decides the channel: ``slack_channel_id``; else ``slack_channel`` (found, or created as
   ``slack_is_channel_private`` says; when that flag is empty a missing channel is refused before any Slack
   write, as IBM 1.x and 2.x did: an incident channel never becomes public because nobody chose); else the
   linked channel. A row written by the original app (no channel ID) is resolved by name. No table write
   happens here.
3. It invites ``slack_participant_emails``; every outcome becomes a status message in ``notices``.
4. The caller writes to the channel, then ``finish(url, ts, thread_ts=..., mirror=...)`` makes the one table
   write — add the link when nothing was linked (with the thread's first message and the mirror flag the post
   decided), or one update of the linked row with every cell that changes (an old row's channel ID, the thread,
   mirroring; a post asked to mirror also seals a row fn_slack did not seal yet) — and returns the
   ``PostOutcome`` with the link as the table now holds it. Nothing returns to the table after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from fn_slack.lib import inputs, messages
from fn_slack.lib.errors import ChannelStateError, InputError, SlackError
from fn_slack.lib.invocation import tell
from fn_slack.lib.locks import incident_lock
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_vocabulary import Channel, InviteOutcome
from fn_slack.lib.soar.channel_claims import ChannelClaim, ClaimTiming, claims_ready
from fn_slack.lib.soar.links import TABLE, ChannelLink, ConversationsTable


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
    def from_inputs(cls, fn_inputs: object) -> PostRequest:
        """Read and check the common inputs (an InputError names the first bad one)."""
        def get(name: str) -> object:
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
        """"incident 2095" or "task 7"."""
        return f"task {self.task_id}" if self.task_id else f"incident {self.incident_id}"


@dataclass(frozen=True)
class PostOutcome:
    """What a post did: the channel, whether it was created or linked, and the message's link."""

    channel: Channel
    url: str
    ts: str
    created: bool
    linked: bool
    user_info: list[str] = field(default_factory=list)   # IBM 2.1's "<name>: <email>" list, when configured
    notices: list[str] = field(default_factory=list)     # status messages of the table write (an unfinished upgrade)
    link: ChannelLink | None = None   # the incident's (or task's) link after the write; None for a direct message

    @property
    def links_channel(self) -> bool:
        """Whether the link is to this post's channel (so its thread and mirror flag are this channel's)."""
        return self.link is not None and self.link.channel_id == self.channel.id

    def result(self) -> dict:
        """The result content both post functions return (the original keys ``channel`` and ``url`` first)."""
        return {
            "channel": self.channel.name,
            "url": self.url,
            "channel_id": self.channel.id,
            "ts": self.ts,
            "channel_type": self.channel.channel_type,
            "channel_created": self.created,
            "linked": self.linked,
        }


def trusted(link: ChannelLink | None) -> ChannelLink | None:
    """The link, when fn_slack may act on it: a row changed behind fn_slack's back (or whose seal was) is refused
    with an error naming the row and each cell changed (sealed → now), before anything is asked of Slack."""
    if link is not None and link.tampered:
        changes = [(change.column, change.sealed, change.now) for change in link.verdict.changes]
        raise ChannelStateError(messages.link_changed_outside(TABLE, link.res_id, changes), reason="link_changed")
    return link


def channel_of_link(slack: SlackClient, link: ChannelLink) -> Channel:
    """The channel a table row names; a row written by the original app (name only) is found by name."""
    if link.channel_id:
        return Channel(id=link.channel_id, name=link.channel_name, is_private=link.is_private)
    channel = slack.find_channel_by_name(link.channel_name)
    if channel is None:
        raise ChannelStateError(messages.linked_channel_gone(link.channel_name, link.res_id), reason="not_found")
    return channel


def invite_notices(channel_name: str, outcome: InviteOutcome) -> list[str]:
    """The status messages of an invitation by e-mail: who is not in the workspace, who was invited, who was in
    the channel already, who could not be invited and why."""
    return ([messages.user_not_in_workspace(email) for email in outcome.unknown]
            + ([messages.users_invited(channel_name, outcome.invited)] if outcome.invited else [])
            + ([messages.already_members(channel_name, outcome.already_members)] if outcome.already_members else [])
            + [messages.user_not_invited(email, channel_name, reason) for email, reason in outcome.failed.items()])


class ChannelPost:
    """One post's way to its channel; see the module docstring for the steps."""

    def __init__(self, slack: SlackClient, table: ConversationsTable, request: PostRequest) -> None:
        self.slack = slack
        self.table = table
        self.request = request
        self.link: ChannelLink | None = None
        self.channel: Channel | None = None
        self.created = False
        self.notices: list[str] = []

    @contextmanager
    def enter(self, vet: Callable[[ChannelPost], None] | None = None) -> Iterator[ChannelPost]:
        """Steps 1–3: the channel decided and the participants invited; held until the post is finished.
        ``vet(self)`` may refuse the decided channel (raising) before anyone is invited."""
        incident_id, task_id = self.request.incident_id, self.request.task_id
        seen = incident_lock.links_added(incident_id, task_id)
        self.link = trusted(self.table.find_link(task_id))
        with incident_lock(incident_id) if self.link is None else nullcontext():
            if self.link is None and incident_lock.links_added(incident_id, task_id) != seen:
                self.link = trusted(self.table.find_link(task_id))   # another post of this process linked it
            with self._claimed():
                self.channel = self._decide_channel()
                self._check_channel()
                if vet is not None:
                    vet(self)
                self._invite()
                yield self

    @contextmanager
    def _claimed(self) -> Iterator[None]:
        """Step 1b: a post that found nothing linked and names a channel it may create claims the incident's
        (or task's) channel in SOAR (``soar.channel_claims``) for the rest of the post: exactly one integration
        server creates or finds it and links it, the others wait for its link and post there. Posts to a
        linked incident, and posts to a channel given by ID, never claim. Without ``slack_messages_db`` (the
        package upgraded before ``customize``) the post goes on without a claim, and says so."""
        request = self.request
        if self.link is not None or request.channel_id or not request.channel_name or request.is_private is None:
            yield   # nothing to create: a post without slack_is_channel_private only finds a channel
            return
        if not claims_ready(self.table.rest):
            self.notices.append(messages.channel_claims_unavailable())
            yield
            return
        settings = self.slack.settings
        claim = ChannelClaim(self.table.rest, request.incident_id, request.task_id,
                             ClaimTiming(settings.event_claim_seconds,
                                         max(settings.max_rate_limit_wait, 2 * settings.event_claim_seconds)),
                             object_label=request.object_label, channel_name=request.channel_name)
        granted = claim.acquire(lambda: trusted(self.table.find_link(request.task_id)), tell)
        if granted.claim is None:   # another server linked it: post there like any post to a linked incident
            self.link = granted.link
            yield
            return
        with claim.held(granted.claim):
            yield

    def finish(self, url: str, ts: str, user_info: list[str] | None = None, *, thread_ts: str | None = None,
               mirror: bool = False) -> PostOutcome:
        """Step 4: the one table write, then the outcome.

        ``thread_ts`` is this post's ts when it starts the thread, ``mirror`` the slack_mirror input: both are
        written only to a link of this post's channel. The message is in Slack by now, so SOAR's schema cannot
        fail the post: a table without a 3.x column (the package upgraded before ``customize``) gets the row
        without it (a link without the channel ID is found by the channel's name later), and the outcome's
        notices say to run ``customize``; the first post after it fills the ID in."""
        channel, link, request, linked = self.channel, self.link, self.request, False
        if link is None:
            link = self.table.add_link(request.task_id, channel.name, channel.id, channel.channel_type, url,
                                       thread_ts=thread_ts, mirror=mirror)
            incident_lock.link_added(request.incident_id, request.task_id)
            linked = link.names(channel.name, channel.id)
        elif link.names(channel.name, channel.id):   # a link to another channel keeps its thread and mirror flag
            link = self.table.update_link(link, channel_id=None if link.channel_id else channel.id,
                                          thread_ts=thread_ts, mirror=mirror and not link.mirror, seal=mirror)
        return PostOutcome(channel=channel, url=url, ts=ts, created=self.created, linked=linked,
                           user_info=user_info or [], notices=list(self.table.notices), link=link)

    # ------------------------------------------------------------------ step 2
    def _decide_channel(self) -> Channel:
        request, link = self.request, self.link
        if request.channel_id:
            return self.slack.channel_info(request.channel_id)
        if request.channel_name:
            if link is not None and link.channel_name == request.channel_name:
                return channel_of_link(self.slack, link)
            channel = self._find_or_create(request.channel_name, request.is_private)
            if self.link is not None and not self.link.names(channel.name, channel.id):
                self.notices.append(messages.linked_channel_not_used(request.object_label, self.link.channel_name,
                                                                     channel.name))
            return channel
        if link is not None:
            return channel_of_link(self.slack, link)
        raise InputError(messages.no_linked_channel_for_post(request.object_label))

    def _find_or_create(self, name: str, is_private: bool | None) -> Channel:
        """The named channel; created when missing and the flag is set (a name this process knows is checked, not
        created); refused before any Slack write when missing and the flag is empty. A lookup that waited in
        Slack's rate-limit line is followed by one more read of the link before anything is created: another
        integration server may have linked the incident meanwhile."""
        waited = self.slack.waited_seconds()
        if is_private is not None and not self.slack.remembers_channel(name):
            return self._create_or_find(name, is_private)
        found = self.slack.find_channel_by_name(name)
        if found is not None:
            return found
        if is_private is None:
            raise InputError(messages.private_flag_needed_to_create(name))
        if self.link is None and self.slack.waited_seconds() > waited:
            self.link = trusted(self.table.find_link(self.request.task_id))
            if self.link is not None and self.link.channel_name == name:
                return channel_of_link(self.slack, self.link)
        return self._create_or_find(name, is_private)

    def _create_or_find(self, name: str, is_private: bool) -> Channel:
        """Create the channel; ``name_taken`` means it is there already (made by a server that died before
        linking it, by another post, or by hand): it is found by name and used, never created a second time."""
        try:
            return self._create(name, is_private)
        except SlackError as err:
            if err.code != "name_taken":
                raise
            found = self.slack.find_channel_by_name(name)
            if found is None:
                raise
            return found

    def _create(self, name: str, is_private: bool) -> Channel:
        channel = self.slack.create_channel(name, is_private)
        self.created = True
        self.notices.append(messages.channel_created(channel.name, channel.channel_type))
        return channel

    def _check_channel(self) -> None:
        channel, asked = self.channel, self.request.is_private
        if channel.is_archived:
            raise ChannelStateError(messages.channel_archived_cannot_post(channel.name), reason="archived")
        if not self.created and asked is not None and asked != channel.is_private:
            raise InputError(messages.privacy_mismatch(channel.name, channel.is_private, asked))

    # ------------------------------------------------------------------ step 3
    def _invite(self) -> None:
        participants, channel = self.request.participants, self.channel
        self.notices += [messages.malformed_email_skipped(bad) for bad in participants.malformed]
        if not participants.emails:
            return
        self.notices += invite_notices(channel.name, self.slack.invite_by_email(channel, participants.emails))
