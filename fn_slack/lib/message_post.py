"""The slack_post_message flow: render slack_text, post it to the decided channel, link it (behavior.md §3.3).

With ``slack_mirror`` Yes, a channel already mirrored into another incident or task (``soar.routes``: its
sealed link, the first linked) is refused before anything is posted, with a note in both incidents: a channel
mirrors into one incident or task."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fn_slack.lib import inputs, messages
from fn_slack.lib.channel_post import ChannelPost, PostOutcome, PostRequest
from fn_slack.lib.errors import ChannelStateError, InputError, SoarError
from fn_slack.lib.invocation import Invocation
from fn_slack.lib.message_format import render_message
from fn_slack.lib.post_threads import ThreadChoice, post_direct, styled
from fn_slack.lib.route_notes import post_refused_notes_html, route_key, route_marker
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_vocabulary import PostedMessage
from fn_slack.lib.soar.files import SoarFiles
from fn_slack.lib.soar.incidents import MirrorIndex, Notes
from fn_slack.lib.soar.links import ConversationsTable, res_id
from fn_slack.lib.soar.mirror_log import check_mirroring_ready
from fn_slack.lib.soar.routes import read_routes
from fn_slack.lib.soar.seals import Sealer
from fn_slack.lib.text_conventions import strip_invisible


@dataclass(frozen=True)
class MessageRequest:
    """slack_post_message's inputs: the common post inputs plus how the message is authored and formatted."""

    post: PostRequest
    mrkdwn: bool | None
    as_user: bool | None
    username: str | None
    mirror: bool | None = None  # slack_mirror (3.x): Yes turns mirroring of the linked channel on
    thread: bool | None = None  # slack_thread (3.x): Yes replies in the thread of the link's first message
    direct: bool | None = None  # slack_direct (3.x): Yes posts to slack_participant_emails in a direct message

    @classmethod
    def from_inputs(cls, fn_inputs: object) -> MessageRequest:
        """Read and check the inputs (an InputError names the first bad one)."""
        post = PostRequest.from_inputs(fn_inputs)
        if not post.text:
            raise InputError(messages.empty_slack_text())
        return cls(post=post,
                   mrkdwn=inputs.flag(getattr(fn_inputs, "slack_mrkdwn", None), "slack_mrkdwn"),
                   as_user=inputs.flag(getattr(fn_inputs, "slack_as_user", None), "slack_as_user"),
                   username=_shown_name(inputs.text_input(getattr(fn_inputs, "slack_username", None))),
                   mirror=inputs.flag(getattr(fn_inputs, "slack_mirror", None), "slack_mirror"),
                   thread=inputs.flag(getattr(fn_inputs, "slack_thread", None), "slack_thread"),
                   direct=inputs.flag(getattr(fn_inputs, "slack_direct", None), "slack_direct"))


def _shown_name(username: str | None) -> str | None:
    """slack_username as the post's shown name: Slack shows it as typed (no mention, no link), so it only loses
    bidi controls and zero-width characters, which would make it read as something else."""
    return strip_invisible(username) if username else username


