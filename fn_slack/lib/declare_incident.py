"""FLOW *Declare incident*: Slack's global shortcut opens a modal (name, severity, description); its submission
creates the SOAR incident and its private Slack channel with the person in it.

1. The shortcut (``GlobalShortcut``, no channel, no response URL): who is the person (users.info) and may they
   declare (``action_permissions.who``: the active SOAR user with their e-mail, never a guest or an external
   person; when ``declare_roles`` is set, only holders of one of those SOAR roles). Within Slack's 3 seconds of
   the ``trigger_id``, ``views.open`` the modal — or, when refused, a modal that only says why.
2. The submission (``ViewSubmission``) is answered in its ack (``answer``, no network): a blank or too long name,
   a missing severity or a too long description keeps the modal open with the error under its field; anything
   else closes it and goes on to the work.
3. The work, after the ack: the person is checked again; the incident is created once
   (``soar.declared_incidents``: its description ends with the declaration's marker, the modal's view ID; a
   lost answer is looked for before anything is sent again); its channel ``inc-<id>-<name>`` is made by the
   channel-post flow of slack_post_message (``MessagePost``: created private, the person invited by e-mail, a
   first message naming the incident, its severity, the declarer and the SOAR link, the link sealed and
   mirrored); the incident gets a note naming the Slack person and the SOAR user they declared as.
4. The person's answer is the channel. When the work fails after the modal closed, the app's direct message
   tells them what failed and what was (or was not) created.

A submission handled twice (Slack does not redeliver it; a second handling in this process waits for the first
and finds its work) finds the incident by its marker, finds its channel linked and its note written: nothing
is made twice.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.action_permissions import ActionPermissions, Refused
from fn_slack.lib.channel_post import PostOutcome, PostRequest
from fn_slack.lib.errors import FnSlackError
from fn_slack.lib.event_notes import action_marker
from fn_slack.lib.inputs import Participants
from fn_slack.lib.invocation import Invocation
from fn_slack.lib.message_post import MessagePost, MessageRequest
from fn_slack.lib.people import Person
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.slack_events import DECLARE_INCIDENT, GlobalShortcut, ViewSubmission, read_view_submission
from fn_slack.lib.soar.actors import SoarActors, SoarUser
from fn_slack.lib.soar.declared_incidents import Declaration, DeclaredIncident, DeclaredIncidents
from fn_slack.lib.soar.incidents import Notes
from fn_slack.lib.text_conventions import strip_invisible

LOG = logging.getLogger(__name__)
NAME_MAX = 200            # characters of the incident's name (the modal's field and the check of its answer)
DESCRIPTION_MAX = 3000    # characters of the description (a plain_text_input holds at most 3000)
CHANNEL_NAME_MAX = 80     # Slack's channel names: lower case letters, digits, hyphens, underscores, 80 at most
SEVERITIES = ("Low", "Medium", "High")
NAME_BLOCK, NAME_ACTION = "declare_name", "name"
SEVERITY_BLOCK, SEVERITY_ACTION = "declare_severity", "severity"
DESCRIPTION_BLOCK, DESCRIPTION_ACTION = "declare_description", "description"


@dataclass(frozen=True)
class DeclareForm:
    """The modal's answers, checked: a one-line name, a severity SOAR knows, the description as typed."""

    name: str
    severity: str
    description: str


def _state(values: dict, block: str, action: str) -> dict:
    state = (values.get(block) or {}).get(action) if isinstance(values.get(block), dict) else None
    return state if isinstance(state, dict) else {}


