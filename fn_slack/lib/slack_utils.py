"""SlackUtils: every Slack Web API call fn_slack makes, over one slack_sdk WebClient with one retry policy.

The Slack edge: it knows Slack's methods, shapes, error codes and paging, and nothing about SOAR. A Slack
refusal becomes ``SlackError`` (Slack's code and response kept), no usable answer ``SlackUnreachableError``.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from fn_slack.lib import messages
from fn_slack.lib.errors import (
    ChannelStateError,
    RateLimitedError,
    SlackError,
    SlackUnreachableError,
    WriteUncertainError,
)
from fn_slack.lib.retry import (
    DEFAULT_RETRY_AFTER,
    TRANSIENT_STATUS,
    LandingWatch,
    RetryPolicy,
    WaitBudget,
    is_transient_error,
)
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.text_conventions import slack_unescape

LOG = logging.getLogger(__name__)
# slack_sdk logs whole requests and responses (user profiles, e-mails) when its logger's own level is DEBUG;
# fn_slack's client logger stays at INFO whatever the app's log level, so debug logs hold no workspace data.
SDK_LOG = logging.getLogger("fn_slack.slack_sdk")
SDK_LOG.setLevel(logging.INFO)

INVITE_BATCH = 100          # Slack documents 1000, one mirror says 100: the safe size
FIRST_LIST_PAGE = 200       # a name early in the listing is found without fetching a large page...
LIST_PAGE = 999             # ...and the rest of a search takes the fewest pages (conversations.list: "under 1000")
USER_ID_TTL = 900           # seconds an e-mail → user ID answer is reused for later invitations
HISTORY_PAGE = 999          # conversations.history / replies maximum
SHARE_WAIT_SECONDS = 3.0    # how long to wait for a file share to appear before using the file's permalink
ALREADY_IN = ("already_in_channel", "cant_invite_self")
NO_SUCH_USER = ("users_not_found", "user_not_found")
# Methods that change something in Slack. A timeout, dropped connection or 5xx after one of them may mean it
# took effect: fn_slack finds out before it sends one again (Slack's method pages: "it's possible some aspect
# of the operation succeeded").
WRITE_METHODS = frozenset({"chat.postMessage", "conversations.create", "conversations.invite",
                           "files.completeUploadExternal", "conversations.archive"})
RATE_LIMITED = ("ratelimited", "rate_limited")
# conversations.invite's refusals that concern one person, not the call (its method page's error list).
PER_USER_INVITE_ERRORS = frozenset({"user_is_restricted", "ura_max_channels", "cant_invite", "org_user_not_in_team",
                                    "no_permission", "user_not_found", "user_is_ultra_restricted", "cant_invite_self",
                                    "user_team_not_in_channel", "user_is_not_in_team"})
POST_EVENT_TYPE = "fn_slack_post"   # message metadata marking fn_slack's posts, with the invocation's key
NEWEST_LOOKBACK = 20                # how many of a channel's newest messages are searched for the newest written
LANDED_LOOKBACK = 100               # how many of a channel's newest messages are searched for a post that landed
USER_TOKEN_PREFIX = "xoxp-"  # noqa: S105 - the kind of token, not a secret
# Slack refuses message metadata from a user token (chat.postMessage and chat.update: "metadata_must_be_sent_
# from_app"), so a user token's post is recognised by its author (the token's own user), its text and its
# time: a message no older than the attempt, less this allowance for Slack's clock running behind this one.
CLOCK_SKEW_SECONDS = 60.0
SLACK_ERROR_CODE = re.compile(r"[a-z0-9_.]+")   # Slack's own error codes ("internal_error", "fatal_error")


@dataclass(frozen=True)
class Channel:
    """A Slack channel as fn_slack needs it."""

    id: str
    name: str
    is_private: bool
    is_archived: bool = False
    is_general: bool = False

    @property
    def channel_type(self) -> str:
        """"Private" or "Public", as the data table writes it."""
        return "Private" if self.is_private else "Public"

    @classmethod
    def from_slack(cls, data: dict) -> Channel:
        """The channel of a conversations.* answer."""
        return cls(id=data["id"], name=data.get("name", ""),
                   is_private=bool(data.get("is_private") or data.get("is_group")),
                   is_archived=bool(data.get("is_archived")), is_general=bool(data.get("is_general")))


@dataclass
class InviteOutcome:
    """What became of the participant e-mails."""

    invited: list[str] = field(default_factory=list)
    already_members: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UploadedFile:
    """A file shared in a channel: its ID, name, the link to show and the sharing message's ts (if seen)."""

    id: str
    name: str
    permalink: str
    share_ts: str | None


K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Landing(Generic[V]):
    """What looking for a write that may still land found: the write (None: not seen), and whether that is known
    (``settled``: the look made when it could no longer land got Slack's answer)."""

    found: V | None
    settled: bool


