"""The SOAR side of *Declare incident*: the new incident, made once.

- ``POST /incidents`` (SOAR's IncidentDTO: ``name`` and ``discovered_date`` required; ``description``,
  ``severity_code`` by name, ``owner_id`` the SOAR user by e-mail, ``plan_status``). The description's last line
  is the declaration's marker (``Declared in Slack ... (declaration <view ID>)``), visible to the analysts.
- Exactly once: the POST goes out unretried (``soar.rest.post_unretried``: resilient's client would resend it on
  a 5xx answer or a dropped connection, not knowing SOAR had saved it). When its answer is lost, the incident is
  looked for — ``POST /incidents/query_paged`` for the incidents of that name, newest first, the one whose
  description holds the marker — and only when none holds it is the POST sent once more (``post_once``). The
  same look runs before the first POST, so a declaration handled a second time finds its incident.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fn_slack.lib.soar.rest import call_soar, post_once, post_unretried, refused_to

LOOK_LENGTH = 20   # incidents of the same name looked through for the marker, newest first


@dataclass(frozen=True)
class Declaration:
    """What the person declared, as SOAR gets it: ``description_html`` is already escaped, ``marker`` is the
    text its last line ends with (unique per declaration)."""

    name: str
    severity: str
    description_html: str
    owner_email: str
    marker: str


@dataclass(frozen=True)
class DeclaredIncident:
    """The incident of a declaration; ``created`` is False when an earlier try had made it."""

    incident_id: int
    created: bool


class DeclaredIncidents:
    """Incidents declared from Slack."""

    def __init__(self, rest_client: object, *, clock: Callable[[], float] = time.time) -> None:
        self.rest = rest_client
        self.clock = clock

    def create_once(self, declaration: Declaration) -> DeclaredIncident:
        """The declaration's incident: found when it exists already, else created once (see the module)."""
        found = self.find(declaration)
        if found is not None:
            return DeclaredIncident(found, created=False)
        body = {"name": declaration.name, "description": declaration.description_html,
                "severity_code": declaration.severity, "discovered_date": int(self.clock() * 1000),
                "owner_id": declaration.owner_email, "plan_status": "A"}

        def send(skip_retry: list[int]) -> DeclaredIncident:
            answer = post_unretried(self.rest, "/incidents", body, skip_retry=skip_retry)
            return DeclaredIncident(int(answer["id"]), created=True)

        def look() -> DeclaredIncident | None:
            incident_id = self.find(declaration)
            return DeclaredIncident(incident_id, created=True) if incident_id is not None else None

        refused = refused_to(f"create the incident {declaration.name!r}")
        made = post_once(send, look, refused=refused)
        if made is None:   # pragma: no cover - post_once returns or raises without may_resend
            raise refused(None, "no answer")
        return made

    def find(self, declaration: Declaration) -> int | None:
        """The newest incident named as declared whose description holds the declaration's marker."""
        body = {"filters": [{"conditions": [{"field_name": "name", "method": "equals", "value": declaration.name}]}],
                "sorts": [{"field_name": "create_date", "type": "desc"}], "start": 0, "length": LOOK_LENGTH}
        answer = call_soar(lambda: self.rest.post("/incidents/query_paged?return_level=partial", body),
                           refused=refused_to(f"search the incidents named {declaration.name!r}"))
        for incident in sorted(answer.get("data") or [], key=lambda i: int(i.get("id") or 0), reverse=True):
            description = incident.get("description")
            text = description.get("content") if isinstance(description, dict) else description
            if declaration.marker in str(text or ""):
                return int(incident["id"])
        return None


__all__ = ["Declaration", "DeclaredIncident", "DeclaredIncidents"]
