"""The slack_archive_channel flow: save the channel's whole conversation in SOAR, then archive it (§3.5).

Slack takes the app's bot out of a channel it archives: afterwards the bot token can neither read the channel
nor join it. So everything that makes sure nothing is lost is read before ``conversations.archive``, and
nothing after it needs the channel. Steps, under the incident's lock:

1. The channel: ``slack_channel_id``, else the incident's (or task's) linked channel, as Slack describes it
   now. Already archived → fail saying so, except for SOAR's redelivery of a run that archived the channel
   and ended before it could answer (its export is on the task or incident: the run succeeded). ``#general``,
   which Slack never archives → refused before anything is posted or saved.
2. Post the notice — or reuse this flow's own notice when it is still the newest message written, Slack's
   system messages aside (a rerun). For a closed incident whose link is kept in step (``slack_db_sync``), the
   notice is the incident's closing summary (``sync_format.closing_summary``: the notice's wording, then name,
   "Closed", resolution, owner, final severity, tasks), so the export saved next holds it.
3. Export the whole history, threads included, to a temporary file (streamed: memory does not grow with the
   channel), noting the newest message or reply written in it (Slack's system messages — joins, topic
   changes, ``channel_archive`` — are exported but are not "written").
4. Save it as ``Slack_channel_<name>_history.txt`` on the task or incident — unless a rerun finds the export
   an earlier run saved after its notice. A failed save leaves the channel as it is.
5. The final read, immediately before archiving: was anything written after what the saved export holds (a
   person's message or thread reply, or a post from another process; for a reused export, anything after the
   notice)? If so, export and save again and read again (a channel still changing after a few rounds is not
   archived now, and the user is told).
6. Archive the channel. Nothing is read afterwards, and nothing after it can fail the run.

What remains is the moment between the final read and the archive taking effect: a message written then is
in Slack (an archived channel keeps its history) but not in the saved export. It is the final read's
duration plus one ``conversations.archive`` call; measured against the Slack sandbox
(``bench/archive_window.py``, medians of 5 runs, two sessions): 3–4 ms for a channel of 10 messages with
no latency, about 24 ms with 20 ms per call; for 2,000 messages and 50 threads (three history pages) 20–23 ms
and 91–96 ms. Where the channel
mirrors into the incident (two-way channels), a message written in that moment still becomes an incident
note: the listener's event needs no read in the channel.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TextIO

from fn_slack.lib import inputs, messages
from fn_slack.lib.channel_post import channel_of_link, trusted
from fn_slack.lib.errors import ChannelStateError, InputError, SlackError, SoarError
from fn_slack.lib.history_export import load_template, message_author, write_history
from fn_slack.lib.invocation import Invocation
from fn_slack.lib.locks import incident_lock
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_vocabulary import Channel, is_written, ts_order
from fn_slack.lib.soar.files import SoarFiles
from fn_slack.lib.soar.incident_facts import read_facts
from fn_slack.lib.soar.links import ChannelLink, ConversationsTable
from fn_slack.lib.soar.seals import Sealer
from fn_slack.lib.sync_format import closing_summary, is_archive_notice


@dataclass(frozen=True)
class ArchiveRequest:
    """slack_archive_channel's inputs."""

    incident_id: int
    task_id: int | None
    channel_id: str | None

    @classmethod
    def from_inputs(cls, fn_inputs: object) -> ArchiveRequest:
        """Read and check the inputs (an InputError names the first bad one)."""
        return cls(incident_id=inputs.record_id("incident_id", getattr(fn_inputs, "incident_id", None),
                                                required=True),
                   task_id=inputs.record_id("task_id", getattr(fn_inputs, "task_id", None)),
                   channel_id=inputs.channel_id(getattr(fn_inputs, "slack_channel_id", None)))


@dataclass(frozen=True)
class ArchiveOutcome:
    """The archived channel and the SOAR attachment holding its conversation."""

    channel: Channel
    attachment: dict
    name: str
    message_count: int | None   # None when a rerun reused the export an earlier run saved
    user_info = None            # the archive result has no user_info (IBM's neither)

    def result(self) -> dict:
        """The result content of slack_archive_channel (the original key ``channel`` first)."""
        return {
            "channel": self.channel.name,
            "channel_id": self.channel.id,
            "attachment_id": self.attachment.get("id"),
            "attachment_name": self.attachment.get("name") or self.name,
            "message_count": self.message_count,
        }


