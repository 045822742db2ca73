"""The SOAR sandbox's web page: incidents as an analyst sees them in SOAR, and their menu items to click.

Served over plain HTTP on 127.0.0.1 by :class:`SoarWebServer`, which :class:`~sandbox.soar.SoarSandbox` starts
with the sandbox (``SoarSandbox.ui_url``). No build step and no script: server-made HTML and one style sheet.
Every click goes through :meth:`SoarDriver.start_click`, the path the tests and the demo use (rule conditions,
pre-processing, the function message on the broker, ``resilient-circuits run``, post-processing).

All data is hostile: every value is HTML-escaped, note HTML goes through an allowlist sanitizer
(:mod:`sandbox.soar.notes_html`), every answer carries a strict Content-Security-Policy, and every POST needs
the process's CSRF token and an Origin of the page itself."""

from __future__ import annotations

import hmac
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .driver import BackgroundClick, ClickResult, SoarDriver
from .notes_html import sanitize_note_html
from .scripting import Customizations, rule_matches
from .state import NotFound

if TYPE_CHECKING:
    from .sandbox import SoarSandbox

STYLE_PATH = Path(__file__).with_name("web.css")
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer makes Chromium send "Origin: null" with the forms
    "Cache-Control": "no-store",
}
SEVERITIES = ("Low", "Medium", "High")
STATUS_NAMES = {"A": "Active", "C": "Closed"}
TASK_STATUS_NAMES = {"O": "Open", "C": "Closed"}
OBJECT_TYPES = ("incident", "task", "note", "artifact", "attachment")
BOOLEAN_CHOICES = {"": None, "yes": True, "no": False}
# How often a page showing a running click reloads itself (a meta refresh: the page has no script).
REFRESH_SECONDS = 1
# A driver click waits this long for the function's result before it reports that none came.
CLICK_TIMEOUT = 90.0


def esc(value: Any) -> str:
    """Any value as HTML text, quotes included."""
    return html.escape("" if value is None else str(value), quote=True)


def when(ms: Any) -> str:
    """A SOAR time (epoch milliseconds) as the page shows it."""
    if not isinstance(ms, int | float) or isinstance(ms, bool):
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _size(count: int) -> str:
    return f"{count} B" if count < 1024 else f"{count / 1024:.1f} KB"


