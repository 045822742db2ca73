"""EVENTS what the Socket Mode listener is sent, read (pure: no Slack call, no SOAR).

An envelope is sorted into its kinds (``kinds_of``); one reader per kind turns it into a typed event, or
into ``Ignored`` with the reason. Before any reader, ``EventDispatch`` applies the one filter every message
event passes: only what people wrote is read — not a bot's or app's message (fn_slack's own included), not
one of Slack's system messages (joins, topic changes, ``channel_archive``...), not a message without an
author. For an edit the filter looks at the message as it is now, for a deletion at the message as it was.

The kinds and their readers:

- ``message`` (and ``thread_broadcast``, ``file_share``, ``me_message``): a new message or a thread reply
  → ``SlackEvent`` (kind ``message`` or ``reply``), mirrored;
- ``message_changed`` → ``SlackEvent`` (kind ``edit``) when the text the person wrote changed;
- ``message_deleted`` → ``SlackEvent`` (kind ``delete``) with what the message said;
- ``question_reply``: a reply in the thread of a message of fn_slack's bot (a plain reply or a broadcast)
  → ``QuestionReply``, which the question's answers check against the question; the same envelope is also a
  ``message`` and is mirrored as one;
- ``block_actions``: a click on one of fn_slack's question buttons → ``QuestionClick``; on one of the artifact
  buttons of *Send to SOAR*'s ephemeral answer → ``IocClick``;
- ``slash_commands``: a person's slash command → ``SlashCommand`` (slack_actions checks it is fn_slack's);
- ``message_action``: a message shortcut; fn_slack's *Send to SOAR* → ``MessageShortcut``;
- ``shortcut``: a global shortcut; fn_slack's *Declare incident* → ``GlobalShortcut``;
- ``view_submission``: a person submitting one of fn_slack's modals (*Declare incident*) → ``ViewSubmission``.

Any other kind (another event type, another interaction, another envelope type) is ignored with a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.block_kit import ANSWER_ACTION_PREFIX, IOC_ACTION_PREFIX, QuestionRef

LOG = logging.getLogger(__name__)
PEOPLE_SUBTYPES = {None, "", "thread_broadcast", "file_share", "me_message"}
"""The message subtypes a person writes; every other subtype is a bot's or one of Slack's system messages."""


@dataclass(frozen=True)
class SlackEvent:
    """A person's message, thread reply, edit or deletion, reduced to what a note needs."""

    key: str
    kind: str  # "message", "reply", "edit", "delete"
    channel: str
    ts: str
    thread_ts: str | None
    user: str
    text: str
    previous_text: str
    files: tuple[tuple[str, str], ...]  # (name, permalink)


@dataclass(frozen=True)
class QuestionReply:
    """A person's reply in the thread of a message of fn_slack's bot: perhaps the answer to a question."""

    channel: str
    thread_ts: str
    ts: str
    user: str
    text: str


@dataclass(frozen=True)
class QuestionClick:
    """A click on one of fn_slack's question buttons."""

    ref: QuestionRef
    user: str
    value: str
    action_ts: str | None
    response_url: str | None
    channel_id: str = ""   # where the clicked message is (the payload's container, else its channel)
    message_ts: str = ""   # the clicked message (the payload's container, else its message)


@dataclass(frozen=True)
class IocClick:
    """A click on an artifact button of *Send to SOAR*'s answer (an ephemeral message: Slack sends no copy of it,
    only its container). ``value`` is the button's, as the click sent it: unchecked."""

    user: str
    channel: str
    value: str
    trigger_id: str
    response_url: str


@dataclass(frozen=True)
class SlashCommand:
    """A person's slash command in a channel (``text`` as typed after the command)."""

    command: str
    text: str
    user: str
    channel: str
    trigger_id: str
    response_url: str


@dataclass(frozen=True)
class MessageShortcut:
    """A person's *Send to SOAR* on a message: the message as Slack sent it with the shortcut."""

    user: str
    channel: str
    message_ts: str
    thread_ts: str | None
    author: str
    text: str
    trigger_id: str
    response_url: str


