"""In-memory SOAR org: incidents, tasks, notes, artifacts, attachments, data tables and customizations."""

from __future__ import annotations

import copy
import hmac
import itertools
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ORG_ID = 201
ORG_NAME = "Test Org"
SERVER_VERSION = {"major": 51, "minor": 0, "build_number": 9339, "version": "51.0.0.0.9339",
                  "v": 51, "r": 0, "m": 0, "f": 0}

# SOAR's built-in artifact types with the ids SOAR gives them (the same in every org: GET /types/artifact); the
# names are what handle_format=names returns and what a POST may name the type by.
ARTIFACT_TYPES = {
    1: "IP Address", 2: "DNS Name", 3: "URL", 4: "RFC 822 Email Message File", 5: "Email Subject",
    7: "Email Attachment", 9: "Email Sender", 12: "Malware Sample", 13: "Malware MD5 Hash",
    14: "Malware SHA-1 Hash", 15: "Log File", 16: "Other File", 20: "Email Recipient", 23: "User Account",
    25: "System Name", 29: "String", 31: "File Name", 36: "X509 Certificate File", 38: "Malware SHA-256 Hash",
}
ARTIFACT_TYPE_IDS = {name: type_id for type_id, name in ARTIFACT_TYPES.items()}
SEVERITIES = {4: "Low", 5: "Medium", 6: "High"}

SANDBOX_USER = {"id": 3, "type": "user", "name": "analyst@example.com", "display_name": "Ann Analyst"}
# The org's people (GET /users): the API key's own user first, then people whose e-mails match the Slack
# sandbox's (alice, bob, carol, and gina who is a guest in Slack). Roles are the org roles each holds.
DEFAULT_PEOPLE = (
    (3, "analyst@example.com", "Ann", "Analyst", ("Administrator",)),
    (11, "alice@example.com", "Alice", "Adams", ("Incident Commander",)),
    (12, "bob@example.com", "Bob", "Brown", ()),
    (13, "carol@example.com", "Carol", "Chen", ()),
    (14, "gina@example.com", "Gina", "Guest", ("Incident Commander",)),
)


# A data table row write that names a column the table does not have: "refuse" answers HTTP 400 and writes
# nothing (the default), "drop" writes the row without that cell and answers 200. Which one real SOAR does is
# not documented, so fn_slack must be right both ways (README, "Where the sandbox decides").
UNKNOWN_COLUMNS = ("refuse", "drop")

# PATCH /incidents/<id> names a custom field by its bare name (every IBM app and resilient's own tools do), and
# the sandbox writes it into the incident's ``properties``. Whether SOAR also takes the dotted
# ``properties.<field>`` form is not known (only resilient's offline unit test of its Patch class builds one):
# "refuse" answers HTTP 400 (the default), "accept" writes it as the bare name would.
DOTTED_PATCH = ("refuse", "accept")

# PUT .../row_data/<row> with a ``version``: "checked" answers HTTP 409 when the row has moved on since that
# version and changes only the cells sent; "ignored" takes no notice of the version and replaces the row with
# the cells sent (a column left out is blank afterwards). IBM's own apps send every cell on a row PUT and never
# handle a 409, which fits "ignored"; no public source documents either, so fn_slack must be right both ways.
ROW_VERSIONS = ("checked", "ignored")
# The position a sandbox starts in unless told: "ignored" (what IBM's apps assume), or the value of this
# environment variable, so a whole test run can be repeated with the other position.
ROW_VERSIONS_ENV = "FN_SLACK_SANDBOX_ROW_VERSIONS"


def default_row_versions() -> str:
    """The ``row_versions`` position a sandbox starts in: $FN_SLACK_SANDBOX_ROW_VERSIONS, else "ignored"."""
    value = os.environ.get(ROW_VERSIONS_ENV, "").strip() or "ignored"
    if value not in ROW_VERSIONS:
        raise ValueError(f"{ROW_VERSIONS_ENV} must be one of {', '.join(ROW_VERSIONS)}, not {value!r}")
    return value

# POST /incidents/query_paged?return_level=...: partial carries no ``properties``; normal carries the custom
# fields named by ``field_handle`` (IBM's apps always name the fields they read); full carries all of them.
RETURN_LEVELS = ("partial", "normal", "full")


class NotFound(LookupError):
    """The object does not exist in the org (answered as HTTP 404)."""


class Conflict(RuntimeError):
    """An update carried a stale version (answered as HTTP 409)."""


class ImportClash(Conflict):
    """An import names an object the org already holds under another identity (answered as HTTP 409).

    An object of an import is the org's object only when its name and its UUID both agree; a name held
    with another UUID or type, or a UUID held under another name, refuses the whole import.
    """

    def __init__(self, clashes: list[str]):
        self.clashes = clashes
        super().__init__("The import clashes with objects in the org (name and UUID must both match):\n"
                         + "\n".join(f"  - {clash}" for clash in clashes))


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Hold:
    """Requests matching method and path wait until released (see SoarState.hold)."""

    method: str
    pattern: re.Pattern
    timeout: float = 120.0
    passes: int = 0   # matching requests let through before the hold begins
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    callers: list = field(default_factory=list)  # API key id of each request that waited

    def release(self) -> None:
        self.released.set()


@dataclass
class LostAnswer:
    """Matching requests take effect, then are answered ``status`` (see SoarState.lose_answers)."""

    method: str
    pattern: re.Pattern
    status: int
    remaining: int
    lost: list = field(default_factory=list)   # the paths whose answer was lost


@dataclass
class FailedRequests:
    """Matching requests are answered ``status`` and take no effect (see SoarState.fail_requests)."""

    method: str
    pattern: re.Pattern
    status: int
    remaining: int
    failed: list = field(default_factory=list)   # the paths answered so