class Refused(HTTPException):
    """A request the page refuses: its status and a sentence naming what was wrong and how to fix it."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(description=message)
        self.code = code


class SoarPage:
    """The WSGI app of the page: routes, the CSRF check and the security headers."""

    def __init__(self, sandbox: SoarSandbox, driver: SoarDriver) -> None:
        self.sandbox = sandbox
        self.driver = driver
        self.csrf_token = secrets.token_urlsafe(32)
        self.origins: set[str] = set()   # set by the server once its port is known
        self.style = STYLE_PATH.read_bytes()
        self.views = PageViews(self)
        self.routes = Map([
            Rule("/", endpoint="index", methods=["GET"]),
            Rule("/static/soar.css", endpoint="style", methods=["GET"]),
            Rule("/incidents", endpoint="create_incident", methods=["POST"]),
            Rule("/incidents/<int:inc_id>", endpoint="incident", methods=["GET"]),
            Rule("/incidents/<int:inc_id>/activate", endpoint="activate", methods=["GET"]),
            Rule("/incidents/<int:inc_id>/actions", endpoint="start_action", methods=["POST"]),
            Rule("/incidents/<int:inc_id>/attachments/<int:att_id>", endpoint="attachment_file", methods=["GET"]),
            Rule("/incidents/<int:inc_id>/artifacts/<int:art_id>", endpoint="artifact_file", methods=["GET"]),
        ])

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._dispatch(request)
        except RequestRedirect as redirect:
            response = redirect.get_response(environ)
        except Refused as refused:
            response = self.views.refusal(refused.code, refused.description or "")
        except (HTTPNotFound, NotFound):
            response = self.views.refusal(404, "There is no such page or object in this SOAR org.")
        except HTTPException as err:
            response = self.views.refusal(err.code or 400, err.description or err.name)
        response.headers.update(SECURITY_HEADERS)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.host not in self.origins_hosts():
            raise Refused(403, "This page answers only at its own address (127.0.0.1 or localhost).")
        endpoint, args = self.routes.bind_to_environ(request.environ).match()
        if request.method == "POST":
            self._check_post(request)
        if endpoint == "style":
            return Response(self.style, content_type="text/css; charset=utf-8")
        return getattr(self.views, endpoint)(request, **args)

    def origins_hosts(self) -> set[str]:
        return {urlsplit(origin).netloc for origin in self.origins}

    def _check_post(self, request: Request) -> None:
        """A POST must come from this page: its CSRF token, and an Origin (when the browser sends one) of
        the page itself. Refused with 403 otherwise, before anything is done."""
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.origins:
            raise Refused(403, f"Refused: the form was sent from another site ({origin}).")
        token = request.form.get("csrf", "")
        if not token or not hmac.compare_digest(token.encode(), self.csrf_token.encode()):
            raise Refused(403, "Refused: the form has no valid CSRF token. Reload the page and send it again.")


class PageViews:
    """What each URL answers: the pages, the form handlers and the file downloads."""

    def __init__(self, page: SoarPage) -> None:
        self.page = page

    @property
    def state(self) -> Any:
        return self.page.sandbox.state

    @property
    def customizations(self) -> Customizations:
        return self.page.driver.customizations

    # ---------------------------------------------------------------- page frame
    def layout(self, title: str, body: str, *, refresh: str | None = None, status: int = 200) -> Response:
        # The refresh names its page: Chromium does not reload a page whose address has a #fragment (#action-<n>)
        meta = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}; url={esc(refresh)}">' if refresh else ""
        org = esc(self.page.sandbox.org_name)
        document = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}'
            f'<title>{esc(title)} - SOAR sandbox</title><link rel="stylesheet" href="/static/soar.css"></head>'
            f'<body><header class="topbar"><a class="brand" href="/">SOAR</a><span class="org">{org}</span>'
            '<span class="sandbox-tag">sandbox</span><a class="nav" href="/">Incidents</a></header>'
            f'<main>{body}</main></body></html>')
        return Response(document, status=status, content_type="text/html; charset=utf-8")

    def refusal(self, code: int, message: str) -> Response:
        body = (f'<div class="refusal" data-error="{code}"><h1>{code}</h1><p>{esc(message)}</p>'
                '<p><a href="/">Back to the incidents</a></p></div>')
        return self.layout(f"Error {code}", body, status=code)

    def csrf_input(self) -> str:
        return f'<input type="hidden" name="csrf" value="{esc(self.page.csrf_token)}">'

    # ---------------------------------------------------------------- incidents list and create form
    def index(self, request: Request) -> Response:
        with self.state.lock:
            incidents = sorted((dict(i) for i in self.state.incidents.values()), key=lambda i: -i["id"])
        rows = "".join(
            f'<tr><td>{inc["id"]}</td><td><a data-incident-id="{inc["id"]}" href="/incidents/{inc["id"]}">'
            f'{esc(inc["name"])}</a></td><td>{_severity(inc.get("severity_code"))}</td>'
            f'<td>{esc(STATUS_NAMES.get(inc.get("plan_status"), inc.get("plan_status")))}</td>'
            f'<td>{esc(inc.get("owner_id"))}</td><td>{when(inc.get("create_date"))}</td></tr>'
            for inc in incidents)
        listing = (f'<table class="grid incidents"><thead><tr><th>ID</th><th>Name</th><th>Severity</th>'
                   f'<th>Status</th><th>Owner</th><th>Created</th></tr></thead><tbody>{rows}</tbody></table>'
                   if incidents else '<p class="empty">No incidents yet: create one with the form.</p>')
        options = "".join(f'<option value="{s}">{s}</option>' for s in SEVERITIES)
        form = (
            '<form class="card create" method="post" action="/incidents" data-create-incident>'
            f'<h2>Create incident</h2>{self.csrf_input()}'
            '<label>Name <input name="name" required maxlength="200"></label>'
            '<label>Description <textarea name="description" rows="3"></textarea></label>'
            f'<label>Severity <select name="severity_code">{options}</select></label>'
            '<button type="submit">Create</button></form>')
        body = f'<h1 class="page-title">Incidents</h1><div class="columns"><div>{listing}</div>{form}</div>'
        return self.layout("Incidents", body)

    def create_incident(self, request: Request) -> Response:
        name = request.form.get("name", "").strip()
        if not name:
            raise Refused(400, "An incident needs a name: fill in Name and send the form again.")
        severity = request.form.get("severity_code", "Low")
        if severity not in SEVERITIES:
            raise Refused(400, f"Severity must be one of {', '.join(SEVERITIES)}, not {severity!r}.")
        text = request.form.get("description", "").strip()
        description = f"<div>{esc(text)}</div>" if text else ""
        incident = self.page.sandbox.create_incident(name, description, severity_code=severity)
        return _see_other(f"/incidents/{incident['id']}")

    # ---------------------------------------------------------------- one incident
    def incident(self, request: Request, inc_id: int) -> Response:
        return IncidentView(self, inc_id).response()

    # ---------------------------------------------------------------- a menu item's dialog and its click
    def activate(self, request: Request, inc_id: int) -> Response:
        target = ClickTarget.from_form(request.args, self.customizations)
        incident = self.state.incident(inc_id)
        target.check_object(self.state, inc_id)
        fields = target.fields(self.customizations)
        inputs = "".join(_field_input(field) for field in fields)
        hidden = "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in target.hidden())
        body = (
            f'<nav class="crumbs"><a href="/">Incidents</a> / <a href="/incidents/{inc_id}">'
            f'{esc(incident["name"])}</a></nav>'
            f'<form class="card dialog" method="post" action="/incidents/{inc_id}/actions" data-activation>'
            f'<h1>{esc(target.name)}</h1><p class="muted">on {esc(target.object_label())}</p>'
            f'{self.csrf_input()}{hidden}{inputs}'
            f'<div class="buttons"><a class="cancel" href="/incidents/{inc_id}">Cancel</a>'
            '<button type="submit">Execute</button></div></form>')
        return self.layout(target.name, body)

    def start_action(self, request: Request, inc_id: int) -> Response:
        self.state.incident(inc_id)
        target = ClickTarget.from_form(request.form, self.customizations)
        target.check_object(self.state, inc_id)
        values = target.values(request.form, self.customizations)
        kwargs: dict[str, Any] = {"task_id": target.task_id, "object_id": target.object_id, "timeout": CLICK_TIMEOUT}
        kwargs["properties" if target.kind == "menu item" else "inputs"] = values
        handle = self.page.driver.start_click(target.kind, target.name, incident_id=inc_id, **kwargs)
        handle.wait(0.3)   # a click that ends at once (say, its conditions do not hold) shows its end at once
        return _see_other(f"/incidents/{inc_id}#action-{handle.number}")

    # ---------------------------------------------------------------- files
    def attachment_file(self, request: Request, inc_id: int, att_id: int) -> Response:
        attachment = self.state.attachment(att_id, inc_id=inc_id)
        with self.state.lock:
            data = self.state.attachment_files[att_id]
        return _download(attachment["name"], data)

    def artifact_file(self, request: Request, inc_id: int, art_id: int) -> Response:
        artifact = self.state.artifact(inc_id, art_id)
        data = self.state.artifact_contents(inc_id, art_id)
        return _download((artifact.get("attachment") or {}).get("name") or artifact["value"], data)


class ClickTarget:
    """What a click form names: a menu item (rule) or a manual playbook, and the object it is on."""

    def __init__(self, kind: str, name: str, task_id: int | None, object_id: int | None, object_type: str) -> None:
        self.kind = kind
        self.name = name
        self.task_id = task_id
        self.object_id = object_id
        self.object_type = object_type

    @classmethod
    def from_form(cls, form: Any, customizations: Customizations) -> ClickTarget:
        rule, playbook = form.get("rule"), form.get("playbook")
        if bool(rule) == bool(playbook):
            raise Refused(400, "Name one menu item (rule=...) or one playbook (playbook=...) to run.")
        try:
            item = customizations.rule(rule) if rule else customizations.playbook(playbook)
        except KeyError:
            kind = "menu item" if rule else "playbook"
            raise Refused(400, f"There is no {kind} named {rule or playbook!r} in this org "
                               "(import fn_slack's customizations with resilient-circuits customize).") from None
        if not rule and item.activation_type != "manual":
            raise Refused(400, f"Playbook {playbook!r} is started by SOAR, not from a menu.")
        return cls("menu item" if rule else "playbook", item.name if rule else item.display_name,
                   _id_field(form, "task_id"), _id_field(form, "object_id"), item.object_type)

    def hidden(self) -> list[tuple[str, Any]]:
        pairs: list[tuple[str, Any]] = [("rule" if self.kind == "menu item" else "playbook", self.name)]
        pairs += [(key, value) for key, value in (("task_id", self.task_id), ("object_id", self.object_id))
                  if value is not None]
        return pairs

    def check_object(self, state: Any, inc_id: int) -> None:
        """The object the click names is one of the incident's (NotFound, a 404, otherwise; 400 when the form
        leaves out the id the item's object type needs)."""
        needed = {"task": self.task_id, "note": self.object_id, "artifact": self.object_id,
                  "attachment": self.object_id}
        if self.object_type in needed and needed[self.object_type] is None:
            key = "task_id" if self.object_type == "task" else "object_id"
            raise Refused(400, f"{self.name!r} is on a {self.object_type}: name it with {key}.")
        if self.task_id is not None and state.task(self.task_id)["inc_id"] != inc_id:
            raise NotFound(f"task {self.task_id} of incident {inc_id}")
        if self.object_type == "note":
            state.note(inc_id, self.object_id, self.task_id)
        elif self.object_type == "artifact":
            state.artifact(inc_id, self.object_id)
        elif self.object_type == "attachment":
            state.attachment(self.object_id, inc_id=inc_id)

    def object_label(self) -> str:
        if self.object_type == "incident":
            return "the incident"
        ident = self.task_id if self.object_type == "task" else self.object_id
        return f"{self.object_type} {ident}"

    def fields(self, customizations: Customizations) -> list[dict]:
        """The dialog's fields in order: name, label, input type, tooltip, whether required, choices."""
        raw = {f["name"]: f for f in customizations.export.get("fields", [])
               if f.get("export_key", "").startswith("actioninvocation/")}
        if self.kind == "menu item":
            names = customizations.rule(self.name).view_field_names
        else:
            playbook = customizations.playbook(self.name)
            names = playbook.input_names
            raw = {**raw, **{f["name"]: f for f in _playbook_fields(customizations, playbook.name)}}
        return [{"name": name, "label": raw.get(name, {}).get("text", name),
                 "input_type": raw.get(name, {}).get("input_type", "text"),
                 "tooltip": raw.get(name, {}).get("tooltip") or "",
                 "required": raw.get(name, {}).get("required") == "always",
                 "values": [v.get("label") for v in raw.get(name, {}).get("values") or []]} for name in names]

    def values(self, form: Any, customizations: Customizations) -> dict[str, Any]:
        """The dialog's values as the driver takes them; a value a field cannot hold is refused (400)."""
        values: dict[str, Any] = {}
        for spec in self.fields(customizations):
            raw = form.get(spec["name"], "")
            kind = spec["input_type"]
            if kind == "boolean":
                if raw not in BOOLEAN_CHOICES:
                    raise Refused(400, f"{spec['label']} ({spec['name']}) must be yes, no or left empty, "
                                       f"not {raw!r}.")
                values[spec["name"]] = BOOLEAN_CHOICES[raw]
            elif kind == "number":
                try:
                    values[spec["name"]] = int(raw) if raw.strip() else None
                except ValueError:
                    raise Refused(400, f"{spec['label']} ({spec['name']}) must be a whole number, "
                                       f"not {raw!r}.") from None
            elif kind == "select" and raw and raw not in spec["values"]:
                raise Refused(400, f"{spec['label']} ({spec['name']}) must be one of "
                                   f"{', '.join(spec['values'])}, not {raw!r}.")
            else:
                values[spec["name"]] = raw.strip() or None
            if spec["required"] and values.get(spec["name"]) is None:
                raise Refused(400, f"{spec['label']} ({spec['name']}) is required: fill it in and execute again.")
        return values