SEND_TO_SOAR = "send_to_soar"
"""The callback ID of the message shortcut *Send to SOAR* (doc/slack-app-manifest.yml)."""
DECLARE_INCIDENT = "declare_incident"
"""The callback ID of the global shortcut *Declare incident* (doc/slack-app-manifest.yml) and of its modal."""


@dataclass(frozen=True)
class GlobalShortcut:
    """A person's *Declare incident* from Slack's shortcuts menu (no channel, no response URL: a modal answers)."""

    user: str
    trigger_id: str


@dataclass(frozen=True)
class ViewSubmission:
    """A person submitting fn_slack's *Declare incident* modal: ``values`` is the view's ``state.values``
    ({block_id: {action_id: element state}}), as Slack sent it."""

    user: str
    view_id: str
    values: dict


@dataclass(frozen=True)
class Ignored:
    """An envelope (or one of its kinds) that is not read, and why."""

    kind: str
    reason: str


Read = (SlackEvent | QuestionReply | QuestionClick | IocClick | SlashCommand | MessageShortcut | GlobalShortcut
        | ViewSubmission | Ignored)
Reader = Callable[[dict, str | None], Read]


# ---------------------------------------------------------------------------------------------- the filter
def authored_message(event: dict) -> dict:
    """The message a person would have written: the new one of an edit, the old one of a deletion."""
    subtype = event.get("subtype")
    if subtype == "message_changed":
        return event.get("message") or {}
    if subtype == "message_deleted":
        return event.get("previous_message") or {}
    return event


def not_by_a_person(message: dict, bot_user: str | None) -> str | None:
    """Why ``message`` is not a person's (``bot``, ``self``, ``system``, ``no author``), or None when it is."""
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        return "bot"
    if bot_user and message.get("user") == bot_user:
        return "self"
    if message.get("subtype") not in PEOPLE_SUBTYPES:
        return "system"
    if not message.get("user"):
        return "no author"
    return None


# ---------------------------------------------------------------------------------------------- the readers
def _files(message: dict) -> tuple[tuple[str, str], ...]:
    """The message's files still shown in Slack, as (name, permalink)."""
    shown = (f for f in message.get("files") or [] if isinstance(f, dict))
    return tuple((str(f.get("title") or f.get("name") or "file"), str(f.get("permalink") or ""))
                 for f in shown if f.get("mode") not in ("tombstone", "hidden_by_limit"))


def _thread_of(message: dict, ts: str) -> str | None:
    """The thread a message replies in; None for a channel message (or a thread's first message)."""
    thread_ts = message.get("thread_ts")
    return str(thread_ts) if thread_ts and thread_ts != ts else None


def read_message(event: dict, bot_user: str | None) -> Read:
    """A new message or a thread reply."""
    channel, ts = str(event["channel"]), str(event["ts"])
    thread_ts = _thread_of(event, ts)
    return SlackEvent(f"{channel}/{ts}", "reply" if thread_ts else "message", channel, ts, thread_ts,
                      str(event["user"]), str(event.get("text") or ""), "", _files(event))


def read_edit(event: dict, bot_user: str | None) -> Read:
    """An edit, when the text the person wrote changed (not thread counters or unfurls)."""
    new, old = event.get("message") or {}, event.get("previous_message") or {}
    if str(new.get("text") or "") == str(old.get("text") or "") or not new.get("edited"):
        return Ignored("message_changed", "unchanged")
    channel, ts = str(event["channel"]), str(new["ts"])
    edited_at = new["edited"].get("ts", event.get("event_ts"))
    return SlackEvent(f"{channel}/{ts}/edit/{edited_at}", "edit", channel, ts, _thread_of(new, ts),
                      str(new["user"]), str(new.get("text") or ""), str(old.get("text") or ""), _files(new))


