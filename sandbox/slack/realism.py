"""Switches between Slack's real (messy) behaviour, the default, and the tidy behaviour older tests relied on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

USERNAME_MODES = ("ignore", "missing_scope")
INVITE_PARTIAL_MODES = ("error", "ok")
USER_TOKEN_METADATA_MODES = ("refuse", "accept")


@dataclass
class Realism:
    """What the sandbox does where Slack's behaviour is untidy. Defaults are Slack's real behaviour (see README).

    - ``join_messages``: creating, joining and being invited to a channel leave ``channel_join`` messages in
      its history, as Slack does (tidy: no system messages).
    - ``rewrite_text``: ``chat.postMessage`` stores the text as Slack rewrites it (``&``/``<``/``>`` escaped,
      bare URLs wrapped in ``<...>``, ``@here``/``@channel``/``@everyone`` and user-group handles turned
      into mentions with ``link_names``) and notifications read the stored text (tidy: stored as sent).
    - ``username_without_scope``: ``"ignore"`` drops ``username``/``icon_*`` from a bot token lacking
      ``chat:write.customize`` silently (Slack); ``"missing_scope"`` refuses the call (tidy).
    - ``invite_partial``: ``"error"``: a ``force=true`` invitation that invites some users and fails others
      answers ``ok: false`` with ``errors[]`` (the valid users are in); ``"ok"``: ``ok: true`` with
      ``errors[]`` (tidy).
    - ``invite_removed_silently``: deactivated users in ``conversations.invite`` are skipped without an error
      while the rest are invited (Slack); tidy: they fail with ``user_not_found``.
    - ``strict_list_limit``: ``conversations.list`` refuses ``limit`` >= 1000 with ``invalid_limit``
      (tidy: capped at 1000).
    - ``history_days``: a free plan's visible history in days (None: paid plan, everything visible).
    - ``archive_ejects_app``: ``conversations.archive`` removes the app's bot user from the channel's members,
      so the app's bot token can no longer read it (Slack, as field reports describe); tidy: the bot stays.
    - ``archived_private_visible``: whether the app still sees a private channel it was removed from by the
      archive (Slack's answer is undocumented): False, every method answers ``channel_not_found`` as for any
      private channel the app is not in; True, ``conversations.info`` still describes it (``is_archived``).
    - ``block_kit_validation``: ``blocks`` of chat.postMessage, chat.update, chat.postEphemeral and response
      URLs are checked against Block Kit's types and published limits, answering ``invalid_blocks`` with
      ``errors[]`` (tidy: only "an array of objects with a type", at most 50).
    - ``event_metadata``: whether message events carry the message's ``metadata``. Slack sends metadata to apps
      through the ``message_metadata_*`` events of the types in the app's ``metadata_subscriptions``; whether a
      plain ``message`` event carries it is not documented, so False (stripped) by default, True keeps it.
    - ``user_token_metadata``: ``"refuse"``: ``chat.postMessage``/``chat.update`` with ``metadata`` from a
      user token (``xoxp-``) answer ``metadata_must_be_sent_from_app`` and change nothing; ``"accept"``
      stores it as from the app (tidy).
    """

    join_messages: bool = True
    rewrite_text: bool = True
    username_without_scope: str = "ignore"
    invite_partial: str = "error"
    invite_removed_silently: bool = True
    strict_list_limit: bool = True
    history_days: float | None = None
    archive_ejects_app: bool = True
    archived_private_visible: bool = False
    user_token_metadata: str = "refuse"
    block_kit_validation: bool = True
    event_metadata: bool = False

    def __post_init__(self) -> None:
        if self.username_without_scope not in USERNAME_MODES:
            raise ValueError(f"username_without_scope must be one of {USERNAME_MODES}")
        if self.invite_partial not in INVITE_PARTIAL_MODES:
            raise ValueError(f"invite_partial must be one of {INVITE_PARTIAL_MODES}")
        if self.user_token_metadata not in USER_TOKEN_METADATA_MODES:
            raise ValueError(f"user_token_metadata must be one of {USER_TOKEN_METADATA_MODES}")
        if self.history_days is not None and self.history_days <= 0:
            raise ValueError("history_days must be positive (or None)")

    def to_json(self) -> dict:
        return asdict(self)

    def changed(self, **changes: Any) -> Realism:
        """A copy with ``changes`` applied (unknown names are an error)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown realism switch(es): {', '.join(sorted(unknown))}")
        return replace(self, **changes)


# The tidy value of every switch, for tests that need the old behaviour while a product fix is pending.
TIDY = {"join_messages": False, "rewrite_text": False, "username_without_scope": "missing_scope",
        "invite_partial": "ok", "invite_removed_silently": False, "strict_list_limit": False,
        "history_days": None, "archive_ejects_app": False, "archived_private_visible": True,
        "user_token_metadata": "accept", "block_kit_validation": False, "event_metadata": True}


def make_realism(value: Realism | str | dict | None) -> Realism:
    """A Realism from None/"real" (Slack's behaviour), "tidy", a dict of switches, or a Realism."""
    if value is None or value == "real":
        return Realism()
    if value == "tidy":
        return Realism(**TIDY)
    if isinstance(value, Realism):
        return replace(value)
    if isinstance(value, dict):
        return Realism().changed(**value)
    raise ValueError(f"realism must be 'real', 'tidy', a dict or a Realism, not {value!r}")


def tidy(*switches: str) -> dict:
    """The tidy values of the named switches (all of them when none are named)."""
    unknown = set(switches) - set(TIDY)
    if unknown:
        raise ValueError(f"unknown realism switch(es): {', '.join(sorted(unknown))}")
    return {name: TIDY[name] for name in (switches or TIDY)}
