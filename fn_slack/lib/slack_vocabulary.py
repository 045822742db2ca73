"""Slack's vocabulary as fn_slack reads it: a channel, a message timestamp, which history messages were written
by someone, which start a thread, a user's shown name, and the facts a Slack write returns.

Pure: no call, no I/O. The Slack edge (``slack_client``, ``slack_writes``, ``slack_uploads``) speaks it, and
the flows read what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
class PostedMessage:
    """A message posted: its ``ts``, and whether Slack dropped the username override asked for (a bot token
    without ``chat:write.customize`` posts under the app's own name)."""

    ts: str
    username_dropped: bool = False


@dataclass(frozen=True)
class UploadedFile:
    """A file shared in a channel: its ID, name, the link to show and the sharing message's ts — None while
    Slack has not shown the share yet (the link is then the file's own)."""

    id: str
    name: str
    permalink: str
    share_ts: str | None

    @property
    def share_seen(self) -> bool:
        """Whether Slack showed the message that shares the file (its permalink is the link)."""
        return bool(self.share_ts)


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


def share_ts(file_info: dict, channel_id: str) -> str | None:
    """The ts of the message that shares a file (files.info's ``shares``) in the channel, if Slack shows it."""
    shares = file_info.get("shares") or {}
    for kind in ("public", "private"):
        entries = (shares.get(kind) or {}).get(channel_id) or []
        if entries:
            return entries[0].get("ts")
    return None


def given(**arguments: object) -> dict[str, object]:
    """The optional arguments of a Slack call that were given (not None, not empty), in their order."""
    return {name: value for name, value in arguments.items() if value}
