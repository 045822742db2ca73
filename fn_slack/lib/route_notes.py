"""FORMAT the notes fn_slack writes when it refuses to mirror a channel into an incident (pure: no I/O): in the
incident refused, what was found there; in the incident the channel mirrors into, that another one named its
channel; and the reference each carries so that it is written once.

Every value that came from SOAR's table (a row's key, a changed cell, a channel's name) or from Slack is
escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Protocol

from fn_slack.lib import messages


class Changed(Protocol):
    """A cell changed outside fn_slack (``soar.seals.Change``)."""

    column: str
    sealed: str
    now: str


class Found(Protocol):
    """What a refused incident holds for the channel (``soar.routes.Finding``)."""

    kind: str
    res_id: str
    changes: Sequence[Changed]


def route_key(channel_id: str, *parts: object) -> str:
    """The claim key of a routing note in ``slack_messages_db``: ``route/<channel>/…``."""
    return "/".join(["route", channel_id, *(str(part) for part in parts)])


def route_marker(key: str) -> str:
    """The reference a routing note carries: a paragraph of its own, which escaped text cannot produce."""
    return f"<p><small>{html.escape(f'slack-route {key}')}</small></p>"


def channel_html(channel_id: str, channel_name: str) -> str:
    """``<b>#name</b> (ID)``, escaped; the ID alone when the name is not known."""
    esc = html.escape
    return f"<b>#{esc(channel_name)}</b> ({esc(channel_id)})" if channel_name else f"<b>{esc(channel_id)}</b>"


def finding_text(finding: Found, owner: str | None, *, escape: bool = True) -> str:
    """One finding in words (escaped for a note; plain for the log)."""
    esc = html.escape if escape else str
    changes = messages.cells_changed([(c.column, c.sealed, c.now) for c in finding.changes])
    return messages.ROUTE_FINDINGS[finding.kind].format(res_id=esc(finding.res_id), changes=esc(changes),
                                                        owner=esc(owner or ""))


def refused_note_html(channel_id: str, channel_name: str, findings: Sequence[Found], owner: str | None,
                      key: str) -> str:
    """The note of an incident the channel does not mirror into although it names the channel."""
    texts = [finding_text(finding, owner) for finding in findings]
    owner_html = html.escape(owner) if owner else None
    return (f"<div>{messages.route_refused_note(channel_html(channel_id, channel_name), texts, owner_html)}"
            f"{route_marker(key)}</div>")


def elsewhere_note_html(channel_id: str, channel_name: str, other: str, key: str) -> str:
    """The note of the incident the channel mirrors into, when ``other`` names the channel too."""
    return (f"<div>{messages.route_elsewhere_note(channel_html(channel_id, channel_name), html.escape(other))}"
            f"{route_marker(key)}</div>")


def post_refused_notes_html(channel_id: str, channel_name: str, here: str, owner: str, key: str) -> tuple[str, str]:
    """The two notes of a post refused because the channel mirrors into ``owner``: (the post's incident's, the
    owner's)."""
    channel = channel_html(channel_id, channel_name)
    return (f"<div>{messages.route_post_refused_here_note(channel, html.escape(owner))}{route_marker(key)}</div>",
            f"<div>{messages.route_post_refused_owner_note(channel, html.escape(here))}{route_marker(key)}</div>")


__all__ = ["channel_html", "elsewhere_note_html", "finding_text", "post_refused_notes_html", "refused_note_html",
           "route_key", "route_marker"]
