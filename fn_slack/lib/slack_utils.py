"""SlackUtils: every Slack Web API call fn_slack makes, over one slack_sdk WebClient with the retry policy."""

from __future__ import annotations

import logging
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from fn_slack.lib.errors import RateLimitedError, SlackError
from fn_slack.lib.history_export import is_thread_parent, user_display_name
from fn_slack.lib.retry import BudgetedRateLimitHandler, BudgetedTransientErrorHandler, WaitBudget
from fn_slack.lib.settings import SlackSettings

LOG = logging.getLogger(__name__)
# slack_sdk logs whole requests and responses (user profiles, e-mails) when its logger's own level is DEBUG;
# fn_slack's client logger stays at INFO whatever the app's log level, so debug logs hold no workspace data.
SDK_LOG = logging.getLogger("fn_slack.slack_sdk")
SDK_LOG.setLevel(logging.INFO)

INVITE_BATCH = 100          # Slack documents 1000, one mirror says 100: the safe size
FIRST_LIST_PAGE = 200       # a name early in the listing is found without fetching a large page...
LIST_PAGE = 1000            # ...and the rest of a search takes the fewest pages (conversations.list maximum)
USER_ID_TTL = 900           # seconds an e-mail → user ID answer is reused for later invitations
HISTORY_PAGE = 999          # conversations.history / replies maximum
SHARE_WAIT_SECONDS = 3.0    # how long to wait for a file share to appear before using the file's permalink

# Slack's answers that a user can act on, in words a SOAR user understands.
_EXPLANATIONS = {
    "invalid_auth": "Slack rejected the api_token in [fn_slack] (invalid_auth): check the token in app.config.",
    "not_authed": "Slack received no token: set api_token in the [fn_slack] section of app.config.",
    "token_revoked": "The Slack token in [fn_slack] api_token has been revoked (token_revoked): "
                     "reinstall the Slack app and update app.config.",
    "token_expired": "The Slack token in [fn_slack] api_token has expired (token_expired): update app.config.",
    "account_inactive": "The Slack token belongs to a deactivated user or app (account_inactive): "
                        "update [fn_slack] api_token.",
    "not_allowed_token_type": "This Slack token type cannot call {method} (not_allowed_token_type): "
                              "use a bot token (xoxb-) in [fn_slack] api_token.",
    "method_deprecated": "Slack has retired {method} (method_deprecated).",
    "restricted_action": "A workspace admin setting forbids {method} for this app (restricted_action).",
}


@dataclass(frozen=True)
class Channel:
    """A Slack channel as fn_slack needs it."""

    id: str
    name: str
    is_private: bool
    is_archived: bool = False

    @property
    def channel_type(self) -> str:
        return "Private" if self.is_private else "Public"

    @classmethod
    def from_slack(cls, data: dict) -> Channel:
        return cls(id=data["id"], name=data.get("name", ""),
                   is_private=bool(data.get("is_private") or data.get("is_group")),
                   is_archived=bool(data.get("is_archived")))


@dataclass
class InviteOutcome:
    """What became of the participant e-mails."""

    invited: list[str]
    already_members: list[str]
    unknown: list[str]
    failed: dict[str, str]


@dataclass(frozen=True)
class UploadedFile:
    id: str
    name: str
    permalink: str
    share_ts: str | None


class _ChannelDirectory:
    """Process-wide name → channel memory, so a name is searched in the workspace once, not on every post."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_workspace: dict[tuple[str, int], dict[str, Channel]] = {}

    def get(self, workspace: tuple[str, int], name: str) -> Channel | None:
        with self._lock:
            return self._by_workspace.get(workspace, {}).get(name)

    def remember(self, workspace: tuple[str, int], channels: Iterable[Channel]) -> None:
        with self._lock:
            known = self._by_workspace.setdefault(workspace, {})
            for channel in channels:
                known[channel.name] = channel

    def forget(self, workspace: tuple[str, int], name: str) -> None:
        with self._lock:
            self._by_workspace.get(workspace, {}).pop(name, None)

    def clear(self) -> None:
        with self._lock:
            self._by_workspace.clear()


CHANNEL_DIRECTORY = _ChannelDirectory()


class _UserIds:
    """Process-wide e-mail → user ID answers of users.lookupByEmail, reused for ``USER_ID_TTL`` seconds.

    Only members found are remembered: an e-mail Slack did not know is asked again next time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[tuple[tuple[str, int], str], tuple[str, float]] = {}

    def get(self, workspace: tuple[str, int], email: str) -> str | None:
        with self._lock:
            entry = self._known.get((workspace, email.lower()))
        if entry is None or time.monotonic() - entry[1] > USER_ID_TTL:
            return None
        return entry[0]

    def remember(self, workspace: tuple[str, int], email: str, user_id: str) -> None:
        with self._lock:
            self._known[(workspace, email.lower())] = (user_id, time.monotonic())

    def forget(self, workspace: tuple[str, int], user_id: str) -> None:
        with self._lock:
            for key in [k for k, (uid, _) in self._known.items() if k[0] == workspace and uid == user_id]:
                del self._known[key]

    def clear(self) -> None:
        with self._lock:
            self._known.clear()


