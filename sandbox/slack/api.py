"""The Slack Web API methods: parameters, Slack's rules and errors, and responses in Slack's shapes."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import blocks as block_kit
from . import notify, rewrite
from .limits import NON_MARKETPLACE_PAGE
from .realism import Realism
from .workspace import MAX_TEXT, Channel, FileRec, Token, User, Workspace, parse_ts, ts_str

RETIRED_PREFIXES = ("channels.", "groups.", "im.", "mpim.")
RETIRED_METHODS = ("files.upload",)
CHANNEL_NAME_MAX = 80
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
# Words Slack keeps for its own mentions; a channel cannot take them.
RESERVED_NAMES = frozenset({"channel", "channels", "here", "everyone", "group", "groups", "archive", "archived"})
MAX_ATTACHMENTS = 100
MAX_INVITE_USERS = 1000
MAX_LIST_LIMIT = 999  # "an integer under 1000" (conversations.list method page)
MAX_TOPIC = 250
MAX_BOOKMARKS = 100  # "Conversations are limited to 100 bookmarks." (bookmarks.add method page)
BOOKMARK_TYPES = ("link",)  # "bookmarks.add currently accepts the following types: link"
NEVER = float("inf")  # a share_delay that never shares
RESTRICTION_ACTIONS = {
    "posting": ("restricted_action", "posting_to_channel_denied"),
    "archiving": ("restricted_action", "cant_archive_required"),
    "inviting": ("restricted_action",),
}

READ_FAMILY = ("channels:read", "groups:read", "im:read", "mpim:read")
HISTORY_FAMILY = ("channels:history", "groups:history", "im:history", "mpim:history")
WRITE_FAMILY = ("channels:manage", "channels:write", "groups:write", "im:write", "mpim:write")
TYPE_SCOPES = {"public_channel": "channels:read", "private_channel": "groups:read", "mpim": "mpim:read",
               "im": "im:read"}


class SlackError(Exception):
    """A Slack API error: answered as HTTP 200 {"ok": false, "error": ...} plus any extra fields."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class Params:
    """Typed access to request arguments as Slack reads them (strings from forms, values from JSON)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list | dict):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def csv(self, name: str) -> list[str]:
        """A comma-separated list argument (a JSON list is accepted too), blanks and duplicates dropped."""
        value = self.values.get(name)
        items = value if isinstance(value, list) else str(value or "").split(",")
        return list(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "yes", "on")

    def int(self, name: str, default: int) -> int:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(str(value).strip())
        except ValueError:
            return default

    def json_list(self, name: str, error: str) -> list | None:
        """A JSON array argument, given as a JSON string (forms) or a list (JSON bodies); `error` otherwise."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise SlackError(error) from None
        if not isinstance(value, list):
            raise SlackError(error)
        return value


@dataclass
class Context:
    ws: Workspace
    token: Token
    user: User
    params: Params
    host_url: str
    share_delay: float
    non_marketplace: bool
    realism: Realism
    upload_url: str = ""  # base URL of the upload host ("" = host_url)

    @property
    def is_bot(self) -> bool:
        return self.token.kind == "bot"

    def has(self, scope: str) -> bool:
        return scope in self.token.scopes

    def require(self, *scopes: str) -> None:
        """Pass if the token holds any of `scopes`; else missing_scope naming the first."""
        if not any(s in self.token.scopes for s in scopes):
            raise SlackError("missing_scope", needed=scopes[0], provided=",".join(self.token.scopes))

    def require_family(self, family: tuple[str, ...]) -> None:
        """A token with none of a method's scopes is told the whole family, as Slack does."""
        if not any(s in self.token.scopes for s in family):
            raise SlackError("missing_scope", needed=",".join(family), provided=",".join(self.token.scopes))

    def channel(self, ref: str | None, *, by_name: bool = False) -> Channel:
        """A channel the caller may see: public ones, and private ones it belongs to."""
        if not ref:
            raise SlackError("channel_not_found")
        ch = self.ws.channels.get(ref)
        if ch is None and by_name:
            ch = self.ws.find_channel(ref)
        if ch is None or (ch.is_private and self.user.id not in ch.members and not self._sees_archived(ch)):
            raise SlackError("channel_not_found")
        return ch

    def _sees_archived(self, ch: Channel) -> bool:
        """The app's bot still sees a private channel the archive removed it from (realism switch)."""
        return (ch.is_archived and ch.app_ejected and self.user.id == self.ws.bot_user_id
                and self.realism.archived_private_visible)


def encode_cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def decode_cursor(cursor: str, prefix: str) -> str:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SlackError("invalid_cursor") from None
    if not text.startswith(prefix + ":"):
        raise SlackError("invalid_cursor")
    return text[len(prefix) + 1:]


def cursor_offset(ctx: Context, prefix: str) -> int:
    """Where a list paged by position resumes: 0 without a ``cursor``, else the offset the cursor holds."""
    cursor = ctx.params.str("cursor")
    if not cursor:
        return 0
    try:
        return int(decode_cursor(cursor, prefix))
    except ValueError:
        raise SlackError("invalid_cursor") from None


def copy_message(msg: dict, *, with_metadata: bool = True) -> dict:
    out = dict(msg)
    if "files" in out:
        out["files"] = [dict(f) for f in out["files"]]
    if not with_metadata:
        out.pop("metadata", None)
    return out


def message_event(msg: dict, channel_id: str, channel_type: str, team_id: str, *, with_metadata: bool) -> dict:
    """The Events API ``message`` event of a stored message. A message that shares files arrives with
    ``subtype: "file_share"`` and its ``files[]`` (message subtypes reference, ``file_share``), and without the
    ``team`` field other messages carry (slackapi/slack-api-specs #62)."""
    event = {**copy_message(msg, with_metadata=with_metadata), "channel": channel_id, "event_ts": msg["ts"],
             "channel_type": channel_type}
    if msg.get("upload") and msg.get("files") and not msg.get("subtype"):
        event["subtype"] = "file_share"
    else:
        event.setdefault("team", team_id)
    return event


