"""FLOW an artifact button of *Send to SOAR*'s answer: the IOC the person picked becomes an artifact of the
channel's incident.

The steps, after slack_actions found the channel's incident and checked the clicker (the same permission check
as every action: the incident is the channel's, never one a button names): the button's value is checked again
(``iocs.checked_offer``: still an IOC of the artifact type it names, citing a message ts — else refused); a
click whose claim (keyed by its ``trigger_id`` and the offer) exists already is a second delivery and answers
nothing; an artifact of that type and value already on the incident is "already there" (nothing written); else,
under the click's claim (a click Slack delivers twice acts once), the artifact
is added once (``soar.artifacts``: looked for by type and value again before a POST whose answer was lost is
sent again) and the action's note written naming the Slack person and the SOAR user; the ephemeral answer is
replaced by what was done.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fn_slack.lib import messages
from fn_slack.lib.action_permissions import Allowed
from fn_slack.lib.block_kit import slack_escape
from fn_slack.lib.event_notes import action_note_html, message_url
from fn_slack.lib.iocs import Offer, checked_offer, same_value
from fn_slack.lib.locks import incident_lock
from fn_slack.lib.slack_events import IocClick
from fn_slack.lib.soar.artifacts import ArtifactAdded, Artifacts

ACTION = "Add as artifact"


class LinkedPlace(Protocol):
    """What the action reads of slack_actions' ``Place``: the channel's incident and the channel's name."""

    incident_id: int
    channel_name: str


@dataclass
class ArtifactSteps:
    """What the artifact action uses of slack_actions: the answer to a response URL, the app's identity, the
    claimed note (``write_once(key, place, allowed, body, link)``; ``claimed(key, place, allowed)``: whether its
    key is claimed already), the refusal (``refuse(action, user, channel, response_url, reason)``) and the
    outcome count."""

    respond: Callable[[str, dict], bool]
    identity: Callable[[], dict]
    write_once: Callable[..., str]
    claimed: Callable[..., bool]
    refuse: Callable[[str, str, str, str, str], str]
    count: Callable[[str], str]


def claim_key(trigger_id: str, offer: Offer) -> str:
    """The click's claim: its trigger and what it adds (short: the claim row holds the key)."""
    digest = hashlib.sha256(f"{offer.artifact_type}\n{offer.value}".encode()).hexdigest()[:16]
    return f"artifact/{trigger_id}/{digest}"


class ArtifactAction:
    """The IOC of a click, added as an artifact once."""

    def __init__(self, rest_client: object, steps: ArtifactSteps) -> None:
        self.artifacts = Artifacts(rest_client)
        self.steps = steps

    def add(self, click: IocClick, place: LinkedPlace, allowed: Allowed) -> str:
        """The click's IOC on ``place``'s incident; returns the outcome
        ("added", "already", "refused", "duplicate")."""
        offer = checked_offer(click.value)
        if offer is None:
            return self.steps.refuse(ACTION, click.user, click.channel, click.response_url, "not-an-ioc")
        incident_id = place.incident_id
        key = claim_key(click.trigger_id, offer)
        if self.steps.claimed(key, place, allowed):   # a second delivery of this click: the first answers
            return self.steps.count("duplicate")
        with incident_lock(incident_id):   # two people adding one IOC at once: the second finds the first's
            return self._add_once(click, offer, key, place, allowed)

    def _add_once(self, click: IocClick, offer: Offer, key: str, place: LinkedPlace, allowed: Allowed) -> str:
        """Under the incident's lock: "already there", or the artifact and the action's note, once."""
        incident_id = place.incident_id
        existing = self.artifacts.find(incident_id, offer.artifact_type, offer.value, same_value)
        if existing is not None:
            return self._tell(click, offer, ArtifactAdded(existing, added=False), incident_id)
        link = message_url(self.steps.identity().get("url"), click.channel, offer.ts, offer.thread_ts)
        made: list[ArtifactAdded] = []

        def body() -> str:
            description = messages.artifact_description(allowed.person.label, allowed.soar_user.label,
                                                        place.channel_name, link)
            made.append(self.artifacts.add(incident_id, offer.artifact_type, offer.value, description, same_value))
            detail = messages.action_artifact_added(html.escape(offer.artifact_type), html.escape(offer.value),
                                                    made[-1].artifact_id)
            return action_note_html(key, allowed.person, allowed.soar_user.label, messages.ACTION_KINDS["artifact"],
                                    place.channel_name, link=link, detail_html=detail)

        written = self.steps.write_once(key, place, allowed, body, link)
        if written in ("duplicate", "superseded") or not made:
            return self.steps.count("duplicate")
        return self._tell(click, offer, made[-1], incident_id)

    def _tell(self, click: IocClick, offer: Offer, result: ArtifactAdded, incident_id: int) -> str:
        """Replace the buttons the person clicked with what was done (only they see it)."""
        shown = slack_escape(offer.value)
        text = (messages.artifact_added if result.added else messages.artifact_already)(
            shown, offer.artifact_type, result.artifact_id, incident_id)
        self.steps.respond(click.response_url, {"replace_original": True, "text": text})
        return self.steps.count("added" if result.added else "already")


__all__ = ["ArtifactAction", "ArtifactSteps", "claim_key"]
