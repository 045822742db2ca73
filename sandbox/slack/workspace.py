"""In-memory state of one sandbox Slack workspace: team, users, channels, messages, files and tokens."""

from __future__ import annotations

import bisect
import copy
import json
import mimetypes
import os
import random
import re
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .realism import Realism

ID_ALPHABET = string.ascii_uppercase + string.digits
DEFAULT_TOKEN = "xoxb-sandbox-token"
DEFAULT_BOT_SCOPES = (
    "channels:read", "groups:read", "channels:manage", "groups:write", "chat:write", "chat:write.public",
    "chat:write.customize", "users:read", "users:read.email", "files:write", "files:read",
    "channels:history", "groups:history", "channels:join",
    # two-way channels: questions in direct messages, and replies there
    "im:write", "mpim:write", "im:history",
    # the channel kept in step with its incident: the pinned summary and the bookmark to the incident
    "pins:write", "bookmarks:write", "bookmarks:read",
    # actions from Slack: the slash command and the message shortcut
    "commands",
)
DEFAULT_USERS = (
    ("alice", "alice@example.com", "Alice Adams", "Alice"),
    ("bob", "bob@example.com", "Bob Brown", "Bob"),
    ("carol", "carol@example.com", "Carol Clark", "Carol"),
)
# The rest of the default workspace: a single-channel guest, a deactivated user and a Slack Connect partner.
PARTNER_TEAM = "T0PARTNER1"
DEFAULT_EXTRA_USERS = (
    {"name": "gina", "email": "gina@example.com", "real_name": "Gina Guest", "display_name": "Gina",
     "is_restricted": True, "is_ultra_restricted": True},
    {"name": "dan", "email": "dan@example.com", "real_name": "Dan Gone", "display_name": "Dan", "deleted": True},
    {"name": "erin", "email": "erin@partner.example", "real_name": "Erin External", "display_name": "Erin",
     "team_id": PARTNER_TEAM},
)
# User tokens of the default people and the guest, so tests, the demo and the sandbox's page can act as them.
DEFAULT_TOKEN_PEOPLE = (*(name for name, *_ in DEFAULT_USERS), "gina")
DEFAULT_USER_SCOPES = (
    "channels:read", "groups:read", "channels:write", "groups:write", "chat:write", "channels:history",
    "groups:history", "users:read", "users:read.email", "files:write", "files:read",
)
USER_TOKEN_PREFIX = "xoxp-sandbox-"
SLACKBOT_ID = "USLACKBOT"
# Messages Slack writes into a channel itself.
SYSTEM_SUBTYPES = frozenset({"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
                             "channel_archive", "channel_unarchive"})
TOMBSTONE_TEXT = "This message was deleted."
MAX_UPLOAD_BYTES = 1 << 30  # Slack's hard ceiling for one file
MAX_TEXT = 40_000

_TS_RE = re.compile(r"^\d{1,10}(\.\d{1,6})?$")

# filetype, pretty_type by extension: what Slack reports for the common cases.
_FILETYPES = {
    "txt": ("text", "Plain Text"), "log": ("text", "Plain Text"), "json": ("json", "JSON"),
    "csv": ("csv", "CSV"), "html": ("html", "HTML"), "htm": ("html", "HTML"), "pdf": ("pdf", "PDF"),
    "png": ("png", "PNG"), "jpg": ("jpg", "JPEG"), "jpeg": ("jpg", "JPEG"), "gif": ("gif", "GIF"),
    "zip": ("zip", "Zip"), "md": ("markdown", "Markdown (raw)"), "xml": ("xml", "XML"),
    "eml": ("email", "Email"), "py": ("python", "Python"),
}


def ts_str(us: int) -> str:
    """Render integer microseconds as Slack's "1700000000.000100" timestamp string."""
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def parse_ts(value: Any) -> int | None:
    """Parse a Slack timestamp ("1700000000.0001", 1700000000) into integer microseconds, None if malformed."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = f"{value:.6f}"
    text = str(value).strip()
    if not _TS_RE.match(text):
        return None
    whole, _, frac = text.partition(".")
    return int(whole) * 1_000_000 + int((frac or "0").ljust(6, "0"))


def mask_token(token: str) -> str:
    """Show enough of a token to recognise it, never the whole secret."""
    prefix = token.split("-", 1)[0] if "-" in token else ""
    tail = token[-4:] if len(token) >= 12 else ""
    return f"{prefix}-****{tail}" if prefix else f"****{tail}"


def filetype_for(name: str) -> tuple[str, str, str]:
    """Return (filetype, pretty_type, mimetype) for a file name."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    filetype, pretty = _FILETYPES.get(ext, ("binary", "Binary"))
    mimetype = mimetypes.guess_type(name)[0] or ("text/plain" if filetype == "text" else "application/octet-stream")
    return filetype, pretty, mimetype


