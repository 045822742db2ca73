"""The Slack writes a second request could double or a lost answer could hide — posts, channel creation,
invitations, file completion, archiving (``slack_transport.WRITE_METHODS``) — made once: when a write's
answer is lost, Slack is asked whether it took effect before anything is sent again.

A post (``chat.postMessage``) is the one write Slack repeats if asked twice: it is recognised in the channel
by the key in its metadata (a bot token's) or by its author, text and time (a user token's), and looked for
until it can no longer land (``retry.LandingWatch``, ``write_settle_seconds``) before it is sent again; when
nobody can tell, it is ``WriteUncertainError``. The other writes cannot be doubled by a second request (a
channel name is unique, a member is invited once, a file completed once, a channel archived once): after a
lost answer they are looked up once and sent again under the call's retry policy only when not found.
``doc/architecture.md`` ("Writing exactly once") derives the bound.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from fn_slack.lib import messages
from fn_slack.lib.errors import RateLimitedError, SlackError, SlackUnreachableError, WriteUncertainError
from fn_slack.lib.invocation import tell
from fn_slack.lib.retry import LandingWatch
from fn_slack.lib.slack_memory import USER_IDS
from fn_slack.lib.slack_vocabulary import Channel, InviteOutcome, ts_order
from fn_slack.lib.text_conventions import slack_unescape

if TYPE_CHECKING:
    from fn_slack.lib.slack_client import SlackClient

LOG = logging.getLogger(__name__)
V = TypeVar("V")

POST_EVENT_TYPE = "fn_slack_post"   # message metadata marking fn_slack's posts, with the invocation's key
LANDED_LOOKBACK = 100               # how many of a channel's newest messages are searched for a post that landed
HISTORY_PAGE = 999                  # conversations.replies maximum
# Slack refuses message metadata from a user token (chat.postMessage and chat.update: "metadata_must_be_sent_
# from_app"), so a user token's post is recognised by its author (the token's own user), its text and its
# time: a message no older than the attempt, less this allowance for Slack's clock running behind this one.
CLOCK_SKEW_SECONDS = 60.0
INVITE_BATCH = 100          # Slack documents 1000, one mirror says 100: the safe size
ALREADY_IN = ("already_in_channel", "cant_invite_self")
NO_SUCH_USER = ("users_not_found", "user_not_found")
# conversations.invite's refusals that concern one person, not the call (its method page's error list).
PER_USER_INVITE_ERRORS = frozenset({"user_is_restricted", "ura_max_channels", "cant_invite", "org_user_not_in_team",
                                    "no_permission", "user_not_found", "user_is_ultra_restricted", "cant_invite_self",
                                    "user_team_not_in_channel", "user_is_not_in_team"})


@dataclass(frozen=True)
class PostMark:
    """What tells one post apart in its channel: the key in its metadata (bot token) or, for a user token,
    its text and the number of attachments and blocks it carries."""

    key: str
    text: str
    thread_ts: str | None
    attachments: int
    blocks: int


@dataclass(frozen=True)
class Landing(Generic[V]):
    """What looking for a write that may still land found: the write (None: not seen), and whether that is known
    (``settled``: the look made when it could no longer land got Slack's answer)."""

    found: V | None
    settled: bool


def is_this_post(message: dict, post: PostMark, me: str | None, oldest: float | None) -> bool:
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


class SlackWrites:
    """The ``WRITE_METHODS`` of one function call's ``SlackClient``, each made once."""

    def __init__(self, client: SlackClient) -> None:
        self.client = client
        self.settings = client.settings
        self.transport = client.transport

    def write(self, method: str, send: Callable[[], V], landed: Callable[[], V | None]) -> V:
        """Send a write Slack does not repeat; when its answer is lost, ``landed()`` says whether it took effect
        before it is sent again (under the call's retry policy)."""
        return self._made_once(method, send, lambda _lost: landed())

    def _made_once(self, method: str, send: Callable[[], V], look: Callable[[SlackUnreachableError], V | None]
                   ) -> V:
        """``send()``; after each lost answer, ``look(lost)`` for the write and send it again only when it is not
        there (under the call's retry policy). ``look`` may raise instead: nobody can tell."""
        retries = self.transport.retry.retries()
        while True:
            try:
                return send()
            except SlackUnreachableError as lost:
                LOG.info("No answer from Slack to %s (%s); checking whether it took effect.", method, lost)
                found = look(lost)
                if found is not None:
                    LOG.info("%s had taken effect; not sending it again.", method)
                    return found
                if not retries.next():
                    raise

    # ------------------------------------------------------------------ the writes Slack does not repeat
    def create_channel(self, name: str, is_private: bool) -> Channel:
        """conversations.create; after a lost answer the channel is looked up by name first (a first request
        Slack carries out late makes the second answer ``name_taken``: ``ChannelPost`` then finds it)."""
        def landed() -> Channel | None:
            self.client.forget_channel(name)
            return self.client.find_channel_by_name(name)

        try:
            return self.write("conversations.create", landed=landed, send=lambda: Channel.from_slack(
                self.transport.call("conversations.create", name=name,
                                    is_private="true" if is_private else "false")["channel"]))
        except SlackError as err:
            if err.code == "name_taken":
                raise SlackError(messages.name_taken_invisible(name), code=err.code, response=err.response,
                                 method=err.method) from None
            if err.code.startswith("invalid_name"):
                raise SlackError(messages.channel_name_refused(name, err.code), code=err.code,
                                 response=err.response, method=err.method) from None
            raise

    def invite_by_email(self, channel: Channel, emails: list[str]) -> InviteOutcome:
        """Invite the workspace members with these e-mails, in as few calls as Slack allows, each batch once.

        Every refusal is per person (a guest, a deactivated or external user): it is reported, never raised.
        An ID this process remembered that Slack no longer knows is looked up again once."""
        outcome = InviteOutcome()
        found, outcome.unknown = self.client.lookup_user_ids(emails)
        refused = self._invite_ids(channel, found, outcome)
        stale = [email for email, reason in refused.items() if reason in NO_SUCH_USER]
        if stale:
            again, gone = self.client.lookup_user_ids(stale, fresh=True)
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
            errors = self.client.with_membership(channel, lambda b=batch: self.invite(channel, b))
            for uid in batch:
                reason = errors.get(uid)
                if reason is None:
                    outcome.invited.append(email_of[uid])
                elif reason in ALREADY_IN:
                    outcome.already_members.append(email_of[uid])
                else:
                    USER_IDS.forget_value(self.client.workspace, uid)
                    refused[email_of[uid]] = reason
        return refused

    def invite(self, channel: Channel, user_ids: list[str]) -> dict[str, str]:
        """User ID → Slack's reason for each user not invited (conversations.invite with ``force``: the rest are
        invited, and the refusals come in ``errors[]`` whether ``ok`` is true or false). After a lost answer
        the channel's members say whether it took effect."""
        def send() -> dict:
            return dict(self.transport.call("conversations.invite", channel=channel.id, users=",".join(user_ids),
                                            force="true").data)

        def landed() -> dict | None:
            return {"ok": True} if set(user_ids) <= set(self.client.channel_members(channel)) else None

        try:
            data = self.write("conversations.invite", send=send, landed=landed)
        except SlackError as err:
            data = err.response.data if isinstance(getattr(err.response, "data", None), dict) else {}
            if not data.get("errors"):
                if err.code in PER_USER_INVITE_ERRORS and len(user_ids) > 1:
                    # Slack named no one: ask person by person, so the refusal lands on the right address.
                    return {uid: reason for one in user_ids for uid, reason in self.invite(channel, [one]).items()}
                if err.code in PER_USER_INVITE_ERRORS or err.code in ALREADY_IN:
                    return dict.fromkeys(user_ids, err.code)
                raise
        return {e.get("user"): e.get("error", "") for e in (data.get("errors") or []) if e.get("user")}

    def archive(self, channel: Channel) -> bool:
        """conversations.archive; False when Slack says the channel already was.

        Slack takes the app's bot out of a channel it archives: nothing here reads the channel afterwards.
        After a lost answer ``conversations.info`` tells whether it took effect (a public channel is still
        described, ``is_archived``); a private channel the app was in and can no longer see was archived,
        since the app's removal is what the archive does. A lost answer that Slack acted on late shows as
        ``already_archived`` to the retry: that is this call's own archive, not one from before."""
        lost: list[SlackUnreachableError] = []

        def landed() -> bool | None:
            try:
                return True if self.client.channel_info(channel.id).is_archived else None
            except SlackError as err:
                if err.code == "channel_not_found" and channel.is_private:
                    return True
                raise

        def send() -> bool:
            try:
                return bool(self.transport.call("conversations.archive", channel=channel.id))
            except SlackUnreachableError as err:
                lost.append(err)
                raise

        try:
            self.client.with_membership(channel, lambda: self.write("conversations.archive", landed=landed,
                                                                    send=send))
        except SlackError as err:
            if err.code == "already_archived":
                return bool(lost)
            raise
        return True

    # ------------------------------------------------------------------ the post
    def post(self, channel: Channel, payload: dict, post: PostMark, *, check_first: bool) -> dict:
        """chat.postMessage's answer for ``payload``, posted once. ``check_first`` (this call may repeat one that
        already posted, e.g. a redelivered function message) first waits for an earlier attempt that may still
        land. A username override refused for a missing scope is sent once more without it."""
        def send() -> dict:
            try:
                return dict(self.transport.call("chat.postMessage", json=payload).data)
            except SlackError as err:
                if err.code == "missing_scope" and "username" in payload:
                    payload.pop("username")
                    return dict(self.transport.call("chat.postMessage", json=payload).data)
                raise

        if check_first:
            answer = self.await_earlier_delivery(
                lambda: self.find_post(channel, post, since=None), "chat.postMessage",
                lambda waited: messages.post_uncertain(channel.name, messages.REDELIVERED_REASON, waited,
                                                       bool(post.thread_ts)))
            if answer is not None:
                return answer
        return self.client.with_membership(channel, lambda: self.post_once(channel, post, send))

    def post_once(self, channel: Channel, post: PostMark, send: Callable[[], dict]) -> dict:
        """Send the post; when Slack's answer is lost, find out before anything is sent again.

        Slack's own JSON error (HTTP 5xx) ends its work on the request, and a request refused before it left
        this machine never started: one look says whether it landed, and only a post that did not is sent
        again (under the call's retry policy). No answer at all (timeout, dropped connection, a proxy's page)
        leaves the post in Slack's hands: it may land until ``write_settle_seconds`` after fn_slack stopped
        waiting for it, so it is looked for until then (``LandingWatch``). Not there at the look made at that
        deadline, it can no longer land and is sent again. When Slack answers no look up to the deadline, or the
        post is a user token's (recognised by its text, which Slack may have changed, so not finding it proves
        nothing), nobody knows: the post is reported as uncertain (``WriteUncertainError``), never sent twice."""
        first_sent = time.time()
        return self._made_once("chat.postMessage", send,
                               lambda lost: self._look_for_lost_post(channel, post, lost, first_sent))

    def _look_for_lost_post(self, channel: Channel, post: PostMark, lost: SlackUnreachableError,
                            first_sent: float) -> dict | None:
        """The post whose answer was ``lost``, if it landed; None when it did not and cannot any more."""
        if not lost.in_flight:
            return self.find_post(channel, post, since=first_sent)
        settle = self.settings.write_settle_seconds
        landing = self.await_landing(lambda: self.find_post(channel, post, since=first_sent),
                                     time.monotonic() + settle)
        if landing.found is not None:
            LOG.info("The post to %s landed late (ts %s); not sending it again.", channel.id, landing.found["ts"])
            return landing.found
        # Absence is known only when a look at the deadline answered, and only for a post recognised by its
        # key: a user token's post is recognised by its text, which Slack may have changed.
        if not landing.settled or self.client.is_user_token:
            reason = f"HTTP {lost.status}" if lost.status else "no answer"
            raise WriteUncertainError(messages.post_uncertain(channel.name, reason, settle, bool(post.thread_ts)),
                                      method="chat.postMessage") from None
        LOG.info("The post to %s had not landed %g s after its answer was lost, so it never will; sending it "
                 "again.", channel.id, settle)
        return None

    # ------------------------------------------------------------------ looking for a write that may land
    def await_earlier_delivery(self, find: Callable[[], V | None], method: str,
                               uncertain: Callable[[float], str]) -> V | None:
        """For a call that may repeat an earlier delivery's write (SOAR redelivered the function message):
        ``find()`` until that write can no longer land — it was sent before now, its connection ended
        ``timeout`` later at the latest, and Slack may carry it out up to ``write_settle_seconds`` after that.
        None when it did not land; ``WriteUncertainError(uncertain(seconds waited))`` when Slack answered no
        look, so nobody can tell. When the first look does not find it, the analyst is told at once that the
        action waits, and for how long at most (the first delivery may never have started, so the whole wait
        is spent)."""
        waited = self.settings.timeout + self.settings.write_settle_seconds
        landing = self.await_landing(find, time.monotonic() + waited,
                                     not_yet=lambda: tell(messages.waiting_for_earlier_delivery(waited)))
        if not landing.settled:
            raise WriteUncertainError(uncertain(waited), method=method)
        return landing.found

    def await_landing(self, find: Callable[[], V | None], deadline: float,
                      not_yet: Callable[[], None] | None = None) -> Landing[V]:
        """``find()`` at once and again with backoff until ``deadline`` (monotonic). A look that gets no usable
        answer is not a "no": the watch goes on, and the outcome is settled only when the look made at the
        deadline got Slack's answer. ``not_yet()`` runs once, after the first look that did not find it, when
        more looks are to come."""
        watch = LandingWatch(deadline)
        settled = False
        while watch.look_again():
            try:
                found = find()
            except (SlackUnreachableError, RateLimitedError) as err:
                LOG.info("Looking for a write that may still land failed (%s); looking again.", err)
                settled = False
            else:
                if found is not None:
                    return Landing(found, settled=True)
                settled = True
            if not_yet is not None and time.monotonic() < deadline:
                not_yet()
                not_yet = None
        return Landing(None, settled=settled)

    def find_post(self, channel: Channel, post: PostMark, *, since: float | None) -> dict | None:
        """The answer chat.postMessage would have given, if the channel (or the post's thread) shows the post.
        ``since``: when this call first sent it (None: an earlier run may have, at any time)."""
        me = self.client.token_user_id() if self.client.is_user_token else None
        oldest = since - CLOCK_SKEW_SECONDS if (me and since is not None) else None
        recent = self.client.with_membership(channel, lambda: self.recent_messages(channel, post.thread_ts, oldest))
        for message in recent:
            if is_this_post(message, post, me, oldest):
                return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": message}
        return None

    def recent_messages(self, channel: Channel, thread_ts: str | None, oldest: float | None) -> list[dict]:
        """The channel's newest messages (newest first), or every reply of the thread; none older than
        ``oldest`` (epoch seconds) when given."""
        bounds = {"include_all_metadata": "true", "oldest": f"{oldest:.6f}" if oldest is not None else None}
        if not thread_ts:
            page = self.transport.call("conversations.history", http_verb="GET", channel=channel.id,
                                       limit=LANDED_LOOKBACK, **bounds)
            return list(page.get("messages") or [])
        first = self.transport.call("conversations.replies", http_verb="GET", channel=channel.id, ts=thread_ts,
                                    limit=HISTORY_PAGE, **bounds)
        return [m for page in self.transport.pages("conversations.replies", first) for m in page.get("messages") or []
                if m.get("ts") != m.get("thread_ts")]