class ProcessMemory(Generic[K, V]):
    """Answers remembered by this process for all its function calls, per workspace, optionally for ``ttl`` s."""

    def __init__(self, ttl: float | None = None) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._known: dict[tuple[tuple[str, int], K], tuple[V, float]] = {}

    def get(self, workspace: tuple[str, int], key: K) -> V | None:
        """The remembered value, or None (never known, forgotten or older than ``ttl``)."""
        with self._lock:
            entry = self._known.get((workspace, key))
        if entry is None or (self.ttl is not None and time.monotonic() - entry[1] > self.ttl):
            return None
        return entry[0]

    def remember(self, workspace: tuple[str, int], items: Iterable[tuple[K, V]]) -> None:
        """Remember each ``(key, value)``."""
        now = time.monotonic()
        with self._lock:
            for key, value in items:
                self._known[(workspace, key)] = (value, now)

    def forget(self, workspace: tuple[str, int], key: K) -> None:
        """Forget one key."""
        with self._lock:
            self._known.pop((workspace, key), None)

    def forget_value(self, workspace: tuple[str, int], value: V) -> None:
        """Forget every key whose value is ``value``."""
        with self._lock:
            for stale in [k for k, (v, _) in self._known.items() if k[0] == workspace and v == value]:
                del self._known[stale]

    def clear(self) -> None:
        """Forget everything (a freshly started app)."""
        with self._lock:
            self._known.clear()


# Channel name → channel, so a name is searched in the workspace once, not on every post.
CHANNEL_DIRECTORY: ProcessMemory[str, Channel] = ProcessMemory()
# Lower-cased e-mail → user ID of users.lookupByEmail; only members found are remembered.
USER_IDS: ProcessMemory[str, str] = ProcessMemory(ttl=USER_ID_TTL)
# The token's own user ID (auth.test), asked once per process and workspace: a user token's posts are its.
TOKEN_USERS: ProcessMemory[str, str] = ProcessMemory()


def ts_order(ts: str | None) -> tuple[int, int]:
    """A Slack message timestamp ("1793544114.000100") as a sortable pair; (0, 0) when missing or unreadable."""
    seconds, _, micros = str(ts or "").partition(".")
    try:
        return int(seconds), int((micros or "0")[:6].ljust(6, "0"))
    except ValueError:
        return 0, 0


# Messages Slack writes into a channel itself (message subtypes reference): they record what happened to the
# channel (joins, leaves, topic/purpose/name changes, archiving...), not what anyone wrote in it.
SYSTEM_SUBTYPES = frozenset({
    "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name", "channel_archive",
    "channel_unarchive", "channel_convert_to_private", "channel_convert_to_public", "group_join", "group_leave",
    "group_topic", "group_purpose", "group_name", "group_archive", "group_unarchive", "pinned_item",
    "unpinned_item",
})


def is_written(message: dict) -> bool:
    """Whether a history message is something written in the channel (by a person, an app or fn_slack), not a
    system message Slack writes about the channel itself."""
    return message.get("subtype") not in SYSTEM_SUBTYPES


def is_thread_parent(message: dict) -> bool:
    """Whether a conversations.history message starts a thread with replies (so its replies must be fetched)."""
    return bool(message.get("reply_count")) and message.get("thread_ts", message.get("ts")) == message.get("ts")


def user_display_name(user: dict) -> str:
    """A user's name as Slack shows it: profile display name, else real name, else user name."""
    profile = user.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if name and str(name).strip():
            return str(name).strip()
    return ""


def message_author(message: dict, user_name: Callable[[str], str]) -> str:
    """The name a message shows: a bot message's username, else its user's name, else its app's name, else ""
    (a deleted message's tombstone has no author)."""
    if message.get("subtype") == "tombstone":
        return ""
    if message.get("username"):
        return str(message["username"])
    if message.get("user"):
        return user_name(message["user"])
    return str((message.get("bot_profile") or {}).get("name", ""))


