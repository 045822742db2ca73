"""SlackUploads: a file shared in a channel through Slack's external upload (files.getUploadURLExternal, the
bytes POSTed to the URL Slack returns, files.completeUploadExternal), completed once.

The bytes go outside the Web API, so this is the second transport: urllib with the same TLS and proxy settings
and the same ``RetryPolicy`` as every Web API call. The facts it returns (``UploadedFile``: the share's ts, or
None while Slack has not shown the share yet) are worded by the flow.
"""

from __future__ import annotations

import logging
import time
import urllib.request
from urllib.error import HTTPError, URLError

from fn_slack.lib import messages
from fn_slack.lib.errors import RateLimitedError, SlackError, SlackUnreachableError
from fn_slack.lib.retry import TRANSIENT_STATUS, Retries, is_transient_error, retry_after_value
from fn_slack.lib.slack_client import SlackClient, channel_error
from fn_slack.lib.slack_pace import Turn
from fn_slack.lib.slack_vocabulary import Channel, UploadedFile, given, share_ts

LOG = logging.getLogger(__name__)

UPLOAD_METHOD = "files.upload"   # the line of the bytes' POST to Slack's upload URL
HTTP_TOO_MANY_REQUESTS = 429
SHARE_WAIT_SECONDS = 3.0    # how long to wait for a file share to appear before using the file's permalink