def _playbook_fields(customizations: Customizations, name: str) -> list[dict]:
    for raw in customizations.export.get("playbooks") or []:
        if raw.get("name") == name:
            return list(((raw.get("fields_type") or {}).get("fields") or {}).values())
    return []


def _id_field(form: Any, name: str) -> int | None:
    raw = form.get(name)
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        raise Refused(400, f"{name} must be a number, not {raw!r}.")
    return int(raw)


def _field_input(field: dict) -> str:
    name, label = esc(field["name"]), esc(field["label"])
    required = " required" if field["required"] else ""
    tip = f'<span class="tip">{esc(field["tooltip"])}</span>' if field["tooltip"] else ""
    if field["input_type"] == "boolean":
        control = (f'<select name="{name}"{required}><option value="">-</option><option value="yes">Yes</option>'
                   '<option value="no">No</option></select>')
    elif field["input_type"] == "select":
        options = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in field["values"])
        control = f'<select name="{name}"{required}><option value="">-</option>{options}</select>'
    elif field["input_type"] == "textarea":
        control = f'<textarea name="{name}" rows="3"{required}></textarea>'
    elif field["input_type"] == "number":
        control = f'<input type="number" name="{name}"{required}>'
    else:
        control = f'<input type="text" name="{name}"{required}>'
    return f'<label class="field"><span>{label}{" *" if required else ""}</span>{control}{tip}</label>'