def read_form(values: dict) -> DeclareForm | dict[str, str]:
    """The form of a submitted modal (``view.state.values``), or the errors to show under its fields."""
    name = " ".join(strip_invisible(str(_state(values, NAME_BLOCK, NAME_ACTION).get("value") or "")).split())
    severity = str((_state(values, SEVERITY_BLOCK, SEVERITY_ACTION).get("selected_option") or {}).get("value") or "")
    description = strip_invisible(str(_state(values, DESCRIPTION_BLOCK, DESCRIPTION_ACTION).get("value") or ""))
    errors = {}
    if not name:
        errors[NAME_BLOCK] = messages.DECLARE_NAME_BLANK
    elif len(name) > NAME_MAX:
        errors[NAME_BLOCK] = messages.declare_too_long(NAME_MAX, len(name))
    if severity not in SEVERITIES:
        errors[SEVERITY_BLOCK] = messages.DECLARE_SEVERITY_MISSING
    if len(description) > DESCRIPTION_MAX:
        errors[DESCRIPTION_BLOCK] = messages.declare_too_long(DESCRIPTION_MAX, len(description))
    return errors or DeclareForm(name, severity, description.strip())


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def declare_modal() -> dict:
    """The *Declare incident* modal (Slack's view payload)."""
    options = [{"text": _plain(s), "value": s} for s in SEVERITIES]
    return {
        "type": "modal", "callback_id": DECLARE_INCIDENT, "title": _plain(messages.DECLARE_TITLE),
        "submit": _plain(messages.DECLARE_SUBMIT), "close": _plain(messages.DECLARE_CLOSE),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": messages.DECLARE_INTRO}},
            {"type": "input", "block_id": NAME_BLOCK, "label": _plain(messages.DECLARE_NAME_LABEL),
             "element": {"type": "plain_text_input", "action_id": NAME_ACTION, "max_length": NAME_MAX}},
            {"type": "input", "block_id": SEVERITY_BLOCK, "label": _plain(messages.DECLARE_SEVERITY_LABEL),
             "element": {"type": "static_select", "action_id": SEVERITY_ACTION, "options": options,
                         "placeholder": _plain(messages.DECLARE_SEVERITY_PLACEHOLDER)}},
            {"type": "input", "block_id": DESCRIPTION_BLOCK, "optional": True,
             "label": _plain(messages.DECLARE_DESCRIPTION_LABEL), "hint": _plain(messages.DECLARE_DESCRIPTION_HINT),
             "element": {"type": "plain_text_input", "action_id": DESCRIPTION_ACTION, "multiline": True,
                         "max_length": DESCRIPTION_MAX}},
        ],
    }


