"""FLOW actions from Slack: the slash command (``/soar`` by default: ``status``, ``note <text>``, ``tasks``,
``done <task>``) and the message shortcut *Send to SOAR*, in a channel linked two-way to an incident.

One flow per action, the same steps each: find the channel's incident (the mirror's directory: only a link
fn_slack sealed counts); ask who the person is (users.info) and whether they may act (action_permissions: the
SOAR user with their e-mail, owner or member of the incident, or holding a mapped role); do the work; answer
the person alone (the action's ``response_url``, ephemeral). An action that changes the incident (a note, a
closed task, a message sent) is written to it as a note naming the Slack person and the SOAR user, once under
the action's claim (soar.claimed_notes, keyed by the action's ``trigger_id``): an action Slack delivers twice
acts once, and the second delivery answers nothing. Every refusal is answered with its reason and logged.
*Send to SOAR*'s answer offers the IOCs of the message as artifacts (iocs), one button each; a click goes
through the same steps to artifact_action.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.action_permissions import ActionPermissions, Allowed, Refused
from fn_slack.lib.artifact_action import ArtifactAction, ArtifactSteps
from fn_slack.lib.block_kit import slack_escape
from fn_slack.lib.errors import FnSlackError
from fn_slack.lib.event_notes import action_marker, action_note_html, message_url, slack_link_html
from fn_slack.lib.iocs import offer_blocks, offers
from fn_slack.lib.people import Person
from fn_slack.lib.slack_events import IocClick, MessageShortcut, SlashCommand
from fn_slack.lib.soar.actors import SoarActors
from fn_slack.lib.soar.claimed_notes import ClaimedNote, NotePlace, Timing

LOG = logging.getLogger(__name__)
NOTE_MAX = 10000   # characters of a /soar note's text kept (a Slack message holds 40,000; a note stays readable)


@dataclass(frozen=True)
class Place:
    """Where an action happens: the channel and the incident (and task) it is linked to."""

    channel: str
    channel_name: str
    incident_id: int
    task_id: int | None


@dataclass
class ActionEdges:
    """What the actions use of the listener: the answer to a response URL, who a Slack person is, the app's
    identity (team URL), the linked incident of a channel, the claim's timing, and this process's name."""

    respond: Callable[[str, dict], bool]
    person: Callable[[str], Person]
    identity: Callable[[], dict]
    place: Callable[[str], Place | None]
    timing: Callable[[], Timing]
    owner: str


class SlackActions:
    """The slash command and the *Send to SOAR* shortcut."""

    def __init__(self, command: str, roles: tuple[str, ...], rest_client: object, edges: ActionEdges) -> None:
        self.command = command
        self.rest = rest_client
        self.edges = edges
        self.actors = SoarActors(rest_client)
        self.permissions = ActionPermissions(self.actors, roles)
        self.outcomes: dict[str, int] = {}
        self.artifacts = ArtifactAction(rest_client, ArtifactSteps(
            edges.respond, edges.identity, self._write_once,
            lambda key, place, allowed: self._claim(key, place, allowed).claimed(), self._refuse, self._count))

    # ------------------------------------------------------------------ the slash command
    def on_command(self, command: SlashCommand) -> str:
        """``/soar <subcommand>``; returns what was done ("answered", "noted", "closed", "refused", "failed",
        "duplicate", "ignored")."""
        if command.command.lower() != self.command:
            return self._count("ignored")
        verb, _, rest = command.text.strip().partition(" ")
        verb, rest = verb.lower(), rest.strip()
        if verb not in ("status", "note", "tasks", "done"):
            return self._answer(command.response_url, messages.command_usage(self.command), "answered")
        if verb == "note" and not rest:
            return self._answer(command.response_url, messages.command_note_empty(self.command), "answered")
        return self._guarded(f"{self.command} {verb}", command.user, command.channel, command.response_url,
                             lambda place, allowed: self._subcommand(verb, rest, command, place, allowed))

    def _subcommand(self, verb: str, rest: str, command: SlashCommand, place: Place, allowed: Allowed) -> str:
        if verb == "status":
            return self._status(command, place)
        if verb == "tasks":
            return self._tasks(command, place)
        if verb == "note":
            return self._note(command, place, allowed, rest[:NOTE_MAX])
        return self._done(command, place, allowed, rest)

    def _status(self, command: SlashCommand, place: Place) -> str:
        incident = self.actors.incident(place.incident_id)
        open_tasks = self.actors.open_tasks(place.incident_id)

        def shown(key: str) -> str:
            return slack_escape(str(incident.get(key) or ""))

        status = messages.incident_status(incident.get("plan_status") == "C")
        text = messages.command_status(place.incident_id, shown("name"), severity=shown("severity_code"),
                                       status=status, phase=shown("phase_id"), owner=shown("owner_id"),
                                       open_tasks=len(open_tasks))
        return self._answer(command.response_url, text, "answered")

    def _tasks(self, command: SlashCommand, place: Place) -> str:
        lines = [messages.command_task_line(int(t["id"]), slack_escape(str(t.get("name") or "")))
                 for t in self.actors.open_tasks(place.incident_id)]
        return self._answer(command.response_url, messages.command_tasks(lines), "answered")

    def _note(self, command: SlashCommand, place: Place, allowed: Allowed, text: str) -> str:
        def body() -> str:
            return action_note_html(command.trigger_id, allowed.person, allowed.soar_user.label,
                                    messages.ACTION_KINDS["note"], place.channel_name, text=text)

        outcome = self._write_once(command.trigger_id, place, allowed, body)
        return self._answer(command.response_url, messages.command_noted(place.incident_id), "noted", outcome)

    def _done(self, command: SlashCommand, place: Place, allowed: Allowed, given: str) -> str:
        if self._claim(command.trigger_id, place, allowed).claimed():   # a second delivery: the first closes it
            return self._count("duplicate")
        open_tasks = self.actors.open_tasks(place.incident_id)
        matches = [t for t in open_tasks if str(t.get("id")) == given.lstrip("#")] or \
                  [t for t in open_tasks if str(t.get("name") or "").strip().lower() == given.lower()]
        if not given or not matches:
            return self._answer(command.response_url, messages.command_task_unknown(slack_escape(given or "''")),
                                "answered")
        if len(matches) > 1:
            return self._answer(command.response_url,
                                messages.command_task_ambiguous(slack_escape(given), len(matches)), "answered")
        task = matches[0]

        def body() -> str:
            self.actors.close_task(task)   # closing a closed task changes nothing: safe if a holder retakes
            detail = messages.action_task_closed(int(task["id"]), html.escape(str(task.get("name") or "")))
            return action_note_html(command.trigger_id, allowed.person, allowed.soar_user.label,
                                    messages.ACTION_KINDS["done"], place.channel_name, detail_html=detail)

        outcome = self._write_once(command.trigger_id, place, allowed, body)
        text = messages.command_task_closed(slack_escape(str(task.get("name") or "")), place.incident_id)
        return self._answer(command.response_url, text, "closed", outcome)

    # ------------------------------------------------------------------ the message shortcut
    def on_message_shortcut(self, shortcut: MessageShortcut) -> str:
        """*Send to SOAR*: the message, with its author and link, becomes a note on the linked incident."""
        return self._guarded("Send to SOAR", shortcut.user, shortcut.channel, shortcut.response_url,
                             lambda place, allowed: self._send(shortcut, place, allowed))

    def _send(self, shortcut: MessageShortcut, place: Place, allowed: Allowed) -> str:
        link = self._message_link(shortcut)
        author = self.edges.person(shortcut.author) if shortcut.author else Person.unverified("")

        def body() -> str:
            return action_note_html(shortcut.trigger_id, allowed.person, allowed.soar_user.label,
                                    messages.ACTION_KINDS["send"], place.channel_name, link=link, text=shortcut.text,
                                    author=author, user_name=lambda uid: self.edges.person(uid).real_name or None)

        outcome = self._write_once(shortcut.trigger_id, place, allowed, body, link)
        text = messages.sent_to_soar(place.incident_id)
        offered = offers(shortcut.text, shortcut.message_ts, shortcut.thread_ts)
        return self._answer(shortcut.response_url, text, "noted", outcome, blocks=offer_blocks(text, offered))

    def on_ioc_click(self, click: IocClick) -> str:
        """An artifact button of *Send to SOAR*'s answer: the IOC, added as an artifact of the channel's incident
        (never of one the button names) when the clicker may act there."""
        return self._guarded("Add as artifact", click.user, click.channel, click.response_url,
                             lambda place, allowed: self.artifacts.add(click, place, allowed))

    def _message_link(self, shortcut: MessageShortcut) -> str:
        return message_url(self.edges.identity().get("url"), shortcut.channel, shortcut.message_ts,
                           shortcut.thread_ts)

    # ------------------------------------------------------------------ the common steps
    def _guarded(self, action: str, user_id: str, channel: str, response_url: str,
                 work: Callable[[Place, Allowed], str]) -> str:
        """Find the place, check the person, then ``work``; refusals and failures are answered and logged."""
        try:
            place = self.edges.place(channel)
            if place is None:
                return self._refuse(action, user_id, channel, response_url, "not-linked")
            person = self.edges.person(user_id)
            decision = self.permissions.check(person, self.actors.people(self.actors.incident(place.incident_id)))
            if isinstance(decision, Refused):
                return self._refuse(action, user_id, channel, response_url, decision.reason)
            return work(place, decision)
        except FnSlackError as err:
            LOG.warning(messages.action_failed_log(action, user_id, err))
            return self._answer(response_url, messages.action_failed(err), "failed")

    def _refuse(self, action: str, user_id: str, channel: str, response_url: str, reason: str) -> str:
        why = messages.ACTION_REFUSALS[reason]
        LOG.info(messages.action_refused_log(action, user_id, channel, why))
        return self._answer(response_url, messages.action_refused(why), "refused")

    def _claim(self, key: str, place: Place, allowed: Allowed, link: str = "") -> ClaimedNote:
        """The action's note under its claim (the key: the action's trigger_id, one per action)."""
        note_place = NotePlace(place.incident_id, None, f"action/{key}", action_marker(key), allowed.person.label,
                               slack_link_html(link) if link else "")
        return ClaimedNote(self.rest, note_place, self.edges.timing(), owner=self.edges.owner)

    def _write_once(self, key: str, place: Place, allowed: Allowed, body: Callable[[], str], link: str = "") -> str:
        """The action's note, written once."""
        return self._claim(key, place, allowed, link).write(body)

    def _answer(self, response_url: str, text: str, outcome: str, written: str = "noted", *,
                blocks: list[dict] | None = None) -> str:
        """Tell the person alone; a second delivery of an action already recorded answers nothing."""
        if written in ("duplicate", "superseded"):
            return self._count("duplicate")
        self.edges.respond(response_url, {"response_type": "ephemeral", "text": text,
                                          **({"blocks": blocks} if blocks else {})})
        return self._count(outcome)

    def _count(self, outcome: str) -> str:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        return outcome


__all__ = ["ActionEdges", "Place", "SlackActions"]