class SlackUtils:
    """One function call's conversation with Slack. Create one per call: it owns that call's wait budget."""

    def __init__(self, settings: SlackSettings, *, budget: WaitBudget | None = None,
                 share_wait: float | None = None) -> None:
        self.settings = settings
        self.budget = budget or WaitBudget(settings.max_rate_limit_wait)
        self.retry = RetryPolicy(self.budget, writes=WRITE_METHODS)
        self.share_wait = SHARE_WAIT_SECONDS if share_wait is None else share_wait
        self._ssl = settings.ssl_context()
        self.client = TokenKeepingWebClient(token=settings.token, base_url=settings.api_url,
                                            timeout=settings.timeout, ssl=self._ssl, proxy=settings.proxy,
                                            logger=SDK_LOG, retry_handlers=self.retry.handlers())
        self._users: dict[str, dict] = {}
        self._workspace = (settings.api_url, hash(settings.token))
        self.calls = 0

    # ------------------------------------------------------------------ transport
    @contextmanager
    def _answers_of(self, method: str) -> Iterator[None]:
        """Turn what slack_sdk raises for ``method`` into fn_slack's errors."""
        try:
            yield
        except SlackApiError as err:
            raise self._translate(method, err) from None
        except (URLError, OSError, SlackClientError) as err:
            reason = getattr(err, "reason", None) or err
            raise SlackUnreachableError(messages.slack_not_reached(self.settings.api_url, method, reason),
                                        method=method, in_flight=not _never_sent(reason)) from None

    def call(self, method: str, *, http_verb: str = "POST", json: dict | None = None,
             **params: object) -> SlackResponse:
        """Call a Web API method (slack_sdk's retry handlers apply the policy to 429s, and to transient failures
        of reads). chat.postMessage's own rate limit — HTTP 200 ``rate_limited`` — is waited out here, within
        the same budget: the message was not posted, so sending it again is safe."""
        params = {k: v for k, v in params.items() if v is not None}
        waits = 0
        while True:
            self.calls += 1
            try:
                with self._answers_of(method):
                    if json is not None:
                        return self.client.api_call(method, http_verb="POST", json=json)
                    return self.client.api_call(method, http_verb=http_verb, params=params)
            except RateLimitedError as err:
                # A 429 was already waited out by the retry handler; HTTP 200 rate_limited carries no
                # Retry-After, so back off from Slack's documented default of one second.
                if getattr(err.response, "status_code", None) == 429 or not self.retry.budget.try_wait(
                        DEFAULT_RETRY_AFTER * (2 ** min(waits, 4))):
                    raise
                waits += 1

    def _write(self, method: str, send: Callable[[], V], landed: Callable[[], V | None]) -> V:
        """Send a write; when its answer is lost, ask Slack whether it took effect before sending it again.

        For the writes Slack itself does not repeat — a channel name is unique, a member is invited once, a file
        is completed once, a channel archived once — so a first request Slack carries out late cannot be
        doubled by the second: the second is refused or does nothing. A post is not one of them
        (``_post_once``)."""
        attempt = 0
        while True:
            try:
                return send()
            except SlackUnreachableError as lost:
                LOG.info("No answer from Slack to %s (%s); checking whether it took effect.", method, lost)
                found = landed()
                if found is not None:
                    LOG.info("%s had taken effect; not sending it again.", method)
                    return found
                if not self.retry.wait_before_retry(attempt):
                    raise
                attempt += 1

    def _pages(self, method: str, first: SlackResponse) -> Iterator[SlackResponse]:
        """``first`` and every later page of a cursor-paged read, fetched by slack_sdk's response iteration."""
        pages = iter(first)
        fetched = 0
        while True:
            with self._answers_of(method):
                page = next(pages, None)
            if page is None:
                return
            self.calls += 1 if fetched else 0   # the first page was counted by call()
            fetched += 1
            yield page

    def _translate(self, method: str, err: SlackApiError) -> FnSlackErrorType:
        response = err.response
        status = getattr(response, "status_code", None)
        data = response.data if isinstance(getattr(response, "data", None), dict) else {}
        code = data.get("error") or ""
        if status == 429 or code in RATE_LIMITED:
            return RateLimitedError(messages.rate_limit_budget_spent(method, self.settings.max_rate_limit_wait),
                                    code="ratelimited", response=response, method=method)
        if status and 300 <= status < 400:
            return SlackUnreachableError(messages.slack_redirected(method, status, self.settings.api_url),
                                         method=method, status=status, in_flight=False)
        if (status or 0) >= 500 or (not code and status != 200):
            # Slack's own JSON error ends its work on the request; a proxy's page or no code does not say so.
            return SlackUnreachableError(messages.slack_failed_to_answer(method, status), method=method, status=status,
                                         in_flight=not SLACK_ERROR_CODE.fullmatch(code))
        return SlackError(messages.slack_refused(method, code, data.get("needed")), code=code, response=response,
                          method=method)

    # ------------------------------------------------------------------ identity
    def auth_test(self) -> dict:
        """Who the token is: team, url, user_id, bot_id."""
        return dict(self.call("auth.test").data)

    @property
    def is_user_token(self) -> bool:
        """Whether fn_slack acts with a user token (``xoxp-``): it posts as that person, without metadata."""
        return self.settings.token.startswith(USER_TOKEN_PREFIX)

    def token_user_id(self) -> str:
        """The user ID of the token's own user (the app's bot user for a bot token), asked once per process."""
        known = TOKEN_USERS.get(self._workspace, "me")
        if known:
            return known
        user_id = str(self.auth_test().get("user_id") or "")
        if user_id:
            TOKEN_USERS.remember(self._workspace, [("me", user_id)])
        return user_id

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
        return CHANNEL_DIRECTORY.get(self._workspace, name) is not None

    def find_channel_by_name(self, name: str) -> Channel | None:
        """The channel called ``name`` that the token can see (archived ones included), or None.

        Remembers every channel it pages past, stops at the first match, and checks a remembered
        channel with one ``conversations.info`` instead of searching again."""
        remembered = CHANNEL_DIRECTORY.get(self._workspace, name)
        if remembered is not None:
            try:
                current = self.channel_info(remembered.id)
            except SlackError as err:
                if err.code != "channel_not_found":
                    raise
                current = None
            if current is not None and current.name == name:
                return current
            CHANNEL_DIRECTORY.forget(self._workspace, name)

        cursor = None
        while True:
            page = self.call("conversations.list", http_verb="GET", types="public_channel,private_channel",
                             exclude_archived="false", limit=LIST_PAGE if cursor else FIRST_LIST_PAGE,
                             cursor=cursor)
            channels = [Channel.from_slack(c) for c in page.get("channels", [])]
            CHANNEL_DIRECTORY.remember(self._workspace, ((c.name, c) for c in channels))
            for channel in channels:
                if channel.name == name:
                    return channel
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    def create_channel(self, name: str, is_private: bool) -> Channel:
        """Create the channel; the app's bot user becomes its first member. When the answer is lost, the
        channel is looked up by name before creating it again (a first request Slack carries out late makes
        the second answer ``name_taken``: ``ChannelPost`` then finds the channel by name)."""
        def landed() -> Channel | None:
            CHANNEL_DIRECTORY.forget(self._workspace, name)
            return self.find_channel_by_name(name)

        try:
            channel = self._write("conversations.create", landed=landed, send=lambda: Channel.from_slack(self.call(
                "conversations.create", name=name, is_private="true" if is_private else "false")["channel"]))
        except SlackError as err:
            if err.code == "name_taken":
                raise SlackError(messages.name_taken_invisible(name), code=err.code, response=err.response,
                                 method=err.method) from None
            if err.code.startswith("invalid_name"):
                raise SlackError(messages.channel_name_refused(name, err.code), code=err.code,
                                 response=err.response, method=err.method) from None
            raise
        CHANNEL_DIRECTORY.remember(self._workspace, [(channel.name, channel)])
        return channel

    def join(self, channel: Channel) -> None:
        """Join a public channel the app is not in yet (private channels need an invitation)."""
        self.call("conversations.join", channel=channel.id)

    def archive(self, channel: Channel) -> bool:
        """Archive the channel; False when Slack says it already was.

        Slack takes the app's bot out of a channel it archives: nothing here reads the channel afterwards.
        When the answer is lost, ``conversations.info`` tells whether it took effect (a public channel is
        still described, ``is_archived``); a private channel the app was in and can no longer see was
        archived, since the app's removal is what the archive does.
        A lost answer that Slack acted on late shows as ``already_archived`` to the retry: that is this call's own
        archive, not one from before."""
        lost: list[SlackUnreachableError] = []

        def landed() -> bool | None:
            try:
                return True if self.channel_info(channel.id).is_archived else None
            except SlackError as err:
                if err.code == "channel_not_found" and channel.is_private:
                    return True
                raise

        def send() -> bool:
            try:
                return bool(self.call("conversations.archive", channel=channel.id))
            except SlackUnreachableError as err:
                lost.append(err)
                raise

        try:
            self._with_membership(channel, lambda: self._write("conversations.archive", landed=landed, send=send))
        except SlackError as err:
            if err.code == "already_archived":
                return bool(lost)
            raise
        CHANNEL_DIRECTORY.forget(self._workspace, channel.name)
        return True

    def _with_membership(self, channel: Channel, action: Callable[[], V]) -> V:
        """Run ``action``; if Slack says the app is not in the (public) channel, join it and run it again."""
        try:
            return action()
        except SlackError as err:
            if err.code != "not_in_channel":
                raise _channel_error(channel, err) from None
            if channel.is_private:
                raise ChannelStateError(messages.not_member_of_private_channel(channel.name),
                                        reason="not_in_channel") from None
            self.join(channel)
            try:
                return action()
            except SlackError as again:
                raise _channel_error(channel, again) from None

    # ------------------------------------------------------------------ people
    def lookup_user_ids(self, emails: Iterable[str], *, fresh: bool = False) -> tuple[dict[str, str], list[str]]:
        """E-mail → user ID for workspace members; the e-mails Slack does not know come back separately.
        ``fresh`` asks Slack again instead of using IDs this process remembers."""
        found: dict[str, str] = {}
        unknown: list[str] = []
        for email in emails:
            remembered = None if fresh else USER_IDS.get(self._workspace, email.lower())
            if remembered:
                found[email] = remembered
                continue
            try:
                data = self.call("users.lookupByEmail", http_verb="GET", email=email)
            except SlackError as err:
                if err.code in NO_SUCH_USER:
                    USER_IDS.forget(self._workspace, email.lower())
                    unknown.append(email)
                    continue
                raise
            found[email] = data["user"]["id"]
            USER_IDS.remember(self._workspace, [(email.lower(), found[email])])
        return found, unknown

    def invite_by_email(self, channel: Channel, emails: list[str]) -> InviteOutcome:
        """Invite the workspace members with these e-mails, in as few calls as Slack allows.

        Every refusal is per person (a guest, a deactivated or external user): it is reported, never raised.
        An ID this process remembered that Slack no longer knows is looked up again once."""
        outcome = InviteOutcome()
        found, outcome.unknown = self.lookup_user_ids(emails)
        refused = self._invite_ids(channel, found, outcome)
        stale = [email for email, reason in refused.items() if reason in NO_SUCH_USER]
        if stale:
            again, gone = self.lookup_user_ids(stale, fresh=True)
            outcome.unknown += gone
            refused.update(self._invite_ids(channel, again, outcome))
            for email in gone:
                refused.pop(email, None)
        outcome.failed = refused
        return outcome

    def _invite_ids(self, channel: Channel, ids: dict[str, str], outcome: InviteOutcome) -> dict[str, str]:
        """Invite ``ids`` (e-mail → user ID) in batches; fills ``outcome``'s invited/already lists and returns
        the refused e-mails with Slack's reason."""
        email_of = {uid: email for email, uid in ids.items()}
        user_ids = list(email_of)
        refused: dict[str, str] = {}
        for start in range(0, len(user_ids), INVITE_BATCH):
            batch = user_ids[start:start + INVITE_BATCH]
            errors = self._with_membership(channel, lambda b=batch: self._invite_batch(channel, b))
            for uid in batch:
                reason = errors.get(uid)
                if reason is None:
                    outcome.invited.append(email_of[uid])
                elif reason in ALREADY_IN:
                    outcome.already_members.append(email_of[uid])
                else:
                    USER_IDS.forget_value(self._workspace, uid)
                    refused[email_of[uid]] = reason
        return refused

    def _invite_batch(self, channel: Channel, user_ids: list[str]) -> dict[str, str]:
        """User ID → Slack's reason for each user not invited (conversations.invite with ``force``: the rest are
        invited, and the refusals come in ``errors[]`` whether ``ok`` is true or false)."""
        def send() -> dict:
            return dict(self.call("conversations.invite", channel=channel.id, users=",".join(user_ids),
                                  force="true").data)

        def landed() -> dict | None:
            members = set(self.channel_members(channel))
            return {"ok": True} if set(user_ids) <= members else None

        try:
            data = self._write("conversations.invite", send=send, landed=landed)
        except SlackError as err:
            data = err.response.data if isinstance(getattr(err.response, "data", None), dict) else {}
            if not data.get("errors"):
                if err.code in PER_USER_INVITE_ERRORS and len(user_ids) > 1:
                    # Slack named no one: ask person by person, so the refusal lands on the right address.
                    return {uid: reason for one in user_ids
                            for uid, reason in self._invite_batch(channel, [one]).items()}
                if err.code in PER_USER_INVITE_ERRORS or err.code in ALREADY_IN:
                    return dict.fromkeys(user_ids, err.code)
                raise
        return {e.get("user"): e.get("error", "") for e in (data.get("errors") or []) if e.get("user")}

    def channel_members(self, channel: Channel) -> list[str]:
        """The user IDs of the channel's members."""
        first = self.call("conversations.members", http_verb="GET", channel=channel.id, limit=HISTORY_PAGE)
        return [uid for page in self._pages("conversations.members", first) for uid in page.get("members") or []]

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
        """The name the export shows for a user (display, real, user name)."""
        return user_display_name(self.user(user_id))

    def author_name(self, message: dict) -> str:
        """The export's author of a message."""
        return message_author(message, self.user_name)

    def member_descriptions(self, channel: Channel) -> list[str]:
        """``"<display name>: <email>"`` of the channel's human members (bots and deactivated users left out)."""
        described = []
        for user_id in self._with_membership(channel, lambda: self.channel_members(channel)):
            user = self.user(user_id)
            if not user or user.get("is_bot") or user.get("deleted") or user_id == "USLACKBOT":
                continue
            email = (user.get("profile") or {}).get("email") or ""
            described.append(f"{user_display_name(user)}: {email}")
        return described

    # ------------------------------------------------------------------ messages
    def post_message(self, channel: Channel, text: str, *, attachments: list[dict] | None = None,
                     username: str | None = None, as_user: bool = False, mrkdwn: bool = True,
                     notices: list[str] | None = None, key: str | None = None, check_first: bool = False,
                     blocks: list[dict] | None = None, thread_ts: str | None = None) -> str:
        """Post to the channel and return the message ``ts`` — once.

        The post can be told apart in the channel afterwards: a bot token's by ``key`` (else one made for this
        call) in its message metadata; a user token's, which Slack does not let carry metadata, by its author,
        text and time (``_is_this_post``). When Slack's answer is lost, ``_post_once`` looks for it until it can
        no longer land and never sends it a second time while it might. ``check_first`` (this call may repeat
        one that already posted, e.g. a redelivered function message) first waits the same way for an earlier
        attempt that may still land. A username override Slack dropped (no ``chat:write.customize``) is said in
        ``notices``. ``blocks`` (Block Kit; ``text`` is then the notification fallback) and ``thread_ts`` (a
        reply in that message's thread) are optional."""
        payload: dict[str, Any] = {"channel": channel.id, "text": text, "parse": "none", "link_names": 1,
                                   "mrkdwn": bool(mrkdwn)}
        payload.update(_given(attachments=attachments, blocks=blocks, thread_ts=thread_ts))
        post = _Post(key=key or uuid.uuid4().hex, text=text, thread_ts=thread_ts, attachments=len(attachments or ()),
                     blocks=len(blocks or ()))
        if not self.is_user_token:
            payload["metadata"] = {"event_type": POST_EVENT_TYPE, "event_payload": {"key": post.key}}
        if as_user:
            if self.is_user_token:
                payload["as_user"] = True
        elif username:
            payload["username"] = username

        def send() -> dict:
            try:
                return dict(self.call("chat.postMessage", json=payload).data)
            except SlackError as err:
                if err.code == "missing_scope" and "username" in payload:
                    payload.pop("username")
                    return dict(self.call("chat.postMessage", json=payload).data)
                raise

        answer = None
        if check_first:
            answer = self._await_earlier_delivery(
                lambda: self._find_post(channel, post, since=None), "chat.postMessage",
                lambda waited: messages.post_uncertain(channel.name, messages.REDELIVERED_REASON, waited,
                                                       bool(post.thread_ts)))
        if answer is None:
            answer = self._with_membership(channel, lambda: self._post_once(channel, post, send))
        posted = answer.get("message") or {}
        if username and not as_user and posted.get("username") != username and notices is not None:
            notices.append(messages.posted_as_app(username))
        return answer["ts"]

    def _post_once(self, channel: Channel, post: _Post, send: Callable[[], dict]) -> dict:
        """Send the post; when Slack's answer is lost, find out before anything is sent again.

        Slack's own JSON error (HTTP 5xx) ends its work on the request, and a request refused before it left
        this machine never started: one look says whether it landed, and only a post that did not is sent
        again (under the call's retry budget). No answer at all (timeout, dropped connection, a proxy's page)
        leaves the post in Slack's hands: it may land until ``write_settle_seconds`` after fn_slack stopped
        waiting for it, so it is looked for until then (``LandingWatch``). Not there at the look made at that
        deadline, it can no longer land and is sent again. When Slack answers no look up to the deadline, or the
        post is a user token's (recognised by its text, which Slack may have changed, so not finding it proves
        nothing), nobody knows: the post is reported as uncertain (``WriteUncertainError``), never sent twice."""
        first_sent = time.time()
        attempt = 0
        while True:
            try:
                return send()
            except SlackUnreachableError as lost:
                LOG.info("No answer from Slack to chat.postMessage (%s); looking for the post.", lost)
                if lost.in_flight:
                    settle = self.settings.write_settle_seconds
                    landing = self._await_landing(lambda: self._find_post(channel, post, since=first_sent),
                                                  time.monotonic() + settle)
                    if landing.found is not None:
                        LOG.info("The post to %s landed late (ts %s); not sending it again.", channel.id,
                                 landing.found["ts"])
                        return landing.found
                    # Absence is known only when a look at the deadline answered, and only for a post recognised by
                    # its key: a user token's post is recognised by its text, which Slack may have changed.
                    if not landing.settled or self.is_user_token:
                        raise WriteUncertainError(messages.post_uncertain(channel.name, _lost_reason(lost), settle,
                                                                          bool(post.thread_ts)),
                                                  method="chat.postMessage") from None
                    LOG.info("The post to %s had not landed %g s after its answer was lost, so it never will; "
                             "sending it again.", channel.id, settle)
                else:
                    found = self._find_post(channel, post, since=first_sent)
                    if found is not None:
                        LOG.info("The post to %s had taken effect; not sending it again.", channel.id)
                        return found
                if not self.retry.wait_before_retry(attempt):
                    raise
                attempt += 1

    def _await_earlier_delivery(self, find: Callable[[], V | None], method: str,
                                uncertain: Callable[[float], str]) -> V | None:
        """For a call that may repeat an earlier delivery's write (SOAR redelivered the function message):
        ``find()`` until that write can no longer land — it was sent before now, its connection ended
        ``timeout`` later at the latest, and Slack may carry it out up to ``write_settle_seconds`` after that.
        None when it did not land; ``WriteUncertainError(uncertain(seconds waited))`` when Slack answered no
        look, so nobody can tell."""
        waited = self.settings.timeout + self.settings.write_settle_seconds
        landing = self._await_landing(find, time.monotonic() + waited)
        if not landing.settled:
            raise WriteUncertainError(uncertain(waited), method=method)
        return landing.found

    def _await_landing(self, find: Callable[[], V | None], deadline: float) -> Landing[V]:
        """``find()`` at once and again with backoff until ``deadline`` (monotonic). A look that gets no usable
        answer is not a "no": the watch goes on, and the outcome is settled only when the look made at the
        deadline got Slack's answer."""
        watch = LandingWatch(deadline)
        settled = False
        while watch.look_again():
            try:
                found = find()
            except (SlackUnreachableError, RateLimitedError) as err:
                LOG.info("Looking for a write that may still land failed (%s); looking again.", err)
                settled = False
                continue
            if found is not None:
                return Landing(found, settled=True)
            settled = True
        return Landing(None, settled=settled)

    def _find_post(self, channel: Channel, post: _Post, *, since: float | None) -> dict | None:
        """The answer chat.postMessage would have given, if the channel (or the post's thread) shows the post.
        ``since``: when this call first sent it (None: an earlier run may have, at any time)."""
        me = self.token_user_id() if self.is_user_token else None
        oldest = since - CLOCK_SKEW_SECONDS if (me and since is not None) else None
        for message in self._with_membership(channel, lambda: self._recent_messages(channel, post.thread_ts, oldest)):
            if _is_this_post(message, post, me, oldest):
                return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": message}
        return None

    def _recent_messages(self, channel: Channel, thread_ts: str | None, oldest: float | None) -> list[dict]:
        """The channel's newest messages (newest first), or every reply of the thread; none older than
        ``oldest`` (epoch seconds) when given."""
        bounds = {"include_all_metadata": "true", "oldest": f"{oldest:.6f}" if oldest is not None else None}
        if not thread_ts:
            page = self.call("conversations.history", http_verb="GET", channel=channel.id, limit=LANDED_LOOKBACK,
                             **bounds)
            return list(page.get("messages") or [])
        first = self.call("conversations.replies", http_verb="GET", channel=channel.id, ts=thread_ts,
                          limit=HISTORY_PAGE, **bounds)
        return [m for page in self._pages("conversations.replies", first) for m in page.get("messages") or []
                if m.get("ts") != m.get("thread_ts")]

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

    # ------------------------------------------------------------------ files
    def upload_file(self, channel: Channel, data: bytes, filename: str, title: str,
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
            shared = self._await_earlier_delivery(
                lambda: self._shared_file_with_title(channel, title, thread_ts), "files.completeUploadExternal",
                lambda waited: messages.upload_uncertain(channel.name, waited))
            if shared is not None:
                return shared
        if not channel.is_private:
            self._join_before_sharing(channel)
        ticket = self._with_membership(
            channel, lambda: self.call("files.getUploadURLExternal", filename=filename, length=len(data)))
        file_id = ticket["file_id"]
        self._send_upload(ticket["upload_url"], data)
        completion = {"files": [{"id": file_id, "title": title}], "channel_id": channel.id,
                      **_given(initial_comment=initial_comment, thread_ts=thread_ts)}

        def complete() -> dict:
            try:
                return dict(self.call("files.completeUploadExternal", json=completion).data)
            except SlackError as err:
                info = self._file_info(file_id) if err.code == "file_not_found" else None
                if info:
                    return {"files": [info]}   # an earlier, unanswered completion took effect
                raise

        def landed() -> dict | None:
            info = self._file_info(file_id)
            return {"files": [info]} if info and _share_ts(info, channel.id) else None

        completed = self._with_membership(channel, lambda: self._write(
            "files.completeUploadExternal", send=complete, landed=landed))
        file_info = (completed.get("files") or [{}])[0]
        share_ts = self._wait_for_share(file_id, channel.id, file_info)
        permalink = (self.permalink_if_given(channel, share_ts) if share_ts else None) or file_info.get("permalink", "")
        return UploadedFile(id=file_id, name=file_info.get("name") or filename, permalink=permalink,
                            share_ts=share_ts)

    def _join_before_sharing(self, channel: Channel) -> None:
        """Join a public channel (a no-op for a member). Without ``channels:join`` the completion says it."""
        try:
            self.join(channel)
        except SlackError as err:
            if err.code != "missing_scope":
                raise _channel_error(channel, err) from None

    def _file_info(self, file_id: str) -> dict | None:
        """files.info's file, or None when Slack does not have (or no longer shows) it."""
        try:
            return dict(self.call("files.info", http_verb="GET", file=file_id).get("file") or {}) or None
        except SlackError as err:
            if err.code in ("file_not_found", "file_deleted"):
                return None
            raise

    def _shared_file_with_title(self, channel: Channel, title: str, thread_ts: str | None) -> UploadedFile | None:
        """The app's share of a file titled ``title`` among the channel's newest messages (or the thread's
        replies), if there is one."""
        me = self.token_user_id()
        for message in self._with_membership(channel, lambda: self._recent_messages(channel, thread_ts, None)):
            if message.get("user") != me:
                continue
            for item in message.get("files") or []:
                if item.get("title") == title:
                    return UploadedFile(id=item.get("id", ""), name=item.get("name", ""), share_ts=message["ts"],
                                        permalink=self.permalink(channel, message["ts"]))
        return None

    def _send_upload(self, url: str, data: bytes) -> None:
        """POST the bytes to Slack's upload URL, under the same retry policy, proxy and TLS settings as every
        Web API call. Sending the bytes again is safe: nothing is shared before the completion."""
        handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=self._ssl)]
        if self.settings.proxy:
            handlers.append(urllib.request.ProxyHandler({"http": self.settings.proxy, "https": self.settings.proxy}))
        opener = urllib.request.build_opener(*handlers)
        attempt = 0
        while True:
            self.calls += 1
            # The upload URL is the URL Slack itself returned from files.getUploadURLExternal.
            request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310
                                             headers={"Content-Type": "application/octet-stream"})
            try:
                with opener.open(request, timeout=self.settings.timeout) as response:
                    response.read()
                    return
            except HTTPError as err:
                transient = err.code == 429 or err.code in TRANSIENT_STATUS
                detail = f"HTTP {err.code}"
            except (URLError, OSError) as err:
                if not is_transient_error(err):
                    raise SlackUnreachableError(messages.upload_tls_refused(str(getattr(err, "reason", err))),
                                                method="files.upload") from None
                transient = True
                detail = str(getattr(err, "reason", err))
            if not transient or not self.retry.wait_before_retry(attempt):
                raise SlackUnreachableError(messages.upload_failed(detail), method="files.upload")
            attempt += 1

    def _wait_for_share(self, file_id: str, channel_id: str, file_info: dict) -> str | None:
        """The ts of the message sharing the file; Slack may add it a moment after the upload completes. A
        files.info failure ends the wait: the file is shared, only its link falls back to the file's own."""
        deadline = time.monotonic() + self.share_wait
        delay = 0.1
        while True:
            share_ts = _share_ts(file_info, channel_id)
            if share_ts or time.monotonic() >= deadline:
                return share_ts
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
            try:
                file_info = self._file_info(file_id) or {}
            except (SlackError, SlackUnreachableError) as err:
                LOG.info("files.info failed while waiting for the share of %s: %s", file_id, err)
                return None

    # ------------------------------------------------------------------ history
    def iter_threads(self, channel: Channel) -> Iterator[tuple[dict, Iterator[dict]]]:
        """Top-level messages newest first, each with an iterator over its thread replies oldest first."""
        first = self._with_membership(channel, lambda: self.call(
            "conversations.history", http_verb="GET", channel=channel.id, limit=HISTORY_PAGE))
        for page in self._pages("conversations.history", first):
            for message in page.get("messages", []):
                replies = self._iter_replies(channel, message["ts"]) if is_thread_parent(message) else iter(())
                yield message, replies

    def newest_written(self, channel: Channel) -> dict | None:
        """The channel's latest top-level message written by someone — Slack's system messages (joins, topic
        changes...) skipped — among its newest ``NEWEST_LOOKBACK``; None if there is none."""
        page = self._with_membership(channel, lambda: self.call(
            "conversations.history", http_verb="GET", channel=channel.id, limit=NEWEST_LOOKBACK))
        return next((m for m in page.get("messages") or [] if is_written(m)), None)

    def written_after(self, channel: Channel, ts: str) -> bool:
        """Whether anything was written in the channel after ``ts``: a message or a thread reply, not Slack's
        system messages (joins, topic changes, ``channel_archive``...). Reads the history until it finds one
        (a reply can arrive in any thread, and only its parent's ``latest_reply`` shows it)."""
        after = ts_order(ts)
        first = self._with_membership(channel, lambda: self.call(
            "conversations.history", http_verb="GET", channel=channel.id, limit=HISTORY_PAGE))
        for page in self._pages("conversations.history", first):
            for message in page.get("messages", []):
                if (is_written(message) and ts_order(message.get("ts")) > after) \
                        or ts_order(message.get("latest_reply")) > after:
                    return True
        return False

    def _iter_replies(self, channel: Channel, thread_ts: str) -> Iterator[dict]:
        """The thread as conversations.replies pages it (the parent leads; the export skips it)."""
        first = self.call("conversations.replies", http_verb="GET", channel=channel.id, ts=thread_ts,
                          limit=HISTORY_PAGE)
        for page in self._pages("conversations.replies", first):
            yield from page.get("messages", [])


