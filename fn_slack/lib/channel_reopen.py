"""A reopened incident gets a new channel: its kept-in-step channel was archived with the incident (Slack bot
tokens cannot unarchive a channel: ``conversations.unarchive`` needs a user token), so slack_sync_channel links a
new one and brings it in step.

It runs for a link that is kept in step (``slack_db_sync``), of an incident that is active again, whose channel is
archived and whose conversation fn_slack's archive saved on the incident or task (the export
``Slack_channel_<name>_history.txt``). A channel archived by hand in Slack, its conversation not saved, is not
replaced: the sync fails saying so. Steps, under the incident's lock and the claim of its channel:

1. The claim (``soar.channel_claims``, as a first post's): of several integration servers (or SOAR's redelivery)
   exactly one goes on; the others wait for its new link and keep that channel in step.
2. The new channel: the archived one's name with ``-2`` (``-3``, ...: the first free name, within Slack's 80
   characters), as private as the archived one. ``name_taken`` for an unarchived channel means an earlier run
   created it and stopped before relinking: it is used, never created twice.
3. The incident's owner and members (SOAR users, by e-mail) are invited.
4. One message says the incident was reopened and names the archived channel and the attachment holding its
   conversation (not posted again when it is already the newest message written there).
5. The link's row names the new channel (the one table write, sealed as every link write; mirroring kept, the
   sync state cleared), only while it still names the archived one.
"""

from __future__ import annotations

from collections.abc import Iterator

from fn_slack.lib import messages
from fn_slack.lib.channel_archive import export_name
from fn_slack.lib.channel_post import invite_notices, trusted
from fn_slack.lib.errors import ChannelStateError, SlackError
from fn_slack.lib.inputs import MAX_CHANNEL_NAME
from fn_slack.lib.invocation import Invocation, tell
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_vocabulary import Channel
from fn_slack.lib.soar.actors import SoarActors
from fn_slack.lib.soar.channel_claims import ChannelClaim, ClaimTiming, claims_ready
from fn_slack.lib.soar.files import SoarFiles
from fn_slack.lib.soar.links import ChannelLink, ConversationsTable, target_of

MAX_NAMES_TRIED = 20   # -2 ... -21: names taken by other channels beyond that are left to a person


def reopen_names(old_name: str) -> Iterator[str]:
    """The names a reopened incident's channel may take: ``<old>-2``, ``<old>-3``..., each within 80 characters."""
    for number in range(2, MAX_NAMES_TRIED + 2):
        suffix = f"-{number}"
        yield old_name[:MAX_CHANNEL_NAME - len(suffix)].rstrip("-_") + suffix


def saved_export(files: SoarFiles, channel: Channel) -> dict | None:
    """The attachment fn_slack's archive saved the channel's conversation in, if any."""
    return files.find_saved(export_name(channel), 0)


class ChannelReopen:
    """Links a reopened incident's (or task's) new channel; ``run`` yields status messages, then the new link."""

    def __init__(self, slack: SlackClient, table: ConversationsTable, object_label: str) -> None:
        self.slack = slack
        self.table = table
        self.object_label = object_label

    def run(self, link: ChannelLink, old: Channel, attachment: dict | None,
            invocation: Invocation) -> Iterator[str | ChannelLink]:
        """The steps of the module docstring; the last item is the link as the table holds it."""
        task_id = (target_of(link.res_id) or (0, None))[1]
        settings = self.slack.settings

        def relinked() -> ChannelLink | None:
            now = trusted(self.table.find_link(task_id))
            return now if now is not None and now.channel_id and now.channel_id != old.id else None

        if not claims_ready(self.table.rest):
            yield messages.channel_claims_unavailable()
            yield from self._relink(link, old, attachment, invocation)
            return
        claim = ChannelClaim(self.table.rest, self.table.incident_id, task_id,
                             ClaimTiming(settings.event_claim_seconds,
                                         max(settings.max_rate_limit_wait, 2 * settings.event_claim_seconds)),
                             object_label=self.object_label, channel_name=next(reopen_names(old.name)))
        granted = claim.acquire(relinked, tell)
        if granted.claim is None:
            assert granted.link is not None
            yield messages.reopen_linked_elsewhere(granted.link.channel_name)
            yield granted.link
            return
        with claim.held(granted.claim):
            yield from self._relink(link, old, attachment, invocation)

    def _relink(self, link: ChannelLink, old: Channel, attachment: dict | None,
                invocation: Invocation) -> Iterator[str | ChannelLink]:
        channel = self._new_channel(old)
        yield messages.reopen_new_channel(channel.name, old.name)
        yield from self._invite(channel)
        text = messages.reopened_message(old.name, old.id, (attachment or {}).get("name"))
        newest = self.slack.newest_written(channel)
        if not (newest and newest.get("bot_id") and newest.get("text") == text):
            self.slack.post_message(channel, text, username=self.slack.settings.username,
                                    key=f"{invocation.key}:reopened", check_first=invocation.redelivered)
        relinked = self.table.relink(link, old.id, channel.name, channel.id, channel.channel_type)
        yield messages.reopen_relinked(relinked.channel_name, old.name)
        yield relinked

    def _new_channel(self, old: Channel) -> Channel:
        """Step 2: created under the first free name, or the one an earlier run created and did not link."""
        tried = 0
        for name in reopen_names(old.name):
            tried += 1
            try:
                return self.slack.create_channel(name, old.is_private)
            except SlackError as err:
                if err.code != "name_taken":
                    raise
            found = self.slack.find_channel_by_name(name)
            if found is not None and not found.is_archived and found.is_private == old.is_private:
                return found
        raise ChannelStateError(messages.reopen_no_free_name(old.name, tried), reason="name_taken")

    def _invite(self, channel: Channel) -> Iterator[str]:
        """Step 3: the incident's owner and members, by their SOAR e-mails."""
        actors = SoarActors(self.table.rest)
        people = actors.people(actors.incident(self.table.incident_id))
        emails = sorted(e for e in {people.owner, *people.members} if "@" in e)
        if not emails:
            return
        yield from invite_notices(channel.name, self.slack.invite_by_email(channel, emails))