def _message_metadata(params: Params, app_id: str) -> dict | None:
    """chat.postMessage's ``metadata``: ``{"event_type": str, "event_payload": object}`` (message metadata
    reference); Slack answers ``invalid_metadata_format`` otherwise."""
    value = params.values.get("metadata")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SlackError("invalid_metadata_format") from None
    if not (isinstance(value, dict) and isinstance(value.get("event_type"), str) and value["event_type"]
            and isinstance(value.get("event_payload", {}), dict)):
        raise SlackError("invalid_metadata_format")
    return {"event_type": value["event_type"], "event_payload": dict(value.get("event_payload") or {}),
            "app_id": app_id}


def message_blocks(ctx: Context) -> list | None:
    """A message's ``blocks`` (None when not given), checked as Slack checks Block Kit: anything but a JSON
    array of blocks is ``invalid_blocks``; a block or element breaking a rule is ``invalid_blocks`` with
    ``errors`` and ``response_metadata.messages`` naming each problem by JSON pointer (see blocks.py)."""
    blocks = ctx.params.json_list("blocks", "invalid_blocks")
    if blocks is not None:
        check_blocks(ctx.realism, blocks)
    return blocks


def message_attachments(ctx: Context) -> list | None:
    """A message's legacy ``attachments`` (None when not given): a JSON array of at most 100 objects
    (``invalid_attachments``, ``too_many_attachments``), their ``blocks`` checked as Block Kit."""
    attachments = ctx.params.json_list("attachments", "invalid_attachments")
    if attachments is None:
        return None
    if len(attachments) > MAX_ATTACHMENTS:
        raise SlackError("too_many_attachments")
    if not all(isinstance(a, dict) for a in attachments):
        raise SlackError("invalid_attachments")
    check_blocks(ctx.realism, [], attachments)
    return attachments


def check_blocks(realism: Realism, blocks: list, attachments: list | None = None) -> None:
    """Raise Slack's ``invalid_blocks`` answer when the blocks (or attachments' blocks) break a rule."""
    if not realism.block_kit_validation:
        if len(blocks) > block_kit.MAX_BLOCKS or not all(isinstance(b, dict) and isinstance(b.get("type"), str)
                                                         for b in blocks):
            raise SlackError("invalid_blocks")
        return
    errors = block_kit.problems(blocks) + block_kit.attachment_problems(attachments or [])
    if errors:
        raise invalid_blocks(errors)


def invalid_blocks(errors: list[str]) -> SlackError:
    return SlackError("invalid_blocks", errors=errors,
                      response_metadata={"messages": [f"[ERROR] {error}" for error in errors]})


# ----- auth ------------------------------------------------------------------------------------------------
def auth_test(ctx: Context) -> dict:
    ws, user = ctx.ws, ctx.user
    out = {"url": ws.team_url, "team": ws.team_name, "user": user.name, "team_id": ws.team_id, "user_id": user.id}
    if ctx.is_bot:
        out["bot_id"] = user.bot_id
    out["is_enterprise_install"] = False
    return out


# ----- conversations ---------------------------------------------------------------------------------------
def validate_channel_name(name: str | None) -> None:
    """Slack validates channel names and never fixes them."""
    if name is None or not name.strip():
        raise SlackError("invalid_name_required")
    if len(name) > CHANNEL_NAME_MAX:
        raise SlackError("invalid_name_maxlength")
    if not any(c.isalnum() for c in name):
        raise SlackError("invalid_name_punctuation")
    if any(c not in _NAME_CHARS for c in name):
        raise SlackError("invalid_name_specials")
    if name in RESERVED_NAMES:
        raise SlackError("invalid_name")


def conversations_create(ctx: Context) -> dict:
    is_private = ctx.params.bool("is_private")
    if is_private:
        ctx.require("groups:write")
    else:
        ctx.require("channels:manage", "channels:write")
    name = ctx.params.str("name")
    validate_channel_name(name)
    assert name is not None
    # Archived channels and private channels the caller cannot see still hold their names.
    if name in ctx.ws.names:
        raise SlackError("name_taken")
    cid = ctx.ws.add_channel(name, is_private=is_private, creator=ctx.user.id)
    ctx.ws.add_member(ctx.ws.channels[cid], ctx.user.id)
    return {"channel": ctx.ws.conversation_obj(ctx.ws.channels[cid], ctx.user.id)}


def conversations_info(ctx: Context) -> dict:
    ctx.require_family(READ_FAMILY)
    ch = ctx.channel(ctx.params.str("channel"))
    ctx.require("groups:read" if ch.is_private else "channels:read")
    return {"channel": ctx.ws.conversation_obj(ch, ctx.user.id,
                                               num_members=ctx.params.bool("include_num_members"))}


def conversations_list(ctx: Context) -> dict:
    ctx.require_family(READ_FAMILY)
    types = [t.strip() for t in (ctx.params.str("types") or "public_channel").split(",") if t.strip()]
    for kind in types:
        if kind not in TYPE_SCOPES:
            raise SlackError("invalid_types")
        ctx.require(TYPE_SCOPES[kind])
    exclude_archived = ctx.params.bool("exclude_archived")
    limit = ctx.params.int("limit", 100)
    if ctx.realism.strict_list_limit and limit > MAX_LIST_LIMIT:
        raise SlackError("invalid_limit")
    limit = 100 if limit <= 0 else min(limit, 1000)
    ws = ctx.ws
    start = 0
    cursor = ctx.params.str("cursor")
    if cursor:
        cid = decode_cursor(cursor, "team")
        if cid not in ws.position:
            raise SlackError("invalid_cursor")
        start = ws.position[cid]
    want_public, want_private = "public_channel" in types, "private_channel" in types
    # Like Slack, a page is a slice of the workspace's channels filtered afterwards, so it may hold
    # fewer than `limit` channels (even none) while next_cursor says more exist.
    end = min(start + limit, len(ws.channel_order))
    channels = []
    for cid in ws.channel_order[start:end]:
        ch = ws.channels[cid]
        if exclude_archived and ch.is_archived:
            continue
        if ch.is_private:
            if not want_private or ctx.user.id not in ch.members:
                continue
        elif not want_public:
            continue
        channels.append(ws.conversation_obj(ch, ctx.user.id, num_members=True))
    next_cursor = encode_cursor("team:" + ws.channel_order[end]) if end < len(ws.channel_order) else ""
    return {"channels": channels, "response_metadata": {"next_cursor": next_cursor}}


