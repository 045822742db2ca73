"""What a linked channel shows of its incident, read from SOAR: name, severity, phase, status, owner, how many
tasks are open (and closed), when it last changed, and — for the closing summary — its resolution
(``IncidentFacts``).

One ``GET /incidents/<id>?handle_format=names`` (severity, phase and owner as their names, not IDs) and one
``GET /incidents/<id>/tasks?handle_format=names``. Everything read here is text people typed in SOAR: the
format module that writes it into Slack escapes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.errors import InputError
from fn_slack.lib.soar.rest import call_soar, refused_to

OPEN_TASK = "O"   # a task's status while it is open (SOAR's TaskDTO: O open, C closed)
CLOSED_TASK = "C"


@dataclass(frozen=True)
class IncidentFacts:
    """The incident as its channel shows it."""

    incident_id: int
    name: str
    severity: str
    phase: str
    closed: bool
    owner: str
    open_tasks: int
    last_update_ms: int
    closed_tasks: int = 0
    resolution: str = ""           # resolution_id by name ("Resolved", "Not an Issue"...)
    resolution_summary: str = ""   # resolution_summary as SOAR holds it (rich text: HTML)


def _name(value: object) -> str:
    """A field SOAR answered by name: a plain value, or an object with a name (an owner may be a group)."""
    if isinstance(value, Mapping):
        value = value.get("display_name") or value.get("name")
    return "" if value is None else str(value)


def _rich_text(value: object) -> str:
    """A rich text field: SOAR answers a string, or a text content object (``{"format": "html", "content": ...}``)."""
    if isinstance(value, Mapping):
        value = value.get("content")
    return "" if value is None else str(value)


def read_facts(rest_client: object, incident_id: int) -> IncidentFacts:
    """The incident's facts; a missing incident is an InputError naming incident_id."""
    refused = refused_to(f"read incident {incident_id}")

    def missing() -> InputError:
        return InputError(messages.incident_not_found(incident_id))

    incident = call_soar(lambda: rest_client.get(f"/incidents/{incident_id}?handle_format=names"),
                         refused=refused, missing=missing)
    tasks = call_soar(lambda: rest_client.get(f"/incidents/{incident_id}/tasks?handle_format=names"),
                      refused=refused, missing=missing)
    statuses = [task.get("status") for task in tasks or [] if isinstance(task, Mapping)]
    return IncidentFacts(
        incident_id=incident_id, name=_name(incident.get("name")), severity=_name(incident.get("severity_code")),
        phase=_name(incident.get("phase_id")), closed=incident.get("plan_status") == "C",
        owner=_name(incident.get("owner_id")), open_tasks=statuses.count(OPEN_TASK),
        last_update_ms=int(incident.get("inc_last_modified_date") or 0), closed_tasks=statuses.count(CLOSED_TASK),
        resolution=_name(incident.get("resolution_id")),
        resolution_summary=_rich_text(incident.get("resolution_summary")))