def read_deletion(event: dict, bot_user: str | None) -> Read:
    """A deletion, with what the message said."""
    old = event.get("previous_message") or {}
    channel, ts = str(event["channel"]), str(event.get("deleted_ts") or old.get("ts"))
    return SlackEvent(f"{channel}/{ts}/deleted", "delete", channel, ts, _thread_of(old, ts), str(old["user"]),
                      "", str(old.get("text") or ""), ())


def read_question_reply(event: dict, bot_user: str | None) -> Read:
    """A reply in the thread of a message of fn_slack's bot."""
    ts = str(event["ts"])
    thread_ts = _thread_of(event, ts)
    if not thread_ts or not bot_user or event.get("parent_user_id") != bot_user:
        return Ignored("question_reply", "not a reply to fn_slack")
    return QuestionReply(str(event["channel"]), thread_ts, ts, str(event["user"]), str(event.get("text") or ""))


def read_question_click(payload: dict, bot_user: str | None) -> Read:
    """The first action of a ``block_actions`` payload that is a click on a question's button."""
    user = str((payload.get("user") or {}).get("id") or "")
    container = payload.get("container") or {}
    channel_id = str(container.get("channel_id") or (payload.get("channel") or {}).get("id") or "")
    message_ts = str(container.get("message_ts") or (payload.get("message") or {}).get("ts") or "")
    for action in payload.get("actions") or []:
        ref = QuestionRef.from_block_id(action.get("block_id"))
        if ref is not None and str(action.get("action_id") or "").startswith(ANSWER_ACTION_PREFIX):
            return QuestionClick(ref, user, str(action.get("value") or ""), action.get("action_ts"),
                                 payload.get("response_url"), channel_id, message_ts)
        if str(action.get("action_id") or "").startswith(IOC_ACTION_PREFIX):
            return _ioc_click(payload, user, channel_id, action)
    return Ignored("block_actions", "not a question's button")


def _ioc_click(payload: dict, user: str, channel_id: str, action: dict) -> Read:
    """A click on an artifact button: its clicker, channel, value, trigger and response URL must all be there."""
    trigger_id, response_url = str(payload.get("trigger_id") or ""), str(payload.get("response_url") or "")
    if not (user and channel_id and trigger_id and response_url):
        return Ignored("block_actions", "incomplete")
    return IocClick(user, channel_id, str(action.get("value") or ""), trigger_id, response_url)


def read_command(payload: dict, bot_user: str | None) -> Read:
    """A slash command (its payload's fields as Slack documents them)."""
    fields = ("command", "user_id", "channel_id", "trigger_id", "response_url")
    if not all(payload.get(key) for key in fields):
        return Ignored("slash_commands", "incomplete")
    return SlashCommand(str(payload["command"]), str(payload.get("text") or ""), str(payload["user_id"]),
                        str(payload["channel_id"]), str(payload["trigger_id"]), str(payload["response_url"]))


def read_message_shortcut(payload: dict, bot_user: str | None) -> Read:
    """A message shortcut, when it is *Send to SOAR* on a message in a channel."""
    if payload.get("callback_id") != SEND_TO_SOAR:
        return Ignored("message_action", "not fn_slack's shortcut")
    message = payload.get("message") or {}
    user = str((payload.get("user") or {}).get("id") or "")
    channel = str((payload.get("channel") or {}).get("id") or "")
    ts = str(payload.get("message_ts") or message.get("ts") or "")
    if not (user and channel and ts and payload.get("trigger_id") and payload.get("response_url")):
        return Ignored("message_action", "incomplete")
    return MessageShortcut(user, channel, ts, _thread_of(message, ts), str(message.get("user") or ""),
                           str(message.get("text") or ""), str(payload["trigger_id"]), str(payload["response_url"]))


def read_global_shortcut(payload: dict, bot_user: str | None) -> Read:
    """A global shortcut, when it is *Declare incident*."""
    if payload.get("callback_id") != DECLARE_INCIDENT:
        return Ignored("shortcut", "not fn_slack's shortcut")
    user = str((payload.get("user") or {}).get("id") or "")
    if not (user and payload.get("trigger_id")):
        return Ignored("shortcut", "incomplete")
    return GlobalShortcut(user, str(payload["trigger_id"]))