def conversations_members(ctx: Context) -> dict:
    ctx.require_family(READ_FAMILY)
    ch = ctx.channel(ctx.params.str("channel"))
    ctx.require("groups:read" if ch.is_private else "channels:read")
    # The app's bot, taken out of an archived channel, no longer reads it (realism archive_ejects_app).
    if ctx.is_bot and ch.is_archived and ctx.user.id not in ch.members:
        raise SlackError("not_in_channel")
    limit = ctx.params.int("limit", 100)
    limit = 100 if limit <= 0 else min(limit, 1000)
    members = list(ch.members)
    start = cursor_offset(ctx, "member_offset")
    end = start + limit
    next_cursor = encode_cursor(f"member_offset:{end}") if end < len(members) else ""
    return {"members": members[start:end], "response_metadata": {"next_cursor": next_cursor}}


def _history_channel(ctx: Context) -> Channel:
    ctx.require_family(HISTORY_FAMILY)
    ch = ctx.channel(ctx.params.str("channel"))
    ctx.require("groups:history" if ch.is_private else "channels:history")
    # Bots read only conversations they are in; user tokens may read any public channel.
    if ctx.is_bot and ctx.user.id not in ch.members:
        raise SlackError("not_in_channel")
    return ch


def _page_limit(ctx: Context, default: int, maximum: int) -> int:
    limit = ctx.params.int("limit", default)
    limit = default if limit <= 0 else min(limit, maximum)
    return min(limit, NON_MARKETPLACE_PAGE) if ctx.non_marketplace else limit


def _bounds(ctx: Context) -> tuple[int, int | None, bool]:
    oldest_raw, latest_raw = ctx.params.str("oldest"), ctx.params.str("latest")
    oldest = parse_ts(oldest_raw) if oldest_raw else 0
    if oldest is None:
        raise SlackError("invalid_ts_oldest")
    latest = parse_ts(latest_raw) if latest_raw else None
    if latest_raw and latest is None:
        raise SlackError("invalid_ts_latest")
    inclusive = ctx.params.bool("inclusive")
    days = ctx.realism.history_days
    if days is not None:
        # A free plan's window: older messages are not returned at all.
        cutoff = time.time_ns() // 1000 - int(days * 86_400_000_000)
        if oldest < cutoff:
            oldest, inclusive = cutoff, True
    return oldest, latest, inclusive


def _window(keys: list, oldest, latest, inclusive: bool) -> tuple[int, int]:
    """The slice of sorted ts keys that ``oldest``/``latest``/``inclusive`` select."""
    lo = bisect.bisect_left(keys, oldest) if inclusive else bisect.bisect_right(keys, oldest)
    if latest is None:
        return lo, len(keys)
    return lo, bisect.bisect_right(keys, latest) if inclusive else bisect.bisect_left(keys, latest)


def _cursor_ts(ctx: Context) -> int | None:
    """The ts key a page cursor points at; None without a cursor."""
    cursor = ctx.params.str("cursor")
    if not cursor:
        return None
    try:
        return int(decode_cursor(cursor, "next_ts"))
    except ValueError:
        raise SlackError("invalid_cursor") from None


def conversations_history(ctx: Context) -> dict:
    ch = _history_channel(ctx)
    limit = _page_limit(ctx, 100, 999)
    oldest, latest, inclusive = _bounds(ctx)
    keys = ch.ts_keys
    lo, hi = _window(keys, oldest, latest, inclusive)
    cursor_ts = _cursor_ts(ctx)
    if cursor_ts is not None:
        hi = min(hi, bisect.bisect_right(keys, cursor_ts))
    start = max(lo, hi - limit)
    # Message metadata comes back only when asked for (conversations.history `include_all_metadata`).
    with_metadata = ctx.params.bool("include_all_metadata")
    page = [copy_message(m, with_metadata=with_metadata) for m in reversed(ch.messages[start:hi])]
    out: dict[str, Any] = {"messages": page, "has_more": start > lo, "pin_count": 0,
                           "channel_actions_ts": None, "channel_actions_count": 0}
    if start > lo:
        out["response_metadata"] = {"next_cursor": encode_cursor(f"next_ts:{keys[start - 1]}")}
    return out


def conversations_replies(ctx: Context) -> dict:
    ch = _history_channel(ctx)
    ts = ctx.params.str("ts")
    msg = ch.by_ts.get(ts or "")
    if msg is None:
        raise SlackError("thread_not_found")
    if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
        msg = ch.by_ts[msg["thread_ts"]]
    limit = _page_limit(ctx, 1000, 1000)
    oldest, latest, inclusive = _bounds(ctx)
    replies = ch.replies.get(msg["ts"], [])
    keys = [parse_ts(r["ts"]) or 0 for r in replies]
    lo, hi = _window(keys, oldest, latest, inclusive)
    cursor_ts = _cursor_ts(ctx)
    if cursor_ts is not None:
        lo = max(lo, bisect.bisect_left(keys, cursor_ts))
    end = min(hi, lo + limit)
    # The parent leads every page; `limit` counts the replies after it.
    # Metadata only when asked for, as conversations.history (conversations.replies `include_all_metadata`).
    with_metadata = ctx.params.bool("include_all_metadata")
    page = [copy_message(m, with_metadata=with_metadata) for m in [msg, *replies[lo:end]]]
    out: dict[str, Any] = {"messages": page, "has_more": end < hi}
    if end < hi:
        out["response_metadata"] = {"next_cursor": encode_cursor(f"next_ts:{keys[end]}")}
    return out