@dataclass
class User:
    id: str
    name: str
    email: str | None
    real_name: str
    display_name: str
    is_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    deleted: bool = False
    is_admin: bool = False
    updated: int = 0
    is_restricted: bool = False  # a guest
    is_ultra_restricted: bool = False  # a single-channel guest
    team_id: str | None = None  # another team's id for a Slack Connect user, else None (this workspace)
    invite_error: str | None = None  # an error conversations.invite always answers for this user


@dataclass
class Token:
    token: str
    kind: str  # "bot" or "user"
    user_id: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class Usergroup:
    id: str
    handle: str
    users: list[str]


@dataclass(eq=False)
class Channel:
    id: str
    name: str
    is_private: bool
    created: int
    creator: str
    is_archived: bool = False
    is_general: bool = False
    members: dict[str, None] = field(default_factory=dict)  # insertion-ordered set of user ids
    topic: str = ""
    purpose: str = ""
    pins: dict[str, dict] = field(default_factory=dict)  # pinned message ts -> {"created", "created_by"}
    bookmarks: list[dict] = field(default_factory=list)  # the bookmarks bar, in the order they were added
    # Top-level messages (and thread broadcasts) in ts order, with their integer keys for bisecting.
    ts_keys: list[int] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)
    by_ts: dict[str, dict] = field(default_factory=dict)  # every message, replies included
    replies: dict[str, list[dict]] = field(default_factory=dict)  # parent ts -> replies oldest first
    last_us: int = 0
    # Admin restrictions: action ("posting", "archiving", "inviting") -> the error Slack answers.
    restrictions: dict[str, str] = field(default_factory=dict)
    shared_team_ids: list[str] = field(default_factory=list)  # other teams in a Slack Connect channel
    previous_names: list[str] = field(default_factory=list)
    is_im: bool = False  # a direct message (conversations.open): private, unnamed, not in conversations.list
    is_mpim: bool = False
    app_ejected: bool = False  # the archive removed the app's bot user (realism.archive_ejects_app)


@dataclass(eq=False)
class FileRec:
    id: str
    name: str
    title: str
    user: str
    length: int
    created: int
    data: bytes | None = None
    completed: bool = False
    shares: dict[str, dict[str, list[dict]]] = field(default_factory=dict)  # "public"/"private" -> cid -> [..]
    alt_txt: str | None = None
    mode: str = "hosted"  # "tombstone" once deleted, "hidden_by_limit" when a plan limit hides it


class WorkspaceError(ValueError):
    """A workspace definition or an inspection-helper argument is invalid."""