def _severity(code: Any) -> str:
    name = code.get("name") if isinstance(code, dict) else code
    css = str(name).lower() if name in SEVERITIES else "unknown"
    return f'<span class="sev sev-{css}">{esc(name)}</span>'


def _see_other(location: str) -> Response:
    return Response("", status=303, headers={"Location": location})


def _download(name: str, data: bytes) -> Response:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:120] or "file"
    return Response(data, content_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


class IncidentView:
    """One incident's page: header, menu items, the clicks made from it, tasks, notes, artifacts,
    attachments and data tables."""

    def __init__(self, views: PageViews, inc_id: int) -> None:
        self.views = views
        self.inc_id = inc_id
        state = views.state
        with state.lock:
            self.incident = state.incident(inc_id)
            self.tasks = [dict(t) for t in state.tasks.values() if t["inc_id"] == inc_id]
            self.notes = [dict(n) for n in state.notes.values() if n["inc_id"] == inc_id]
            self.artifacts = [dict(a) for a in state.artifacts.values() if a["inc_id"] == inc_id]
            self.attachments = [dict(a) for a in state.attachments.values() if a["inc_id"] == inc_id]
            self.tables = {name: dict(table) for name, table in state.tables.items()}
            self.rows = {name: [dict(r) for r in state.rows.get((inc_id, name), [])] for name in self.tables}
        self.customizations = views.customizations
        self.clicks = [c for c in views.page.driver.clicks if c.incident_id == inc_id]
        row_ids = {row["id"] for rows in self.rows.values() for row in rows}
        self.automatic = [run for run in list(views.page.driver.automatic_runs) if run.object_id in row_ids]

    def response(self) -> Response:
        inc = self.incident
        running = any(c.running for c in self.clicks)
        sections = [("actions", "Actions", self.actions()), ("activity", "Activity", self.activity()),
                    ("tasks", f"Tasks ({len(self.tasks)})", self.task_list()),
                    ("notes", f"Notes ({sum(1 for n in self.notes if n['task_id'] is None)})", self.note_list()),
                    ("artifacts", f"Artifacts ({len(self.artifacts)})", self.artifact_list()),
                    ("attachments", f"Attachments ({len(self.attachments)})", self.attachment_list()),
                    ("tables", "Data tables", self.table_list())]
        tabs = "".join(f'<a href="#{key}">{esc(title)}</a>' for key, title, _ in sections)
        body = (
            f'<nav class="crumbs"><a href="/">Incidents</a> / {inc["id"]}</nav>'
            f'<div class="inc-header"><h1 data-incident-name>{esc(inc["name"])}</h1>'
            f'<dl class="summary"><dt>ID</dt><dd>{inc["id"]}</dd>'
            f'<dt>Severity</dt><dd>{_severity(inc.get("severity_code"))}</dd>'
            f'<dt>Status</dt><dd>{esc(STATUS_NAMES.get(inc.get("plan_status"), inc.get("plan_status")))}</dd>'
            f'<dt>Owner</dt><dd>{esc(inc.get("owner_id"))}</dd><dt>Phase</dt><dd>{esc(inc.get("phase_id"))}</dd>'
            f'<dt>Created</dt><dd>{when(inc.get("create_date"))}</dd>'
            f'<dt>Types</dt><dd>{esc(", ".join(map(str, inc.get("incident_type_ids") or [])) or "-")}</dd></dl>'
            f'<div class="description">{sanitize_note_html(inc.get("description"))}</div></div>'
            f'<nav class="tabs">{tabs}</nav>'
            + "".join(f'<section id="{key}" data-section="{key}"><h2>{esc(title)}</h2>{content}</section>'
                      for key, title, content in sections))
        return self.views.layout(inc["name"], body, refresh=f"/incidents/{inc['id']}" if running else None)

    # ---------------------------------------------------------------- menu items
    def menu(self, object_type: str, obj: dict, *, task_id: int | None = None, object_id: int | None = None) -> str:
        """The menu items (rules whose conditions hold) and manual playbooks SOAR offers on this object."""
        buttons = []
        ids = {k: v for k, v in (("task_id", task_id), ("object_id", object_id)) if v is not None}
        for rule in self.customizations.rules:
            if rule.object_type == object_type and _shows(rule, obj):
                buttons.append(self._button("menu-item", "rule", rule.name, ids))
        for playbook in self.customizations.playbooks:
            if (playbook.object_type == object_type and playbook.activation_type == "manual" and playbook.enabled
                    and _shows(playbook, obj)):
                buttons.append(self._button("playbook", "playbook", playbook.display_name, ids))
        return f'<div class="menu">{"".join(buttons)}</div>' if buttons else ""

    def _button(self, hook: str, key: str, name: str, ids: dict[str, int]) -> str:
        css = "menu-item" if hook == "menu-item" else "menu-item playbook"
        return (f'<form class="inline" method="get" action="/incidents/{self.inc_id}/activate">'
                + "".join(f'<input type="hidden" name="{k}" value="{esc(v)}">' for k, v in {key: name, **ids}.items())
                + f'<button type="submit" class="{css}" data-{hook}="{esc(name)}">{esc(name)}'
                  "</button></form>")

    def actions(self) -> str:
        menu = self.menu("incident", self.incident)
        return menu or '<p class="empty">No menu items: import fn_slack with resilient-circuits customize.</p>'

    # ---------------------------------------------------------------- clicks
    def activity(self) -> str:
        if not self.clicks and not self.automatic:
            return '<p class="empty">Nothing clicked yet.</p>'
        return ("".join(_click_html(click) for click in reversed(self.clicks))
                + "".join(_automatic_html(run) for run in reversed(self.automatic)))

    # ---------------------------------------------------------------- objects
    def task_list(self) -> str:
        if not self.tasks:
            return '<p class="empty">No tasks.</p>'
        items = []
        for task in self.tasks:
            notes = [n for n in self.notes if n["task_id"] == task["id"]]
            items.append(
                f'<div class="card task" data-task-id="{task["id"]}"><div class="obj-head"><b>{esc(task["name"])}'
                f'</b><span class="pill">{esc(TASK_STATUS_NAMES.get(task.get("status"), task.get("status")))}'
                f'</span><span class="muted">owner {esc(task.get("owner_id") or "-")} · due '
                f'{when(task.get("due_date")) or "-"}</span></div>'
                f'{self.menu("task", task, task_id=task["id"])}'
                + "".join(self.note_html(n) for n in notes) + "</div>")
        return "".join(items)

    def note_list(self) -> str:
        notes = [n for n in self.notes if n["task_id"] is None]
        return "".join(self.note_html(n) for n in notes) or '<p class="empty">No notes.</p>'

    def note_html(self, note: dict) -> str:
        shown = dict(note, text={"format": "html", "content": note["text"]})
        return (f'<article class="note" data-note-id="{note["id"]}"><header><b>{esc(note.get("user_name"))}</b> '
                f'<span class="muted">{when(note.get("create_date"))}</span></header>'
                f'<div class="note-body">{sanitize_note_html(note.get("text"))}</div>'
                f'{self.menu("note", shown, task_id=note["task_id"], object_id=note["id"])}</article>')

    def artifact_list(self) -> str:
        if not self.artifacts:
            return '<p class="empty">No artifacts.</p>'
        rows = []
        for art in self.artifacts:
            file = art.get("attachment")
            link = (f'<a href="/incidents/{self.inc_id}/artifacts/{art["id"]}">{esc(file["name"])}</a> '
                    f'<span class="muted">{_size(file["size"])}</span>' if file else "")
            rows.append(f'<tr data-artifact-id="{art["id"]}"><td>{esc(art["type"])}</td><td>{esc(art["value"])}</td>'
                        f'<td>{esc(art.get("description"))}</td><td>{link}</td>'
                        f'<td>{self.menu("artifact", art, object_id=art["id"])}</td></tr>')
        return ('<table class="grid"><thead><tr><th>Type</th><th>Value</th><th>Description</th><th>File</th>'
                f'<th>Actions</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')

    def attachment_list(self) -> str:
        if not self.attachments:
            return '<p class="empty">No attachments.</p>'
        tasks = {t["id"]: t["name"] for t in self.tasks}
        rows = []
        for att in self.attachments:
            where = f"task: {tasks.get(att['task_id'], att['task_id'])}" if att["task_id"] else "incident"
            rows.append(
                f'<tr data-attachment-id="{att["id"]}"><td><a href="/incidents/{self.inc_id}/attachments/{att["id"]}">'
                f'{esc(att["name"])}</a></td><td>{esc(att.get("content_type"))}</td><td>{_size(att["size"])}</td>'
                f'<td>{esc(where)}</td><td>{when(att.get("created"))}</td>'
                f'<td>{self.menu("attachment", att, task_id=att["task_id"], object_id=att["id"])}</td></tr>')
        return ('<table class="grid"><thead><tr><th>Name</th><th>Type</th><th>Size</th><th>On</th><th>Added</th>'
                f'<th>Actions</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')

    def table_list(self) -> str:
        if not self.tables:
            return '<p class="empty">No data tables: import fn_slack with resilient-circuits customize.</p>'
        out = []
        for name, table in sorted(self.tables.items()):
            columns = sorted(table["fields"].items(), key=lambda item: item[1].get("order", 0))
            head = "".join(f'<th title="{esc(col)}">{esc(spec.get("text") or col)}</th>' for col, spec in columns)
            rows = "".join(
                f'<tr data-row-id="{row["id"]}">'
                + "".join(f'<td data-column="{esc(col)}">{_cell(row["cells"].get(col, {}).get("value"), spec)}</td>'
                          for col, spec in columns) + "</tr>"
                for row in self.rows.get(name, []))
            empty = f'<tr><td class="empty" colspan="{len(columns)}">No rows.</td></tr>'
            out.append(f'<h3>{esc(table.get("display_name") or name)}</h3><div class="scroll">'
                       f'<table class="grid" data-table="{esc(name)}"><thead><tr>{head}</tr></thead>'
                       f'<tbody>{rows or empty}</tbody></table></div>')
        return "".join(out)


def _shows(item: Any, obj: dict) -> bool:
    """Whether SOAR shows the menu item (or offers the playbook) on the object: its conditions hold."""
    try:
        return rule_matches(item, obj)
    except ValueError:
        return False


# A cell value longer than this with no space in it (a seal, a key) is shown by its ends, as SOAR's grid cuts it.
LONG_TOKEN = 40


def _cell(value: Any, spec: dict) -> str:
    if value is None:
        return ""
    if spec.get("input_type") == "datetimepicker":
        return esc(when(value))
    if spec.get("input_type") == "textarea" or (isinstance(value, str) and value.lstrip().startswith("<")):
        return sanitize_note_html(value if isinstance(value, str) else json.dumps(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = str(value) if not isinstance(value, list | dict) else json.dumps(value)
    if len(text) > LONG_TOKEN and not any(ch.isspace() for ch in text):   # a seal, a key: its ends, whole on hover
        return f'<span class="long" title="{esc(text)}">{esc(text[:12])}…{esc(text[-6:])}</span>'
    return esc(text)


def _click_html(click: BackgroundClick) -> str:
    state = click.state
    result = click.result
    where = f" on {result.object_type} {result.object_id}" if result is not None else ""
    elapsed = (result.elapsed if result is not None and not click.running else time.time() - click.started_at)
    head = (f'<div class="action-head"><span class="state state-{state}">{state}</span> <b>{esc(click.name)}</b>'
            f'<span class="muted">{esc(click.kind)}{esc(where)} · {elapsed:.1f} s</span></div>')
    parts = [head]
    waiting = click.waiting_for_server()
    if waiting:
        parts.append(f'<p class="warn" data-no-server>No integration server is subscribed to {esc(waiting)}: the '
                     "function message waits in the queue until resilient-circuits run connects.</p>")
    messages = click.status_messages()
    if messages:
        parts.append('<ul class="status">' + "".join(f"<li data-status-message>{esc(m)}</li>" for m in messages)
                     + "</ul>")
    if click.error:
        parts.append(f'<p class="error" data-error>{esc(click.error)}</p>')
    final = click.final_reply()
    if final is not None:
        shown = final.get("results") if final.get("message_type") != 1 else final.get("message")
        text = shown if isinstance(shown, str) else json.dumps(shown, indent=2, sort_keys=True)
        parts.append(f'<pre data-result>{esc(text)}</pre>')
    if result is not None and result.steps and not click.running:
        steps = "".join(f"<li>{esc(step)}</li>" for step in result.steps)
        parts.append(f'<details><summary>Steps</summary><ol class="steps">{steps}</ol></details>')
    return (f'<div class="card action" id="action-{click.number}" data-action-id="{click.number}" '
            f'data-state="{state}">{"".join(parts)}</div>')


def _automatic_html(run: ClickResult) -> str:
    """An automatic playbook SOAR started on a data table row of the incident (it has ended)."""
    state = "succeeded" if run.completed else "failed"
    parts = [f'<div class="action-head"><span class="state state-{state}">{state}</span> <b>{esc(run.rule)}</b>'
             f'<span class="muted">automatic playbook on {esc(run.object_type)} row {run.object_id} · '
             f'{run.elapsed:.1f} s</span></div>']
    if run.status_messages:
        parts.append('<ul class="status">' + "".join(f"<li>{esc(m)}</li>" for m in run.status_messages) + "</ul>")
    if run.error:
        parts.append(f'<p class="error">{esc(run.error)}</p>')
    if run.results is not None:
        parts.append(f"<pre>{esc(json.dumps(run.results, indent=2, sort_keys=True))}</pre>")
    steps = "".join(f"<li>{esc(step)}</li>" for step in run.steps)
    parts.append(f'<details><summary>Steps</summary><ol class="steps">{steps}</ol></details>')
    return f'<div class="card action" data-automatic-run data-state="{state}">{"".join(parts)}</div>'


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without its per-request stderr line."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class SoarWebServer:
    """The page's own small HTTP server on 127.0.0.1, started and stopped with the sandbox."""

    def __init__(self, sandbox: SoarSandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.driver = SoarDriver(sandbox, timeout=CLICK_TIMEOUT)
        self.page = SoarPage(sandbox, self.driver)
        self.host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SoarWebServer:
        self._server = make_server(self.host, self._port, self.page, threaded=True, request_handler=_QuietHandler)
        port = self._server.server_port
        self.page.origins = {f"http://{self.host}:{port}", f"http://localhost:{port}"}
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="soar-web", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._server.server_port}/" if self._server else ""

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