def conversations_invite(ctx: Context) -> dict:
    ctx.require_family(WRITE_FAMILY + ("channels:write.invites", "groups:write.invites"))
    ch = ctx.channel(ctx.params.str("channel"))
    if ch.is_private:
        ctx.require("groups:write", "groups:write.invites")
    else:
        ctx.require("channels:manage", "channels:write.invites", "channels:write")
    if ch.is_archived:
        raise SlackError("is_archived")
    if ctx.user.id not in ch.members:
        raise SlackError("not_in_channel")
    if ch.restrictions.get("inviting"):
        raise SlackError(ch.restrictions["inviting"])
    users = ctx.params.csv("users")
    if not users:
        raise SlackError("no_user")
    if len(users) > MAX_INVITE_USERS:
        raise SlackError("too_many_users")
    valid, errors = [], []
    for uid in users:
        error = _invite_error(ctx, ch, uid)
        if error == "":
            continue  # a deactivated user: Slack skips them silently
        if error is None:
            valid.append(uid)
        else:
            errors.append({"user": uid, "ok": False, "error": error})
    # Without force any failure fails the whole call; with force the valid users still get in.
    if errors and (not ctx.params.bool("force") or not valid):
        raise SlackError(errors[0]["error"], errors=errors)
    for uid in valid:
        ctx.ws.add_member(ch, uid, inviter=ctx.user.id)
    if errors and ctx.realism.invite_partial == "error":
        # The documented partial-failure answer: ok false with errors[], although the valid users are in.
        raise SlackError(errors[0]["error"], errors=errors)
    out: dict[str, Any] = {"channel": ctx.ws.conversation_obj(ch, ctx.user.id)}
    if errors:
        out["errors"] = errors
    return out


def _invite_error(ctx: Context, ch: Channel, uid: str) -> str | None:
    """Why one user cannot be invited: an error code, "" to skip them silently, None if they can."""
    target = ctx.ws.users.get(uid)
    if target is None:
        return "user_not_found"
    if target.deleted:
        return "" if ctx.realism.invite_removed_silently else "user_not_found"
    if uid == ctx.user.id:
        return "cant_invite_self"
    if uid in ch.members:
        return "already_in_channel"
    if target.invite_error:
        return target.invite_error
    if target.is_ultra_restricted and any(uid in c.members for c in ctx.ws.channels.values() if not c.is_archived):
        return "ura_max_channels"  # a single-channel guest is in their one channel already
    if target.team_id and target.team_id not in ch.shared_team_ids:
        return "cant_invite"  # another team's user: only channels shared with their team
    return None


def conversations_join(ctx: Context) -> dict:
    ctx.require("channels:join", "channels:write")
    ch = ctx.channel(ctx.params.str("channel"))
    if ch.is_private:
        raise SlackError("method_not_supported_for_channel_type")
    if ch.is_archived:
        raise SlackError("is_archived")
    out: dict[str, Any] = {}
    if ctx.user.id in ch.members:
        out["warning"] = "already_in_channel"
        out["response_metadata"] = {"warnings": ["already_in_channel"]}
    ctx.ws.add_member(ch, ctx.user.id)
    out["channel"] = ctx.ws.conversation_obj(ch, ctx.user.id)
    return out


def conversations_archive(ctx: Context) -> dict:
    ctx.require_family(WRITE_FAMILY)
    ch = ctx.channel(ctx.params.str("channel"))
    if ch.is_private:
        ctx.require("groups:write")
    else:
        ctx.require("channels:manage", "channels:write")
    if ch.is_general:
        raise SlackError("cant_archive_general")
    if ch.restrictions.get("archiving"):
        raise SlackError(ch.restrictions["archiving"])
    if ch.is_archived:
        raise SlackError("already_archived")
    if ctx.user.id not in ch.members:
        raise SlackError("not_in_channel")
    ctx.ws.archive(ch, ctx.user.id)
    return {}


def conversations_unarchive(ctx: Context) -> dict:
    """The method page: "Bot tokens (xoxb-...) cannot currently be used to unarchive conversations" — the code
    Slack answers them is not documented; the sandbox answers ``not_allowed_token_type``. A user token
    unarchives and its user is added to the channel."""
    ctx.require_family(WRITE_FAMILY)
    if ctx.is_bot:
        raise SlackError("not_allowed_token_type")
    ch = ctx.channel(ctx.params.str("channel"))
    if not ch.is_archived:
        raise SlackError("not_archived")
    ch.is_archived = False
    ch.app_ejected = False
    if ctx.user.id not in ch.members:
        ch.members[ctx.user.id] = None
    return {}


def _settable_channel(ctx: Context) -> Channel:
    ctx.require_family(WRITE_FAMILY)
    ch = ctx.channel(ctx.params.str("channel"))
    if ch.is_private:
        ctx.require("groups:write")
    else:
        ctx.require("channels:manage", "channels:write")
    if ch.is_archived:
        raise SlackError("is_archived")
    if ctx.user.id not in ch.members:
        raise SlackError("not_in_channel")
    if ctx.user.is_restricted:
        raise SlackError("user_is_restricted")
    return ch


def conversations_set_topic(ctx: Context) -> dict:
    ch = _settable_channel(ctx)
    topic = ctx.params.str("topic") or ""
    if len(topic) > MAX_TOPIC:
        raise SlackError("too_long")
    ctx.ws.set_topic(ch, ctx.user.id, topic)
    return {"channel": ctx.ws.conversation_obj(ch, ctx.user.id)}


def conversations_set_purpose(ctx: Context) -> dict:
    ch = _settable_channel(ctx)
    purpose = ctx.params.str("purpose") or ""
    if len(purpose) > MAX_TOPIC:
        raise SlackError("too_long")
    ctx.ws.set_purpose(ch, ctx.user.id, purpose)
    return {"channel": ctx.ws.conversation_obj(ch, ctx.user.id)}


def conversations_rename(ctx: Context) -> dict:
    ch = _settable_channel(ctx)
    name = ctx.params.str("name")
    validate_channel_name(name)
    assert name is not None
    if name != ch.name:
        if name in ctx.ws.names:
            raise SlackError("name_taken")
        ctx.ws.rename_channel(ch, ctx.user.id, name)
    return {"channel": ctx.ws.conversation_obj(ch, ctx.user.id)}


