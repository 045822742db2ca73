"""SlackClient: the Slack Web API methods fn_slack uses — who the token is, channels, people, posts, permalinks,
history — over one function call's ``SlackTransport``.

The Slack edge: it knows Slack's methods, shapes, error codes and paging, and nothing about SOAR. It returns
facts (``slack_vocabulary``) and raises fn_slack's errors; it never words a status message. Its writes are made
once by ``SlackWrites``; the file upload is ``SlackUploads``; what the process remembers is ``slack_memory``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from slack_sdk.web import SlackResponse

from fn_slack.lib import messages
from fn_slack.lib.errors import ChannelStateError, SlackError, SlackUnreachableError
from fn_slack.lib.retry import WaitBudget
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_memory import CHANNEL_DIRECTORY, TOKEN_USERS, USER_IDS
from fn_slack.lib.slack_transport import SlackTransport
from fn_slack.lib.slack_vocabulary import (
    Channel,
    InviteOutcome,
    PostedMessage,
    given,
    is_thread_parent,
    is_written,
    ts_order,
    user_display_name,
)
from fn_slack.lib.slack_writes import NO_SUCH_USER, POST_EVENT_TYPE, PostMark, SlackWrites

LOG = logging.getLogger(__name__)
V = TypeVar("V")

FIRST_LIST_PAGE = 200       # a name early in the listing is found without fetching a large page...
LIST_PAGE = 999             # ...and the rest of a search takes the fewest pages (conversations.list: "under 1000")
HISTORY_PAGE = 999          # conversations.history / replies maximum
NEWEST_LOOKBACK = 20        # how many of a channel's newest messages are searched for the newest written
USER_TOKEN_PREFIX = "xoxp-"  # noqa: S105 - the kind of token, not a secret


class SlackClient:
    """One function call's conversation with Slack. Create one per call: its transport owns the wait budget."""

    def __init__(self, settings: SlackSettings, *, budget: WaitBudget | None = None) -> None:
        self.settings = settings
        self.transport = SlackTransport(settings, budget)
        self.writes = SlackWrites(self)
        self._users: dict[str, dict] = {}
        self.workspace = (settings.api_url, hash(settings.token))

    def call(self, method: str, *, http_verb: str = "POST", json: dict | None = None,
             **params: object) -> SlackResponse:
        """Call a Web API method (``SlackTransport.call``)."""
        return self.transport.call(method, http_verb=http_verb, json=json, **params)

    def waited_seconds(self) -> float:
        """How long this call has waited so far in Slack's rate-limit line and before retries (its budget spent)."""
        return self.transport.budget.spent

    # ------------------------------------------------------------------ identity
    def auth_test(self) -> dict:
        """Who the token is: team, url, user_id, bot_id. The token's own user and team are remembered for the
        process (``token_user_id``, ``SlackPeople.home_team``), whoever asked."""
        answer = dict(self.call("auth.test").data)
        known = [(name, str(answer[key])) for name, key in (("me", "user_id"), ("team", "team_id")) if answer.get(key)]
        if known:
            TOKEN_USERS.remember(self.workspace, known)
        return answer

    @property
    def is_user_token(self) -> bool:
        """Whether fn_slack acts with a user token (``xoxp-``): it posts as that person, without metadata."""
        return self.settings.token.startswith(USER_TOKEN_PREFIX)

    def token_user_id(self) -> str:
        """The user ID of the token's own user (the app's bot user for a bot token), asked once per process."""
        return TOKEN_USERS.get(self.workspace, "me") or str(self.auth_test().get("user_id") or "")

    # ------------------------------------------------------------------ channels
    def channel_info(self, channel_id: str) -> Channel:
        """The channel with this ID; Slack's ``channel_not_found`` is explained with the input to check."""
        try:
            data = self.call("conversations.info", http_verb="GET", channel=channel_id)
        except SlackError as err:
            if err.code == "channel_not_found":
                raise SlackError(messages.channel_id_not_found(channel_id), code=err.code, response=err.response,
                                 method=err.method) from None
            raise
        return Channel.from_slack(data["channel"])

    def remembers_channel(self, name: str) -> bool:
        """Whether an earlier search in this process already found a channel with this name."""
        return CHANNEL_DIRECTORY.get(self.workspace, name) is not None

    def forget_channel(self, name: str) -> None:
        """Forget what this process remembers of the channel called ``name`` (it changed, or may exist now)."""
        CHANNEL_DIRECTORY.forget(self.workspace, name)

    def find_channel_by_name(self, name: str) -> Channel | None:
        """The channel called ``name`` that the token can see (archived ones included), or None.

        Remembers every channel it pages past, stops at the first match, and checks a remembered
        channel with one ``conversations.info`` instead of searching again."""
        remembered = CHANNEL_DIRECTORY.get(self.workspace, name)
        if remembered is not None:
            try:
                current = self.channel_info(remembered.id)
            except SlackError as err:
                if err.code != "channel_not_found":
                    raise
                current = None
            if current is not None and current.name == name:
                return current
            self.forget_channel(name)

        cursor = None
        while True:
            page = self.call("conversations.list", http_verb="GET", types="public_channel,private_channel",
                             exclude_archived="false", limit=LIST_PAGE if cursor else FIRST_LIST_PAGE,
                             cursor=cursor)
            channels = [Channel.from_slack(c) for c in page.get("channels", [])]
            CHANNEL_DIRECTORY.remember(self.workspace, ((c.name, c) for c in channels))
            for channel in channels:
                if channel.name == name:
                    return channel
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def create_channel(self, name: str, is_private: bool) -> Channel:
        """Create the channel (once: ``SlackWrites.create_channel``); the app's bot user is its first member."""
        channel = self.writes.create_channel(name, is_private)
        CHANNEL_DIRECTORY.remember(self.workspace, [(channel.name, channel)])
        return channel

    def join(self, channel: Channel) -> None:
        """Join a public channel the app is not in yet (private channels need an invitation)."""
        self.call("conversations.join", channel=channel.id)

    def archive(self, channel: Channel) -> bool:
        """Archive the channel (once: ``SlackWrites.archive``); False when Slack says it already was."""
        archived = self.writes.archive(channel)
        self.forget_channel(channel.name)
        return archived

    def with_membership(self, channel: Channel, action: Callable[[], V]) -> V:
        """Run ``action``; if Slack says the app is not in the (public) channel, join it and run it again."""
        try:
            return action()
        except SlackError as err:
            if err.code != "not_in_channel":
                raise channel_error(channel, err) from None
            if channel.is_private:
                raise ChannelStateError(messages.not_member_of_private_channel(channel.name),
                                        reason="not_in_channel") from None
            self.join(channel)
            try:
                return action()
            except SlackError as again:
                raise channel_error(channel, again) from None

    # ------------------------------------------------------------------ people
    def lookup_user_ids(self, emails: Iterable[str], *, fresh: bool = False) -> tuple[dict[str, str], list[str]]:
        """E-mail → user ID for workspace members; the e-mails Slack does not know come back separately.
        ``fresh`` asks Slack again instead of using IDs this process remembers."""
        found: dict[str, str] = {}
        unknown: list[str] = []
        for email in emails:
            remembered = None if fresh else USER_IDS.get(self.workspace, email.lower())
            if remembered:
                found[email] = remembered
                continue
            try:
                data = self.call("users.lookupByEmail", http_verb="GET", email=email)
            except SlackError as err:
                if err.code in NO_SUCH_USER:
                    USER_IDS.forget(self.workspace, email.lower())
                    unknown.append(email)
                    continue
                raise
            found[email] = data["user"]["id"]
            USER_IDS.remember(self.workspace, [(email.lower(), found[email])])
        return found, unknown

    def invite_by_email(self, channel: Channel, emails: list[str]) -> InviteOutcome:
        """Invite the workspace members with these e-mails (``SlackWrites.invite_by_email``)."""
        return self.writes.invite_by_email(channel, emails)

    def channel_members(self, channel: Channel) -> list[str]:
        """The user IDs of the channel's members."""
        first = self.call("conversations.members", http_verb="GET", channel=channel.id, limit=HISTORY_PAGE)
        pages = self.transport.pages("conversations.members", first)
        return [uid for page in pages for uid in page.get("members") or []]

    def is_member(self, channel_id: str, user_id: str) -> bool:
        """Whether ``user_id`` is a member of the channel now (conversations.members, paged until found; a private
        channel's members too, as the app is one of them)."""
        first = self.call("conversations.members", http_verb="GET", channel=channel_id, limit=HISTORY_PAGE)
        return any(user_id in (page.get("members") or []) for page in self.transport.pages("conversations.members",
                                                                                          first))

    def user(self, user_id: str) -> dict:
        """users.info's user, looked up once per function call ({} for a user Slack no longer knows)."""
        if user_id not in self._users:
            try:
                self._users[user_id] = dict(self.call("users.info", http_verb="GET", user=user_id).get("user") or {})
            except SlackError as err:
                if err.code not in NO_SUCH_USER:
                    raise
                self._users[user_id] = {}
        return self._users[user_id]

    def user_name(self, user_id: str) -> str:
        """A user's name as Slack shows it (display, real, user name; "" for a user Slack no longer knows)."""
        return user_display_name(self.user(user_id))

    def member_descriptions(self, channel: Channel) -> list[str]:
        """``"<display name>: <email>"`` of the channel's human members (bots and deactivated users left out)."""
        described = []
        for user_id in self.with_membership(channel, lambda: self.channel_members(channel)):
            user = self.user(user_id)
            if not user or user.get("is_bot") or user.get("deleted") or user_id == "USLACKBOT":
                continue
            email = (user.get("profile") or {}).get("email") or ""
            described.append(f"{user_display_name(user)}: {email}")
        return described

    # ------------------------------------------------------------------ messages
    def post_message(self, channel: Channel, text: str, *, attachments: list[dict] | None = None,  # noqa: PLR0913
                     username: str | None = None, as_user: bool = False, mrkdwn: bool = True,
                     key: str | None = None, check_first: bool = False, blocks: list[dict] | None = None,
                     thread_ts: str | None = None) -> PostedMessage:
        """Post to the channel — once (``SlackWrites.post``) — and return its ts and whether a ``username``
        override was dropped (Slack posts under the app's name without ``chat:write.customize``).

        The post can be told apart in the channel afterwards: a bot token's by ``key`` (else one made for this
        call) in its message metadata; a user token's, which Slack does not let carry metadata, by its author,
        text and time. ``check_first``: this call may repeat one that already posted (a redelivered function
        message). ``blocks`` (Block Kit; ``text`` is then the notification fallback) and ``thread_ts`` (a
        reply in that message's thread) are optional."""
        payload: dict[str, Any] = {"channel": channel.id, "text": text, "parse": "none", "link_names": 1,
                                   "mrkdwn": bool(mrkdwn)}
        payload.update(given(attachments=attachments, blocks=blocks, thread_ts=thread_ts))
        post = PostMark(key=key or uuid.uuid4().hex, text=text, thread_ts=thread_ts,
                        attachments=len(attachments or ()), blocks=len(blocks or ()))
        if not self.is_user_token:
            payload["metadata"] = {"event_type": POST_EVENT_TYPE, "event_payload": {"key": post.key}}
        if as_user:
            if self.is_user_token:
                payload["as_user"] = True
        elif username:
            payload["username"] = username
        answer = self.writes.post(channel, payload, post, check_first=check_first)
        posted = answer.get("message") or {}
        return PostedMessage(ts=answer["ts"], username_dropped=bool(username) and not as_user
                             and posted.get("username") != username)

    def update_message(self, channel_id: str, ts: str, text: str, blocks: list[dict]) -> None:
        """Replace a message the app posted (chat.update): its text and blocks."""
        self.call("chat.update", json={"channel": channel_id, "ts": ts, "text": text, "blocks": blocks})

    def post_ephemeral(self, channel_id: str, user_id: str, text: str, thread_ts: str | None = None) -> None:
        """A message only ``user_id`` sees in the channel, or in that message's thread (chat.postEphemeral). A
        write that cannot be looked for: after a lost answer it is not sent again (``WRITE_METHODS``)."""
        self.call("chat.postEphemeral", json={"channel": channel_id, "user": user_id, "text": text,
                                              **given(thread_ts=thread_ts)})

    def open_conversation(self, user_ids: list[str]) -> Channel:
        """The direct message (one person) or group DM (several) of the app with these people."""
        data = self.call("conversations.open", json={"users": ",".join(user_ids)})
        info = dict(data.get("channel") or {})
        return Channel(id=info["id"], name=info.get("name") or ("dm-" + "-".join(user_ids)), is_private=True)

    def thread_parent(self, channel_id: str, thread_ts: str) -> dict | None:
        """The message that starts a thread (None when it is gone or not visible)."""
        try:
            data = self.call("conversations.replies", http_verb="GET", channel=channel_id, ts=thread_ts, limit=1)
        except SlackError as err:
            if err.code in ("thread_not_found", "message_not_found", "channel_not_found", "not_in_channel"):
                return None
            raise
        found = data.get("messages") or []
        return dict(found[0]) if found else None

    def permalink(self, channel: Channel, ts: str) -> str:
        """The message's permalink."""
        return self.call("chat.getPermalink", http_verb="GET", channel=channel.id, message_ts=ts)["permalink"]

    def permalink_if_given(self, channel: Channel, ts: str) -> str | None:
        """The permalink of a message already posted, or None when Slack does not give it: the post stands
        (failing here would only make a rerun post it twice)."""
        try:
            return self.permalink(channel, ts)
        except (SlackError, SlackUnreachableError) as err:
            LOG.warning("No permalink for %s in %s: %s", ts, channel.id, err)
            return None

    # ------------------------------------------------------------------ history
    def iter_threads(self, channel: Channel, oldest: str | None = None,
                     replies_after: str | None = None) -> Iterator[tuple[dict, Iterator[dict]]]:
        """Top-level messages newest first (after ``oldest`` when given), each with an iterator over its thread
        replies oldest first (after ``replies_after`` when given; read only when iterated)."""
        for page in self._history(channel, HISTORY_PAGE, oldest):
            for message in page.get("messages", []):
                replies = self._iter_replies(channel, message["ts"], replies_after) if is_thread_parent(message) \
                    else iter(())
                yield message, replies

    def newest_written(self, channel: Channel) -> dict | None:
        """The channel's latest top-level message written by someone — Slack's system messages (joins, topic
        changes...) skipped — among its newest ``NEWEST_LOOKBACK``; None if there is none."""
        page = self.with_membership(channel, lambda: self.call(
            "conversations.history", http_verb="GET", channel=channel.id, limit=NEWEST_LOOKBACK))
        return next((m for m in page.get("messages") or [] if is_written(m)), None)

    def written_after(self, channel: Channel, ts: str) -> bool:
        """Whether anything was written in the channel after ``ts``: a message or a thread reply, not Slack's
        system messages (joins, topic changes, ``channel_archive``...). Reads the history until it finds one
        (a reply can arrive in any thread, and only its parent's ``latest_reply`` shows it)."""
        after = ts_order(ts)
        for page in self._history(channel, HISTORY_PAGE):
            for message in page.get("messages", []):
                if (is_written(message) and ts_order(message.get("ts")) > after) \
                        or ts_order(message.get("latest_reply")) > after:
                    return True
        return False

    def _history(self, channel: Channel, limit: int, oldest: str | None = None) -> Iterator[SlackResponse]:
        """conversations.history page by page (the app joins a public channel it is not in)."""
        first = self.with_membership(channel, lambda: self.call(
            "conversations.history", http_verb="GET", channel=channel.id, limit=limit, **given(oldest=oldest)))
        return self.transport.pages("conversations.history", first)

    def _iter_replies(self, channel: Channel, thread_ts: str, oldest: str | None = None) -> Iterator[dict]:
        """The thread as conversations.replies pages it (the parent leads; the export skips it)."""
        first = self.call("conversations.replies", http_verb="GET", channel=channel.id, ts=thread_ts,
                          limit=HISTORY_PAGE, **given(oldest=oldest))
        for page in self.transport.pages("conversations.replies", first):
            yield from page.get("messages", [])


def channel_error(channel: Channel, err: SlackError) -> SlackError:
    """Slack's refusal to use a channel, explained with the channel's name."""
    if err.code == "is_archived":
        return SlackError(messages.channel_archived_cannot_use(channel.name), code=err.code, response=err.response,
                          method=err.method)
    if err.code == "channel_not_found":
        return SlackError(messages.channel_gone(channel.name, channel.id), code=err.code, response=err.response,
                          method=err.method)
    return err
