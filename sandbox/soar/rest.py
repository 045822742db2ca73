"""The SOAR sandbox's REST API: a Werkzeug WSGI app that answers what resilient-circuits and fn_slack call."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .state import ARTIFACT_TYPE_IDS, ARTIFACT_TYPES, SERVER_VERSION, Conflict, SoarState
from .state import NotFound as StateNotFound

LOG = logging.getLogger(__name__)

ORG = "/rest/orgs/<int:org_id>"

_ROUTES = [
    Rule("/rest/session", methods=["GET"], endpoint="session"),
    Rule("/rest/session", methods=["POST"], endpoint="password_session"),
    Rule("/rest/const", methods=["GET"], endpoint="const"),
    Rule(ORG, methods=["GET"], endpoint="org"),
    Rule(f"{ORG}/types/<type_name>", methods=["GET"], endpoint="type"),
    Rule(f"{ORG}/types/<type_name>/fields", methods=["GET"], endpoint="type_fields"),
    Rule(f"{ORG}/actions", methods=["GET"], endpoint="actions"),
    Rule(f"{ORG}/connectors/queues", methods=["GET"], endpoint="connector_queues"),
    Rule(f"{ORG}/functions", methods=["GET"], endpoint="functions"),
    Rule(f"{ORG}/functions/<name>", methods=["GET"], endpoint="function"),
    Rule(f"{ORG}/message_destinations", methods=["GET"], endpoint="destinations"),
    Rule(f"{ORG}/message_destinations/<int:dest_id>", methods=["GET", "PUT"], endpoint="destination"),
    Rule(f"{ORG}/configurations/imports", methods=["POST"], endpoint="import_start"),
    Rule(f"{ORG}/configurations/imports/<int:import_id>", methods=["GET", "PUT"], endpoint="import_one"),
    Rule(f"{ORG}/incidents/query_paged", methods=["POST"], endpoint="incidents_query_paged"),
    Rule(f"{ORG}/incidents", methods=["POST"], endpoint="incident_create"),
    Rule(f"{ORG}/incidents/<int:inc_id>", methods=["GET", "PATCH", "DELETE"], endpoint="incident"),
    Rule(f"{ORG}/incidents/<int:inc_id>/tasks", methods=["GET"], endpoint="incident_tasks"),
    Rule(f"{ORG}/tasks/<int:task_id>", methods=["GET", "PUT"], endpoint="task"),
    Rule(f"{ORG}/users", methods=["GET"], endpoint="users"),
    Rule(f"{ORG}/incidents/<int:inc_id>/comments", methods=["GET", "POST"], endpoint="incident_comments"),
    Rule(f"{ORG}/incidents/<int:inc_id>/comments/<int:note_id>", methods=["GET", "DELETE"],
         endpoint="incident_comment"),
    Rule(f"{ORG}/tasks/<int:task_id>/comments", methods=["GET", "POST"], endpoint="task_comments"),
    Rule(f"{ORG}/tasks/<int:task_id>/comments/<int:note_id>", methods=["GET", "DELETE"], endpoint="task_comment"),
    Rule(f"{ORG}/incidents/<int:inc_id>/artifacts", methods=["GET", "POST"], endpoint="artifacts"),
    Rule(f"{ORG}/incidents/<int:inc_id>/artifacts/<int:art_id>", methods=["GET"], endpoint="artifact"),
    Rule(f"{ORG}/incidents/<int:inc_id>/artifacts/<int:art_id>/contents", methods=["GET"],
         endpoint="artifact_contents"),
    Rule(f"{ORG}/incidents/<int:inc_id>/attachments", methods=["GET", "POST"],
         endpoint="incident_attachments"),
    Rule(f"{ORG}/incidents/<int:inc_id>/attachments/<int:att_id>", methods=["GET"],
         endpoint="incident_attachment"),
    Rule(f"{ORG}/incidents/<int:inc_id>/attachments/<int:att_id>/contents", methods=["GET"],
         endpoint="incident_attachment_contents"),
    Rule(f"{ORG}/tasks/<int:task_id>/attachments", methods=["GET", "POST"], endpoint="task_attachments"),
    Rule(f"{ORG}/tasks/<int:task_id>/attachments/<int:att_id>", methods=["GET"], endpoint="task_attachment"),
    Rule(f"{ORG}/tasks/<int:task_id>/attachments/<int:att_id>/contents", methods=["GET"],
         endpoint="task_attachment_contents"),
    Rule(f"{ORG}/incidents/<int:inc_id>/table_data/<table>", methods=["GET"], endpoint="table_data"),
    Rule(f"{ORG}/incidents/<int:inc_id>/table_data/<table>/row_data", methods=["POST"], endpoint="row_add"),
    Rule(f"{ORG}/incidents/<int:inc_id>/table_data/<table>/row_data/<int:row_id>",
         methods=["GET", "PUT", "DELETE"],
         endpoint="row_one"),
    Rule("/_sandbox/state", methods=["GET"], endpoint="sandbox_state"),
]


class SoarError(Exception):
    """An error answered in SOAR's JSON error shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _key_id(request: Request) -> str | None:
    """The API key id of a Basic-authenticated request (which process is calling), unchecked."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        return base64.b64decode(header[6:]).decode("utf-8").partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"success": False, "title": None, "message": message, "hints": [],
                  "error_code": "generic"}, status)


class SoarRestApp:
    """WSGI app over a SoarState; every /rest call needs the API key (HTTP Basic)."""

    def __init__(self, state: SoarState, on_request: Callable[[str, str, int], None] | None = None) -> None:
        self.state = state
        self.url_map = Map([rule.empty() for rule in _ROUTES], strict_slashes=False)
        self._on_request = on_request

    # ------------------------------------------------------------------ plumbing
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        failed = self.state.failure_for(request.method, request.path)
        if failed is not None:   # SOAR failed the request: nothing of it took effect
            response = _error(failed, "Internal Server Error: the request could not be carried out")
        else:
            self.state.arrived(request.method, request.path)
            self.state.wait_if_held(request.method, request.path, _key_id(request))
            response = self._dispatch(request)
        if response.status_code < 400:
            lost = self.state.answer_lost(request.method, request.path)
            if lost == 0 and "sandbox.drop_connection" in environ:   # took effect; the connection drops unanswered
                self.state.log_call(request.method, request.full_path.rstrip("?"), 0)
                environ["sandbox.drop_connection"]()
                return []
            if lost is not None:   # the request took effect; its answer is lost on the way back
                response = _error(lost, "Bad Gateway: the server's answer did not arrive")
        self.state.log_call(request.method, request.full_path.rstrip("?"), response.status_code)
        if self._on_request:
            self._on_request(request.method, request.path, response.status_code)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return _error(405, f"{request.method} is not allowed on {request.path}")
        except NotFound:
            return _error(404, f"No resource at {request.path}")
        except HTTPException as exc:
            return _error(exc.code or 400, exc.description or "bad request")
        if endpoint == "sandbox_state":
            if request.remote_addr not in ("127.0.0.1", "::1"):
                return _error(403, "The sandbox state is served to 127.0.0.1 only")
            return _json(self.state.snapshot())
        handle = self._authorized(request)
        if handle is None:
            return _error(401, "Unauthorized: the API key id or secret is wrong")
        request.environ["soar.api_key_handle"] = handle
        org_id = args.pop("org_id", None)
        if org_id is not None and org_id != self.state.org_id:
            return _error(403, f"Not a member of org {org_id}")
        try:
            return getattr(self, f"do_{endpoint}")(request, **args)
        except StateNotFound as exc:
            return _error(404, f"Not found: {exc}")
        except Conflict as exc:
            return _error(409, str(exc))
        except (ValueError, KeyError, TypeError) as exc:
            return _error(400, f"Bad request: {exc}")
        except SoarError as exc:
            return _error(exc.status, exc.message)

    def _authorized(self, request: Request) -> int | None:
        """The API key's handle when the Basic credentials are a known key, else None."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            key_id, _, secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return self.state.api_key_handle(key_id, secret)

    @staticmethod
    def _names(request: Request) -> bool:
        return request.args.get("handle_format") == "names"

    @staticmethod
    def _body(request: Request) -> Any:
        try:
            return json.loads(request.get_data(as_text=True) or "null")
        except json.JSONDecodeError as exc:
            raise SoarError(400, f"The body is not JSON: {exc}") from exc

    # ------------------------------------------------------------------ session, org, metadata
    def do_session(self, request: Request) -> Response:
        return _json({
            "api_key_handle": request.environ["soar.api_key_handle"], "user_id": None,
            "is_saml": False, "is_ldap": False,
            "session_ip": request.remote_addr, "csrf_token": None,
            "orgs": [{"id": self.state.org_id, "name": self.state.org_name, "enabled": True,
                      "uuid": "7f6d1a5e-7b7d-4b8f-9a70-0c6d2d4d0201", "cloud_account": None,
                      "perms": {"administrator": False, "master_administrator": False}}],
        })

    def do_password_session(self, request: Request) -> Response:
        return _error(401, "This SOAR sandbox accepts API keys only")

    def do_const(self, request: Request) -> Response:
        return _json({"server_version": SERVER_VERSION, "actions_framework_enabled": True})

    def do_org(self, request: Request) -> Response:
        return _json({"id": self.state.org_id, "name": self.state.org_name, "enabled": True,
                      "actions_framework_enabled": True, "timezone": "UTC"})

    def do_type(self, request: Request, type_name: str) -> Response:
        """A data table's definition (SOAR's TypeDTO): ``fields`` maps each column's name to its definition."""
        table = self.state.table(type_name)
        return _json({key: table.get(key) for key in ("id", "uuid", "type_name", "display_name", "type_id",
                                                      "parent_types", "fields", "properties")})

    def do_type_fields(self, request: Request, type_name: str) -> Response:
        return _json(self.state.type_fields(type_name))

    def do_actions(self, request: Request) -> Response:
        with self.state.lock:
            rules = [dict(r) for r in self.state.rules.values()]
        return _json({"entities": rules})

    def do_connector_queues(self, request: Request) -> Response:
        return _error(404, "Connectors are not available in this SOAR")

    def do_functions(self, request: Request) -> Response:
        with self.state.lock:
            names = list(self.state.functions)
        return _json({"entities": [self.state.function(name) for name in names]})

    def do_function(self, request: Request, name: str) -> Response:
        return _json(self.state.function(name))

    def do_destinations(self, request: Request) -> Response:
        with self.state.lock:
            return _json({"entities": list(self.state.message_destinations.values())})

    def do_destination(self, request: Request, dest_id: int) -> Response:
        if request.method == "PUT":
            return _json(self.state.update_destination(dest_id, self._body(request)))
        return _json(self.state.destination(dest_id))

    def do_import_start(self, request: Request) -> Response:
        export = self._body(request)
        if not isinstance(export, dict):
            raise SoarError(400, "The import body must be an export object")
        return _json(self.state.start_import(export))

    def do_import_one(self, request: Request, import_id: int) -> Response:
        if request.method == "PUT":
            status = (self._body(request) or {}).get("status")
            if status not in ("ACCEPTED", "REJECTED"):
                raise SoarError(400, f"status must be ACCEPTED or REJECTED, not {status!r}")
            return _json(self.state.finish_import(import_id, status))
        with self.state.lock:
            record = self.state.imports.get(import_id)
            if record is None:
                raise StateNotFound(f"import {import_id}")
            return _json(record["record"])

    # ------------------------------------------------------------------ incidents and tasks
    def do_incident_create(self, request: Request) -> Response:
        """POST /incidents: a new incident from SOAR's IncidentDTO; ``name`` and ``discovered_date`` are required,
        as in SOAR's REST API reference."""
        body = self._body(request) or {}
        if not isinstance(body, dict) or not body.get("name") or not body.get("discovered_date"):
            raise SoarError(400, "An incident needs a name and a discovered_date")
        values = {key: body[key] for key in ("discovered_date", "plan_status", "severity_code", "owner_id",
                                             "members") if key in body}
        return _json(self.state.create_incident(str(body["name"]), str(body.get("description") or ""), **values))

    def do_incident(self, request: Request, inc_id: int) -> Response:
        if request.method == "DELETE":
            self.state.delete_incident(inc_id)
            return _json({"success": True})
        if request.method == "PATCH":
            body = self._body(request) or {}
            return _json(self.state.patch_incident(inc_id, body.get("changes") or []))
        incident = self.state.incident(inc_id)
        if not self._names(request):
            incident["severity_code"] = {"Low": 4, "Medium": 5, "High": 6}.get(incident["severity_code"])
            ids = {p["email"]: p["id"] for p in self.state.people.values()}
            incident["members"] = [ids.get(m, m) for m in incident.get("members") or []]
        return _json(incident)

    def do_incidents_query_paged(self, request: Request) -> Response:
        body = self._body(request) or {}
        return _json(self.state.query_incidents(body.get("filters") or [], int(body.get("start") or 0),
                                                int(body.get("length") or 100),
                                                return_level=request.args.get("return_level", "partial"),
                                                field_handles=request.args.getlist("field_handle")))

    def do_incident_tasks(self, request: Request, inc_id: int) -> Response:
        self.state.incident(inc_id)
        with self.state.lock:
            return _json([t for t in self.state.tasks.values() if t["inc_id"] == inc_id])

    def do_task(self, request: Request, task_id: int) -> Response:
        """GET a task; PUT it back with ``status`` ``C`` to close it (the other fields are not changed here)."""
        if request.method == "PUT":
            body = self._body(request) or {}
            if not isinstance(body, dict) or body.get("status") not in ("O", "C"):
                raise SoarError(400, "A task's status is O or C")
            current = self.state.task(task_id)
            if body["status"] == "C" and current["status"] != "C":
                return _json(self.state.close_task(task_id))
            return _json(current)
        return _json(self.state.task(task_id))

    def do_users(self, request: Request) -> Response:
        """GET /users: the org's users (id, email, fname, lname, display_name, status, roles)."""
        with self.state.lock:
            return _json([dict(p) for p in self.state.people.values()])

    def _post_note(self, request: Request, inc_id: int, task_id: int | None) -> Response:
        body = self._body(request) or {}
        text = body.get("text")
        if isinstance(text, dict):
            text = text.get("content")
        if not isinstance(text, str) or not text:
            raise SoarError(400, "A note needs text: {'text': {'format': 'html', 'content': ...}}")
        return _json(self.state.add_note(inc_id, text, task_id=task_id))

    def do_incident_comments(self, request: Request, inc_id: int) -> Response:
        if request.method == "POST":
            return self._post_note(request, inc_id, None)
        return _json(self.state.notes_of(inc_id))

    def do_incident_comment(self, request: Request, inc_id: int, note_id: int) -> Response:
        if request.method == "DELETE":
            self.state.delete_note(inc_id, note_id)
            return _json({"success": True})
        return _json(self.state.note(inc_id, note_id))

    def do_task_comment(self, request: Request, task_id: int, note_id: int) -> Response:
        task = self.state.task(task_id)
        if request.method == "DELETE":
            self.state.delete_note(task["inc_id"], note_id, task_id=task_id)
            return _json({"success": True})
        return _json(self.state.note(task["inc_id"], note_id, task_id=task_id))

    def do_task_comments(self, request: Request, task_id: int) -> Response:
        task = self.state.task(task_id)
        if request.method == "POST":
            return self._post_note(request, task["inc_id"], task_id)
        return _json(self.state.notes_of(task["inc_id"], task_id))

    # ------------------------------------------------------------------ artifacts
    def _artifact_out(self, artifact: dict, names: bool) -> dict:
        if not names:
            artifact["type"] = ARTIFACT_TYPE_IDS[artifact["type"]]
        return artifact

    @staticmethod
    def _artifact_type(handle: object) -> str:
        """An artifact type handle as SOAR takes one (its id, its name, or ``{"id": …}``/``{"name": …}``) → the
        type's name; an unknown type answers 400."""
        if isinstance(handle, dict):
            handle = handle.get("id", handle.get("name"))
        if isinstance(handle, bool):
            handle = None
        if isinstance(handle, int) and handle in ARTIFACT_TYPES:
            return ARTIFACT_TYPES[handle]
        if isinstance(handle, str) and handle in ARTIFACT_TYPE_IDS:
            return handle
        raise SoarError(400, f"Invalid artifact type: {handle!r}")

    def _post_artifact(self, request: Request, inc_id: int) -> Response:
        """``POST /incidents/<id>/artifacts``: ``type`` (a handle), ``value``, ``description`` (text or
        ``{"format": "text", "content": …}``) → a list holding the artifact made, as SOAR answers."""
        body = self._body(request) or {}
        value = body.get("value")
        if not isinstance(value, str) or not value.strip():
            raise SoarError(400, "An artifact needs a value: {'type': {'name': 'IP Address'}, 'value': ...}")
        description = body.get("description") or ""
        if isinstance(description, dict):
            description = description.get("content") or ""
        artifact = self.state.add_artifact(inc_id, self._artifact_type(body.get("type")), value, str(description))
        return _json([self._artifact_out(artifact, self._names(request))])

    def do_artifacts(self, request: Request, inc_id: int) -> Response:
        self.state.incident(inc_id)
        if request.method == "POST":
            return self._post_artifact(request, inc_id)
        with self.state.lock:
            arts = [dict(a) for a in self.state.artifacts.values() if a["inc_id"] == inc_id]
        return _json([self._artifact_out(a, self._names(request)) for a in arts])

    def do_artifact(self, request: Request, inc_id: int, art_id: int) -> Response:
        return _json(self._artifact_out(self.state.artifact(inc_id, art_id), self._names(request)))

    def do_artifact_contents(self, request: Request, inc_id: int, art_id: int) -> Response:
        artifact = self.state.artifact(inc_id, art_id)
        data = self.state.artifact_contents(inc_id, art_id)
        return Response(data, mimetype=artifact["attachment"]["content_type"])

    # ------------------------------------------------------------------ attachments
    def _upload(self, request: Request, inc_id: int, task_id: int | None) -> Response:
        upload = request.files.get("file")
        if upload is None:
            raise SoarError(400, "multipart part 'file' is missing")
        data = upload.read()
        name = upload.filename or "upload"
        content_type = upload.mimetype or "application/octet-stream"
        attachment = self.state.add_attachment(inc_id, name, data, content_type=content_type, task_id=task_id)
        return _json(attachment)

    def do_incident_attachments(self, request: Request, inc_id: int) -> Response:
        if request.method == "POST":
            return self._upload(request, inc_id, None)
        return _json(self.state.attachments_of(inc_id))

    def do_task_attachments(self, request: Request, task_id: int) -> Response:
        task = self.state.task(task_id)
        if request.method == "POST":
            return self._upload(request, task["inc_id"], task_id)
        return _json(self.state.attachments_of(task["inc_id"], task_id))

    def do_incident_attachment(self, request: Request, inc_id: int, att_id: int) -> Response:
        return _json(self.state.attachment(att_id, inc_id=inc_id))

    def do_task_attachment(self, request: Request, task_id: int, att_id: int) -> Response:
        return _json(self.state.attachment(att_id, task_id=task_id))

    def _contents(self, att_id: int, inc_id: int | None = None, task_id: int | None = None) -> Response:
        meta = self.state.attachment(att_id, inc_id=inc_id, task_id=task_id)
        with self.state.lock:
            data = self.state.attachment_files[att_id]
        return Response(data, mimetype=meta["content_type"])

    def do_incident_attachment_contents(self, request: Request, inc_id: int, att_id: int) -> Response:
        return self._contents(att_id, inc_id=inc_id)

    def do_task_attachment_contents(self, request: Request, task_id: int, att_id: int) -> Response:
        return self._contents(att_id, task_id=task_id)

    # ------------------------------------------------------------------ data tables
    def do_table_data(self, request: Request, inc_id: int, table: str) -> Response:
        return _json(self.state.table_rows(inc_id, table, names=self._names(request)))

    def do_row_add(self, request: Request, inc_id: int, table: str) -> Response:
        body = self._body(request) or {}
        return _json(self.state.add_row(inc_id, table, body.get("cells") or {}, names=self._names(request)))

    def do_row_one(self, request: Request, inc_id: int, table: str, row_id: int) -> Response:
        if request.method == "DELETE":
            self.state.delete_row(inc_id, table, row_id)
            return _json({"success": True})
        if request.method == "PUT":
            body = self._body(request) or {}
            return _json(self.state.update_row(inc_id, table, row_id, body.get("cells") or {},
                                               version=body.get("version"), names=self._names(request)))
        for row in self.state.table_rows(inc_id, table, names=self._names(request))["rows"]:
            if row["id"] == row_id:
                return _json(row)
        raise StateNotFound(f"row {row_id} of {table} in incident {inc_id}")