# ----- pins and bookmarks ----------------------------------------------------------------------------------
def _pin_target(ctx: Context, scope: str) -> tuple[Channel, dict | None]:
    ctx.require(scope)
    ch = ctx.channel(ctx.params.str("channel"))
    if scope.endswith(":write"):
        if ch.is_archived:
            raise SlackError("is_archived")
        if ctx.user.id not in ch.members:
            raise SlackError("not_in_channel")
    ts = ctx.params.str("timestamp")
    if scope == "pins:read":
        return ch, None
    if not ts:
        raise SlackError("no_item_specified")
    if parse_ts(ts) is None:
        raise SlackError("bad_timestamp")
    msg = ch.by_ts.get(ts)
    if msg is None or msg.get("subtype") == "tombstone":
        raise SlackError("message_not_found")
    return ch, msg


def pins_add(ctx: Context) -> dict:
    ch, msg = _pin_target(ctx, "pins:write")
    assert msg is not None
    if msg["ts"] in ch.pins:
        raise SlackError("already_pinned")
    ctx.ws.pin(ch, msg, ctx.user.id)
    return {}


def pins_remove(ctx: Context) -> dict:
    ch, msg = _pin_target(ctx, "pins:write")
    assert msg is not None
    if msg["ts"] not in ch.pins:
        raise SlackError("no_pin")
    ctx.ws.unpin(ch, msg)
    return {}


def pins_list(ctx: Context) -> dict:
    ch, _ = _pin_target(ctx, "pins:read")
    items = [{"type": "message", "created": pin["created"], "created_by": pin["created_by"], "channel": ch.id,
              "message": copy_message(ch.by_ts[ts])} for ts, pin in reversed(ch.pins.items())]
    return {"items": items}


def _bookmark_channel(ctx: Context, scope: str) -> Channel:
    ctx.require(scope)
    ch = ctx.channel(ctx.params.str("channel_id"))
    if scope == "bookmarks:write":
        if ch.is_archived:
            raise SlackError("is_archived")
        if ctx.user.id not in ch.members:
            raise SlackError("not_in_channel")
    return ch


def _bookmark(ch: Channel, bookmark_id: str | None) -> dict:
    for mark in ch.bookmarks:
        if mark["id"] == bookmark_id:
            return mark
    raise SlackError("not_found")


def _bookmark_link(link: str | None) -> str:
    if not link or not link.startswith(("http://", "https://")):
        raise SlackError("invalid_link")
    return link


def bookmarks_add(ctx: Context) -> dict:
    ch = _bookmark_channel(ctx, "bookmarks:write")
    title, kind = ctx.params.str("title"), ctx.params.str("type")
    if not title or not kind:
        raise invalid_arguments("title and type are required")
    if kind not in BOOKMARK_TYPES:
        raise SlackError("invalid_bookmark_type")
    link = _bookmark_link(ctx.params.str("link"))
    if len(ch.bookmarks) >= MAX_BOOKMARKS:
        raise SlackError("too_many_bookmarks")
    mark = {"id": ctx.ws.new_id("Bk", 12), "channel_id": ch.id, "title": title, "link": link,
            "emoji": ctx.params.str("emoji"), "icon_url": None, "type": kind, "entity_id": None,
            "date_created": int(time.time()), "date_updated": 0, "rank": chr(ord("a") + len(ch.bookmarks) % 26),
            "last_updated_by_user_id": ctx.user.id, "last_updated_by_team_id": ctx.ws.team_id,
            "shortcut_id": None, "app_id": ctx.user.app_id}
    ch.bookmarks.append(mark)
    return {"bookmark": dict(mark)}


def bookmarks_edit(ctx: Context) -> dict:
    ch = _bookmark_channel(ctx, "bookmarks:write")
    mark = _bookmark(ch, ctx.params.str("bookmark_id"))
    title, link = ctx.params.str("title"), ctx.params.str("link")
    if link is not None:
        mark["link"] = _bookmark_link(link)
    if title:
        mark["title"] = title
    mark["date_updated"] = int(time.time())
    mark["last_updated_by_user_id"] = ctx.user.id
    return {"bookmark": dict(mark)}


def bookmarks_remove(ctx: Context) -> dict:
    ch = _bookmark_channel(ctx, "bookmarks:write")
    ch.bookmarks.remove(_bookmark(ch, ctx.params.str("bookmark_id")))
    return {}


def bookmarks_list(ctx: Context) -> dict:
    ch = _bookmark_channel(ctx, "bookmarks:read")
    return {"bookmarks": [dict(m) for m in ch.bookmarks]}


# ----- users -----------------------------------------------------------------------------------------------
def users_lookup_by_email(ctx: Context) -> dict:
    ctx.require("users:read.email")
    ctx.require("users:read")
    email = (ctx.params.str("email") or "").strip().lower()
    for user in ctx.ws.users.values():
        # Deactivated accounts are not found by e-mail.
        if email and user.email and user.email.lower() == email and not user.deleted:
            return {"user": ctx.ws.user_obj(user, with_email=True)}
    raise SlackError("users_not_found")


def users_info(ctx: Context) -> dict:
    ctx.require("users:read")
    user = ctx.ws.users.get(ctx.params.str("user") or "")
    if user is None:
        raise SlackError("user_not_found")
    return {"user": ctx.ws.user_obj(user, with_email=ctx.has("users:read.email"))}


USERS_LIST_MAX = 1000   # the sandbox's page ceiling for users.list (Slack recommends pages of at most 200)


def users_list(ctx: Context) -> dict:
    """Everyone in the workspace, in the order they joined: people, bots and apps (``is_bot``), deactivated
    accounts (``deleted: true``) and guests; e-mails with users:read.email. Without ``limit`` (or 0) the whole
    list comes at once; with it, pages of ``limit`` and ``response_metadata.next_cursor`` until it is ""."""
    ctx.require("users:read")
    users = list(ctx.ws.users.values())
    limit = ctx.params.int("limit", 0)
    start = cursor_offset(ctx, "user_offset")
    if not 0 <= start <= len(users):
        raise SlackError("invalid_cursor")
    end = len(users) if limit <= 0 else min(start + min(limit, USERS_LIST_MAX), len(users))
    with_email = ctx.has("users:read.email")
    next_cursor = encode_cursor(f"user_offset:{end}") if end < len(users) else ""
    return {"members": [ctx.ws.user_obj(user, with_email=with_email) for user in users[start:end]],
            "cache_ts": int(time.time()), "response_metadata": {"next_cursor": next_cursor}}