class MessagePost:
    """Posts one message; ``run`` yields status messages, then the ``PostOutcome``."""

    def __init__(self, settings: SlackSettings, rest_client: object, soar_link: Callable[[int, int | None], str],
                 tables: Callable[[int], ConversationsTable] | None = None) -> None:
        self.settings = settings
        self.rest = rest_client
        self.soar_link = soar_link
        self.sealer = Sealer(settings.seal_secret)
        self.tables = tables or (lambda incident_id: ConversationsTable(rest_client, incident_id, self.sealer))

    def run(self, request: MessageRequest, invocation: Invocation | None = None) -> Iterator[str | PostOutcome]:
        """Render, decide the channel, post (once: see ``SlackWrites.post``), fetch the permalink, link."""
        invocation = invocation or Invocation.fresh()
        post = request.post
        SoarFiles(self.rest, post.incident_id, post.task_id).check_task()
        if request.mirror:
            check_mirroring_ready(self.rest)   # before anything is written to Slack
        message = render_message(post.text, self.soar_link)
        slack = SlackClient(self.settings)
        if request.direct:
            outcome = yield from post_direct(slack, post, message, self.settings, username=request.username,
                                             as_user=request.as_user, mrkdwn=request.mrkdwn)
            yield outcome
            return
        vet = (lambda target: self._one_incident(target, post, invocation)) if request.mirror else None
        with ChannelPost(slack, self.tables(post.incident_id), post).enter(vet) as target:
            yield from target.notices
            notices: list[str] = []
            thread = ThreadChoice.of(request.thread, target.link, target.channel.id)
            blocks, attachments = styled(message, self.settings.message_style)
            username = None if request.as_user else (request.username or self.settings.username)
            posted: list[PostedMessage] = []

            def send(thread_ts: str | None) -> str:
                posted.append(slack.post_message(
                    target.channel, message.text, attachments=attachments, username=username,
                    as_user=bool(request.as_user), mrkdwn=request.mrkdwn is not False,
                    key=invocation.key, check_first=invocation.redelivered, blocks=blocks, thread_ts=thread_ts))
                return posted[-1].ts

            ts = thread.post(send, post.object_label, notices)
            yield from notices
            if posted[-1].username_dropped:
                yield messages.posted_as_app(username or "")
            url = slack.permalink_if_given(target.channel, ts)
            if url is None:
                yield messages.permalink_unavailable(target.channel.name)
            user_info = slack.member_descriptions(target.channel) if self.settings.result_user_info else []
            outcome = target.finish(url or "", ts, user_info, thread_ts=thread.root_ts(ts), mirror=bool(request.mirror))
        yield from outcome.notices
        statuses = [thread.status(outcome.link, outcome.channel, ts, post.object_label),
                    self._index_mirror(outcome, post) if request.mirror else None]
        yield from (status for status in statuses if status)
        yield messages.message_posted(outcome.channel.name, post.object_label, outcome.linked)
        yield outcome

    def _one_incident(self, target: ChannelPost, post: PostRequest, invocation: Invocation) -> None:
        """Before anyone is invited or anything posted: refuse to mirror a channel that already mirrors into
        another incident or task (its link fn_slack sealed, the first linked), with a note in both incidents. A
        post to another channel than the link's does not turn mirroring on (``_index_mirror``): not checked."""
        channel = target.channel
        if target.link is not None and not target.link.names(channel.name, channel.id):
            return
        decision = read_routes(self.rest, self.sealer, channel.id)
        if not decision.mirrored_elsewhere(res_id(post.incident_id, post.task_id)):
            return
        owner = decision.route
        key = route_key(channel.id, "post", invocation.key)
        here_html, owner_html = post_refused_notes_html(channel.id, channel.name, post.object_label, owner.label, key)
        notes = Notes(self.rest)
        for incident_id, html_text in ((post.incident_id, here_html), (owner.incident_id, owner_html)):
            with contextlib.suppress(SoarError):   # the refusal stands whether or not its notes can be written
                notes.add(incident_id, None, html_text, marker=route_marker(key))
        raise ChannelStateError(messages.channel_mirrored_elsewhere(channel.name, channel.id, owner.label,
                                                                    post.object_label), reason="mirrored_elsewhere")

    def _index_mirror(self, outcome: PostOutcome, post: PostRequest) -> str | None:
        """After the link's write, once: put a mirrored channel into the incident's index field (the listener's
        way from a channel to its incident). Returns the status message (None: the write's notice says it)."""
        if not outcome.links_channel:
            # The post went to another channel than the link's (slack_channel_id, or a named channel while a
            # link exists): only the linked channel mirrors, so say so instead of mirroring a stray channel.
            return messages.mirror_needs_link(outcome.channel.name, post.object_label)
        if not outcome.link.mirror or not outcome.link.intact:
            return None   # the table lacks a 3.x column yet: the write's notice says how to finish the upgrade
        MirrorIndex(self.rest).add(post.incident_id, outcome.channel.id)
        return messages.mirror_on(outcome.channel.name, post.object_label)