class Workspace:
    """Everything one sandbox Slack holds; callers serialise access with the sandbox lock."""

    def __init__(self, spec: dict | str | os.PathLike | None = None) -> None:
        if spec is not None and not isinstance(spec, dict):
            spec = json.loads(Path(spec).read_text(encoding="utf-8"))
        spec = spec or {}
        self._rng = random.Random(os.urandom(16))  # noqa: S311 - ids need uniqueness, not secrecy
        self._ids: set[str] = set()
        team = spec.get("team", {})
        self.team_id: str = team.get("id", "T0SANDBOX1")
        self.team_name: str = team.get("name", "sandbox")
        self.team_domain: str = team.get("domain", self.team_name)
        self.team_url: str = team.get("url", f"https://{self.team_domain}.slack.com/")
        if not self.team_url.endswith("/"):
            self.team_url += "/"
        self.max_file_bytes: int = int(spec.get("max_file_bytes", MAX_UPLOAD_BYTES))
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}  # insertion order is creation order
        self.channel_order: list[str] = []
        self.position: dict[str, int] = {}  # channel id -> index in channel_order, for list cursors
        self.names: dict[str, str] = {}  # channel name -> id, archived and private channels included
        self.tokens: dict[str, Token] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.files: dict[str, FileRec] = {}
        self.pending_shares: list[tuple[float, dict]] = []
        self.notifications: list[dict] = []
        self.ephemerals: list[dict] = []  # chat.postEphemeral: {"channel", "user", "text", "thread_ts", "ts"}
        self.triggers: dict[str, dict] = {}  # trigger id -> {"user", "issued" (monotonic), "used"}
        self.views: dict[str, dict] = {}  # view id -> {"user", "view", "open", "errors", "submissions"}
        self.realism = Realism()  # the sandbox replaces it with its own settings
        # Socket Mode: called (under the sandbox lock) as on_event(kind, channel, message, previous) for
        # "message", "message_changed" and "message_deleted"; the sandbox sets it after loading the file.
        self.on_event: Callable[[str, Channel, dict, dict | None], None] | None = None

        bot = spec.get("bot", {})
        self.bot_user_id = self.add_user(
            bot.get("name", "soar"), None, real_name=bot.get("real_name", "SOAR"),
            display_name=bot.get("display_name", "SOAR"), user_id=bot.get("user_id"), is_bot=True,
            bot_id=bot.get("bot_id"), app_id=bot.get("app_id"),
        )
        default_people = "users" not in spec
        user_specs = spec.get("users") if not default_people else [
            *({"name": n, "email": e, "real_name": r, "display_name": d} for n, e, r, d in DEFAULT_USERS),
            *DEFAULT_EXTRA_USERS]
        for entry in user_specs:
            self.add_user(entry["name"], entry.get("email"), real_name=entry.get("real_name"),
                          display_name=entry.get("display_name"), user_id=entry.get("id"),
                          is_admin=bool(entry.get("is_admin", False)), deleted=bool(entry.get("deleted", False)),
                          is_bot=bool(entry.get("is_bot", False)),
                          is_restricted=bool(entry.get("is_restricted", entry.get("is_ultra_restricted", False))),
                          is_ultra_restricted=bool(entry.get("is_ultra_restricted", False)),
                          team_id=entry.get("team_id"), invite_error=entry.get("invite_error"))
        for group in spec.get("usergroups", []):
            gid = group.get("id") or self.new_id("S")
            self._ids.add(gid)
            self.usergroups[gid] = Usergroup(gid, group["handle"], [self.resolve_user(u) for u in group["users"]])
        self.add_token(DEFAULT_TOKEN, list(DEFAULT_BOT_SCOPES), kind="bot", user_id=self.bot_user_id)
        if default_people:
            for name in DEFAULT_TOKEN_PEOPLE:
                self.add_token(USER_TOKEN_PREFIX + name, list(DEFAULT_USER_SCOPES), kind="user",
                               user_id=self.resolve_user(name))
        for tok in spec.get("tokens", []):
            kind = tok.get("kind", "bot")
            user_id = self.bot_user_id if kind == "bot" and not tok.get("user") else self.resolve_user(tok["user"])
            self.add_token(tok["token"], list(tok.get("scopes", [])), kind=kind, user_id=user_id)
            if tok.get("revoked"):
                self.tokens[tok["token"]].revoked = True

        humans = [u.id for u in self.users.values()
                  if not (u.is_bot or u.deleted or u.is_restricted or u.team_id)]
        channel_specs = spec.get("channels")
        if channel_specs is None:
            channel_specs = [{"name": "general", "is_general": True, "members": humans}]
            if default_people:
                # Private, without the app: invisible to the default bot token, as in Slack.
                channel_specs.append({"name": "partners", "is_private": True, "members": ["alice", "gina", "erin"],
                                      "creator": "alice",
                                      "shared_team_ids": [PARTNER_TEAM], "purpose": "Shared with Partner Co"})
        for ch in channel_specs:
            members = [self.resolve_user(m) for m in ch.get("members", [])]
            creator = self.resolve_user(ch["creator"]) if ch.get("creator") else (members[0] if members else "")
            cid = self.add_channel(
                ch["name"], is_private=bool(ch.get("is_private", False)), members=members,
                archived=False, creator=creator or None, channel_id=ch.get("id"), created=ch.get("created"),
                is_general=bool(ch.get("is_general", ch["name"] == "general")),
                topic=ch.get("topic", ""), purpose=ch.get("purpose", ""),
            )
            self.channels[cid].restrictions.update(ch.get("restrictions", {}))
            self.channels[cid].shared_team_ids.extend(ch.get("shared_team_ids", []))
            for msg in ch.get("messages", []):
                self._load_message(cid, msg, None)
            if ch.get("archived"):
                self.channels[cid].is_archived = True

    # ----- ids and lookups -------------------------------------------------------------------------------
    def new_id(self, prefix: str, length: int = 10) -> str:
        """A fresh Slack-style id: prefix + uppercase alphanumerics, unique in this workspace."""
        while True:
            candidate = prefix + "".join(self._rng.choices(ID_ALPHABET, k=length))
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def resolve_user(self, ref: str) -> str:
        """User id for a name, e-mail, id or the word "bot"; WorkspaceError if nobody matches."""
        user = self.find_user(ref)
        if user is None:
            raise WorkspaceError(f"unknown user {ref!r}")
        return user.id

    def find_user(self, ref: str) -> User | None:
        if ref in self.users:
            return self.users[ref]
        if ref in ("bot", "@bot"):
            return self.users[self.bot_user_id]
        lowered = ref.lstrip("@").lower()
        for user in self.users.values():
            if user.name.lower() == lowered or (user.email and user.email.lower() == lowered):
                return user
        return None

    def find_channel(self, ref: str) -> Channel | None:
        """Channel by id, name or #name (no visibility rules: callers apply them)."""
        if ref in self.channels:
            return self.channels[ref]
        cid = self.names.get(ref.lstrip("#"))
        return self.channels.get(cid) if cid else None

    # ----- building ------------------------------------------------------------------------------------
    def add_user(self, name: str, email: str | None, *, real_name: str | None = None,
                 display_name: str | None = None, user_id: str | None = None, is_bot: bool = False,
                 bot_id: str | None = None, app_id: str | None = None, is_admin: bool = False,
                 deleted: bool = False, is_restricted: bool = False, is_ultra_restricted: bool = False,
                 team_id: str | None = None, invite_error: str | None = None) -> str:
        if any(u.name == name for u in self.users.values()):
            raise WorkspaceError(f"user name {name!r} exists")
        uid = user_id or self.new_id("U")
        self._ids.add(uid)
        if is_bot:
            bot_id = bot_id or self.new_id("B")
            app_id = app_id or self.new_id("A")
        self.users[uid] = User(
            uid, name, email, real_name if real_name is not None else name.title(),
            display_name if display_name is not None else (real_name or name.title()).split()[0],
            is_bot=is_bot, bot_id=bot_id, app_id=app_id, is_admin=is_admin, deleted=deleted,
            updated=int(time.time()), is_restricted=is_restricted or is_ultra_restricted,
            is_ultra_restricted=is_ultra_restricted, team_id=team_id if team_id != self.team_id else None,
            invite_error=invite_error,
        )
        return uid

    def add_token(self, token: str, scopes: list[str], *, kind: str = "bot", user_id: str | None = None) -> None:
        if kind not in ("bot", "user"):
            raise WorkspaceError("token kind must be 'bot' or 'user'")
        if user_id is None:
            if kind == "user":
                raise WorkspaceError("a user token needs user_id")
            user_id = self.bot_user_id
        if user_id not in self.users:
            user_id = self.resolve_user(user_id)
        self.tokens[token] = Token(token, kind, user_id, list(dict.fromkeys(scopes)))

    def add_channel(self, name: str, *, is_private: bool = False, members: Any = (), archived: bool = False,
                    creator: str | None = None, channel_id: str | None = None, created: int | None = None,
                    is_general: bool = False, topic: str = "", purpose: str = "") -> str:
        if name in self.names:
            raise WorkspaceError(f"channel name {name!r} is taken")
        cid = channel_id or self.new_id("C")
        if cid in self.channels:
            raise WorkspaceError(f"channel id {cid!r} exists")
        self._ids.add(cid)
        creator_id = self.resolve_user(creator) if creator else (self.bot_user_id)
        ch = Channel(cid, name, is_private, int(created if created is not None else time.time()), creator_id,
                     is_archived=archived, is_general=is_general, topic=topic, purpose=purpose)
        for m in members:
            ch.members[self.resolve_user(m)] = None
        self.channels[cid] = ch
        self.position[cid] = len(self.channel_order)
        self.channel_order.append(cid)
        self.names[name] = cid
        return cid

    def open_dm(self, user_ids: list[str]) -> Channel:
        """The app's direct message with one person (``D…``) or group DM with several, made on first use."""
        members = {self.bot_user_id, *user_ids}
        for ch in self.channels.values():
            if (ch.is_im or ch.is_mpim) and set(ch.members) == members:
                return ch
        cid = self.new_id("D" if len(user_ids) == 1 else "G")
        self._ids.add(cid)
        name = user_ids[0] if len(user_ids) == 1 else "mpdm-" + "--".join(user_ids) + "-1"
        ch = Channel(cid, name, True, int(time.time()), self.bot_user_id, is_im=len(user_ids) == 1,
                     is_mpim=len(user_ids) > 1)
        for uid in [self.bot_user_id, *user_ids]:
            ch.members[uid] = None
        self.channels[cid] = ch
        return ch

    def next_ts(self, ch: Channel, at_us: int | None = None) -> int:
        """A ts for a new message: now (or at_us), strictly after every ts already in the channel."""
        us = max(at_us if at_us is not None else time.time_ns() // 1000, ch.last_us + 1)
        ch.last_us = us
        return us

    def insert_message(self, ch: Channel, msg: dict, us: int, *, thread_parent: dict | None = None,
                       broadcast: bool = False) -> dict:
        """Store a message (ts already assigned) at its place, maintaining thread counters on the parent."""
        ts = msg["ts"]
        ch.by_ts[ts] = msg
        if thread_parent is not None:
            parent_ts = thread_parent["ts"]
            replies = ch.replies.setdefault(parent_ts, [])
            replies.append(msg)
            if len(replies) > 1 and replies[-2]["ts"] > ts:
                replies.sort(key=lambda m: parse_ts(m["ts"]) or 0)
            refresh_thread(thread_parent, replies)
        if thread_parent is None or broadcast:
            if not ch.ts_keys or us > ch.ts_keys[-1]:
                ch.ts_keys.append(us)
                ch.messages.append(msg)
            else:
                pos = bisect.bisect_left(ch.ts_keys, us)
                ch.ts_keys.insert(pos, us)
                ch.messages.insert(pos, msg)
        ch.last_us = max(ch.last_us, us)
        if self.on_event is not None:
            self.on_event("message", ch, msg, None)
        return msg

    # ----- membership and system messages --------------------------------------------------------------------
    def add_member(self, ch: Channel, user_id: str, *, inviter: str | None = None) -> None:
        """Put a user in a channel; Slack records the join as a channel_join message (realism.join_messages)."""
        if user_id in ch.members:
            return
        ch.members[user_id] = None
        if self.realism.join_messages:
            extra = {"inviter": inviter} if inviter else {}
            self.system_message(ch, "channel_join", user_id, f"<@{user_id}> has joined the channel", **extra)

    def system_message(self, ch: Channel, subtype: str, user_id: str, text: str, **extra: Any) -> str:
        """Store a message Slack writes itself (channel_join, channel_topic, ...) and return its ts."""
        us = self.next_ts(ch)
        msg: dict[str, Any] = {"type": "message", "subtype": subtype, "ts": ts_str(us), "user": user_id,
                               "text": text, **extra}
        user = self.users.get(user_id)
        if user is not None and user.is_bot:
            msg["bot_id"] = user.bot_id
        self.insert_message(ch, msg, us)
        return msg["ts"]

    def archive(self, ch: Channel, user_id: str) -> str:
        """Archive the channel as ``user_id``: Slack writes a ``channel_archive`` message, then (realism
        ``archive_ejects_app``) takes the app's bot user out of the members; people stay. Returns the ts."""
        ch.is_archived = True
        ts = self.system_message(ch, "channel_archive", user_id, f"<@{user_id}> archived the channel")
        if self.realism.archive_ejects_app and self.bot_user_id in ch.members:
            ch.members.pop(self.bot_user_id)
            ch.app_ejected = True
        return ts

    def set_topic(self, ch: Channel, user_id: str, topic: str) -> str:
        ch.topic = topic
        return self.system_message(ch, "channel_topic", user_id, f"<@{user_id}> set the channel topic: {topic}",
                                   topic=topic)

    def pin(self, ch: Channel, msg: dict, user_id: str) -> None:
        """Pin a message: Slack lists it in pins.list and marks the message with ``pinned_to``."""
        ch.pins[msg["ts"]] = {"created": int(time.time()), "created_by": user_id}
        msg["pinned_to"] = [*msg.get("pinned_to", []), ch.id]

    def unpin(self, ch: Channel, msg: dict) -> None:
        ch.pins.pop(msg["ts"], None)
        rest = [c for c in msg.get("pinned_to", []) if c != ch.id]
        if rest:
            msg["pinned_to"] = rest
        else:
            msg.pop("pinned_to", None)

    def set_purpose(self, ch: Channel, user_id: str, purpose: str) -> str:
        ch.purpose = purpose
        return self.system_message(ch, "channel_purpose", user_id,
                                   f"<@{user_id}> set the channel description: {purpose}", purpose=purpose)

    def rename_channel(self, ch: Channel, user_id: str, name: str) -> str:
        old = ch.name
        del self.names[old]
        self.names[name] = ch.id
        ch.name = name
        ch.previous_names.insert(0, old)
        return self.system_message(ch, "channel_name", user_id,
                                   f'<@{user_id}> has renamed the channel from "{old}" to "{name}"',
                                   old_name=old, name=name)

    # ----- edits, deletions and file modes ---------------------------------------------------------------
    def edit_message(self, ch: Channel, ts: str, text: str, editor: str | None = None, *,
                     blocks: list | None = None, attachments: list | None = None) -> dict:
        """Change a message's text (and its blocks/attachments when given: an empty list removes them, None
        keeps them) and send ``message_changed``."""
        msg = ch.by_ts[ts]
        previous = copy.deepcopy(msg)
        msg["text"] = text
        for key, value in (("blocks", blocks), ("attachments", attachments)):
            if value:
                msg[key] = ([dict(a, id=i) for i, a in enumerate(value, start=1)] if key == "attachments"
                            else copy.deepcopy(value))
            elif value is not None:
                msg.pop(key, None)
        msg["edited"] = {"user": editor or msg.get("user", ""), "ts": ts_str(time.time_ns() // 1000)}
        if self.on_event is not None:
            self.on_event("message_changed", ch, msg, previous)
        return msg

    def delete_message(self, ch: Channel, ts: str) -> None:
        """Delete as Slack does: a thread parent with replies leaves a tombstone, anything else disappears."""
        msg = ch.by_ts[ts]
        if self.on_event is not None:
            self.on_event("message_deleted", ch, copy.deepcopy(msg), None)
        thread_ts = msg.get("thread_ts")
        if thread_ts and thread_ts != ts:  # a reply
            replies = ch.replies.get(thread_ts, [])
            replies[:] = [r for r in replies if r["ts"] != ts]
            parent = ch.by_ts.get(thread_ts)
            if parent is not None:
                if replies:
                    refresh_thread(parent, replies)
                else:
                    ch.replies.pop(thread_ts, None)
                    for key in ("thread_ts", "reply_count", "reply_users_count", "latest_reply", "reply_users",
                                "subscribed"):
                        parent.pop(key, None)
                    if parent.get("subtype") == "tombstone":
                        self._remove_top_level(ch, parent["ts"])
            if msg.get("subtype") == "thread_broadcast":
                self._remove_top_level(ch, ts)
            del ch.by_ts[ts]
            return
        if ch.replies.get(ts):
            keep = {k: msg[k] for k in ("ts", "thread_ts", "reply_count", "reply_users_count", "latest_reply",
                                        "reply_users", "subscribed") if k in msg}
            msg.clear()
            msg.update({"type": "message", "subtype": "tombstone", "text": TOMBSTONE_TEXT, "user": SLACKBOT_ID,
                        "hidden": True, **keep})
            return
        self._remove_top_level(ch, ts)
        del ch.by_ts[ts]

    @staticmethod
    def _remove_top_level(ch: Channel, ts: str) -> None:
        us = parse_ts(ts)
        pos = bisect.bisect_left(ch.ts_keys, us)
        if pos < len(ch.ts_keys) and ch.ts_keys[pos] == us:
            del ch.ts_keys[pos]
            del ch.messages[pos]

    def set_file_mode(self, rec: FileRec, mode: str) -> None:
        """Delete ("tombstone") or hide ("hidden_by_limit") a file: messages then show only its id and mode."""
        rec.mode = mode
        for ch in self.channels.values():
            for msg in ch.by_ts.values():
                files = msg.get("files")
                if files and any(f.get("id") == rec.id for f in files):
                    msg["files"] = [{"id": rec.id, "mode": mode} if f.get("id") == rec.id else f for f in files]

    def _load_message(self, cid: str, entry: dict, parent: dict | None) -> None:
        ch = self.channels[cid]
        user_ref = entry.get("user")
        user_id = self.resolve_user(user_ref) if user_ref else self.bot_user_id
        at = parse_ts(entry["ts"]) if entry.get("ts") else None
        if entry.get("ts") and at is None:
            raise WorkspaceError(f"bad ts {entry['ts']!r}")
        files = [self.make_file(user_id, f.get("name", "file.txt"), f.get("title"), _file_bytes(f))
                 for f in entry.get("files", [])]
        ts = self.build_and_store(ch, user_id, entry.get("text", ""), at_us=at,
                                  thread_parent=parent, attachments=entry.get("attachments"),
                                  files=files, bot_username=entry.get("bot_username"))
        for reply in entry.get("replies", []):
            self._load_message(cid, reply, ch.by_ts[ts])

    def make_file(self, user_id: str, name: str, title: str | None, data: bytes) -> FileRec:
        """A completed file record (used for seeded files)."""
        rec = FileRec(self.new_id("F"), name, title or name, user_id, len(data), int(time.time()), data=data,
                      completed=True)
        self.files[rec.id] = rec
        return rec

    def build_and_store(self, ch: Channel, user_id: str, text: str, *, at_us: int | None = None,
                        thread_parent: dict | None = None, attachments: list | None = None,
                        files: list[FileRec] | None = None, bot_username: str | None = None,
                        broadcast: bool = False, extra: dict | None = None) -> str:
        """Create a message with Slack's fields, store it and return its ts."""
        us = self.next_ts(ch, at_us)
        ts = ts_str(us)
        user = self.users[user_id]
        msg: dict[str, Any] = {"type": "message", "text": text, "user": user_id, "ts": ts}
        if user.is_bot:
            msg["bot_id"] = user.bot_id
            msg["team"] = self.team_id
            msg["bot_profile"] = self.bot_profile(user)
        if bot_username:
            msg["subtype"] = "bot_message"
            msg["username"] = bot_username
            msg["bot_id"] = self.users[self.bot_user_id].bot_id
        if attachments:
            msg["attachments"] = [dict(a, id=i) for i, a in enumerate(attachments, start=1)]
        if extra:
            msg.update(extra)
        if thread_parent is not None:
            msg["thread_ts"] = thread_parent["ts"]
            msg["parent_user_id"] = thread_parent.get("user", user_id)
            if broadcast:
                msg["subtype"] = "thread_broadcast"
        if files:
            msg["files"] = []
            msg["upload"] = True
            msg["display_as_bot"] = False
            for rec in files:
                self.record_share(rec, ch, ts, thread_parent["ts"] if thread_parent else None)
                msg["files"].append(self.file_obj(rec))
        self.insert_message(ch, msg, us, thread_parent=thread_parent, broadcast=broadcast)
        return ts

    def record_share(self, rec: FileRec, ch: Channel, ts: str, thread_ts: str | None) -> None:
        kind = "private" if ch.is_private else "public"
        entry = {"reply_users": [], "reply_users_count": 0, "reply_count": 0, "ts": ts,
                 "channel_name": ch.name, "team_id": self.team_id, "share_user_id": rec.user}
        if thread_ts:
            entry["thread_ts"] = thread_ts
        rec.shares.setdefault(kind, {}).setdefault(ch.id, []).append(entry)

    # ----- Slack-shaped objects --------------------------------------------------------------------------
    def bot_profile(self, user: User) -> dict:
        icon = f"https://avatars.slack-edge.com/sandbox/{user.bot_id}"
        # The app's name (the manifest's display_information.name), which Slack shows as a bot post's author.
        return {"id": user.bot_id, "deleted": False, "name": user.real_name or user.name, "updated": user.updated,
                "app_id": user.app_id, "team_id": self.team_id,
                "icons": {"image_36": icon + "_36.png", "image_48": icon + "_48.png", "image_72": icon + "_72.png"}}

    def user_obj(self, user: User, *, with_email: bool = True) -> dict:
        first, _, last = user.real_name.partition(" ")
        avatar = f"https://avatars.slack-edge.com/sandbox/{user.id}"
        profile: dict[str, Any] = {
            "title": "", "phone": "", "skype": "", "real_name": user.real_name,
            "real_name_normalized": user.real_name, "display_name": user.display_name,
            "display_name_normalized": user.display_name, "fields": {}, "status_text": "", "status_emoji": "",
            "status_expiration": 0, "avatar_hash": "g" + user.id[-10:].lower(), "first_name": first,
            "last_name": last, "team": user.team_id or self.team_id,
            **{f"image_{n}": f"{avatar}_{n}.png" for n in (24, 32, 48, 72, 192, 512)},
        }
        if user.is_bot:
            profile.update({"bot_id": user.bot_id, "api_app_id": user.app_id, "always_active": True})
        elif with_email and user.email:
            profile["email"] = user.email
        return {
            "id": user.id, "team_id": self.team_id, "name": user.name, "deleted": user.deleted,
            "color": "9f69e7", "real_name": user.real_name, "tz": "Etc/UTC", "tz_label": "Coordinated Universal Time",
            "tz_offset": 0, "profile": profile, "is_admin": user.is_admin, "is_owner": False,
            "is_primary_owner": False, "is_restricted": user.is_restricted,
            "is_ultra_restricted": user.is_ultra_restricted, "is_bot": user.is_bot,
            "is_app_user": False, "updated": user.updated,
        } | ({"team_id": user.team_id, "is_stranger": True} if user.team_id else {})

    def conversation_obj(self, ch: Channel, caller_id: str | None, *, num_members: bool = False) -> dict:
        obj = {
            "id": ch.id, "name": ch.name, "is_channel": not (ch.is_im or ch.is_mpim), "is_group": False,
            "is_im": ch.is_im, "is_mpim": ch.is_mpim,
            "is_private": ch.is_private, "created": ch.created, "is_archived": ch.is_archived,
            "is_general": ch.is_general, "unlinked": 0, "name_normalized": ch.name,
            "is_shared": bool(ch.shared_team_ids), "is_org_shared": False, "is_pending_ext_shared": False,
            "pending_shared": [], "parent_conversation": None, "creator": ch.creator,
            "is_ext_shared": bool(ch.shared_team_ids),
            "shared_team_ids": [self.team_id, *ch.shared_team_ids], "pending_connected_team_ids": [],
            "is_member": caller_id in ch.members if caller_id else False,
            "topic": {"value": ch.topic, "creator": "", "last_set": 0},
            "purpose": {"value": ch.purpose, "creator": "", "last_set": 0},
            "previous_names": list(ch.previous_names),
        }
        if num_members:
            obj["num_members"] = len(ch.members)
        return obj

    def file_obj(self, rec: FileRec) -> dict:
        filetype, pretty, mimetype = filetype_for(rec.name)
        channels = list(rec.shares.get("public", {}))
        groups = list(rec.shares.get("private", {}))
        base_private = f"{self.team_url}files-pri/{self.team_id}-{rec.id}/"
        obj = {
            "id": rec.id, "created": rec.created, "timestamp": rec.created, "name": rec.name, "title": rec.title,
            "mimetype": mimetype, "filetype": filetype, "pretty_type": pretty, "user": rec.user,
            "user_team": self.team_id, "editable": False, "size": len(rec.data) if rec.data is not None else 0,
            "mode": "hosted", "is_external": False, "external_type": "", "is_public": bool(channels),
            "public_url_shared": False, "display_as_bot": False, "username": "",
            "url_private": base_private + rec.name, "url_private_download": base_private + "download/" + rec.name,
            "permalink": f"{self.team_url}files/{rec.user}/{rec.id}/{rec.name}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{rec.id}-{rec.id[-6:].lower()}",
            "comments_count": 0, "is_starred": False,
            "shares": copy.deepcopy(rec.shares), "channels": channels, "groups": groups, "ims": [],
            "has_rich_preview": False,
        }
        return obj


def _file_bytes(entry: dict) -> bytes:
    """Bytes of a file defined in a workspace file: its "content" text, or "size" zero bytes."""
    if "content" in entry:
        return str(entry["content"]).encode("utf-8")
    return b"\0" * int(entry.get("size", 0))


def refresh_thread(parent: dict, replies: list[dict]) -> None:
    """Recompute the thread fields Slack keeps on a parent message."""
    users = list(dict.fromkeys(r.get("user") for r in replies if r.get("user")))
    parent["thread_ts"] = parent["ts"]
    parent["reply_count"] = len(replies)
    parent["reply_users_count"] = len(users)
    parent["latest_reply"] = replies[-1]["ts"]
    parent["reply_users"] = users[:5]
    parent["subscribed"] = False