# ----- chat ------------------------------------------------------------------------------------------------
def _refuse_user_token_metadata(ctx: Context) -> None:
    """chat.postMessage/chat.update: ``metadata`` from a user token is ``metadata_must_be_sent_from_app``
    (both method pages: message metadata "can only be posted or updated using an app token"); nothing changes."""
    value = ctx.params.values.get("metadata")
    if value not in (None, "") and not ctx.is_bot and ctx.realism.user_token_metadata == "refuse":
        raise SlackError("metadata_must_be_sent_from_app")


def chat_post_message(ctx: Context) -> dict:
    ctx.require("chat:write", "chat:write:bot", "chat:write:user")
    _refuse_user_token_metadata(ctx)
    ws, params = ctx.ws, ctx.params
    ch = ctx.channel(params.str("channel"), by_name=True)
    if ch.is_archived:
        raise SlackError("is_archived")
    if ctx.user.id not in ch.members and (ch.is_private or not ctx.has("chat:write.public")):
        raise SlackError("not_in_channel")
    if ch.restrictions.get("posting") and not ctx.user.is_admin:
        raise SlackError(ch.restrictions["posting"])
    username = params.str("username")
    customised = bool(username or params.str("icon_emoji") or params.str("icon_url"))
    as_user = params.values.get("as_user")
    if ctx.is_bot and customised and not ctx.has("chat:write.customize"):
        if ctx.realism.username_without_scope == "missing_scope":
            ctx.require("chat:write.customize")
        customised = False  # Slack ignores the override silently and posts as the app
    elif not ctx.is_bot:
        # A user token posts as its user; only as_user=false (legacy) makes the app's bot speak instead.
        customised = customised and as_user is not None and not params.bool("as_user")
    attachments = message_attachments(ctx)
    blocks = message_blocks(ctx)
    text = params.str("text") or ""
    if not text and not attachments and not blocks:
        raise SlackError("no_text")
    parent = None
    thread_raw = params.str("thread_ts")
    if thread_raw:
        if parse_ts(thread_raw) is None:
            raise SlackError("invalid_thread_ts")
        parent = ch.by_ts.get(thread_raw)
        if parent is None:
            raise SlackError("thread_not_found")
        if parent.get("thread_ts") and parent["thread_ts"] != parent["ts"]:
            parent = ch.by_ts[parent["thread_ts"]]
    out: dict[str, Any] = {}
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        out["warning"] = "message_truncated"
        out["response_metadata"] = {"warnings": ["message_truncated"]}
    link_names = params.bool("link_names") or params.str("parse") == "full"
    if ctx.realism.rewrite_text:
        text = rewrite.rewrite(text, link_names=link_names, wrap_urls=params.str("parse") != "none",
                               usergroups_by_handle={g.handle.lower(): g.id for g in ws.usergroups.values()})
    extra: dict[str, Any] = {}
    if blocks:
        extra["blocks"] = blocks
    metadata = _message_metadata(params, ctx.user.app_id or "")
    if metadata is not None:
        extra["metadata"] = metadata
    if customised:
        icons = {}
        if params.str("icon_emoji"):
            icons["emoji"] = params.str("icon_emoji")
        if params.str("icon_url"):
            icons["image_64"] = params.str("icon_url")
        if icons:
            extra["icons"] = icons
    ts = ws.build_and_store(
        ch, ctx.user.id, text, thread_parent=parent, attachments=attachments,
        bot_username=(username or ws.users[ws.bot_user_id].name) if customised else None,
        broadcast=parent is not None and params.bool("reply_broadcast"), extra=extra,
    )
    # Rewritten text already carries its mentions as <!here>...; tidy text is scanned for bare @words.
    record_notification(ws, ch, ts, link_names=link_names and not ctx.realism.rewrite_text)
    out.update({"channel": ch.id, "ts": ts, "message": copy_message(ch.by_ts[ts])})
    return out


def record_notification(ws: Workspace, ch: Channel, ts: str, *, link_names: bool) -> None:
    """Whom the stored message notifies: its text, legacy attachment fields and blocks."""
    msg = ch.by_ts[ts]
    result = notify.compute(
        notify.message_texts(msg.get("text"), msg.get("blocks"), msg.get("attachments")), link_names=link_names,
        users_by_name={u.name.lower(): u.id for u in ws.users.values()},
        usergroups_by_handle={g.handle.lower(): g.id for g in ws.usergroups.values()},
    )
    ws.notifications.append({"channel": ch.id, "ts": ts, **result})


def permalink(ws: Workspace, ch: Channel, msg: dict) -> str:
    link = f"{ws.team_url}archives/{ch.id}/p{msg['ts'].replace('.', '')}"
    thread_ts = msg.get("thread_ts")
    if thread_ts and thread_ts != msg["ts"]:
        link += f"?thread_ts={thread_ts}&cid={ch.id}"
    return link


def chat_get_permalink(ctx: Context) -> dict:
    ch = ctx.channel(ctx.params.str("channel"))
    msg = ch.by_ts.get(ctx.params.str("message_ts") or "")
    if msg is None:
        raise SlackError("message_not_found")
    return {"channel": ch.id, "permalink": permalink(ctx.ws, ch, msg)}


def _own_message(ctx: Context, denied: str) -> tuple[Channel, dict]:
    ctx.require("chat:write", "chat:write:bot", "chat:write:user")
    ch = ctx.channel(ctx.params.str("channel"))
    msg = ch.by_ts.get(ctx.params.str("ts") or "")
    if msg is None or msg.get("subtype") == "tombstone":
        raise SlackError("message_not_found")
    if msg.get("user") != ctx.user.id:
        raise SlackError(denied)
    return ch, msg


