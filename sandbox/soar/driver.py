"""Clicks menu items as a SOAR analyst would: rule conditions, pre-processing, the function message over
STOMP, its status messages and result, post-processing and the notes it adds."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .broker import Reply
from .sandbox import SoarSandbox
from .scripting import (
    Customizations,
    Playbook,
    ScriptContext,
    ScriptError,
    activation_holds,
    load_customizations,
    rule_matches,
    run_playbook_script,
    run_post_processing,
    run_pre_processing,
)
from .state import SANDBOX_USER, IncidentChange, NotFound, RowChange

# SOAR's numeric type ids of the objects a menu item can sit on (the "object" part of a function message).
OBJECT_TYPE_IDS = {"incident": 0, "task": 1, "note": 2, "artifact": 4, "attachment": 5}


@dataclass
class Step:
    """One thing SOAR did for the click, and whether it went as it should."""

    name: str
    ok: bool | None  # None: the step did not apply (a menu item SOAR does not show)
    detail: str = ""

    def __str__(self) -> str:
        mark = {True: "ok", False: "FAILED", None: "--"}[self.ok]
        return f"[{mark}] {self.name}" + (f": {self.detail}" if self.detail else "")


@dataclass
class ClickResult:
    """What happened when a menu item was clicked."""

    rule: str
    object_type: str
    object_id: int
    shown: bool = False
    inputs: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    correlation_id: str | None = None
    destination: str | None = None   # where the function message went (actions.<org>.<destination handle>)
    status_messages: list[str] = field(default_factory=list)
    results: dict[str, Any] | None = None
    error: str | None = None
    notes: list[dict] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def completed(self) -> bool:
        """The function finished with success=True and post-processing ran."""
        return self.error is None and bool(self.results and self.results.get("success"))

    @property
    def content(self) -> dict[str, Any]:
        return dict((self.results or {}).get("content") or {})

    def step(self, name: str, ok: bool | None, detail: str = "") -> None:
        self.steps.append(Step(name, ok, detail))

    def report(self) -> str:
        """Readable lines, one per step, as the demo prints them."""
        head = f"{self.rule} on {self.object_type} {self.object_id}"
        return "\n".join([head] + [f"  {s}" for s in self.steps])


class DriverError(RuntimeError):
    """The click could not be made (unknown rule, missing object, function not imported)."""


class SoarDriver:
    """Runs fn_slack's rules and workflows against a SoarSandbox the way SOAR runs them."""

    def __init__(self, sandbox: SoarSandbox, customizations: Customizations | None = None,
                 timeout: float = 60.0) -> None:
        self.sandbox = sandbox
        self.timeout = timeout
        self._customizations = customizations
        self._imported: tuple[int, Customizations] | None = None
        self._instances = itertools.count(1)
        self.api_writes_start_playbooks = True   # see watch_rows
        self.automatic_runs: list[ClickResult] = []
        self._automatic_threads: list[threading.Thread] = []
        self._automatic_lock = threading.Lock()
        self.clicks: list[BackgroundClick] = []   # see start_click

    @property
    def customizations(self) -> Customizations:
        """The rules, workflows and playbooks SOAR has: all the org holds now, whichever import brought them
        (an upgraded org keeps its own objects next to the package's), else the package's file."""
        if self._customizations is not None:
            return self._customizations
        state = self.sandbox.state
        with state.lock:
            imports = len(state.imported_exports)
            current = state.customizations_export() if imports else None
        if current is None:
            return load_customizations()
        # Parsing the objects (workflow XML included) once per import keeps a click cheap.
        if self._imported is None or self._imported[0] != imports:
            self._imported = (imports, Customizations(current))
        return self._imported[1]

    # ---------------------------------------------------------------- objects as scripts see them
    def _objects(self, object_type: str, incident_id: int, task_id: int | None, object_id: int | None) -> dict:
        state = self.sandbox.state
        incident = state.incident(incident_id)
        description = incident.get("description")
        incident["description"] = {"format": "html", "content": description} if description else None
        objects: dict[str, Any] = {"incident": incident, "task": None}
        if task_id is not None:
            task = state.task(task_id)
            if task["inc_id"] != incident_id:
                raise NotFound(f"task {task_id} of incident {incident_id}")
            objects["task"] = task
        if object_type == "incident":
            objects["object"] = incident
        elif object_type == "task":
            if objects["task"] is None:
                raise DriverError("a task menu item needs task_id")
            objects["object"] = objects["task"]
        elif object_type == "note":
            note = self._note(object_id, incident_id)
            if note["task_id"] is not None:
                objects["task"] = state.task(note["task_id"])
            objects["note"] = objects["object"] = note
        elif object_type == "artifact":
            objects["artifact"] = objects["object"] = state.artifact(incident_id, _need(object_id, "artifact"))
        elif object_type == "attachment":
            attachment = state.attachment(_need(object_id, "attachment"), inc_id=incident_id)
            if attachment["task_id"] is not None:
                objects["task"] = state.task(attachment["task_id"])
            objects["attachment"] = objects["object"] = attachment
        else:
            raise DriverError(f"menu items on {object_type} objects are not supported")
        return objects

    def _note(self, note_id: int | None, incident_id: int) -> dict:
        with self.sandbox.state.lock:
            note = self.sandbox.state.notes.get(_need(note_id, "note"))
            if note is None or note["inc_id"] != incident_id:
                raise NotFound(f"note {note_id} of incident {incident_id}")
            note = dict(note)
        note["text"] = {"format": "html", "content": note["text"]}
        return note

    # ---------------------------------------------------------------- the click
    def click(self, rule_name: str, *, incident_id: int, task_id: int | None = None,
              object_id: int | None = None, properties: dict[str, Any] | None = None,
              timeout: float | None = None, enforce_conditions: bool = True,
              on_start: Callable[[ClickResult], None] | None = None) -> ClickResult:
        """Click the menu item `rule_name` on an object and run its workflow to the end.

        `object_id` is the note, artifact or attachment id for those object types; `properties` are the
        values the analyst types into the item's dialog (rule fields by API name). With
        `enforce_conditions=False` the workflow runs even where SOAR would not show the item (as when
        another workflow or a script starts it), to show what the function itself does. `on_start` is called
        with the result as soon as the click begins: it fills in as the click goes on (``correlation_id``, then
        the broker's replies), for a caller that shows the click while it runs (see :class:`BackgroundClick`).
        """
        started = time.monotonic()
        rule = self.customizations.rule(rule_name)
        objects = self._objects(rule.object_type, incident_id, task_id, object_id)
        obj = objects["object"]
        result = ClickResult(rule=rule_name, object_type=rule.object_type, object_id=obj["id"])
        if on_start is not None:
            on_start(result)
        try:
            self._run(rule, objects, properties or {}, result, timeout=timeout or self.timeout,
                      enforce_conditions=enforce_conditions)
        finally:
            result.elapsed = time.monotonic() - started
        return result

    def _run(self, rule: Any, objects: dict, properties: dict, result: ClickResult, *, timeout: float,
             enforce_conditions: bool) -> None:
        customizations = self.customizations
        result.shown = rule_matches(rule, objects["object"])
        if not result.shown:
            if enforce_conditions:
                result.error = "the menu item is not shown on this object (the rule's conditions do not hold)"
                result.step("menu item not shown", None, "rule conditions: " + _conditions_text(rule))
                return
            result.step("rule conditions", True, "not shown, started anyway: " + _conditions_text(rule))
        else:
            result.step("rule conditions", True, _conditions_text(rule) if rule.conditions else "none")
        workflow = customizations.workflow(rule.workflows[0])
        try:
            function = self.sandbox.state.function(workflow.function_name)
        except NotFound:
            result.error = f"function {workflow.function_name} is not defined in SOAR (run customize)"
            result.step("function definition", False, result.error)
            return
        input_fields = {f["name"]: f for f in self.sandbox.state.function_input_fields(function["name"])}
        rule_properties = {name: properties.get(name) for name in rule.view_field_names}
        ctx = ScriptContext(objects["incident"], task=objects["task"], note=objects.get("note"),
                            artifact=objects.get("artifact"), attachment=objects.get("attachment"),
                            rule_properties=rule_properties, soar_base_url=self.sandbox.rest_url.rstrip("/"))
        try:
            inputs = dict(workflow.static_inputs)
            inputs.update(run_pre_processing(workflow.pre_script, ctx, input_types={
                name: spec.get("input_type", "text") for name, spec in input_fields.items()}))
        except ScriptError as exc:
            result.error = str(exc)
            result.step("pre-processing script", False, str(exc))
            return
        result.inputs = {name: value for name, value in inputs.items() if value is not None}
        result.step("pre-processing script", True,
                    ", ".join(f"{k}={_short(v)}" for k, v in result.inputs.items()))

        if not self._call_function(function, workflow, objects, input_fields, result=result, timeout=timeout):
            return
        try:
            run_post_processing(workflow.post_script, ctx, result.results or {})
        except ScriptError as exc:
            result.error = str(exc)
            result.step("post-processing script", False, str(exc))
            return
        result.step("post-processing script", True, f"{len(ctx.notes_added)} note(s)")
        self._store_notes(ctx, objects, result)

    # ---------------------------------------------------------------- a manual playbook
    def run_playbook(self, playbook_name: str, *, incident_id: int, task_id: int | None = None,
                     object_id: int | None = None, inputs: dict[str, Any] | None = None,
                     timeout: float | None = None, enforce_conditions: bool = True,
                     on_start: Callable[[ClickResult], None] | None = None) -> ClickResult:
        """Start the manual playbook `playbook_name` (API or display name) on an object, as an analyst does
        from the object's Actions menu, and run it to the end.

        `inputs` are the values typed into its activation form (activation fields by API name); the rest is
        as :meth:`click`: conditions, the function step's pre-processing (reading ``playbook.inputs``), the
        function message, then the local scripts reading ``playbook.functions.results.<result name>``.
        """
        started = time.monotonic()
        playbook = self.customizations.playbook(playbook_name)
        objects = self._objects(playbook.object_type, incident_id, task_id, object_id)
        result = ClickResult(rule=playbook.display_name, object_type=playbook.object_type,
                             object_id=objects["object"]["id"])
        if on_start is not None:
            on_start(result)
        try:
            self._run_playbook(playbook, objects, inputs or {}, result, timeout=timeout or self.timeout,
                               enforce_conditions=enforce_conditions)
        finally:
            result.elapsed = time.monotonic() - started
        return result

    def _run_playbook(self, playbook: Playbook, objects: dict, form: dict, result: ClickResult, *,
                      timeout: float, enforce_conditions: bool, activation: str | None = None) -> None:
        result.shown = True if activation is not None else rule_matches(playbook, objects["object"])
        if activation is not None:   # an automatic playbook: SOAR started it on the object's change
            result.step("activation conditions", True, activation)
        elif not result.shown:
            if enforce_conditions:
                result.error = "the playbook is not offered on this object (its activation conditions do not hold)"
                result.step("playbook not offered", None, "activation conditions: " + _conditions_text(playbook))
                return
            result.step("activation conditions", True, "not met, started anyway: " + _conditions_text(playbook))
        else:
            result.step("activation conditions", True, _conditions_text(playbook) if playbook.conditions else "none")
        try:
            function = self.sandbox.state.function(playbook.function_name)
        except NotFound:
            result.error = f"function {playbook.function_name or playbook.function_uuid} is not defined in SOAR"
            result.step("function definition", False, result.error)
            return
        input_fields = {f["name"]: f for f in self.sandbox.state.function_input_fields(function["name"])}
        unknown = sorted(set(form) - set(playbook.input_names))
        if unknown:
            raise DriverError(f"playbook {playbook.display_name!r} has no activation field {', '.join(unknown)}")
        ctx = ScriptContext(objects["incident"], task=objects["task"], note=objects.get("note"),
                            artifact=objects.get("artifact"), attachment=objects.get("attachment"),
                            playbook_inputs={name: form.get(name) for name in playbook.input_names},
                            soar_base_url=self.sandbox.rest_url.rstrip("/"), row=objects.get("row"))
        try:
            inputs = run_pre_processing(playbook.pre_script, ctx, input_types={
                name: spec.get("input_type", "text") for name, spec in input_fields.items()})
        except ScriptError as exc:
            result.error = str(exc)
            result.step("function step: pre-processing script", False, str(exc))
            return
        result.inputs = {name: value for name, value in inputs.items() if value is not None}
        result.step("function step: pre-processing script", True,
                    ", ".join(f"{k}={_short(v)}" for k, v in result.inputs.items()))
        if not self._call_function(function, playbook, objects, input_fields, result=result, timeout=timeout):
            return
        ctx.playbook_results[playbook.result_name] = result.results or {}
        for script_name, script in playbook.scripts:
            try:
                run_playbook_script(script, ctx, label=script_name)
            except ScriptError as exc:
                result.error = str(exc)
                result.step(f"script {script_name!r}", False, str(exc))
                return
            result.step(f"script {script_name!r}", True, f"{len(ctx.notes_added)} note(s)")
        self._store_notes(ctx, objects, result)

    # ---------------------------------------------------------------- automatic playbooks on data table rows
    def watch_rows(self, *, api_writes: bool = True) -> None:
        """From now on, start the org's enabled automatic playbooks on data table rows as SOAR does: after a row
        is added or changed so that a playbook's activation conditions hold (``changed_to`` compares the row
        before and after), the playbook runs in the background; each run is appended to ``automatic_runs``.

        ``api_writes``: whether changes made through the REST API (fn_slack's own writes among them) start
        playbooks, as well as an analyst's edits in SOAR (:meth:`edit_row`). IBM's own ServiceNow app ships an
        automatic playbook on its data table's status, which only its REST writes change, so True is the
        default; no IBM document says so, hence the switch."""
        self.api_writes_start_playbooks = api_writes
        if self._on_row_change not in self.sandbox.state.row_watchers:
            self.sandbox.state.row_watchers.append(self._on_row_change)

    def stop_watching_rows(self) -> None:
        """Automatic playbooks on rows start no more (runs under way finish)."""
        if self._on_row_change in self.sandbox.state.row_watchers:
            self.sandbox.state.row_watchers.remove(self._on_row_change)

    def edit_row(self, incident_id: int, table: str, row_id: int, changes: dict[str, Any]) -> dict:
        """An analyst editing a row of a data table in SOAR: the row's cells, with ``changes`` (column → value)."""
        state = self.sandbox.state
        with state.lock:
            rows = state.rows.get((incident_id, table), [])
            row = next((r for r in rows if r["id"] == row_id), None)
            if row is None:
                raise NotFound(f"row {row_id} of {table} in incident {incident_id}")
            cells = {col: {"value": cell["value"]} for col, cell in row["cells"].items()}
        cells.update({col: {"value": value} for col, value in changes.items()})
        return state.update_row(incident_id, table, row_id, cells, origin="ui")

    def _on_row_change(self, change: RowChange) -> None:
        if change.origin == "api" and not self.api_writes_start_playbooks:
            return
        for playbook in self.customizations.playbooks:
            if playbook.activation_type != "automatic" or not playbook.enabled or playbook.object_type != change.table:
                continue
            if activation_holds(playbook, change.after, change.before):
                thread = threading.Thread(target=self._run_automatic, args=(playbook, change), daemon=True,
                                          name=f"playbook-{playbook.name}-{change.row_id}")
                with self._automatic_lock:
                    self._automatic_threads.append(thread)
                thread.start()

    # ---------------------------------------------------------------- automatic playbooks on incident updates
    def watch_incidents(self) -> None:
        """From now on, start the org's enabled automatic playbooks on incidents as SOAR does: after an incident is
        updated (a PATCH through REST, fn_slack's own included, or :meth:`edit_incident`) so that a playbook's
        activation conditions hold — ``changed``/``changed_to`` compare the incident before and after, with the
        playbook's ``any``/``all`` logic — the playbook runs in the background (``automatic_runs``)."""
        if self._on_incident_change not in self.sandbox.state.incident_watchers:
            self.sandbox.state.incident_watchers.append(self._on_incident_change)

    def stop_watching_incidents(self) -> None:
        """Automatic playbooks on incidents start no more (runs under way finish)."""
        if self._on_incident_change in self.sandbox.state.incident_watchers:
            self.sandbox.state.incident_watchers.remove(self._on_incident_change)

    def edit_incident(self, incident_id: int, changes: dict[str, Any]) -> dict:
        """An analyst changing fields of an incident in SOAR (field → new value, by name: ``severity_code``
        "High", ``plan_status`` "C"): one update, seen by the watchers as the page's (``ui``)."""
        incident = self.sandbox.state.incident(incident_id)
        patch = [{"field": {"name": name}, "old_value": {"object": incident.get(name)},
                  "new_value": {"object": value}} for name, value in changes.items()]
        answer = self.sandbox.state.patch_incident(incident_id, patch, origin="ui")
        if not answer.get("success"):
            raise DriverError(f"incident {incident_id} changed meanwhile: {answer.get('field_failures')}")
        return self.sandbox.state.incident(incident_id)

    def _on_incident_change(self, change: IncidentChange) -> None:
        for playbook in self.customizations.playbooks:
            if playbook.activation_type != "automatic" or not playbook.enabled or playbook.object_type != "incident":
                continue
            if activation_holds(playbook, change.after, change.before):
                thread = threading.Thread(target=self._run_automatic_on_incident, args=(playbook, change),
                                          daemon=True, name=f"playbook-{playbook.name}-{change.inc_id}")
                with self._automatic_lock:
                    self._automatic_threads.append(thread)
                thread.start()

    def _run_automatic_on_incident(self, playbook: Playbook, change: IncidentChange) -> None:
        self._run_automatic_playbook(playbook, change.inc_id, ("incident", change.inc_id), change.origin,
                                     lambda incident: {"object": incident})

    def _run_automatic(self, playbook: Playbook, change: RowChange) -> None:
        row = dict(change.after)
        self._run_automatic_playbook(playbook, change.inc_id, (playbook.object_type, change.row_id), change.origin,
                                     lambda _incident: {"row": row, "table": change.table,
                                                        "object": {"id": change.row_id, **row}})

    def _run_automatic_playbook(self, playbook: Playbook, inc_id: int, changed: tuple[str, int], origin: str,
                                objects_of: Callable[[dict], dict]) -> None:
        """Run an automatic playbook SOAR started on a change of ``changed`` (the incident, or one of its rows:
        object type and id), recorded in ``automatic_runs`` like a click; ``objects_of`` adds the changed object
        to the incident's."""
        started = time.monotonic()
        object_type, object_id = changed
        what = f"incident {inc_id}" if object_type == "incident" else f"row {object_id}"
        result = ClickResult(rule=playbook.display_name, object_type=object_type, object_id=object_id)
        try:
            incident = self.sandbox.state.incident(inc_id)
            description = incident.get("description")
            incident["description"] = {"format": "html", "content": description} if description else None
            objects = {"incident": incident, "task": None, **objects_of(incident)}
            self._run_playbook(playbook, objects, {}, result, timeout=self.timeout, enforce_conditions=True,
                               activation=f"{origin} change of {what}: " + _conditions_text(playbook))
        except Exception as err:  # noqa: BLE001 - a run that breaks is reported like a failed step
            result.error = f"{type(err).__name__}: {err}"
            result.step("playbook", False, result.error)
        finally:
            result.elapsed = time.monotonic() - started
            with self._automatic_lock:
                self.automatic_runs.append(result)

    def wait_for_automatic_runs(self, timeout: float | None = None) -> list[ClickResult]:
        """Wait until every automatic playbook started so far has finished; the runs, in the order they ended."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            with self._automatic_lock:
                running = [t for t in self._automatic_threads if t.is_alive()]
            if not running:
                break
            running[0].join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                raise DriverError(f"{len(running)} automatic playbook run(s) still running")
        with self._automatic_lock:
            return list(self.automatic_runs)

    # ---------------------------------------------------------------- a click that runs in the background
    def start_click(self, kind: str, name: str, *, incident_id: int, **kwargs: Any) -> BackgroundClick:
        """Start :meth:`click` (``kind`` "menu item") or :meth:`run_playbook` (``kind`` "playbook") in a
        background thread and return its handle at once: the handle shows the status messages and the result
        as they arrive. ``kwargs`` are those of the method. Every click started so far is in ``clicks``."""
        if kind not in BackgroundClick.KINDS:
            raise DriverError(f"kind must be one of {', '.join(BackgroundClick.KINDS)}, not {kind!r}")
        with self._automatic_lock:
            handle = BackgroundClick(number=len(self.clicks) + 1, kind=kind, name=name, incident_id=incident_id,
                                     driver=self)
            self.clicks.append(handle)
        run = self.click if kind == "menu item" else self.run_playbook
        thread = threading.Thread(target=handle.run, args=(run, incident_id, kwargs), daemon=True,
                                  name=f"click-{handle.number}")
        thread.start()
        return handle

    def _store_notes(self, ctx: ScriptContext, objects: dict, result: ClickResult) -> None:
        for added in ctx.notes_added:
            task = added.target_id if added.target == "task" else None
            note = self.sandbox.state.add_note(objects["incident"]["id"], added.html, task_id=task)
            result.notes.append(note)
            result.step(f"note added to {added.target} {added.target_id}", True,
                        _short(_strip_tags(added.html), 120))

    def _call_function(self, function: dict, workflow: Any, objects: dict, input_fields: dict[str, dict], *,
                       result: ClickResult, timeout: float) -> bool:
        """Send the function message, collect status messages and the result; True when it succeeded."""
        correlation_id = str(uuid.uuid4())
        result.correlation_id = correlation_id
        body = self._function_message(function, workflow, objects, result.inputs, input_fields)
        destination = f"actions.{self.sandbox.org_id}.{function['destination_handle']}"
        result.destination = destination
        result.message_id = self.sandbox.broker.publish(destination, json.dumps(body), {
            "reply-to": f"acks.{self.sandbox.org_id}.{function['destination_handle']}",
            "correlation-id": correlation_id,
            "Co3ContextToken": uuid.uuid4().hex,
            "Co3MessagePayload": "FunctionDataDTO",
            "timestamp": str(int(time.time() * 1000)),
            "persistent": "true", "priority": "4", "expires": "0", "content-type": "application/json",
        })
        result.step("function message sent", True, f"{function['name']} to {destination}")

        final = self.sandbox.broker.wait_for_completion(correlation_id, timeout)
        replies = self.sandbox.broker.replies_for(correlation_id)
        for reply in replies:
            if reply is final:
                continue
            message = str(reply.body.get("message", "")) if isinstance(reply.body, dict) else str(reply.body)
            result.status_messages.append(message)
            result.step("status message", True, message)
        if final is None:
            result.error = f"no result from {function['name']} within {timeout:.0f} s"
            result.step("function result", False, result.error)
            return False
        return self._final_ok(final, result)

    def _final_ok(self, final: Reply, result: ClickResult) -> bool:
        body = final.body if isinstance(final.body, dict) else {}
        if body.get("message_type") == 1:
            result.error = str(body.get("message", "")).strip()
            result.step("function result", False, _short(result.error, 400))
            return False
        result.results = body.get("results") or {}
        success = bool(result.results.get("success", True))
        detail = json.dumps(result.results.get("content"), sort_keys=True) if success \
            else str(result.results.get("reason"))
        result.step("function result", success, _short(detail, 300))
        if not success:
            result.error = str(result.results.get("reason") or "the function reported success=false")
        return success

    def _function_message(self, function: dict, workflow: Any, objects: dict, inputs: dict,
                          input_fields: dict[str, dict]) -> dict:
        """The FunctionDataDTO body SOAR sends: inputs in their wire shapes, plus who, what and where."""
        obj = objects["object"]
        if "row" in objects:   # a data table row: its table's type
            object_type, type_id = objects["table"], self.sandbox.state.table(objects["table"])["id"]
        else:
            object_type = next(t for t in OBJECT_TYPE_IDS if objects.get(t) is obj)
            type_id = OBJECT_TYPE_IDS[object_type]
        with self.sandbox.state.lock:
            if isinstance(workflow, Playbook):  # a playbook's function step names the playbook
                stored = self.sandbox.state.playbooks.get(workflow.name, {})
                stored = dict(stored, workflow_id=stored.get("id", 0))
                programmatic_name, name = workflow.name, workflow.display_name
            else:
                stored = self.sandbox.state.workflows.get(workflow.programmatic_name, {})
                programmatic_name, name = workflow.programmatic_name, workflow.name
        description = stored.get("description")
        workflow_dto = {"workflow_id": stored.get("workflow_id", 0),
                        "programmatic_name": programmatic_name, "name": name,
                        "object_type": workflow.object_type, "uuid": stored.get("uuid"),
                        "description": description.get("content") if isinstance(description, dict) else description,
                        "tags": [], "actions": []}
        parent_id = None if object_type == "incident" else objects["incident"]["id"]
        return {
            "function": {"id": function["id"], "name": function["name"],
                         "display_name": function["display_name"], "uuid": function.get("uuid")},
            "inputs": {name: _wire_value(value, input_fields.get(name, {})) for name, value in inputs.items()},
            "workflow": workflow_dto,
            "workflow_instance": {"workflow_instance_id": next(self._instances), "workflow": workflow_dto},
            "principal": dict(SANDBOX_USER),
            "object": {"id": obj["id"], "parent_id": parent_id, "type_id": type_id,
                       "type_name": object_type, "name": obj.get("name") or obj.get("value") or str(obj["id"]),
                       "object_type": object_type},
        }


class BackgroundClick:
    """One click made by :meth:`SoarDriver.start_click`, running in its own thread: its state, the status
    messages the function has sent so far (read from the broker by the click's correlation id) and, once it
    has ended, its :class:`ClickResult`."""

    KINDS = ("menu item", "playbook")

    def __init__(self, *, number: int, kind: str, name: str, incident_id: int, driver: SoarDriver) -> None:
        self.number = number
        self.kind = kind
        self.name = name
        self.incident_id = incident_id
        self.started_at = time.time()
        self.result: ClickResult | None = None   # set as soon as the click begins, complete once it ended
        self.crash: str | None = None            # the click could not be made at all (unknown rule, object...)
        self._driver = driver
        self._ended = threading.Event()

    def run(self, method: Callable[..., ClickResult], incident_id: int, kwargs: dict[str, Any]) -> None:
        """The thread's work: the click, to its end."""
        try:
            self.result = method(self.name, incident_id=incident_id, on_start=self._began, **kwargs)
        except (DriverError, NotFound, KeyError, ValueError) as err:
            self.crash = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
        except Exception as err:  # noqa: BLE001 - shown on the click like a failed step, never lost in a thread
            self.crash = f"{type(err).__name__}: {err}"
        finally:
            self._ended.set()

    def _began(self, result: ClickResult) -> None:
        self.result = result

    @property
    def running(self) -> bool:
        return not self._ended.is_set()

    @property
    def state(self) -> str:
        """``running``, ``succeeded`` (the function succeeded and its scripts ran) or ``failed``."""
        if self.running:
            return "running"
        return "succeeded" if self.crash is None and self.result is not None and self.result.completed else "failed"

    @property
    def error(self) -> str | None:
        if self.crash is not None:
            return self.crash
        return None if self.running or self.result is None else self.result.error

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the click has ended; whether it has."""
        return self._ended.wait(timeout)

    def status_messages(self) -> list[str]:
        """The function's status messages so far, in the order they arrived."""
        result = self.result
        if result is None:
            return []
        if not self.running:
            return list(result.status_messages)
        broker = self._driver.sandbox.broker
        if result.correlation_id is None or broker is None:
            return []
        return [str(reply.body.get("message", "")) if isinstance(reply.body, dict) else str(reply.body)
                for reply in broker.replies_for(result.correlation_id)
                if not (isinstance(reply.body, dict) and reply.body.get("complete"))]

    def final_reply(self) -> dict | None:
        """The function's final message (its result, or its error), once it has arrived."""
        result = self.result
        broker = self._driver.sandbox.broker
        if result is None or result.correlation_id is None or broker is None:
            return None
        return next((reply.body for reply in broker.replies_for(result.correlation_id)
                     if isinstance(reply.body, dict) and reply.body.get("complete")), None)

    def waiting_for_server(self) -> str | None:
        """While the function message waits for an integration server: the destination nobody subscribes to."""
        result = self.result
        broker = self._driver.sandbox.broker
        if not self.running or result is None or result.destination is None or broker is None:
            return None
        if self.final_reply() is not None or broker.consumers(result.destination) > 0:
            return None
        return result.destination


def _wire_value(value: Any, spec: dict) -> Any:
    """SOAR sends textareas as {format, content} and selects as {id, name}; the rest as they are."""
    input_type = spec.get("input_type")
    if input_type == "textarea" and not isinstance(value, dict):
        return {"format": "text", "content": value}
    if input_type == "select" and not isinstance(value, dict):
        for choice in spec.get("values") or []:
            if choice.get("label") == value:
                return {"id": choice.get("value"), "name": value}
        return {"id": None, "name": value}
    return value


def _need(object_id: int | None, kind: str) -> int:
    if object_id is None:
        raise DriverError(f"a {kind} menu item needs object_id (the {kind} id)")
    return object_id


def _conditions_text(rule: Any) -> str:
    return "; ".join(f"{c.get('field_name')} {c.get('method')} {c.get('value')}" for c in rule.conditions)


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _strip_tags(html: str) -> str:
    from bs4 import BeautifulSoup  # noqa: PLC0415 - only needed for readable step lines

    return BeautifulSoup(html, "html.parser").get_text(" ")