MAX_SAVES_BEFORE_ARCHIVING = 3   # a channel still changing after this many fresh exports is not archived now


def export_name(channel: Channel) -> str:
    """The attachment name of a channel's export."""
    return f"Slack_channel_{channel.name}_history.txt"


def write_export(slack: SlackClient, channel: Channel, template: str, out: TextIO,
                 threads: Iterable[tuple[dict, Iterable[dict]]] | None = None) -> int:
    """Step 3: the channel's whole history, threads and authors, streamed to ``out``; returns the message count.
    ``threads`` is the history already being read (``SlackClient.iter_threads``), when the caller watches it."""
    threads = slack.iter_threads(channel) if threads is None else threads
    return write_history(out, threads, lambda message: message_author(message, slack.user_name), template,
                         extra={"channel": channel.name})


class ChannelArchive:
    """Archives one channel; ``run`` yields status messages, then the ``ArchiveOutcome``."""

    def __init__(self, settings: SlackSettings, rest_client: object) -> None:
        self.settings = settings
        self.rest = rest_client

    def run(self, request: ArchiveRequest, invocation: Invocation | None = None) -> Iterator[str | ArchiveOutcome]:
        """The steps of the module docstring."""
        invocation = invocation or Invocation.fresh()
        template = load_template(self.settings.template_file)
        slack = SlackClient(self.settings)
        files = SoarFiles(self.rest, request.incident_id, request.task_id)
        files.check_task()
        with incident_lock(request.incident_id):
            channel, link = self._channel(slack, request, files, invocation)
            if channel.is_archived:
                yield from self._archived_by_first_delivery(channel, files, invocation)
                return
            if channel.is_general:
                raise ChannelStateError(messages.cannot_archive_general(channel.name), reason="general")
            notice_ts = self._post_notice(slack, channel, invocation, self._closing_summary(request, link))
            yield messages.exporting_history(channel.name)

            name = export_name(channel)
            # A rerun after a crash between saving and archiving finds its export and does not save it twice;
            # the final read then catches anything written after the notice. (Clock skew between Slack and SOAR
            # can only make it save again, never skip an unsaved export.)
            attachment = files.find_saved(name, int(float(notice_ts) * 1000))
            count, holds_up_to = None, notice_ts
            if attachment is not None:
                yield messages.export_already_saved(name, files.kind)
            else:
                attachment, count, holds_up_to = self._export_and_save(slack, channel, template, files, name)
                yield messages.export_saved(count, channel.name, name, files.kind)

            # Step 5, the final read: anything written since what the saved export holds (a person, or another
            # process's post) is saved before the channel is archived; a channel that keeps changing is left.
            for _ in range(MAX_SAVES_BEFORE_ARCHIVING):
                if not slack.written_after(channel, holds_up_to):
                    break
                yield messages.written_while_saving(channel.name)
                attachment, count, holds_up_to = self._export_and_save(slack, channel, template, files, name)
                yield messages.export_saved(count, channel.name, name, files.kind)
            else:
                raise ChannelStateError(messages.channel_keeps_changing(channel.name), reason="busy")

            # Step 6, right after the final read; the app's bot is out of the channel from here on.
            archived = slack.archive(channel)
        yield (messages.channel_archived(channel.name) if archived
               else messages.channel_was_already_archived(channel.name))
        yield ArchiveOutcome(channel=channel, attachment=attachment, name=name, message_count=count)

    def _archived_by_first_delivery(self, channel: Channel, files: SoarFiles,
                                    invocation: Invocation) -> Iterator[str | ArchiveOutcome]:
        """Step 1 for an archived channel: SOAR's redelivery of a run that saved the export and archived the
        channel, then ended before answering, succeeds with that export; anything else fails saying so."""
        name = export_name(channel)
        saved = files.find_saved(name, 0) if invocation.redelivered else None
        if saved is None:
            raise ChannelStateError(messages.channel_is_already_archived(channel.name), reason="archived")
        yield messages.archived_by_first_delivery(channel.name, name, files.kind)
        yield ArchiveOutcome(channel=channel, attachment=saved, name=name, message_count=None)

    def _channel(self, slack: SlackClient, request: ArchiveRequest, files: SoarFiles,
                 invocation: Invocation) -> tuple[Channel, ChannelLink | None]:
        """Step 1: the channel as Slack describes it now, and the link it was found by (None for an ID given)."""
        if request.channel_id:
            return slack.channel_info(request.channel_id), None
        table = ConversationsTable(self.rest, request.incident_id, Sealer(self.settings.seal_secret))
        link = trusted(table.find_link(request.task_id))   # a link changed behind fn_slack's back is refused
        if link is None:
            raise InputError(messages.no_linked_channel_for_archive(files.kind))
        channel = channel_of_link(slack, link)
        if not link.channel_id:
            return channel, link
        try:
            return slack.channel_info(channel.id), link
        except SlackError as err:
            if err.code != "channel_not_found":
                raise
            # The archive takes the app out of a private channel, which the app then may no longer see: the
            # redelivery of a run that archived it finds the channel gone and its own export saved.
            if channel.is_private and invocation.redelivered and files.find_saved(export_name(channel), 0):
                return replace(channel, is_archived=True), link
            raise ChannelStateError(messages.linked_channel_gone_for_archive(link.channel_name, link.res_id),
                                    reason="not_found") from None

    def _closing_summary(self, request: ArchiveRequest, link: ChannelLink | None) -> tuple[str, list[dict]] | None:
        """Step 2's closing summary: for a closed incident whose link is kept in step; None otherwise."""
        if link is None or not link.sync:
            return None
        facts = read_facts(self.rest, request.incident_id)
        return closing_summary(facts) if facts.closed else None

    def _post_notice(self, slack: SlackClient, channel: Channel, invocation: Invocation,
                     summary: tuple[str, list[dict]] | None) -> str:
        """Step 2: the notice's ts (a rerun reuses its own notice, or closing summary, if nothing came after it)."""
        newest = slack.newest_written(channel)
        if newest and is_archive_notice(newest.get("text")) and newest.get("bot_id"):
            return newest["ts"]
        text, blocks = summary or (messages.ARCHIVE_NOTICE, None)
        try:
            return slack.post_message(channel, text, blocks=blocks, username=self.settings.username,
                                      key=invocation.key).ts
        except SlackError as err:
            if err.code == "is_archived":
                raise ChannelStateError(messages.channel_is_already_archived(channel.name),
                                        reason="archived") from None
            raise

    def _export_and_save(self, slack: SlackClient, channel: Channel, template: str, files: SoarFiles,
                         name: str) -> tuple[dict, int, str]:
        """Steps 3–4: stream the history to a temporary file and save it; returns the attachment, the message
        count and the ts of the newest message or reply written in what was saved. The channel stays as it is
        on failure."""
        handle, path = tempfile.mkstemp(prefix="fn_slack_", suffix=".txt")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                newest = NewestSeen(slack.iter_threads(channel))
                try:
                    count = write_export(slack, channel, template, out, threads=newest)
                except ChannelStateError as err:
                    raise ChannelStateError(messages.app_removed_during_export(channel.name), err.reason) from None
                except SlackError as err:
                    if err.code not in ("not_in_channel", "channel_not_found"):
                        raise
                    raise ChannelStateError(messages.app_removed_during_export(channel.name), err.code) from None
            try:
                attachment = files.save(path, name)
            except SoarError as err:
                raise SoarError(messages.export_not_saved(str(err), channel.name)) from None
        finally:
            os.unlink(path)
        return attachment, count, newest.ts


class NewestSeen:
    """Passes ``(parent, replies)`` threads through, noting the newest ts of any message or reply written among
    them (Slack's system messages pass through unnoted, as ``SlackClient.written_after`` ignores them)."""

    def __init__(self, threads: Iterable[tuple[dict, Iterable[dict]]]) -> None:
        self.threads = threads
        self.ts = "0"

    def _see(self, message: dict) -> dict:
        if is_written(message) and ts_order(message.get("ts")) > ts_order(self.ts):
            self.ts = str(message.get("ts"))
        return message

    def __iter__(self) -> Iterator[tuple[dict, Iterator[dict]]]:
        """The threads as given, each message and reply noted as it passes."""
        for parent, replies in self.threads:
            yield self._see(parent), (self._see(reply) for reply in replies)
