"""The slack_post_attachment flow: choose the SOAR file, check it, upload it to the decided channel (§3.4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fn_slack.lib import inputs, messages
from fn_slack.lib.channel_post import ChannelPost, PostOutcome, PostRequest
from fn_slack.lib.errors import InputError
from fn_slack.lib.invocation import Invocation
from fn_slack.lib.message_format import MAX_TEXT_CHARS, render_comment
from fn_slack.lib.post_threads import ThreadChoice
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_uploads import SlackUploads
from fn_slack.lib.slack_vocabulary import UploadedFile
from fn_slack.lib.soar.files import SoarFiles
from fn_slack.lib.soar.links import ConversationsTable
from fn_slack.lib.soar.seals import Sealer
from fn_slack.lib.text_conventions import strip_invisible


@dataclass(frozen=True)
class AttachmentRequest:
    """slack_post_attachment's inputs: the common post inputs plus which file."""

    post: PostRequest
    artifact_id: int | None
    attachment_id: int | None
    thread: bool | None = None  # slack_thread (3.x): Yes shares the file in the thread of the link's first message
    comment: str | None = None  # slack_text as the file's comment, made safe (message_format.render_comment)

    @classmethod
    def from_inputs(cls, fn_inputs: object) -> AttachmentRequest:
        """Read and check the inputs (an InputError names the first bad one)."""
        post = PostRequest.from_inputs(fn_inputs)
        if post.text and len(post.text) > MAX_TEXT_CHARS:
            raise InputError(messages.file_comment_too_long(len(post.text), MAX_TEXT_CHARS))
        comment = render_comment(post.text)
        if comment and len(comment) > MAX_TEXT_CHARS:
            raise InputError(messages.file_comment_too_long(len(comment), MAX_TEXT_CHARS))
        return cls(post=post,
                   artifact_id=inputs.record_id("artifact_id", getattr(fn_inputs, "artifact_id", None)),
                   attachment_id=inputs.record_id("attachment_id", getattr(fn_inputs, "attachment_id", None)),
                   thread=inputs.flag(getattr(fn_inputs, "slack_thread", None), "slack_thread"),
                   comment=comment)


class AttachmentPost:
    """Uploads one SOAR file; ``run`` yields status messages, then the ``PostOutcome``."""

    def __init__(self, settings: SlackSettings, rest_client: object,
                 tables: Callable[[int], ConversationsTable] | None = None) -> None:
        self.settings = settings
        self.rest = rest_client
        sealer = Sealer(settings.seal_secret)
        self.tables = tables or (lambda incident_id: ConversationsTable(rest_client, incident_id, sealer))

    def run(self, request: AttachmentRequest,
            invocation: Invocation | None = None) -> Iterator[str | AttachmentOutcome]:
        """Check the file (its real bytes, before any channel is created or anyone invited), decide the channel,
        upload (once), link."""
        invocation = invocation or Invocation.fresh()
        post, limit = request.post, self.settings.max_upload_bytes
        files = SoarFiles(self.rest, post.incident_id, post.task_id)
        soar_file = files.describe(request.artifact_id, request.attachment_id)
        if soar_file.is_malware_sample and not self.settings.allow_malware_samples:
            raise InputError(messages.malware_sample_refused(request.artifact_id))
        if soar_file.size is not None and soar_file.size > limit:
            raise InputError(messages.file_over_limit_declared(soar_file.name, soar_file.size, limit))
        data = files.download(soar_file)
        if len(data) > limit:
            raise InputError(messages.file_over_limit_downloaded(soar_file.name, len(data), limit))
        if not data:
            raise InputError(messages.file_is_empty(soar_file.name))

        slack = SlackClient(self.settings)
        with ChannelPost(slack, self.tables(post.incident_id), post).enter() as target:
            yield from target.notices
            # The file's name is SOAR data: shown in Slack without bidi controls or zero-width characters, so that
            # "invoice\u202egnp.exe" cannot pass for "invoiceexe.png" (Slack shows a file's name and title as typed).
            name = strip_invisible(soar_file.name)
            title = f"Incident ID {post.incident_id} {soar_file.kind} Attachment: {name}"
            thread = ThreadChoice.of(request.thread, target.link, target.channel.id)
            shared: list[UploadedFile] = []
            held = [data]  # the bytes, released right after the upload
            del data

            uploads = SlackUploads(slack)

            def send(thread_ts: str | None) -> str:
                shared.append(uploads.upload_file(target.channel, held[0], name, title, request.comment,
                                                  check_first=invocation.redelivered, thread_ts=thread_ts))
                return shared[-1].share_ts or ""

            notices: list[str] = []
            thread.post(send, post.object_label, notices)
            held.clear()
            uploaded = shared[-1]
            yield from notices
            if not uploaded.share_seen:
                yield messages.share_not_shown_yet()
            user_info = slack.member_descriptions(target.channel) if self.settings.result_user_info else []
            outcome = target.finish(uploaded.permalink, uploaded.share_ts or "", user_info,
                                    thread_ts=thread.root_ts(uploaded.share_ts))
        yield from outcome.notices
        kept = thread.status(outcome.link, outcome.channel, uploaded.share_ts or "", post.object_label)
        if kept:
            yield kept
        yield messages.file_uploaded(soar_file.name, outcome.channel.name)
        yield AttachmentOutcome(outcome, file_id=uploaded.id, file_name=uploaded.name)


@dataclass(frozen=True)
class AttachmentOutcome:
    """A post's outcome plus the file Slack holds now."""

    post: PostOutcome
    file_id: str
    file_name: str

    @property
    def user_info(self) -> list[str]:
        """The channel's human members as IBM 2.1 listed them (empty unless configured)."""
        return self.post.user_info

    def result(self) -> dict:
        """The post result with ``file_id`` and ``file_name``."""
        return {**self.post.result(), "file_id": self.file_id, "file_name": self.file_name}