@dataclass
class Arrival:
    """The next matching request runs ``action`` as it arrives, before it takes effect (see
    SoarState.on_arrival)."""

    method: str
    pattern: re.Pattern
    action: Callable[[], None]
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class RowChange:
    """A data table row added or updated: its cells before (None: just added) and after, and where the change
    came from: ``api`` (a REST call, fn_slack's included) or ``ui`` (an analyst editing the row in SOAR)."""

    inc_id: int
    table: str
    row_id: int
    before: dict[str, Any] | None
    after: dict[str, Any]
    origin: str


@dataclass(frozen=True)
class IncidentChange:
    """An incident updated (PATCH through REST, or an analyst's edit on the page): its fields before and after,
    and where the change came from (``api`` or ``ui``), as SOAR evaluates automatic rules and playbooks on it."""

    inc_id: int
    before: dict[str, Any]
    after: dict[str, Any]
    origin: str


@dataclass
class CallRecord:
    """One REST request as the sandbox saw it (for tests and the demo report)."""

    method: str
    path: str
    status: int
    at: float = field(default_factory=time.time)


class SoarState:
    """A single SOAR org. Every public method is thread-safe (REST and STOMP threads share it)."""

    def __init__(self, org_id: int = ORG_ID, org_name: str = ORG_NAME, unknown_columns: str = "refuse",
                 dotted_patch: str = "refuse", row_versions: str | None = None) -> None:
        self.org_id = org_id
        self.org_name = org_name
        self.unknown_columns = unknown_columns   # see UNKNOWN_COLUMNS; tests may change it at any time
        self.dotted_patch = dotted_patch         # see DOTTED_PATCH; tests may change it at any time
        self.row_versions = row_versions or default_row_versions()   # see ROW_VERSIONS; tests may change it
        self.lock = threading.RLock()
        self._holds: list[Hold] = []
        self._lost_answers: list[LostAnswer] = []
        self._failed_requests: list[FailedRequests] = []
        self._arrivals: list[Arrival] = []
        self._ids = itertools.count(2095)
        self._type_ids = itertools.count(1000)
        self._field_ids = itertools.count(500)
        self.incidents: dict[int, dict] = {}
        self.people: dict[int, dict] = {}   # the org's users (GET /users), by id
        for person in DEFAULT_PEOPLE:
            self.add_person(*person)
        self.tasks: dict[int, dict] = {}
        self.notes: dict[int, dict] = {}
        self.artifacts: dict[int, dict] = {}
        self.artifact_files: dict[int, bytes] = {}
        self.attachments: dict[int, dict] = {}
        self.attachment_files: dict[int, bytes] = {}
        self.tables: dict[str, dict] = {}
        self.rows: dict[tuple[int, str], list[dict]] = {}
        self.functions: dict[str, dict] = {}
        self.fields: dict[str, dict[str, dict]] = {"incident": {}, "actioninvocation": {}, "__function": {}}
        self.rules: dict[str, dict] = {}
        self.workflows: dict[str, dict] = {}
        self.playbooks: dict[str, dict] = {}
        self.message_destinations: dict[str, dict] = {}
        self.imports: dict[int, dict] = {}
        self.imported_exports: list[dict] = []
        self.calls: list[CallRecord] = []
        self._api_keys: dict[str, tuple[str, int]] = {}
        # Called after each row added or updated (outside the lock), as SOAR evaluates its automatic rules and
        # playbooks on the object's change (SoarDriver.watch_rows).
        self.row_watchers: list[Callable[[RowChange], None]] = []
        # Called after each incident update that changed something (outside the lock): SoarDriver.watch_incidents.
        self.incident_watchers: list[Callable[[IncidentChange], None]] = []

    # ------------------------------------------------------------------ API keys
    def add_api_key(self, key_id: str, secret: str) -> int:
        """Register an API key; returns its principal handle (what customize adds to destinations)."""
        with self.lock:
            handle = self._api_keys[key_id][1] if key_id in self._api_keys else 7 + len(self._api_keys)
            self._api_keys[key_id] = (secret, handle)
            return handle

    def api_key_handle(self, key_id: str, secret: str) -> int | None:
        """The handle of a valid key id and secret, else None."""
        with self.lock:
            known = self._api_keys.get(key_id)
        if known is None:
            hmac.compare_digest(secret, secret)  # same work for unknown ids
            return None
        return known[1] if hmac.compare_digest(secret, known[0]) else None

    def _next_id(self) -> int:
        return next(self._ids)

    # ------------------------------------------------------------------ incidents, tasks, notes
    def create_incident(self, name: str, description: str = "", **values: Any) -> dict:
        """Add an incident; keyword arguments override the defaults of a new incident (names, not ids)."""
        with self.lock:
            inc_id = values.pop("id", None) or self._next_id()
            created = now_ms()
            incident = {
                "id": inc_id, "name": name, "description": description, "org_id": self.org_id,
                "create_date": created, "discovered_date": created, "start_date": None, "due_date": None,
                "inc_last_modified_date": created, "plan_status": "A", "phase_id": "Respond",
                "incident_type_ids": [], "nist_attack_vectors": [], "confirmed": False,
                "severity_code": "Low", "owner_id": SANDBOX_USER["name"], "creator_id": SANDBOX_USER["name"],
                "inc_training": False, "properties": {}, "vers": 1, "members": [],
            }
            incident.update(values)
            self.incidents[inc_id] = incident
            return copy.deepcopy(incident)

    # ------------------------------------------------------------------ people and incident members
    def add_person(self, user_id: int, email: str, fname: str, lname: str, roles: tuple[str, ...] = (),
                   *, status: str = "A") -> dict:
        """Add a user of the org (status ``A`` active, ``D`` disabled) holding the named org roles."""
        with self.lock:
            person = {"id": user_id, "email": email, "fname": fname, "lname": lname,
                      "display_name": f"{fname} {lname}", "status": status, "is_external": False,
                      "locked": False, "roles": list(roles)}
            self.people[user_id] = person
            return copy.deepcopy(person)

    def set_members(self, inc_id: int, emails: list[str], owner: str | None = None) -> dict:
        """Make these users (by e-mail) the incident's members (and ``owner`` its owner, when given)."""
        with self.lock:
            incident = self.incidents.get(inc_id)
            if incident is None:
                raise NotFound(f"incident {inc_id}")
            incident["members"] = list(emails)
            if owner is not None:
                incident["owner_id"] = owner
            return copy.deepcopy(incident)

    def close_task(self, task_id: int) -> dict:
        """Close a task (``PUT /tasks/<id>`` with ``status`` ``C``)."""
        with self.lock:
            if task_id not in self.tasks:
                raise NotFound(f"task {task_id}")
            self.tasks[task_id].update(status="C", closed_date=now_ms())
            return copy.deepcopy(self.tasks[task_id])

    def delete_incident(self, inc_id: int) -> None:
        """DELETE /incidents/<id>: the incident goes, with its tasks, notes, files and table rows."""
        with self.lock:
            if self.incidents.pop(inc_id, None) is None:
                raise NotFound(f"incident {inc_id}")
            for store in (self.tasks, self.notes, self.artifacts, self.attachments):
                for key in [key for key, item in store.items() if item.get("inc_id") == inc_id]:
                    del store[key]
            for key in [key for key in self.rows if key[0] == inc_id]:
                del self.rows[key]

    def incident(self, inc_id: int) -> dict:
        with self.lock:
            if inc_id not in self.incidents:
                raise NotFound(f"incident {inc_id}")
            return copy.deepcopy(self.incidents[inc_id])

    # ------------------------------------------------------------------ incident search and changes
    def query_incidents(self, filters: list[dict], start: int = 0, length: int = 100, *,
                        return_level: str = "partial", field_handles: tuple[str, ...] | list[str] = ()) -> dict:
        """POST /incidents/query_paged: incidents meeting every condition of any filter (methods equals,
        contains, has_a_value), ordered by id, as {"recordsTotal", "recordsFiltered", "data"}. Conditions may
        name custom fields (``properties.<field>``) at any level; what the answer carries of them follows
        ``return_level`` (see RETURN_LEVELS) and ``field_handles``."""
        if return_level not in RETURN_LEVELS:
            raise ValueError(f"return_level must be one of {', '.join(RETURN_LEVELS)}, not {return_level!r}")
        def value_of(incident: dict, name: str) -> Any:
            if name.startswith("properties."):
                return (incident.get("properties") or {}).get(name[len("properties."):])
            return incident.get(name)

        def meets(incident: dict, cond: dict) -> bool:
            value, method, wanted = value_of(incident, cond["field_name"]), cond.get("method"), cond.get("value")
            if method == "equals":
                return value == wanted
            if method == "contains":
                return value is not None and str(wanted) in str(value)
            if method == "has_a_value":
                return value not in (None, "", [])
            raise ValueError(f"condition method {method!r} is not supported by the sandbox")

        with self.lock:
            found = [copy.deepcopy(inc) for _, inc in sorted(self.incidents.items())
                     if not filters or any(all(meets(inc, c) for c in f.get("conditions") or [])
                                           for f in filters)]
            total = len(self.incidents)
        for incident in found:
            if return_level == "partial":
                incident.pop("properties", None)
            elif return_level == "normal" and field_handles:
                incident["properties"] = {name: value for name, value in (incident.get("properties") or {}).items()
                                          if name in field_handles}
        return {"recordsTotal": total, "recordsFiltered": len(found), "data": found[start:start + length]}

    def patch_incident(self, inc_id: int, changes: list[dict], *, origin: str = "api") -> dict:
        """PATCH /incidents/<id> (resilient's Patch: ``field`` names, ``old_value``/``new_value`` as
        ``{"object": v}``). A field whose old value is not the current one fails the whole patch with HTTP 200
        ``success: false`` and ``field_failures``, as SOAR answers; nothing changes then. A patch that changed
        the incident is told to the ``incident_watchers`` (``origin``: ``api`` or ``ui``)."""
        answer, change = self._patch_incident(inc_id, changes, origin)
        if change is not None:
            for watcher in list(self.incident_watchers):
                watcher(change)
        return answer

    def _patch_incident(self, inc_id: int, changes: list[dict], origin: str) -> tuple[dict, IncidentChange | None]:
        custom: set[str] = set()   # the incident's custom fields: they live in ``properties``

        def name_of(change: dict) -> str:
            name = change["field"]
            name = name["name"] if isinstance(name, dict) else str(name)
            if name.startswith("properties."):
                if self.dotted_patch != "accept":
                    raise ValueError(f"field {name!r}: name a custom field by its name ({name[11:]!r})")
                return name[len("properties."):]
            return name

        def read(incident: dict, name: str) -> Any:
            if name in custom:
                return (incident.get("properties") or {}).get(name)
            return incident.get(name)

        with self.lock:
            incident = self.incidents.get(inc_id)
            if incident is None:
                raise NotFound(f"incident {inc_id}")
            custom.update(self.fields.get("incident") or {})
            failures = []
            for change in changes:
                name = name_of(change)
                old = next(iter((change.get("old_value") or {}).values()), None)
                if old != read(incident, name):
                    failures.append({"field": name, "your_original_value": old,
                                     "actual_current_value": read(incident, name)})
            if failures:
                return {"success": False, "field_failures": failures, "message": "Field conflicts",
                        "hints": []}, None
            before = copy.deepcopy(incident)
            for change in changes:
                name = name_of(change)
                new = next(iter((change.get("new_value") or {}).values()), None)
                if name in custom:
                    incident.setdefault("properties", {})[name] = new
                else:
                    incident[name] = new
            incident["vers"] = incident.get("vers", 1) + 1
            incident["inc_last_modified_date"] = now_ms()
            return ({"success": True, "field_failures": [], "message": None, "hints": []},
                    IncidentChange(inc_id, before, copy.deepcopy(incident), origin))

    # ------------------------------------------------------------------ holding requests (tests)
    def hold(self, method: str, path_pattern: str, *, after: int = 0) -> Hold:
        """Make matching REST requests wait (before they take effect) until ``release()``, once ``after`` of
        them went through; ``arrived`` is set when one is waiting. For tests that kill a process in the middle
        of a SOAR write."""
        hold = Hold(method.upper(), re.compile(path_pattern), passes=after)
        with self.lock:
            self._holds.append(hold)
        return hold

    def wait_if_held(self, method: str, path: str, key_id: str | None = None) -> None:
        with self.lock:
            holds = [h for h in self._holds if h.method == method.upper() and h.pattern.search(path)
                     and not h.released.is_set()]
            for hold in [h for h in holds if h.passes > 0]:
                hold.passes -= 1
                holds.remove(hold)
        for hold in holds:
            hold.callers.append(key_id)
            hold.arrived.set()
            hold.released.wait(hold.timeout)

    def lose_answers(self, method: str, path_pattern: str, status: int = 502, times: int = 1) -> LostAnswer:
        """The next ``times`` matching REST requests take effect and are then answered ``status`` instead of
        their result: SOAR saved the write but the answer was lost on the way (a proxy in front of SOAR that
        timed out). ``status`` 0: the connection is closed with no answer at all (a dropped connection, which
        resilient's client resends on its own). For tests of writes that must not be made twice."""
        lost = LostAnswer(method.upper(), re.compile(path_pattern), status, times)
        with self.lock:
            self._lost_answers.append(lost)
        return lost

    def answer_lost(self, method: str, path: str) -> int | None:
        """The status to answer instead of a successful request's result, when a lose_answers() matches."""
        with self.lock:
            for lost in self._lost_answers:
                if lost.remaining > 0 and lost.method == method.upper() and lost.pattern.search(path):
                    lost.remaining -= 1
                    lost.lost.append(path)
                    return lost.status
        return None

    def fail_requests(self, method: str, path_pattern: str, status: int = 500, times: int = 1) -> FailedRequests:
        """The next ``times`` matching REST requests are answered ``status`` and take no effect: SOAR failed
        them (an internal error, a database that is briefly unavailable). ``failed.remaining`` may be changed
        at any time (0 ends the fault). For tests of what fn_slack does when a SOAR write fails."""
        failing = FailedRequests(method.upper(), re.compile(path_pattern), status, times)
        with self.lock:
            self._failed_requests.append(failing)
        return failing

    def failure_for(self, method: str, path: str) -> int | None:
        """The status to answer a request with instead of carrying it out, when a fail_requests() matches."""
        with self.lock:
            for failing in self._failed_requests:
                if failing.remaining > 0 and failing.method == method.upper() and failing.pattern.search(path):
                    failing.remaining -= 1
                    failing.failed.append(path)
                    return failing.status
        return None

    def on_arrival(self, method: str, path_pattern: str, action: Callable[[], None]) -> Arrival:
        """The next matching REST request runs ``action()`` as it arrives, before it takes effect (once): what
        happens elsewhere while SOAR receives a write, say a message written in Slack while an export is being
        saved. ``arrival.done`` is set after the action ran."""
        arrival = Arrival(method.upper(), re.compile(path_pattern), action)
        with self.lock:
            self._arrivals.append(arrival)
        return arrival

    def arrived(self, method: str, path: str) -> None:
        """Run (outside the state's lock) the on_arrival() action that waits for this request, if any."""
        with self.lock:
            due = [a for a in self._arrivals if a.method == method.upper() and a.pattern.search(path)][:1]
            for arrival in due:
                self._arrivals.remove(arrival)
        for arrival in due:
            try:
                arrival.action()
            finally:
                arrival.done.set()

    def create_task(self, inc_id: int, name: str, **values: Any) -> dict:
        """Add a task to an incident (``id`` in ``values`` gives it that id, as for incidents)."""
        with self.lock:
            incident = self.incident(inc_id)
            task_id = values.pop("id", None) or self._next_id()
            task = {
                "id": task_id, "inc_id": inc_id, "inc_name": incident["name"], "name": name, "status": "O",
                "owner_id": None, "owner_fname": None, "owner_lname": None, "due_date": None,
                "instructions": "", "required": False, "frozen": False, "active": True, "phase_id": "Respond",
                "init_date": now_ms(), "closed_date": None, "cat_name": "Response", "notes": [],
                "inc_owner_id": incident["owner_id"],
            }
            task.update(values)
            self.tasks[task_id] = task
            return copy.deepcopy(task)

    def task(self, task_id: int) -> dict:
        with self.lock:
            if task_id not in self.tasks:
                raise NotFound(f"task {task_id}")
            return copy.deepcopy(self.tasks[task_id])

    def add_note(self, inc_id: int, html: str, task_id: int | None = None,
                 author: dict | None = None) -> dict:
        """Add a note (SOAR calls them comments) to an incident, or to one of its tasks."""
        with self.lock:
            self.incident(inc_id)
            if task_id is not None and self.task(task_id)["inc_id"] != inc_id:
                raise NotFound(f"task {task_id} of incident {inc_id}")
            user = author or SANDBOX_USER
            note_id = self._next_id()
            created = now_ms()
            note = {
                "id": note_id, "parent_id": None, "type": "task" if task_id else "incident",
                "inc_id": inc_id, "task_id": task_id, "text": html, "create_date": created,
                "modify_date": created, "user_id": user["id"], "user_name": user["display_name"],
                "user_fname": user["display_name"].split(" ")[0],
                "user_lname": user["display_name"].split(" ")[-1],
                "children": [], "mentioned_users": [], "is_deleted": False, "actions": [],
            }
            self.notes[note_id] = note
            return copy.deepcopy(note)

    def note(self, inc_id: int, note_id: int, task_id: int | None = None) -> dict:
        """One note of the incident (or of its task); NotFound when it is not there."""
        with self.lock:
            note = self.notes.get(note_id)
            if note is None or note["inc_id"] != inc_id or note["task_id"] != task_id:
                raise NotFound(f"note {note_id} of incident {inc_id}")
            return copy.deepcopy(note)

    def delete_note(self, inc_id: int, note_id: int, task_id: int | None = None) -> None:
        """Delete a note (``DELETE /incidents/<id>/comments/<note id>``, or the task's); NotFound when gone."""
        with self.lock:
            self.note(inc_id, note_id, task_id)
            del self.notes[note_id]

    def notes_of(self, inc_id: int, task_id: int | None = None) -> list[dict]:
        """Notes on the incident itself (task_id None) or on one task, oldest first."""
        with self.lock:
            return [copy.deepcopy(n) for n in self.notes.values()
                    if n["inc_id"] == inc_id and n["task_id"] == task_id]

    # ------------------------------------------------------------------ artifacts and attachments
    def add_artifact(self, inc_id: int, artifact_type: str, value: str, description: str = "", *,
                     file_name: str | None = None, data: bytes | None = None,
                     content_type: str = "application/octet-stream") -> dict:
        """Add an artifact; with `data` it holds a file, as "Malware Sample" or "Log File" artifacts do."""
        if artifact_type not in ARTIFACT_TYPE_IDS:
            raise ValueError(f"unknown artifact type {artifact_type!r}")
        with self.lock:
            self.incident(inc_id)
            art_id = self._next_id()
            created = now_ms()
            artifact = {
                "id": art_id, "inc_id": inc_id, "type": artifact_type, "value": value or (file_name or ""),
                "description": description, "created": created, "last_modified_time": created,
                "creator_principal": dict(SANDBOX_USER),
                "creator": {"id": SANDBOX_USER["id"], "display_name": SANDBOX_USER["display_name"],
                            "email": SANDBOX_USER["name"]},
                "attachment": None, "hits": [], "properties": None, "relating": True, "pending_sources": [],
                "hash": None, "parent_id": None, "perms": {"read": True, "write": True, "delete": True},
            }
            if data is not None:
                artifact["attachment"] = {
                    "id": self._next_id(), "name": file_name or value, "content_type": content_type,
                    "size": len(data), "created": created, "creator_id": SANDBOX_USER["id"],
                    "uuid": str(uuid.uuid4()), "vers": 1,
                }
                self.artifact_files[art_id] = bytes(data)
            self.artifacts[art_id] = artifact
            return copy.deepcopy(artifact)

    def artifact(self, inc_id: int, art_id: int) -> dict:
        with self.lock:
            artifact = self.artifacts.get(art_id)
            if artifact is None or artifact["inc_id"] != inc_id:
                raise NotFound(f"artifact {art_id} of incident {inc_id}")
            return copy.deepcopy(artifact)

    def artifact_contents(self, inc_id: int, art_id: int) -> bytes:
        with self.lock:
            self.artifact(inc_id, art_id)
            if art_id not in self.artifact_files:
                raise NotFound(f"artifact {art_id} holds no file")
            return self.artifact_files[art_id]

    def add_attachment(self, inc_id: int, name: str, data: bytes,
                       content_type: str = "application/octet-stream", task_id: int | None = None) -> dict:
        """Add a file to an incident, or to one of its tasks."""
        with self.lock:
            incident = self.incident(inc_id)
            task = self.task(task_id) if task_id is not None else None
            if task is not None and task["inc_id"] != inc_id:
                raise NotFound(f"task {task_id} of incident {inc_id}")
            att_id = self._next_id()
            attachment = {
                "id": att_id, "name": name, "content_type": content_type, "size": len(data),
                "created": now_ms(), "creator_id": SANDBOX_USER["id"], "inc_id": inc_id,
                "inc_name": incident["name"], "inc_owner": incident["owner_id"], "task_id": task_id,
                "task_name": task["name"] if task else None, "task_at_id": None, "task_custom": None,
                "task_members": None, "type": "task" if task_id else "incident", "uuid": str(uuid.uuid4()),
                "vers": 1, "actions": [],
            }
            self.attachments[att_id] = attachment
            self.attachment_files[att_id] = bytes(data)
            return copy.deepcopy(attachment)

    def attachment(self, att_id: int, inc_id: int | None = None, task_id: int | None = None) -> dict:
        """The attachment, addressed the way REST does: under its incident or under its task."""
        with self.lock:
            attachment = self.attachments.get(att_id)
            if attachment is None:
                raise NotFound(f"attachment {att_id}")
            if task_id is not None and attachment["task_id"] != task_id:
                raise NotFound(f"attachment {att_id} of task {task_id}")
            if task_id is None and inc_id is not None and attachment["inc_id"] != inc_id:
                raise NotFound(f"attachment {att_id} of incident {inc_id}")
            return copy.deepcopy(attachment)

    def attachments_of(self, inc_id: int, task_id: int | None = None) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(a) for a in self.attachments.values()
                    if a["inc_id"] == inc_id and a["task_id"] == task_id]

    # ------------------------------------------------------------------ data tables
    def table(self, name: str) -> dict:
        with self.lock:
            if name not in self.tables:
                raise NotFound(f"data table {name}")
            return self.tables[name]

    def _row_out(self, table: dict, row: dict, names: bool) -> dict:
        out = copy.deepcopy(row)
        if not names:
            ids = {col: str(spec["id"]) for col, spec in table["fields"].items()}
            out["cells"] = {ids[col]: dict(cell, id=int(ids[col])) for col, cell in row["cells"].items()}
        return out

    def _check_cells(self, table: dict, cells: dict) -> dict:
        """Map the posted cells (keyed by column name or numeric id) to column names."""
        by_id = {str(spec["id"]): col for col, spec in table["fields"].items()}
        clean = {}
        for key, cell in cells.items():
            column = key if key in table["fields"] else by_id.get(str(key))
            if column is None:
                if self.unknown_columns == "drop":
                    continue
                if self.unknown_columns != "refuse":
                    raise RuntimeError(f"unknown_columns must be one of {UNKNOWN_COLUMNS}, "
                                       f"not {self.unknown_columns!r}")
                raise ValueError(f"column {key!r} is not in data table {table['type_name']}")
            if not isinstance(cell, dict) or "value" not in cell:
                raise ValueError(f"cell {key!r} must be an object with a 'value'")
            clean[column] = cell["value"]
        return clean

    def table_rows(self, inc_id: int, name: str, names: bool = True) -> dict:
        """The incident's rows of a data table, in SOAR's table_data shape."""
        with self.lock:
            self.incident(inc_id)
            table = self.table(name)
            rows = self.rows.get((inc_id, name), [])
            return {"id": table["id"], "rows": [self._row_out(table, r, names) for r in rows],
                    "table_name": name, "display_name": table["display_name"]}

    def add_row(self, inc_id: int, name: str, cells: dict, names: bool = True, *, origin: str = "api") -> dict:
        with self.lock:
            self.incident(inc_id)
            table = self.table(name)
            values = self._check_cells(table, cells)
            row_id = self._next_id()
            row = {"id": row_id, "type_id": table["id"], "inc_id": inc_id, "version": 1, "actions": [],
                   "cells": {col: {"id": col, "row_id": row_id, "value": values.get(col)}
                             for col in table["fields"] if col in values}}
            self.rows.setdefault((inc_id, name), []).append(row)
            out = self._row_out(table, row, names)
            change = RowChange(inc_id, name, row_id, None, _cell_values(row), origin)
        self._row_changed(change)
        return out

    def update_row(self, inc_id: int, name: str, row_id: int, cells: dict, *, version: int | None = None,
                   names: bool = True, origin: str = "api") -> dict:
        with self.lock:
            out, change = self._update_row(inc_id, name, row_id, cells, version=version, names=names, origin=origin)
        self._row_changed(change)
        return out

    def _row_changed(self, change: RowChange) -> None:
        for watcher in list(self.row_watchers):
            watcher(change)

    def _update_row(self, inc_id: int, name: str, row_id: int, cells: dict, *, version: int | None, names: bool,
                    origin: str) -> tuple[dict, RowChange]:
        with self.lock:   # reentrant: update_row holds it already
            self.incident(inc_id)
            table = self.table(name)
            for row in self.rows.get((inc_id, name), []):
                if row["id"] == row_id:
                    break
            else:
                raise NotFound(f"row {row_id} of {name} in incident {inc_id}")
            if self.row_versions not in ROW_VERSIONS:
                raise RuntimeError(f"row_versions must be one of {ROW_VERSIONS}, not {self.row_versions!r}")
            values = self._check_cells(table, cells)
            if self.row_versions == "checked" and version is not None and version != row["version"]:
                raise Conflict(f"row {row_id} is at version {row['version']}, not {version}")
            before = _cell_values(row)
            if self.row_versions != "checked":   # "ignored": the row becomes exactly the cells sent
                row["cells"] = {}
            for col, value in values.items():
                row["cells"][col] = {"id": col, "row_id": row_id, "value": value}
            row["version"] += 1
            return self._row_out(table, row, names), RowChange(inc_id, name, row_id, before, _cell_values(row),
                                                               origin)

    def delete_row(self, inc_id: int, name: str, row_id: int) -> None:
        with self.lock:
            self.incident(inc_id)
            self.table(name)
            rows = self.rows.get((inc_id, name), [])
            for index, row in enumerate(rows):
                if row["id"] == row_id:
                    del rows[index]
                    return
            raise NotFound(f"row {row_id} of {name} in incident {inc_id}")

    def rows_of(self, inc_id: int, name: str = "slack_conversations_db") -> list[dict[str, Any]]:
        """Plain {column: value} dicts of the incident's rows (for tests and reports)."""
        with self.lock:
            return [{col: cell["value"] for col, cell in row["cells"].items()}
                    for row in self.rows.get((inc_id, name), [])]

    # ------------------------------------------------------------------ customizations (imports)
    def start_import(self, export: dict) -> dict:
        """Store a posted export as a pending import, as SOAR does before the user confirms it.

        An export that clashes with the org's objects is refused here (:class:`ImportClash`).
        """
        with self.lock:
            self.check_import(export)
            import_id = len(self.imports) + 1
            functions = [f.get("name") for f in export.get("functions") or []]
            record = {"id": import_id, "status": "PENDING", "create_date": now_ms(),
                      "messages": [{"type": "INFO", "text": f"Import of {len(functions)} functions "
                                                             f"({', '.join(functions)}) is pending"}]}
            self.imports[import_id] = {"record": record, "export": export}
            return copy.deepcopy(record)

    def finish_import(self, import_id: int, status: str) -> dict:
        """ACCEPTED applies the pending import to the org; REJECTED drops it."""
        with self.lock:
            pending = self.imports.get(import_id)
            if pending is None:
                raise NotFound(f"import {import_id}")
            if pending["record"]["status"] != "PENDING":
                raise Conflict(f"import {import_id} is {pending['record']['status']}")
            if status == "ACCEPTED":
                self.check_import(pending["export"])
                self._apply_export(pending["export"])
            pending["record"]["status"] = status
            return copy.deepcopy(pending["record"])

    def install(self, export: dict) -> None:
        """Import an export at once (as an administrator's earlier import did), with the same checks."""
        with self.lock:
            record = self.start_import(export)
            self.finish_import(record["id"], "ACCEPTED")

    # Identity of imported objects: (kind, name) ↔ uuid, plus the type that must not change.
    def _identities(self) -> list[tuple[str, str, str, str | None]]:
        """(kind, name, uuid, type) of every uuid-bearing object in the org."""
        found = [("message destination", n, d.get("uuid"), None) for n, d in self.message_destinations.items()]
        for type_name, bucket in self.fields.items():
            found += [(f"{type_name} field", n, f.get("uuid"), f.get("input_type")) for n, f in bucket.items()]
        for name, table in self.tables.items():
            found.append(("data table", name, table.get("uuid"), None))
            found += [(f"{name} column", n, c.get("uuid"), c.get("input_type")) for n, c in table["fields"].items()]
        found += [("function", n, f.get("uuid"), None) for n, f in self.functions.items()]
        found += [("rule", n, r.get("uuid"), r.get("object_type")) for n, r in self.rules.items()]
        found += [("workflow", n, w.get("uuid"), w.get("object_type")) for n, w in self.workflows.items()]
        for name, playbook in self.playbooks.items():
            found.append(("playbook", name, playbook.get("uuid"), playbook.get("object_type")))
            found += _playbook_parts(playbook)
        return found

    def check_import(self, export: dict) -> None:
        """Raise :class:`ImportClash` if the export names an object the org holds under another identity."""
        current = self._identities()
        by_name = {(kind, name): (uid, typ) for kind, name, uid, typ in current}
        by_uuid = {uid: (kind, name) for kind, name, uid, _ in current if uid}
        clashes, seen = [], {}
        for kind, name, uid, typ in _export_identities(export):
            if uid and uid in seen and seen[uid] != (kind, name):
                clashes.append(f"{kind} {name!r} uses uuid {uid}, as does {seen[uid][0]} {seen[uid][1]!r} "
                               "of the same import")
            seen.setdefault(uid, (kind, name))
            held = by_name.get((kind, name))
            if held is not None and held[0] != uid:
                clashes.append(f"{kind} {name!r} exists with uuid {held[0]}; the import has {uid}")
            elif held is not None and typ is not None and held[1] is not None and held[1] != typ:
                clashes.append(f"{kind} {name!r} is of type {held[1]!r}; the import makes it {typ!r}")
            owner = by_uuid.get(uid) if uid else None
            if owner is not None and owner != (kind, name):
                clashes.append(f"uuid {uid} belongs to {owner[0]} {owner[1]!r}; the import gives it to "
                               f"{kind} {name!r}")
        if clashes:
            raise ImportClash(clashes)

    def _apply_export(self, export: dict) -> None:
        # Objects are matched by name, as SOAR does: a re-import updates instead of duplicating.
        for dest in export.get("message_destinations") or []:
            current = self.message_destinations.get(dest["programmatic_name"])
            kept = current or {}
            merged = dict(dest, id=kept.get("id") or len(self.message_destinations) + 1,
                          api_keys=kept.get("api_keys", []), users=kept.get("users", []))
            self.message_destinations[dest["programmatic_name"]] = merged
        for fld in export.get("fields") or []:
            type_name = (fld.get("export_key") or "").split("/")[0] or "incident"
            bucket = self.fields.setdefault(type_name, {})
            current = bucket.get(fld["name"])
            bucket[fld["name"]] = dict(fld, id=current["id"] if current else next(self._field_ids))
        for table in export.get("types") or []:
            if table.get("type_id") != 8:
                continue
            current = self.tables.get(table["type_name"])
            table_id = current["id"] if current else next(self._type_ids)
            columns = {}
            for name, col in (table.get("fields") or {}).items():
                old = (current or {}).get("fields", {}).get(name)
                columns[name] = dict(col, id=old["id"] if old else next(self._field_ids), type_id=table_id)
            self.tables[table["type_name"]] = dict(table, id=table_id, fields=columns)
        for fn in export.get("functions") or []:
            current = self.functions.get(fn["name"])
            self.functions[fn["name"]] = dict(fn, id=current["id"] if current else len(self.functions) + 1,
                                              version=(current["version"] + 1) if current else 1)
        for rule in export.get("actions") or []:
            current = self.rules.get(rule["name"])
            self.rules[rule["name"]] = dict(rule, id=current["id"] if current else len(self.rules) + 1)
        for wf in export.get("workflows") or []:
            current = self.workflows.get(wf["programmatic_name"])
            self.workflows[wf["programmatic_name"]] = dict(
                wf, workflow_id=current["workflow_id"] if current else len(self.workflows) + 1)
        for playbook in export.get("playbooks") or []:
            current = self.playbooks.get(playbook["name"])
            self.playbooks[playbook["name"]] = dict(
                playbook, id=current["id"] if current else len(self.playbooks) + 1,
                version=(current["version"] + 1) if current else playbook.get("version", 1))
        self.imported_exports.append(copy.deepcopy(export))

    def function(self, name: str) -> dict:
        """The function definition as REST answers it with handle_format=names."""
        with self.lock:
            fn = self.functions.get(name)
            if fn is None:
                raise NotFound(f"function {name}")
            out = {key: copy.deepcopy(fn.get(key)) for key in (
                "id", "uuid", "name", "display_name", "description", "destination_handle", "view_items",
                "version", "workflows", "tags", "output_description")}
            out["creator"] = dict(SANDBOX_USER)
            out["last_modified_by"] = dict(SANDBOX_USER)
            out["last_modified_time"] = now_ms()
            return out

    def function_input_fields(self, name: str) -> list[dict]:
        """The __function fields a function shows, in its view order."""
        with self.lock:
            fn = self.functions.get(name)
            if fn is None:
                raise NotFound(f"function {name}")
            by_uuid = {f["uuid"]: f for f in self.fields.get("__function", {}).values()}
            return [copy.deepcopy(by_uuid[item["content"]]) for item in fn.get("view_items") or []
                    if item.get("content") in by_uuid]

    def type_fields(self, type_name: str) -> list[dict]:
        with self.lock:
            if type_name in self.tables:
                return copy.deepcopy(list(self.tables[type_name]["fields"].values()))
            return copy.deepcopy(list(self.fields.get(type_name, {}).values()))

    def destination(self, dest_id: int) -> dict:
        with self.lock:
            for dest in self.message_destinations.values():
                if dest["id"] == dest_id:
                    return copy.deepcopy(dest)
            raise NotFound(f"message destination {dest_id}")

    def update_destination(self, dest_id: int, body: dict) -> dict:
        with self.lock:
            current = self.destination(dest_id)
            # Only who may consume is editable here, which is all customize changes.
            current["api_keys"] = list(body.get("api_keys") or [])
            current["users"] = list(body.get("users") or [])
            self.message_destinations[current["programmatic_name"]] = current
            return copy.deepcopy(current)

    def customizations_export(self) -> dict:
        """The org's customizations as one export (what the driver runs: every rule, workflow and playbook
        the org holds now, whichever import brought it)."""
        with self.lock:
            fields = [f for bucket in self.fields.values() for f in bucket.values()]
            return copy.deepcopy({
                "fields": fields, "functions": list(self.functions.values()),
                "actions": list(self.rules.values()), "workflows": list(self.workflows.values()),
                "playbooks": list(self.playbooks.values()), "types": list(self.tables.values()),
                "message_destinations": list(self.message_destinations.values()),
            })

    # ------------------------------------------------------------------ inspection
    def log_call(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.calls.append(CallRecord(method, path, status))

    def snapshot(self) -> dict:
        """Everything in the org as JSON-ready data (file bytes as sizes; no keys or tokens)."""
        with self.lock:
            return copy.deepcopy({
                "org": {"id": self.org_id, "name": self.org_name},
                "incidents": list(self.incidents.values()),
                "tasks": list(self.tasks.values()),
                "notes": list(self.notes.values()),
                "artifacts": list(self.artifacts.values()),
                "attachments": list(self.attachments.values()),
                "data_tables": {name: {"id": t["id"], "display_name": t.get("display_name"),
                                       "columns": list(t["fields"])} for name, t in self.tables.items()},
                "rows": [{"incident_id": inc, "table": name, "rows": rows}
                         for (inc, name), rows in self.rows.items()],
                "functions": [self.function(name) for name in self.functions],
                "message_destinations": list(self.message_destinations.values()),
                "rules": [{"id": r["id"], "name": r["name"], "object_type": r.get("object_type")}
                          for r in self.rules.values()],
                "workflows": [{"workflow_id": w["workflow_id"], "programmatic_name": w["programmatic_name"],
                               "name": w.get("name"), "object_type": w.get("object_type")}
                              for w in self.workflows.values()],
                "playbooks": [{"id": p["id"], "name": p["name"], "display_name": p.get("display_name"),
                               "object_type": p.get("object_type")} for p in self.playbooks.values()],
                "imports": [i["record"] for i in self.imports.values()],
                "calls": [{"method": c.method, "path": c.path, "status": c.status, "at": c.at}
                          for c in self.calls],
            })


def _cell_values(row: dict) -> dict[str, Any]:
    return {col: cell["value"] for col, cell in row["cells"].items()}


def _playbook_parts(playbook: dict) -> list[tuple[str, str, str | None, str | None]]:
    """The uuid-bearing parts of a playbook: its inputs' type, its inputs, its local scripts, its tag."""
    name = playbook.get("name", "")
    fields_type = playbook.get("fields_type") or {}
    parts: list[tuple[str, str, str | None, str | None]] = []
    if fields_type:
        parts.append(("playbook inputs type", fields_type.get("type_name", name), fields_type.get("uuid"), None))
        parts += [(f"{fields_type.get('type_name', name)} input", n, f.get("uuid"), f.get("input_type"))
                  for n, f in (fields_type.get("fields") or {}).items()]
    parts += [(f"playbook {name} script", s.get("name", ""), s.get("uuid"), None)
              for s in playbook.get("local_scripts") or []]
    tag = playbook.get("tag") or {}
    if tag:
        parts.append(("playbook tag", tag.get("name", ""), tag.get("uuid"), None))
    return parts


def _export_identities(export: dict) -> list[tuple[str, str, str | None, str | None]]:
    """(kind, name, uuid, type) of every uuid-bearing object an export would import."""
    found = [("message destination", d["programmatic_name"], d.get("uuid"), None)
             for d in export.get("message_destinations") or []]
    for fld in export.get("fields") or []:
        type_name = (fld.get("export_key") or "").split("/")[0] or "incident"
        found.append((f"{type_name} field", fld["name"], fld.get("uuid"), fld.get("input_type")))
    for table in export.get("types") or []:
        if table.get("type_id") != 8:
            continue
        found.append(("data table", table["type_name"], table.get("uuid"), None))
        found += [(f"{table['type_name']} column", n, c.get("uuid"), c.get("input_type"))
                  for n, c in (table.get("fields") or {}).items()]
    found += [("function", f["name"], f.get("uuid"), None) for f in export.get("functions") or []]
    found += [("rule", r["name"], r.get("uuid"), r.get("object_type")) for r in export.get("actions") or []]
    found += [("workflow", w["programmatic_name"], w.get("uuid"), w.get("object_type"))
              for w in export.get("workflows") or []]
    for playbook in export.get("playbooks") or []:
        found.append(("playbook", playbook["name"], playbook.get("uuid"), playbook.get("object_type")))
        found += _playbook_parts(playbook)
    return found