FnSlackErrorType = SlackError | SlackUnreachableError


@dataclass(frozen=True)
class _Post:
    """What tells one post apart in its channel: the key in its metadata (bot token) or, for a user token,
    its text and the number of attachments and blocks it carries."""

    key: str
    text: str
    thread_ts: str | None
    attachments: int
    blocks: int


def _is_this_post(message: dict, post: _Post, me: str | None, oldest: float | None) -> bool:
    """Whether ``message`` is ``post``: by the key in its metadata, or — for a user token (``me``, its user) —
    by the same author, text (as Slack stores it: entities unescaped), attachments and blocks, no older than
    ``oldest``. Another message of the same person with the same text in that window would be taken for the
    post (the post is then not sent, never sent twice); a post Slack rewrote beyond entities is not
    recognised, which is why a user token's post not found is reported as uncertain, not sent again."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") == POST_EVENT_TYPE:
        return (metadata.get("event_payload") or {}).get("key") == post.key
    if me is None or message.get("user") != me or message.get("subtype") not in (None, "thread_broadcast"):
        return False
    if oldest is not None and ts_order(message.get("ts")) < ts_order(f"{oldest:.6f}"):
        return False
    if slack_unescape(str(message.get("text") or "")).strip() != slack_unescape(post.text).strip():
        return False
    if post.attachments and len(message.get("attachments") or ()) != post.attachments:
        return False
    return not post.blocks or len(message.get("blocks") or ()) == post.blocks


def _given(**arguments: object) -> dict[str, object]:
    """The optional arguments of a Slack call that were given (not None, not empty), in their order."""
    return {name: value for name, value in arguments.items() if value}


def _never_sent(reason: object) -> bool:
    """Whether a transport failure happened before the request could reach Slack (refused connection, a name
    that does not resolve, a certificate that does not verify)."""
    return isinstance(reason, ConnectionRefusedError | socket.gaierror | ssl.SSLCertVerificationError |
                      ssl.CertificateError)


def _lost_reason(lost: SlackUnreachableError) -> str:
    """A lost answer in a few words, for the uncertain post's message."""
    return f"HTTP {lost.status}" if lost.status else "no answer"