class SlackUploads:
    """The uploads of one function call's ``SlackClient`` (its transport, budget and write checks)."""

    def __init__(self, client: SlackClient, *, share_wait: float | None = None) -> None:
        self.client = client
        self.transport = client.transport
        self.share_wait = SHARE_WAIT_SECONDS if share_wait is None else share_wait

    def upload_file(self, channel: Channel, data: bytes, filename: str, title: str,  # noqa: PLR0913
                    initial_comment: str | None = None, *, check_first: bool = False,
                    thread_ts: str | None = None) -> UploadedFile:
        """Share a file in the channel with Slack's external upload flow (no copy of ``data`` is made); with
        ``thread_ts``, in that message's thread.

        The app joins a public channel first, so the upload is completed once, in a channel the app is in
        (Slack does not complete a file twice). When the completion's answer is lost, ``files.info`` says
        whether it took effect. ``check_first`` (a call that may repeat one that already shared the file)
        looks for the app's share of a file with this title among the channel's newest messages (or the
        thread's replies) first, until an earlier delivery's completion can no longer land."""
        if check_first:
            # An earlier delivery's completion may still land: waited out as a redelivered post is.
            shared = self.client.writes.await_earlier_delivery(
                lambda: self._shared_file_with_title(channel, title, thread_ts), "files.completeUploadExternal",
                lambda waited: messages.upload_uncertain(channel.name, waited))
            if shared is not None:
                return shared
        if not channel.is_private:
            self._join_before_sharing(channel)
        ticket = self.client.with_membership(
            channel, lambda: self.transport.call("files.getUploadURLExternal", filename=filename, length=len(data)))
        file_id = ticket["file_id"]
        self._send_bytes(ticket["upload_url"], data)
        file_info = self._complete(channel, file_id, {"files": [{"id": file_id, "title": title}],
                                                      "channel_id": channel.id,
                                                      **given(initial_comment=initial_comment, thread_ts=thread_ts)})
        shared_ts = self._wait_for_share(file_id, channel.id, file_info)
        permalink = (self.client.permalink_if_given(channel, shared_ts) if shared_ts else None) \
            or file_info.get("permalink", "")
        return UploadedFile(id=file_id, name=file_info.get("name") or filename, permalink=permalink,
                            share_ts=shared_ts)

    def _complete(self, channel: Channel, file_id: str, completion: dict) -> dict:
        """files.completeUploadExternal, once; returns the file as Slack describes it."""
        def complete() -> dict:
            try:
                return dict(self.transport.call("files.completeUploadExternal", json=completion).data)
            except SlackError as err:
                info = self.file_info(file_id) if err.code == "file_not_found" else None
                if info:
                    return {"files": [info]}   # an earlier, unanswered completion took effect
                raise

        def landed() -> dict | None:
            info = self.file_info(file_id)
            return {"files": [info]} if info and share_ts(info, channel.id) else None

        completed = self.client.with_membership(channel, lambda: self.client.writes.write(
            "files.completeUploadExternal", send=complete, landed=landed))
        return (completed.get("files") or [{}])[0]

    def _join_before_sharing(self, channel: Channel) -> None:
        """Join a public channel (a no-op for a member). Without ``channels:join`` the completion says it."""
        try:
            self.client.join(channel)
        except SlackError as err:
            if err.code != "missing_scope":
                raise channel_error(channel, err) from None

    def file_info(self, file_id: str) -> dict | None:
        """files.info's file, or None when Slack does not have (or no longer shows) it."""
        try:
            return dict(self.transport.call("files.info", http_verb="GET", file=file_id).get("file") or {}) or None
        except SlackError as err:
            if err.code in ("file_not_found", "file_deleted"):
                return None
            raise

    def _shared_file_with_title(self, channel: Channel, title: str, thread_ts: str | None) -> UploadedFile | None:
        """The app's share of a file titled ``title`` among the channel's newest messages (or the thread's
        replies), if there is one."""
        me = self.client.token_user_id()
        recent = self.client.with_membership(
            channel, lambda: self.client.writes.recent_messages(channel, thread_ts, None))
        for message in recent:
            if message.get("user") != me:
                continue
            for item in message.get("files") or []:
                if item.get("title") == title:
                    return UploadedFile(id=item.get("id", ""), name=item.get("name", ""), share_ts=message["ts"],
                                        permalink=self.client.permalink(channel, message["ts"]))
        return None

    def _send_bytes(self, url: str, data: bytes) -> None:
        """POST the bytes to Slack's upload URL, under the same retry policy, proxy and TLS settings as every
        Web API call. Sending the bytes again is safe: nothing is shared before the completion."""
        settings = self.client.settings
        handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=self.transport.ssl)]
        if settings.proxy:
            handlers.append(urllib.request.ProxyHandler({"http": settings.proxy, "https": settings.proxy}))
        opener = urllib.request.build_opener(*handlers)
        retries = self.transport.retry.retries()
        with self.transport.turn_in_line(UPLOAD_METHOD) as turn:
            self._send_bytes_in_turn(opener, url, data, retries, turn)

    def _send_bytes_in_turn(self, opener: urllib.request.OpenerDirector, url: str, data: bytes,  # noqa: PLR0913, PLR0917
                            retries: Retries, turn: Turn) -> None:
        """The bytes' attempts: a 429 waits out its Retry-After in the upload's line, a transient failure is
        retried with the policy's backoff."""
        settings = self.client.settings
        while True:
            self.transport.calls += 1
            # The upload URL is the URL Slack itself returned from files.getUploadURLExternal.
            request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310
                                             headers={"Content-Type": "application/octet-stream"})
            try:
                with opener.open(request, timeout=settings.timeout) as response:
                    response.read()
                    return
            except HTTPError as err:
                if err.code == HTTP_TOO_MANY_REQUESTS:
                    if not turn.refused(retry_after_value(err.headers.get("Retry-After"))):
                        raise RateLimitedError(turn.refusal or "", code="ratelimited", method=UPLOAD_METHOD) from None
                    continue
                transient = err.code in TRANSIENT_STATUS
                detail = f"HTTP {err.code}"
            except (URLError, OSError) as err:
                if not is_transient_error(err):
                    raise SlackUnreachableError(messages.upload_tls_refused(str(getattr(err, "reason", err))),
                                                method="files.upload") from None
                transient = True
                detail = str(getattr(err, "reason", err))
            if not transient or not retries.next():
                raise SlackUnreachableError(messages.upload_failed(detail), method="files.upload")

    def _wait_for_share(self, file_id: str, channel_id: str, file_info: dict) -> str | None:
        """The ts of the message sharing the file; Slack may add it a moment after the upload completes. A
        files.info failure ends the wait: the file is shared, only its link falls back to the file's own."""
        deadline = time.monotonic() + self.share_wait
        delay = 0.1
        while True:
            shared_ts = share_ts(file_info, channel_id)
            if shared_ts or time.monotonic() >= deadline:
                return shared_ts
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
            try:
                file_info = self.file_info(file_id) or {}
            except (SlackError, SlackUnreachableError) as err:
                LOG.info("files.info failed while waiting for the share of %s: %s", file_id, err)
                return None