def chat_update(ctx: Context) -> dict:
    ch, msg = _own_message(ctx, "cant_update_message")
    _refuse_user_token_metadata(ctx)
    # chat.update method page: `blocks`/`attachments` left out keep the message's own; an empty array removes
    # them; `text` is required unless blocks or attachments are given (then it is the notification fallback).
    text = ctx.params.str("text")
    blocks = message_blocks(ctx)
    attachments = message_attachments(ctx)
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    metadata = _message_metadata(ctx.params, ctx.user.app_id or "")
    text = text or ""
    if ctx.realism.rewrite_text:
        text = rewrite.rewrite(text, link_names=ctx.params.bool("link_names"), wrap_urls=True,
                               usergroups_by_handle={g.handle.lower(): g.id for g in ctx.ws.usergroups.values()})
    ctx.ws.edit_message(ch, msg["ts"], text[:MAX_TEXT], ctx.user.id, blocks=blocks, attachments=attachments)
    if metadata is not None:
        msg["metadata"] = metadata   # chat.update replaces the message's metadata (message metadata reference)
    return {"channel": ch.id, "ts": msg["ts"], "text": msg["text"], "message": copy_message(msg)}


def chat_delete(ctx: Context) -> dict:
    ch, msg = _own_message(ctx, "cant_delete_message")
    ts = msg["ts"]
    ctx.ws.delete_message(ch, ts)
    return {"channel": ch.id, "ts": ts}


def conversations_open(ctx: Context) -> dict:
    """A direct message (one user: im:write) or group DM (2-8 users: mpim:write) of the caller with people."""
    users = ctx.params.csv("users")
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 8:
        raise SlackError("too_many_users")
    ctx.require("im:write" if len(users) == 1 else "mpim:write")
    for uid in users:
        user = ctx.ws.users.get(uid)
        if user is None or user.deleted:
            raise SlackError("user_not_found")
    ch = ctx.ws.open_dm(users)
    return {"no_op": False, "already_open": False, "channel": {"id": ch.id}}


def chat_post_ephemeral(ctx: Context) -> dict:
    """A message only ``user`` sees, in a conversation they are in; it is not stored in history."""
    ctx.require("chat:write", "chat:write:bot", "chat:write:user")
    ch = ctx.channel(ctx.params.str("channel"), by_name=True)
    user = ctx.params.str("user")
    if not user or user not in ctx.ws.users:
        raise SlackError("user_not_found")
    if user not in ch.members:
        raise SlackError("user_not_in_channel")
    blocks = message_blocks(ctx)
    if not (ctx.params.str("text") or blocks):
        raise SlackError("no_text")
    ts = ts_str(time.time_ns() // 1000)
    ctx.ws.ephemerals.append({"channel": ch.id, "user": user, "text": ctx.params.str("text") or "",
                              "thread_ts": ctx.params.str("thread_ts"), "ts": ts, "blocks": blocks or []})
    return {"message_ts": ts}


# ----- modals ----------------------------------------------------------------------------------------------
VIEW_TITLE_MAX = 24
VIEW_BLOCKS_MAX = 100
TRIGGER_LIFETIME = 3.0


def _view_problems(view: object) -> list[str]:
    """What views.open refuses in a modal view (Slack's view reference: type, title/submit/close limits, blocks)."""
    if not isinstance(view, dict):
        return ["view must be a JSON object"]
    problems = []
    if view.get("type") != "modal":
        problems.append("type must be modal")
    for key, limit, required in (("title", VIEW_TITLE_MAX, True), ("submit", VIEW_TITLE_MAX, False),
                                 ("close", VIEW_TITLE_MAX, False)):
        text = view.get(key)
        if text is None:
            if required:
                problems.append(f"missing required field: {key}")
            continue
        if not isinstance(text, dict) or text.get("type") != "plain_text" or not str(text.get("text") or ""):
            problems.append(f"{key} must be a plain_text object with text")
        elif len(str(text["text"])) > limit:
            problems.append(f"must be less than {limit + 1} characters [json-pointer:/view/{key}/text]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > VIEW_BLOCKS_MAX:
        problems.append(f"blocks must be an array of at most {VIEW_BLOCKS_MAX} blocks")
    elif any(b.get("type") == "input" for b in blocks if isinstance(b, dict)) and view.get("submit") is None:
        problems.append("a view with input blocks needs a submit [json-pointer:/view/submit]")
    if len(str(view.get("callback_id") or "")) > 255 or len(str(view.get("private_metadata") or "")) > 3000:
        problems.append("callback_id is at most 255 characters, private_metadata at most 3000")
    return problems


def views_open(ctx: Context) -> dict:
    """A modal for the person whose action issued ``trigger_id``: the trigger opens one view, within 3 s."""
    trigger_id = ctx.params.str("trigger_id")
    if not trigger_id:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: "
                                                                              "trigger_id"]})
    raw = ctx.params.values.get("view")
    try:
        view = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        view = None
    problems = _view_problems(view)
    if problems:
        raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
    trigger = ctx.ws.triggers.get(trigger_id)
    if trigger is None or trigger["used"]:
        raise SlackError("invalid_trigger_id")
    if time.monotonic() - trigger["issued"] > TRIGGER_LIFETIME:
        raise SlackError("expired_trigger_id")
    trigger["used"] = True
    view_id = "V" + uuid.uuid4().hex[:10].upper()
    ctx.ws.views[view_id] = {"user": trigger["user"], "view": view, "open": True, "errors": {}, "submissions": []}
    return {"view": {**view, "id": view_id, "team_id": ctx.ws.team_id, "state": {"values": {}}}}


# ----- files -----------------------------------------------------------------------------------------------
def invalid_arguments(message: str) -> SlackError:
    return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {message}"]})