def _channel_error(channel: Channel, err: SlackError) -> SlackError:
    """Slack's refusal to use a channel, explained with the channel's name."""
    if err.code == "is_archived":
        return SlackError(messages.channel_archived_cannot_use(channel.name), code=err.code, response=err.response,
                          method=err.method)
    if err.code == "channel_not_found":
        return SlackError(messages.channel_gone(channel.name, channel.id), code=err.code, response=err.response,
                          method=err.method)
    return err


def _share_ts(file_info: dict, channel_id: str) -> str | None:
    shares = file_info.get("shares") or {}
    for kind in ("public", "private"):
        entries = (shares.get(kind) or {}).get(channel_id) or []
        if entries:
            return entries[0].get("ts")
    return None


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the HTTP error it is, never followed."""

    def redirect_request(self, req: urllib.request.Request, fp: object, code: int, msg: str, headers: object,  # noqa: PLR0917
                         newurl: str) -> None:
        """Refuse: raise the 3xx as an HTTPError."""
        raise HTTPError(req.full_url, code, f"redirect to another address refused: {msg}", headers, fp)


class TokenKeepingWebClient(WebClient):
    """slack_sdk's WebClient that never follows a redirect.

    urllib follows a redirect with every header of the first request, so a slack_api_url that redirects (a
    misconfigured proxy, a hostile or hijacked endpoint) would receive the token at the new address too. Here
    a 3xx is an answer like any other: fn_slack reports it and sends nothing on (Slack itself never
    redirects its Web API)."""

    def _perform_urllib_http_request_internal(self, url: str, req: urllib.request.Request) -> dict[str, Any]:
        if not url.lower().startswith(("https://", "http://")):
            raise SlackClientError(f"Only http(s) URLs are called: {url.split(':', 1)[0]}")
        handlers: list[urllib.request.BaseHandler] = [_RefuseRedirects(), urllib.request.HTTPSHandler(context=self.ssl)]
        if self.proxy:
            handlers.append(urllib.request.ProxyHandler({"http": self.proxy, "https": self.proxy}))
        # The URL is slack_api_url plus a method name: http(s) only, checked above.
        resp = urllib.request.build_opener(*handlers).open(req, timeout=self.timeout)  # noqa: S310
        charset = resp.headers.get_content_charset() or "utf-8"
        return {"status": resp.code, "headers": resp.headers, "body": resp.read().decode(charset)}