USER_IDS = _UserIds()


class SlackUtils:
    """One function call's conversation with Slack. Create one per call: it owns that call's wait budget."""

    def __init__(self, settings: SlackSettings, *, budget: WaitBudget | None = None,
                 share_wait: float | None = None):
        self.settings = settings
        self.budget = budget or WaitBudget(settings.max_rate_limit_wait)
        self.share_wait = SHARE_WAIT_SECONDS if share_wait is None else share_wait
        self._ssl = settings.ssl_context()
        self.client = WebClient(
            token=settings.token,
            base_url=settings.api_url,
            timeout=settings.timeout,
            ssl=self._ssl,
            proxy=settings.proxy,
            logger=SDK_LOG,
            retry_handlers=[BudgetedRateLimitHandler(self.budget), BudgetedTransientErrorHandler(self.budget)],
        )
        self._users: dict[str, str] = {}
        self._workspace_key = (settings.api_url, hash(settings.token))
        self.calls = 0

    # ------------------------------------------------------------------ transport
    def call(self, method: str, *, http_verb: str = "POST", json: dict | None = None,
             **params: Any) -> SlackResponse:
        """Call a Web API method; Slack refusals become ``SlackError`` with Slack's error code."""
        params = {k: v for k, v in params.items() if v is not None}
        self.calls += 1
        try:
            if json is not None:
                return self.client.api_call(method, http_verb="POST", json=json)
            return self.client.api_call(method, http_verb=http_verb, params=params)
        except SlackApiError as err:
            raise self._translate(method, err) from None
        except (URLError, OSError, SlackClientError) as err:
            reason = getattr(err, "reason", None) or err
            raise SlackError(f"Could not reach Slack at {self.settings.api_url} for {method}: {reason}. "
                             f"Check the network, proxy settings and [fn_slack] slack_api_url.",
                             code="connection_error") from None

    def _translate(self, method: str, err: SlackApiError) -> SlackError:
        response = err.response
        status = getattr(response, "status_code", None)
        data = response.data if isinstance(getattr(response, "data", None), dict) else {}
        code = data.get("error") or ""
        if status == 429 or code == "ratelimited":
            return RateLimitedError(
                f"Slack rate-limited {method} and the wait allowed per call ([fn_slack] max_rate_limit_wait = "
                f"{self.settings.max_rate_limit_wait:g} s) is used up; run the action again later or raise "
                f"max_rate_limit_wait.", code="ratelimited")
        if status and status >= 500 or (not code and status != 200):
            return SlackError(f"Slack failed to answer {method} (HTTP {status}) after retrying; "
                              f"try again later.", code=f"http_{status}")
        if code == "missing_scope":
            needed = data.get("needed") or "?"
            return SlackError(f"The Slack app lacks the scope '{needed}' needed for {method} (missing_scope): "
                              f"add it to the app's bot token scopes and reinstall the app.", code=code)
        template = _EXPLANATIONS.get(code)
        if template:
            return SlackError(template.format(method=method), code=code)
        return SlackError(f"Slack refused {method}: {code}.", code=code)

    # ------------------------------------------------------------------ identity
    def auth_test(self) -> dict:
        """Who the token is: team, url, user_id, bot_id."""
        return dict(self.call("auth.test").data)

    # ------------------------------------------------------------------ channels
    def channel_info(self, channel_id: str) -> Channel:
        """The channel with this ID; ``channel_not_found`` (or not visible) → SlackError."""
        try:
            data = self.call("conversations.info", http_verb="GET", channel=channel_id)
        except SlackError as err:
            if err.code == "channel_not_found":
                raise SlackError(f"Slack channel ID {channel_id} does not exist or the Slack app cannot see it "
                                 f"(for a private channel, invite the app to it first). Check slack_channel_id.",
                                 code=err.code) from None
            raise
        return Channel.from_slack(data["channel"])

    def remembers_channel(self, name: str) -> bool:
        """Whether an earlier search in this process already found a channel with this name."""
        return CHANNEL_DIRECTORY.get(self._workspace_key, name) is not None

    def find_channel_by_name(self, name: str) -> Channel | None:
        """The channel called ``name`` that the token can see (archived ones included), or None.

        Remembers every channel it pages past, stops at the first match, and checks a remembered
        channel with one ``conversations.info`` instead of searching again."""
        remembered = CHANNEL_DIRECTORY.get(self._workspace_key, name)
        if remembered is not None:
            try:
                current = self.channel_info(remembered.id)
            except SlackError as err:
                if err.code != "channel_not_found":
                    raise
                current = None
            if current is not None and current.name == name:
                return current
            CHANNEL_DIRECTORY.forget(self._workspace_key, name)

        cursor = None
        while True:
            page = self.call("conversations.list", http_verb="GET", types="public_channel,private_channel",
                             exclude_archived="false", limit=LIST_PAGE if cursor else FIRST_LIST_PAGE,
                             cursor=cursor)
            channels = [Channel.from_slack(c) for c in page.get("channels", [])]
            CHANNEL_DIRECTORY.remember(self._workspace_key, channels)
            for channel in channels:
                if channel.name == name:
                    return channel
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def create_channel(self, name: str, is_private: bool) -> Channel:
        """Create the channel; the app's bot user becomes its first member."""
        try:
            data = self.call("conversations.create", name=name, is_private="true" if is_private else "false")
        except SlackError as err:
            if err.code == "name_taken":
                raise SlackError(
                    f"Slack channel name #{name} is taken by a channel the Slack app cannot see: an archived "
                    f"channel or a private channel the app is not a member of. Invite the app to that private "
                    f"channel (/invite @app in Slack), or give another slack_channel.", code=err.code) from None
            if err.code and err.code.startswith("invalid_name"):
                raise SlackError(f"Slack refused the channel name #{name} ({err.code}): use lowercase letters, "
                                 f"digits, '-' and '_', at most 80 characters.", code=err.code) from None
            raise
        channel = Channel.from_slack(data["channel"])
        CHANNEL_DIRECTORY.remember(self._workspace_key, [channel])
        return channel

    def join(self, channel: Channel) -> None:
        """Join a public channel the app is not in yet (private channels need an invitation)."""
        self.call("conversations.join", channel=channel.id)

    def archive(self, channel: Channel) -> bool:
        """Archive the channel; False when it already was (a rerun after a crash finishes cleanly)."""
        try:
            self._with_membership(channel, lambda: self.call("conversations.archive", channel=channel.id))
        except SlackError as err:
            if err.code == "already_archived":
                return False
            raise
        CHANNEL_DIRECTORY.forget(self._workspace_key, channel.name)
        return True

    def _with_membership(self, channel: Channel, action):
        """Run ``action``; if Slack says the app is not in the (public) channel, join it and run it again."""
        try:
            return action()
        except SlackError as err:
            if err.code != "not_in_channel":
                raise self._channel_error(channel, err) from None
            if channel.is_private:
                raise SlackError(f"The Slack app is not a member of the private channel #{channel.name}: invite "
                                 f"it to the channel in Slack, then run the action again.", code=err.code) from None
            self.join(channel)
            try:
                return action()
            except SlackError as again:
                raise self._channel_error(channel, again) from None

    @staticmethod
    def _channel_error(channel: Channel, err: SlackError) -> SlackError:
        if err.code == "is_archived":
            return SlackError(f"Slack channel #{channel.name} is archived and cannot be used: give another "
                              f"slack_channel.", code=err.code)
        if err.code == "channel_not_found":
            return SlackError(f"Slack channel #{channel.name} ({channel.id}) no longer exists or the Slack app "
                              f"cannot see it: give another slack_channel, or invite the app to the channel.",
                              code=err.code)
        return err

    # ------------------------------------------------------------------ people
    def lookup_user_ids(self, emails: Iterable[str]) -> tuple[dict[str, str], list[str]]:
        """E-mail → user ID for workspace members; the e-mails Slack does not know come back separately."""
        found: dict[str, str] = {}
        unknown: list[str] = []
        for email in emails:
            remembered = USER_IDS.get(self._workspace_key, email)
            if remembered:
                found[email] = remembered
                continue
            try:
                data = self.call("users.lookupByEmail", http_verb="GET", email=email)
            except SlackError as err:
                if err.code in ("users_not_found", "user_not_found"):
                    unknown.append(email)
                    continue
                raise
            found[email] = data["user"]["id"]
            USER_IDS.remember(self._workspace_key, email, found[email])
        return found, unknown

    def invite_by_email(self, channel: Channel, emails: list[str]) -> InviteOutcome:
        """Invite the workspace members with these e-mails, in as few calls as Slack allows."""
        found, unknown = self.lookup_user_ids(emails)
        outcome = InviteOutcome(invited=[], already_members=[], unknown=unknown, failed={})
        email_of = {uid: email for email, uid in found.items()}
        user_ids = list(email_of)
        for start in range(0, len(user_ids), INVITE_BATCH):
            batch = user_ids[start:start + INVITE_BATCH]
            data = self._with_membership(channel, lambda b=batch: self._invite_batch(channel, b))
            refused = {e.get("user"): e.get("error", "") for e in (data.get("errors") or []) if e.get("user")}
            for uid in batch:
                reason = refused.get(uid)
                if reason is None:
                    outcome.invited.append(email_of[uid])
                elif reason in ("already_in_channel", "cant_invite_self"):
                    outcome.already_members.append(email_of[uid])
                else:
                    # A deactivated or removed user: look the e-mail up afresh next time.
                    USER_IDS.forget(self._workspace_key, uid)
                    outcome.failed[email_of[uid]] = reason
        return outcome

    def _invite_batch(self, channel: Channel, user_ids: list[str]) -> dict:
        try:
            return dict(self.call("conversations.invite", channel=channel.id, users=",".join(user_ids),
                                  force="true").data)
        except SlackError as err:
            # Without per-user detail (an old workspace ignoring `force`), a lone member is not an error.
            if err.code in ("already_in_channel", "cant_invite_self"):
                return {"errors": [{"user": uid, "error": err.code} for uid in user_ids]}
            raise

    def user_name(self, user_id: str) -> str:
        """The name the export shows for a user, looked up once per call (display, real, user name)."""
        if user_id not in self._users:
            try:
                data = self.call("users.info", http_verb="GET", user=user_id)
                self._users[user_id] = user_display_name(data.get("user") or {})
            except SlackError as err:
                if err.code not in ("user_not_found", "users_not_found"):
                    raise
                self._users[user_id] = ""
        return self._users[user_id]

    # ------------------------------------------------------------------ messages
    def post_message(self, channel: Channel, text: str, *, attachments: list[dict] | None = None,
                     username: str | None = None, as_user: bool = False, mrkdwn: bool = True,
                     notices: list[str] | None = None) -> str:
        """Post to the channel and return the message ``ts``.

        A username override that the app's scopes do not allow is dropped (and said in ``notices``)."""
        payload: dict[str, Any] = {"channel": channel.id, "text": text, "parse": "none", "link_names": 1,
                                   "mrkdwn": bool(mrkdwn)}
        if attachments:
            payload["attachments"] = attachments
        if as_user:
            if self.settings.token.startswith("xoxp-"):
                payload["as_user"] = True
        elif username:
            payload["username"] = username

        def send() -> SlackResponse:
            try:
                return self.call("chat.postMessage", json=payload)
            except SlackError as err:
                if err.code == "missing_scope" and "username" in payload:
                    payload.pop("username")
                    if notices is not None:
                        notices.append(f"Posted as the Slack app instead of '{username}': the app lacks the "
                                       f"chat:write.customize scope needed to set the author name.")
                    return self.call("chat.postMessage", json=payload)
                raise

        response = self._with_membership(channel, send)
        return response["ts"]

    def permalink(self, channel: Channel, ts: str) -> str:
        return self.call("chat.getPermalink", http_verb="GET", channel=channel.id, message_ts=ts)["permalink"]

    # ------------------------------------------------------------------ files
    def upload_file(self, channel: Channel, data: bytes, filename: str, title: str,
                    initial_comment: str | None = None) -> UploadedFile:
        """Share a file in the channel with Slack's external upload flow (no copy of ``data`` is made)."""
        ticket = self._with_membership(
            channel, lambda: self.call("files.getUploadURLExternal", filename=filename, length=len(data)))
        self._send_upload(ticket["upload_url"], data)
        completed = self._with_membership(channel, lambda: self.call(
            "files.completeUploadExternal", json={"files": [{"id": ticket["file_id"], "title": title}],
                                                  "channel_id": channel.id,
                                                  **({"initial_comment": initial_comment} if initial_comment else {})}))
        file_info = (completed.get("files") or [{}])[0]
        share_ts = self._wait_for_share(ticket["file_id"], channel.id, file_info)
        permalink = file_info.get("permalink", "")
        if share_ts:
            permalink = self.permalink(channel, share_ts)
        return UploadedFile(id=ticket["file_id"], name=file_info.get("name") or filename, permalink=permalink,
                            share_ts=share_ts)

    def _send_upload(self, url: str, data: bytes) -> None:
        handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=self._ssl)]
        if self.settings.proxy:
            handlers.append(urllib.request.ProxyHandler({"http": self.settings.proxy,
                                                         "https": self.settings.proxy}))
        opener = urllib.request.build_opener(*handlers)
        attempt = 0
        while True:
            self.calls += 1
            # The upload URL is the https URL Slack itself returned from files.getUploadURLExternal.
            request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310
                                             headers={"Content-Type": "application/octet-stream"})
            try:
                with opener.open(request, timeout=self.settings.timeout) as response:
                    response.read()
                    return
            except HTTPError as err:
                transient = err.code in (429, 500, 502, 503, 504)
                detail = f"HTTP {err.code}"
            except (URLError, OSError) as err:
                transient = True
                detail = str(getattr(err, "reason", err))
            attempt += 1
            if not transient or attempt > 4 or not self.budget.try_wait(0.25 * 2 ** attempt):
                raise SlackError(f"Uploading the file to Slack failed ({detail}); nothing was shared. "
                                 f"Run the action again.", code="upload_failed")

    def _wait_for_share(self, file_id: str, channel_id: str, file_info: dict) -> str | None:
        """The ts of the message sharing the file; Slack may add it a moment after the upload completes."""
        deadline = time.monotonic() + self.share_wait
        delay = 0.1
        while True:
            share_ts = _share_ts(file_info, channel_id)
            if share_ts or time.monotonic() >= deadline:
                return share_ts
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
            file_info = self.call("files.info", http_verb="GET", file=file_id).get("file") or {}

    # ------------------------------------------------------------------ history
    def iter_threads(self, channel: Channel) -> Iterator[tuple[dict, Iterator[dict]]]:
        """Top-level messages newest first, each with an iterator over its thread replies oldest first."""
        cursor = None
        while True:
            page = self._with_membership(channel, lambda c=cursor: self.call(
                "conversations.history", http_verb="GET", channel=channel.id, limit=HISTORY_PAGE, cursor=c))
            for message in page.get("messages", []):
                # write_history leaves out replies also sent to the channel: they appear inside their thread.
                replies = self._iter_replies(channel, message["ts"]) if is_thread_parent(message) else iter(())
                yield message, replies
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def newest_message(self, channel: Channel) -> dict | None:
        """The channel's latest top-level message, or None for an empty channel."""
        page = self._with_membership(channel, lambda: self.call(
            "conversations.history", http_verb="GET", channel=channel.id, limit=1))
        messages = page.get("messages") or []
        return messages[0] if messages else None

    def _iter_replies(self, channel: Channel, thread_ts: str) -> Iterator[dict]:
        """The thread as conversations.replies pages it (the parent leads; write_history skips it)."""
        cursor = None
        while True:
            page = self.call("conversations.replies", http_verb="GET", channel=channel.id, ts=thread_ts,
                             limit=HISTORY_PAGE, cursor=cursor)
            yield from page.get("messages", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def author_name(self, message: dict) -> str:
        """The export's author: a bot message's username, else the user's name, else empty."""
        if message.get("username"):
            return message["username"]
        if message.get("user"):
            return self.user_name(message["user"])
        return (message.get("bot_profile") or {}).get("name", "")


def _share_ts(file_info: dict, channel_id: str) -> str | None:
    shares = file_info.get("shares") or {}
    for kind in ("public", "private"):
        entries = (shares.get(kind) or {}).get(channel_id) or []
        if entries:
            return entries[0].get("ts")
    return None
