"""The SOAR side of acting from Slack: who a SOAR user is (by e-mail), who may work on an incident (its owner and
members), the incident's status and open tasks, and closing a task.

- ``GET /users``: the org's users (``email``, ``status`` ``A`` active, ``roles`` the org roles each holds);
  read at most once a minute per process (``USERS_TTL``), as people are looked up for every action.
- ``GET /incidents/<id>?handle_format=names``: ``owner_id`` and ``members`` are user e-mails with names
  (a group appears by its name and so never matches a person's e-mail: a group's people act through a role).
- ``GET /incidents/<id>/tasks``; ``PUT /tasks/<id>`` with the task as read and ``status`` ``C`` closes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.soar.rest import call_soar, refused_to

USERS_TTL = 60.0


@dataclass(frozen=True)
class SoarUser:
    """A SOAR user as an action names them."""

    user_id: int
    email: str
    name: str
    active: bool
    roles: tuple[str, ...]

    @property
    def label(self) -> str:
        """``Bob Brown <bob@example.com>``."""
        return messages.soar_user_label(self.name, self.email)


@dataclass(frozen=True)
class IncidentPeople:
    """Who works on an incident: its owner and members, by e-mail (lower case)."""

    name: str
    owner: str
    members: frozenset[str]

    def includes(self, email: str) -> bool:
        """Whether the person with this e-mail owns the incident or is one of its members."""
        wanted = email.strip().lower()
        return bool(wanted) and (wanted == self.owner or wanted in self.members)


class SoarActors:
    """The org's users and an incident's people and tasks, as the permission check and the actions need them."""

    def __init__(self, rest_client: object, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rest = rest_client
        self.clock = clock
        self._lock = threading.Lock()
        self._users: tuple[float, dict[str, SoarUser]] | None = None

    def user_by_email(self, email: str) -> SoarUser | None:
        """The SOAR user whose e-mail is ``email`` (compared without case), or None."""
        wanted = email.strip().lower()
        with self._lock:
            cached = self._users
        if cached is None or self.clock() - cached[0] > USERS_TTL:
            listed = call_soar(lambda: self.rest.get("/users"), refused=refused_to("the org's users"))
            users = {}
            for raw in listed if isinstance(listed, list) else (listed or {}).get("entities") or []:
                user = _user(raw)
                if user is not None:
                    users[user.email.lower()] = user
            cached = (self.clock(), users)
            with self._lock:
                self._users = cached
        return cached[1].get(wanted) if wanted else None

    def incident(self, incident_id: int) -> dict:
        """The incident, with names for its handles."""
        return call_soar(lambda: self.rest.get(f"/incidents/{incident_id}?handle_format=names"),
                         refused=refused_to(f"incident {incident_id}"))

    def people(self, incident: dict) -> IncidentPeople:
        """The owner and members of an incident read with ``handle_format=names``."""
        return IncidentPeople(str(incident.get("name") or ""), str(incident.get("owner_id") or "").strip().lower(),
                              frozenset(str(m).strip().lower() for m in incident.get("members") or []))

    def tasks(self, incident_id: int) -> list[dict]:
        """The incident's tasks, as SOAR lists them."""
        listed = call_soar(lambda: self.rest.get(f"/incidents/{incident_id}/tasks?handle_format=names"),
                           refused=refused_to(f"the tasks of incident {incident_id}"))
        return [t for t in listed or [] if isinstance(t, dict)]

    def open_tasks(self, incident_id: int) -> list[dict]:
        """The incident's tasks that are not closed."""
        return [t for t in self.tasks(incident_id) if t.get("status") != "C"]

    def close_task(self, task: dict) -> dict:
        """Close a task (``PUT /tasks/<id>`` with ``status`` ``C``): closing a closed task changes nothing."""
        if task.get("status") == "C":
            return task
        return call_soar(lambda: self.rest.put(f"/tasks/{task['id']}", dict(task, status="C")),
                         refused=refused_to(f"task {task.get('id')}"))


def _user(raw: object) -> SoarUser | None:
    if not isinstance(raw, dict) or not raw.get("email"):
        return None
    name = str(raw.get("display_name") or f"{raw.get('fname') or ''} {raw.get('lname') or ''}").strip()
    roles = tuple(str(r.get("name") if isinstance(r, dict) else r) for r in raw.get("roles") or [])
    return SoarUser(int(raw.get("id") or 0), str(raw["email"]), name, str(raw.get("status") or "A") == "A"
                    and not raw.get("locked"), roles)


__all__ = ["IncidentPeople", "SoarActors", "SoarUser"]