def refusal_modal(text: str) -> dict:
    """A modal that only says why (a global shortcut has no response URL to answer through)."""
    return {"type": "modal", "callback_id": DECLARE_INCIDENT + "_refused", "title": _plain(messages.DECLARE_TITLE),
            "close": _plain(messages.DECLARE_REFUSAL_CLOSE),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


def channel_name(incident_id: int, name: str) -> str:
    """``inc-<id>-<name>`` as Slack allows a channel's name: lower case ASCII letters, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")
    return f"inc-{incident_id}-{slug}"[:CHANNEL_NAME_MAX].rstrip("-") if slug else f"inc-{incident_id}"


@dataclass
class DeclareEdges:
    """What the flow uses of the listener: who a Slack person is (users.info, remembered), a Slack client for
    this work, the SOAR URL of an incident, and the mirror's word that a channel is linked now (it forgets
    what it had cached of the channel: a message read before the link counted it unlinked)."""

    person: Callable[[str], Person]
    slack: Callable[[], SlackClient]
    soar_link: Callable[[int, int | None], str]
    linked: Callable[[str], None] = lambda _channel_id: None


class DeclareIncident:
    """The *Declare incident* shortcut, its modal and the incident and channel it makes."""

    def __init__(self, settings: SlackSettings, rest_client: object, edges: DeclareEdges) -> None:
        self.settings = settings
        self.rest = rest_client
        self.edges = edges
        self.actors = SoarActors(rest_client)
        self.permissions = ActionPermissions(self.actors, settings.declare_roles)
        self.incidents = DeclaredIncidents(rest_client)
        self.outcomes: dict[str, int] = {}
        self._lock = threading.Lock()
        self._views: dict[str, threading.Lock] = {}

    # ------------------------------------------------------------------ who may declare
    def who(self, person: Person) -> SoarUser | Refused:
        """The SOAR user the person declares as, or why they may not declare."""
        user = self.permissions.who(person)
        if isinstance(user, Refused) or not self.permissions.roles:
            return user
        return user if self.permissions.held_role(user) else Refused("no-declare-role")

    # ------------------------------------------------------------------ 1. the shortcut
    def on_shortcut(self, shortcut: GlobalShortcut) -> str:
        """Open the modal, or a modal saying why not; returns "opened", "refused" or "failed"."""
        try:
            who = self.who(self.edges.person(shortcut.user))
        except FnSlackError as err:
            LOG.warning(messages.declare_log("failed", shortcut.user, err))
            return self._open(shortcut, refusal_modal(messages.declare_failed_to_start(err)), "failed")
        if isinstance(who, Refused):
            why = messages.ACTION_REFUSALS[who.reason]
            LOG.info(messages.declare_log("refused", shortcut.user, why))
            return self._open(shortcut, refusal_modal(messages.declare_refused(why)), "refused")
        return self._open(shortcut, declare_modal(), "opened")

    def _open(self, shortcut: GlobalShortcut, view: dict, outcome: str) -> str:
        try:
            # views.open (Tier 4): a trigger opens one view within 3 s, so it is never resent (WRITE_METHODS)
            self.edges.slack().call("views.open", json={"trigger_id": shortcut.trigger_id, "view": view})
        except FnSlackError as err:   # an expired trigger: the person sees Slack's own error and may try again
            LOG.warning(messages.declare_log("the modal could not be opened", shortcut.user, err))
            return self._count("failed")
        return self._count(outcome)

    # ------------------------------------------------------------------ 2. the submission's ack
    def answer(self, kind: str, payload: dict) -> dict | None:
        """The ack of an interactive envelope (no network): the errors of a *Declare incident* submission."""
        if kind != "interactive" or payload.get("type") != "view_submission":
            return None
        read = read_view_submission(payload, None)
        if not isinstance(read, ViewSubmission):
            return None
        form = read_form(read.values)
        return {"response_action": "errors", "errors": form} if isinstance(form, dict) else None

    # ------------------------------------------------------------------ 3. the work
    def on_submission(self, submission: ViewSubmission) -> str:
        """Create the incident and its channel; returns "declared", "invalid", "refused", "failed" or
        "duplicate"."""
        form = read_form(submission.values)
        if isinstance(form, dict):
            return self._count("invalid")   # the ack kept the modal open with the errors
        with self._lock:
            view_lock = self._views.setdefault(submission.view_id, threading.Lock())
        try:
            with view_lock:
                return self._declare(submission, form)
        finally:   # a later handling finds the work by its marker, link and note
            with self._lock:
                self._views.pop(submission.view_id, None)

    def _declare(self, submission: ViewSubmission, form: DeclareForm) -> str:
        user_id = submission.user
        person = self.edges.person(user_id)
        try:
            who = self.who(person)
        except FnSlackError as err:
            return self._failed(user_id, messages.declare_failed_nothing_created(err), err)
        if isinstance(who, Refused):
            why = messages.ACTION_REFUSALS[who.reason]
            LOG.info(messages.declare_log("refused", user_id, why))
            self._tell(user_id, messages.declare_refused_after_submit(why))
            return self._count("refused")
        line = messages.declared_description_line(person.label, who.label, submission.view_id)
        description = "<br>".join(html.escape(part) for part in form.description.split("\n")) if form.description \
            else ""
        declaration = Declaration(form.name, form.severity, f"{description}<br><br>{html.escape(line)}"
                                  if description else html.escape(line), who.email,
                                  messages.declared_marker(submission.view_id))
        try:
            incident = self.incidents.create_once(declaration)
        except FnSlackError as err:
            return self._failed(user_id, messages.declare_failed_nothing_created(err), err)
        try:
            channel = self._channel(incident, form, person, submission.view_id)
        except FnSlackError as err:
            self._note(incident.incident_id, submission.view_id, person, who, None)
            link = self.edges.soar_link(incident.incident_id, None)
            return self._failed(user_id, messages.declare_failed_no_channel(incident.incident_id, link, err), err)
        written = self._note(incident.incident_id, submission.view_id, person, who, channel)
        if not incident.created and channel is None and not written:
            return self._count("duplicate")
        LOG.info(messages.declare_log("declared", user_id, f"incident {incident.incident_id}"))
        return self._count("declared")

    def _channel(self, incident: DeclaredIncident, form: DeclareForm, person: Person, view_id: str) -> str | None:
        """Make the incident's channel with slack_post_message's flow; None when an earlier try had linked it."""
        post = MessagePost(self.settings, self.rest, self.edges.soar_link)
        if not incident.created and post.tables(incident.incident_id).find_link(None) is not None:
            return None
        text = json.dumps({
            "Additional Text": {"type": "string", "data": messages.declared_channel_text(person.user_id)},
            "SOAR URL": {"type": "incident", "data": incident.incident_id},
            "Type of data": {"type": "string", "data": "Incident"},
            messages.DECLARE_CHANNEL_INCIDENT: {"type": "string", "data": form.name},
            messages.DECLARE_CHANNEL_SEVERITY: {"type": "string", "data": form.severity},
            messages.DECLARE_CHANNEL_DECLARED_BY: {"type": "string", "data": person.label},
        })
        request = MessageRequest(post=PostRequest(
            incident_id=incident.incident_id, task_id=None, channel_id=None,
            channel_name=channel_name(incident.incident_id, form.name), is_private=True,
            participants=Participants([person.email], []), text=text),
            mrkdwn=True, as_user=False, username=None, mirror=True)
        key = hashlib.sha256(f"declare {view_id}".encode()).hexdigest()[:32]
        outcome = None
        for step in post.run(request, Invocation(key, redelivered=not incident.created)):
            if isinstance(step, PostOutcome):
                outcome = step
            else:
                LOG.info("%s", step)
        if outcome is None:   # pragma: no cover - MessagePost.run ends with its outcome or raises
            return None
        self.edges.linked(outcome.channel.id)
        return outcome.channel.name

    def _note(self, incident_id: int, view_id: str, person: Person, who: SoarUser, channel: str | None) -> bool:
        """The note naming who declared the incident, as whom and where, once; False when it was there already."""
        key = f"declare {view_id}"
        marker = action_marker(key)
        notes = Notes(self.rest)
        try:
            if notes.find(incident_id, None, marker) is not None:
                return False
            where = f"<b>#{html.escape(channel)}</b>" if channel else html.escape(messages.DECLARE_TITLE)
            head = messages.action_note_header(html.escape(person.label), html.escape(who.label),
                                               html.escape(messages.ACTION_KINDS["declare"]), where)
            notes.add(incident_id, None, f"<div>{head}{marker}</div>", marker=marker)
        except FnSlackError as err:   # the incident and channel stand; the log says the note is missing
            LOG.warning(messages.declare_log("the note was not written", person.user_id, err))
            return False
        return True

    # ------------------------------------------------------------------ 4. telling the person
    def _failed(self, user_id: str, text: str, err: Exception) -> str:
        LOG.warning(messages.declare_log("failed", user_id, err))
        self._tell(user_id, text)
        return self._count("failed")

    def _tell(self, user_id: str, text: str) -> None:
        """The app's direct message to the person (the modal is closed: nothing else reaches them)."""
        try:
            slack = self.edges.slack()
            slack.post_message(slack.open_conversation([user_id]), text)
        except FnSlackError as err:
            LOG.warning(messages.declare_log("the person could not be told", user_id, err))

    def _count(self, outcome: str) -> str:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        return outcome


__all__ = ["DeclareEdges", "DeclareForm", "DeclareIncident", "channel_name", "declare_modal", "read_form",
           "refusal_modal"]