def read_view_submission(payload: dict, bot_user: str | None) -> Read:
    """A modal submitted, when it is fn_slack's *Declare incident* modal."""
    view = payload.get("view") or {}
    if view.get("callback_id") != DECLARE_INCIDENT:
        return Ignored("view_submission", "not fn_slack's modal")
    user = str((payload.get("user") or {}).get("id") or "")
    values = (view.get("state") or {}).get("values")
    if not (user and view.get("id") and isinstance(values, dict)):
        return Ignored("view_submission", "incomplete")
    return ViewSubmission(user, str(view["id"]), values)


READERS: dict[str, Reader] = {
    "message": read_message,
    "thread_broadcast": read_message,
    "file_share": read_message,
    "me_message": read_message,
    "message_changed": read_edit,
    "message_deleted": read_deletion,
    "question_reply": read_question_reply,
    "block_actions": read_question_click,
    "slash_commands": read_command,
    "message_action": read_message_shortcut,
    "shortcut": read_global_shortcut,
    "view_submission": read_view_submission,
}
"""One reader per kind."""


# ---------------------------------------------------------------------------------------------- the dispatch
def message_event(envelope_type: str, payload: dict) -> dict | None:
    """The message event an ``events_api`` envelope carries (with its channel), or None."""
    event = payload.get("event") or {}
    if envelope_type == "events_api" and event.get("type") == "message" and event.get("channel"):
        return event
    return None


def kinds_of(envelope_type: str, payload: dict) -> tuple[str, ...]:
    """The kinds of one envelope, in the order they are handled: a reply in a thread of fn_slack's bot is
    first a possible answer (``question_reply``), then a message like any other."""
    event = message_event(envelope_type, payload)
    if event is not None:
        kind = event.get("subtype") or "message"
        answer = ("question_reply",) if event.get("parent_user_id") and kind in ("message", "thread_broadcast") \
            else ()
        return (*answer, kind)
    if envelope_type == "interactive":
        return (str(payload.get("type") or "interactive"),)
    if envelope_type == "events_api":
        return (f"event {(payload.get('event') or {}).get('type')}",)
    return (envelope_type,)


class EventDispatch:
    """Envelope → its kinds → the filter (message events, once) → one reader per kind."""

    def __init__(self, bot_user: Callable[[], str | None]) -> None:
        self.bot_user = bot_user
        self.ignored: dict[str, int] = {}

    def read(self, envelope_type: str, payload: dict) -> list[Read]:
        """What the envelope says, one typed event (or ``Ignored``) per kind."""
        kinds = kinds_of(envelope_type, payload)
        event = message_event(envelope_type, payload)
        bot_user = self.bot_user() if event is not None else None
        if event is not None:
            reason = not_by_a_person(authored_message(event), bot_user)
            if reason is not None:
                return [self._ignore(Ignored(kinds[-1], reason))]
        return [self._read_kind(kind, event if event is not None else payload, bot_user) for kind in kinds]

    def _read_kind(self, kind: str, body: dict, bot_user: str | None) -> Read:
        reader = READERS.get(kind)
        if reader is None:
            LOG.info(messages.event_kind_unread(kind))
            return self._ignore(Ignored(kind, "no reader"))
        read = reader(body, bot_user)
        return self._ignore(read) if isinstance(read, Ignored) else read

    def _ignore(self, ignored: Ignored) -> Ignored:
        self.ignored[ignored.reason] = self.ignored.get(ignored.reason, 0) + 1
        LOG.debug(messages.event_ignored(ignored.kind, ignored.reason))
        return ignored


__all__ = ["DECLARE_INCIDENT", "PEOPLE_SUBTYPES", "READERS", "SEND_TO_SOAR", "EventDispatch", "GlobalShortcut",
           "Ignored", "IocClick", "MessageShortcut", "QuestionClick", "QuestionReply", "Read", "SlackEvent",
           "SlashCommand", "ViewSubmission", "kinds_of", "not_by_a_person", "read_view_submission"]