def files_get_upload_url_external(ctx: Context) -> dict:
    ctx.require("files:write")
    filename = ctx.params.str("filename")
    if not filename:
        raise invalid_arguments("missing required field: filename")
    length_raw = ctx.params.str("length")
    if not length_raw:
        raise invalid_arguments("missing required field: length")
    try:
        length = int(length_raw)
    except ValueError:
        raise invalid_arguments("invalid value for field: length") from None
    if length < 1:
        # "Typically only occurs when the length provided is 0" (files.getUploadURLExternal method page).
        raise SlackError("missing_argument")
    if length > ctx.ws.max_file_bytes:
        raise SlackError("file_upload_size_restricted")
    rec = FileRec(ctx.ws.new_id("F"), filename, filename, ctx.user.id, length, int(time.time()),
                  alt_txt=ctx.params.str("alt_txt"))
    ctx.ws.files[rec.id] = rec
    return {"upload_url": f"{ctx.upload_url or ctx.host_url}upload/{rec.id}", "file_id": rec.id}


def files_complete_upload_external(ctx: Context) -> dict:
    ctx.require("files:write")
    ws = ctx.ws
    entries = ctx.params.json_list("files", "invalid_arguments")
    if not entries:
        raise invalid_arguments("missing required field: files")
    recs: list[FileRec] = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id"):
            raise invalid_arguments("each file needs an id")
        rec = ws.files.get(entry["id"])
        if rec is None or rec.user != ctx.user.id or rec.completed:
            raise SlackError("file_not_found")
        if rec.data is None:
            raise invalid_arguments(f"file {rec.id} was never uploaded")
        if len(rec.data) != rec.length:
            raise invalid_arguments(f"file {rec.id}: declared length {rec.length}, received {len(rec.data)} bytes")
        recs.append(rec)
    channel_refs = ctx.params.csv("channels")
    if ctx.params.str("channel_id"):
        channel_refs.insert(0, ctx.params.str("channel_id"))
    channels = [ctx.channel(ref) for ref in dict.fromkeys(channel_refs)]
    for ch in channels:
        if ch.is_archived:
            raise SlackError("is_archived")
        if ctx.user.id not in ch.members:
            raise SlackError("not_in_channel")
        if ch.restrictions.get("posting") and not ctx.user.is_admin:
            raise SlackError("posting_to_channel_denied")
    thread_ts = ctx.params.str("thread_ts")
    if thread_ts:
        if parse_ts(thread_ts) is None:
            raise SlackError("invalid_thread_ts")
        if not channels or any(thread_ts not in ch.by_ts for ch in channels):
            raise SlackError("thread_not_found")
    for entry, rec in zip(entries, recs, strict=True):
        rec.completed = True
        if entry.get("title"):
            rec.title = str(entry["title"])
    files = [ws.file_obj(rec) for rec in recs]
    comment = ctx.params.str("initial_comment") or ""
    if ctx.realism.rewrite_text and comment:
        comment = rewrite.rewrite(comment, link_names=False, wrap_urls=True, usergroups_by_handle={})
    for ch in channels:
        share = {"channel": ch.id, "user": ctx.user.id, "files": [r.id for r in recs], "comment": comment,
                 "thread_ts": thread_ts}
        # Slack shares the file into the channel a moment after completion (or, rarely, never); model that.
        if ctx.share_delay == NEVER:
            continue
        if ctx.share_delay > 0:
            ws.pending_shares.append((time.monotonic() + ctx.share_delay, share))
        else:
            post_share(ws, share)
    return {"files": files}


def post_share(ws: Workspace, share: dict) -> None:
    ch = ws.channels[share["channel"]]
    parent = ch.by_ts.get(share["thread_ts"]) if share.get("thread_ts") else None
    if parent is not None and parent.get("thread_ts") and parent["thread_ts"] != parent["ts"]:
        parent = ch.by_ts[parent["thread_ts"]]
    ts = ws.build_and_store(ch, share["user"], share["comment"], thread_parent=parent,
                            files=[ws.files[fid] for fid in share["files"]])
    record_notification(ws, ch, ts, link_names=False)


def flush_due_shares(ws: Workspace, now: float | None = None) -> None:
    """Post the file shares whose delay has passed (called before every request and inspection)."""
    if not ws.pending_shares:
        return
    now = time.monotonic() if now is None else now
    due = [s for s in ws.pending_shares if s[0] <= now]
    if due:
        ws.pending_shares = [s for s in ws.pending_shares if s[0] > now]
        for _, share in sorted(due, key=lambda s: s[0]):
            post_share(ws, share)


def files_info(ctx: Context) -> dict:
    ctx.require("files:read")
    rec = ctx.ws.files.get(ctx.params.str("file") or "")
    if rec is None or not rec.completed or rec.mode == "hidden_by_limit" or not _file_visible(ctx, rec):
        raise SlackError("file_not_found")
    if rec.mode == "tombstone":
        raise SlackError("file_deleted")
    return {"file": ctx.ws.file_obj(rec), "comments": [], "response_metadata": {"next_cursor": ""}}


def _file_visible(ctx: Context, rec: FileRec) -> bool:
    if rec.user == ctx.user.id or rec.shares.get("public"):
        return True
    return any(ctx.user.id in ctx.ws.channels[cid].members for cid in rec.shares.get("private", {}))


METHODS: dict[str, Callable[[Context], dict]] = {
    "auth.test": auth_test,
    "conversations.create": conversations_create,
    "conversations.info": conversations_info,
    "conversations.list": conversations_list,
    "conversations.invite": conversations_invite,
    "conversations.join": conversations_join,
    "conversations.members": conversations_members,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.archive": conversations_archive,
    "conversations.unarchive": conversations_unarchive,
    "conversations.setTopic": conversations_set_topic,
    "conversations.setPurpose": conversations_set_purpose,
    "conversations.rename": conversations_rename,
    "pins.add": pins_add,
    "pins.remove": pins_remove,
    "pins.list": pins_list,
    "bookmarks.add": bookmarks_add,
    "bookmarks.edit": bookmarks_edit,
    "bookmarks.remove": bookmarks_remove,
    "bookmarks.list": bookmarks_list,
    "users.lookupByEmail": users_lookup_by_email,
    "users.info": users_info,
    "users.list": users_list,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "conversations.open": conversations_open,
    "chat.getPermalink": chat_get_permalink,
    "views.open": views_open,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
    "files.info": files_info,
}


def is_retired(method: str) -> bool:
    return method in RETIRED_METHODS or method.startswith(RETIRED_PREFIXES)

