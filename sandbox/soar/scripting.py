"""Runs the workflow scripts of fn_slack's export.res the way SOAR's Python 3 scripting engine does."""

from __future__ import annotations

import builtins
import html
import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses only the package's own export.res
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# SOAR's Python 3 engine only imports modules from an approved list; IBM names json, datetime, re, xml,
# collections, BeautifulSoup and html2text. A script importing anything else fails there, so it fails here.
ALLOWED_IMPORTS = frozenset({"json", "datetime", "re", "xml", "collections", "bs4", "html2text"})

# Scripts reach no files, processes or code generation in SOAR.
_BLOCKED_BUILTINS = frozenset({"open", "exec", "eval", "compile", "input", "breakpoint", "exit", "quit",
                               "help", "globals", "locals", "vars", "memoryview", "__loader__",
                               "__spec__"})

_INPUT_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "number": (int, float),
    "boolean": (bool,),
    "text": (str,),
    "textarea": (str,),
    "select": (str,),
    "multiselect": (list,),
    "datepicker": (int,),
    "datetimepicker": (int,),
}


class ScriptError(Exception):
    """A workflow script could not run: it failed to compile, raised, or set an invalid input."""


class ScriptFailed(ScriptError):
    """The script called ``helper.fail(message)``: SOAR aborts it and cancels its changes."""


@dataclass(frozen=True)
class AddedNote:
    """A note a post-processing script added: on the incident or on a task, as HTML."""

    target: str
    target_id: int
    html: str


# --------------------------------------------------------------------------------------------------------
# SOAR objects as scripts see them
# --------------------------------------------------------------------------------------------------------

def _wrap(value: Any, ctx: ScriptContext | None = None) -> Any:
    """Give nested dicts attribute access (as SOAR objects have) and leave other values alone."""
    if isinstance(value, SoarValue):
        return value
    if isinstance(value, Mapping):
        return SoarValue(value, ctx)
    if isinstance(value, list):
        return [_wrap(item, ctx) for item in value]
    return value


class SoarValue:
    """A read-mostly SOAR value: ``obj.field``, ``obj["field"]`` and ``obj.get("field")``.

    An unset or unknown field reads as ``None``, as in SOAR. Assignments are accepted only while the
    context allows writes (post-processing) and are recorded in ``ctx.field_changes``.
    """

    __slots__ = ("_ctx", "_data", "_label")

    def __init__(self, data: Mapping[str, Any], ctx: ScriptContext | None = None, label: str = ""):
        object.__setattr__(self, "_data", dict(data))
        object.__setattr__(self, "_ctx", ctx)
        object.__setattr__(self, "_label", label)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _wrap(self._data.get(name), self._ctx)

    def __setattr__(self, name: str, value: Any) -> None:
        ctx = self._ctx
        if ctx is None or not ctx.writable:
            return  # pre-processing is read-only in SOAR: the write is silently ignored
        self._data[name] = value
        ctx.field_changes.append((self._label, name, value))

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key], self._ctx)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SoarValue):
            return self._data == other._data
        return self._data == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self._label or 'SoarValue'}({self._data!r})"

    def get(self, key: str, default: Any = None) -> Any:
        return _wrap(self._data.get(key, default), self._ctx)

    def keys(self) -> Iterable[str]:
        return self._data.keys()

    def values(self) -> list[Any]:
        return [_wrap(value, self._ctx) for value in self._data.values()]

    def items(self) -> list[tuple[str, Any]]:
        return [(key, _wrap(value, self._ctx)) for key, value in self._data.items()]

    def to_dict(self) -> dict[str, Any]:
        """Return the plain data behind the object."""
        return dict(self._data)


class _NoteTarget(SoarValue):
    """An incident or task: the objects a post-processing script can add notes to."""

    __slots__ = ()

    def addNote(self, note: Any) -> None:  # noqa: N802 - SOAR's name
        ctx = self._ctx
        if ctx is None or not ctx.writable:
            return  # creating objects in pre-processing is silently ignored by SOAR
        if isinstance(note, SoarValue) and "content" in note:
            content = str(note.content or "")
            text = content if note.format == "html" else html.escape(content)
        elif isinstance(note, str):
            text = html.escape(note)
        else:
            raise ScriptError(f"{self._label}.addNote() takes a string or helper.createRichText(...), "
                              f"not {type(note).__name__}")
        ctx.notes_added.append(AddedNote(target=self._label, target_id=self._data.get("id"), html=text))


class _Inputs:
    """The write target of a pre-processing script: ``inputs.<function input> = value``."""

    __slots__ = ("_types", "_values")

    def __init__(self, input_types: Mapping[str, str] | None):
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_types", dict(input_types) if input_types is not None else None)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._values.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        types = self._types
        if types is not None:
            if name not in types:
                raise ScriptError(f"inputs.{name}: the function has no input named {name!r} "
                                  f"(its inputs: {', '.join(sorted(types))})")
            expected = _INPUT_TYPE_CHECKS.get(types[name])
            # bool is an int subclass; True in a number or date input is a script bug, so it is refused
            wrong_bool = isinstance(value, bool) and types[name] in ("number", "datepicker", "datetimepicker")
            if value is not None and expected and (not isinstance(value, expected) or wrong_bool):
                raise ScriptError(f"inputs.{name} is a {types[name]} input; the script set "
                                  f"{type(value).__name__} {value!r}")
        self._values[name] = value


class _Helper:
    """The ``helper`` object of SOAR scripts."""

    @staticmethod
    def createRichText(text: str) -> SoarValue:  # noqa: N802 - SOAR's name
        return SoarValue({"format": "html", "content": str(text)}, label="RichText")

    @staticmethod
    def createPlainText(text: str) -> SoarValue:  # noqa: N802 - SOAR's name
        return SoarValue({"format": "text", "content": str(text)}, label="PlainText")

    @staticmethod
    def fail(message: str) -> None:
        raise ScriptFailed(str(message))


class _Workflow:
    """The ``workflow`` object: properties saved by earlier steps, and ``addProperty`` for later ones."""

    def __init__(self, ctx: ScriptContext):
        self._ctx = ctx

    @property
    def properties(self) -> SoarValue:
        return SoarValue(self._ctx.workflow_properties, self._ctx, label="workflow.properties")

    def addProperty(self, name: str, value: Any) -> None:  # noqa: N802 - SOAR's name
        if self._ctx.writable:
            self._ctx.workflow_properties[name] = value


class _Rule:
    """The ``rule`` object: what the user typed in the menu item's dialog."""

    def __init__(self, properties: Mapping[str, Any], ctx: ScriptContext):
        self.properties = SoarValue(properties, ctx, label="rule.properties")


class _Playbook:
    """The ``playbook`` object of playbook scripts: its activation inputs and its functions' results."""

    def __init__(self, ctx: ScriptContext):
        self.inputs = SoarValue(ctx.playbook_inputs or {}, ctx, label="playbook.inputs")
        self.functions = SoarValue({"results": ctx.playbook_results}, ctx, label="playbook.functions")


class ScriptContext:
    """The objects SOAR gives a workflow's scripts, built from plain dicts as SOAR's REST API returns them.

    With ``playbook_inputs`` (a dict, possibly empty) the scripts belong to a playbook: they see
    ``playbook.inputs.<activation field>`` and ``playbook.functions.results.<result name>``, and neither
    ``rule`` nor ``workflow``, as in SOAR.

    ``incident`` is always present; ``task`` is set for task objects and for notes and attachments that
    sit on a task (else ``None``); ``note``/``artifact``/``attachment`` exist only for their object
    types, and ``row`` (``row.<column>``) for a data table row's. Rich-text fields may be
    ``{"format": "html", "content": ...}`` or plain strings.
    ``soar_base_url`` is the address of the SOAR that runs the workflow, for callers that build links;
    scripts do not see it, as in SOAR.
    """

    def __init__(self, incident: dict, task: dict | None = None, note: dict | None = None,  # noqa: PLR0917
                 artifact: dict | None = None, attachment: dict | None = None,
                 rule_properties: dict | None = None, workflow_properties: dict | None = None,
                 soar_base_url: str = "https://soar.example.test", playbook_inputs: dict | None = None,
                 row: dict | None = None):
        self.incident = incident
        self.task = task
        self.note = note
        self.artifact = artifact
        self.attachment = attachment
        self.row = row
        self.rule_properties = dict(rule_properties or {})
        self.workflow_properties: dict[str, Any] = dict(workflow_properties or {})
        self.soar_base_url = soar_base_url
        self.playbook_inputs = dict(playbook_inputs) if playbook_inputs is not None else None
        self.playbook_results: dict[str, Any] = {}
        self.notes_added: list[AddedNote] = []
        self.field_changes: list[tuple[str, str, Any]] = []
        self.writable = False

    def namespace(self) -> dict[str, Any]:
        """Return the global variables a script of this context sees."""
        incident = dict(self.incident)
        incident.setdefault("properties", {})
        names: dict[str, Any] = {
            "incident": _NoteTarget(incident, self, label="incident"),
            "task": _NoteTarget(self.task, self, label="task") if self.task is not None else None,
            "helper": _Helper(),
        }
        if self.playbook_inputs is None:
            names.update(rule=_Rule(self.rule_properties, self), workflow=_Workflow(self))
        else:
            names["playbook"] = _Playbook(self)
        for name in ("note", "artifact", "attachment", "row"):
            value = getattr(self, name)
            if value is not None:
                names[name] = SoarValue(value, self, label=name)
        return names


def _restricted_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                       level: int = 0) -> Any:
    if level != 0 or name.split(".", maxsplit=1)[0] not in ALLOWED_IMPORTS:
        raise ImportError(f"import of {name!r} is not allowed in SOAR scripts")
    return builtins.__import__(name, globals, locals, fromlist, level)


def _script_builtins() -> dict[str, Any]:
    allowed = {name: value for name, value in vars(builtins).items() if name not in _BLOCKED_BUILTINS}
    allowed["__import__"] = _restricted_import
    return allowed


def _run(script: str, label: str, namespace: dict[str, Any]) -> None:
    try:
        code = compile(script, f"<{label}>", "exec")
    except SyntaxError as err:
        raise ScriptError(f"{label} does not compile: {err}") from err
    namespace["__builtins__"] = _script_builtins()
    namespace["__name__"] = "__soar_script__"
    try:
        exec(code, namespace)  # noqa: S102 - running the workflow script is the point of this module
    except ScriptError:
        raise
    except Exception as err:
        raise ScriptError(f"{label} raised {type(err).__name__}: {err}") from err


def run_pre_processing(script: str, ctx: ScriptContext, *,
                       input_types: Mapping[str, str] | None = None) -> dict:
    """Run a pre-processing script and return the inputs it set (``{input name: value}``).

    With ``input_types`` (input name → SOAR input type), setting an input the function does not have,
    or a value of the wrong type, raises :class:`ScriptError`, as SOAR rejects it.
    """
    inputs = _Inputs(input_types)
    namespace = ctx.namespace()
    namespace["inputs"] = inputs
    ctx.writable = False
    _run(script, "pre_processing_script", namespace)
    return dict(inputs._values)


def run_post_processing(script: str, ctx: ScriptContext, results: dict) -> None:
    """Run a post-processing script with ``results`` (the function's v2 payload).

    Notes it adds are appended to ``ctx.notes_added``; if the script fails, its changes are cancelled.
    """
    namespace = ctx.namespace()
    namespace["results"] = SoarValue(results, ctx, label="results")
    notes_before, changes_before = len(ctx.notes_added), len(ctx.field_changes)
    properties_before = dict(ctx.workflow_properties)
    ctx.writable = True
    try:
        _run(script, "post_processing_script", namespace)
    except ScriptError:
        del ctx.notes_added[notes_before:]
        del ctx.field_changes[changes_before:]
        ctx.workflow_properties.clear()
        ctx.workflow_properties.update(properties_before)
        raise
    finally:
        ctx.writable = False


def run_playbook_script(script: str, ctx: ScriptContext, label: str = "local script") -> None:
    """Run a playbook's local script (after its function steps): it reads
    ``playbook.functions.results.<result name>`` (``ctx.playbook_results``) and may add notes.

    As with post-processing, a failing script's notes are cancelled.
    """
    if ctx.playbook_inputs is None:
        raise ValueError("a playbook script needs a playbook context (playbook_inputs)")
    namespace = ctx.namespace()
    notes_before = len(ctx.notes_added)
    ctx.writable = True
    try:
        _run(script, label, namespace)
    except ScriptError:
        del ctx.notes_added[notes_before:]
        raise
    finally:
        ctx.writable = False


# --------------------------------------------------------------------------------------------------------
# The customizations in export.res
# --------------------------------------------------------------------------------------------------------

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
RESILIENT = "{http://resilient.ibm.com/bpmn}"


@dataclass(frozen=True)
class Field:
    """A function input or rule (activity) field."""

    name: str
    label: str
    input_type: str
    uuid: str
    export_key: str
    tooltip: str
    required: bool


@dataclass(frozen=True)
class Function:
    """A function definition: its inputs in display order and its message destination."""

    name: str
    display_name: str
    uuid: str
    destination: str
    input_names: tuple[str, ...]


@dataclass(frozen=True)
class Workflow:
    """A workflow calling one function, with its scripts."""

    programmatic_name: str
    name: str
    object_type: str
    function_name: str
    function_uuid: str
    pre_script: str
    post_script: str
    result_name: str
    pre_language: str
    post_language: str
    static_inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """A menu-item rule: where it shows, when, which fields its dialog asks for and what it starts."""

    name: str
    programmatic_name: str
    object_type: str
    workflows: tuple[str, ...]
    conditions: tuple[dict, ...]
    logic_type: str
    view_field_names: tuple[str, ...]


@dataclass(frozen=True)
class Playbook:
    """A playbook: start → one function step → its local scripts → end (fn_slack's shape). A manual one is
    started from an object's Actions menu; an automatic one by SOAR when an object of its type changes so that
    its activation conditions hold."""

    name: str
    display_name: str
    uuid: str
    object_type: str
    conditions: tuple[dict, ...]
    logic_type: str
    input_names: tuple[str, ...]            # activation fields, in view order
    input_types: dict[str, str]
    function_name: str
    function_uuid: str
    pre_script: str
    result_name: str
    scripts: tuple[tuple[str, str], ...]    # (local script name, text) in the order the XML runs them
    activation_type: str = "manual"
    enabled: bool = True


def _programmatic_name(display_name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", display_name.lower()).strip("_")


_STATIC_VALUE_KEYS = ("text_value", "number_value", "boolean_value", "select_value", "date_value")


def _static_value(static: Mapping[str, Any]) -> Any:
    for key in _STATIC_VALUE_KEYS:
        if key in static:
            return static[key]
    if "text_content_value" in static:
        return (static["text_content_value"] or {}).get("content")
    return static.get("multiselect_value") or None


class Customizations:
    """The parsed export: functions, fields, rules, workflows and the data table."""

    def __init__(self, export: dict):
        self.export = export
        self.fields_by_uuid: dict[str, Field] = {}
        for raw in export.get("fields", []):
            self.fields_by_uuid[raw["uuid"]] = Field(
                name=raw["name"], label=raw.get("text", raw["name"]), input_type=raw.get("input_type", ""),
                uuid=raw["uuid"], export_key=raw.get("export_key", ""), tooltip=raw.get("tooltip") or "",
                required=raw.get("required") == "always")
        self.functions = [
            Function(name=raw["name"], display_name=raw.get("display_name", raw["name"]), uuid=raw["uuid"],
                     destination=raw.get("destination_handle", ""),
                     input_names=tuple(self.fields_by_uuid[item["content"]].name
                                       for item in raw.get("view_items", [])))
            for raw in export.get("functions", [])]
        functions_by_uuid = {function.uuid: function for function in self.functions}
        self.workflows = [self._parse_workflow(raw, functions_by_uuid) for raw in export.get("workflows", [])]
        self.rules = [
            Rule(name=raw["name"], programmatic_name=raw.get("programmatic_name")
                 or _programmatic_name(raw["name"]),
                 object_type=raw["object_type"], workflows=tuple(raw.get("workflows", [])),
                 conditions=tuple(raw.get("conditions", [])), logic_type=raw.get("logic_type", "all"),
                 view_field_names=tuple(self.fields_by_uuid[item["content"]].name
                                        for item in raw.get("view_items", [])))
            for raw in export.get("actions", [])]
        self.playbooks = [self._parse_playbook(raw, functions_by_uuid) for raw in export.get("playbooks") or []]

    @staticmethod
    def _parse_playbook(raw: dict, functions_by_uuid: dict[str, Function]) -> Playbook:
        root = ET.fromstring(raw["content"]["xml"])  # noqa: S314 - the package's own export
        calls = root.findall(f".//{BPMN}serviceTask/{BPMN}extensionElements/{RESILIENT}function")
        if len(calls) != 1:
            raise ValueError(f"playbook {raw['name']} calls {len(calls)} functions; fn_slack's call exactly one")
        settings = json.loads(calls[0].text or "{}")
        function = functions_by_uuid.get(calls[0].get("uuid", ""))
        local = {script["uuid"]: script for script in raw.get("local_scripts") or []}
        scripts = []
        for ref in root.findall(f".//{BPMN}scriptTask/{BPMN}extensionElements/{RESILIENT}script"):
            script = local.get(ref.get("uuid", ""))
            if script is None:
                raise ValueError(f"playbook {raw['name']} runs script {ref.get('uuid')}, which it does not hold")
            scripts.append((script["name"], script.get("script_text") or ""))
        fields = (raw.get("fields_type") or {}).get("fields") or {}
        by_uuid = {f["uuid"]: f for f in fields.values()}
        settings_manual = raw.get("manual_settings") or {}
        automatic = raw.get("activation_type") == "automatic"
        activation = ((raw.get("activation_details") if automatic else settings_manual) or {}).get(
            "activation_conditions") or {}
        return Playbook(
            name=raw["name"], display_name=raw.get("display_name", raw["name"]), uuid=raw.get("uuid", ""),
            object_type=raw.get("object_type", ""), conditions=tuple(activation.get("conditions") or []),
            logic_type=activation.get("logic_type") or "all",
            input_names=tuple(by_uuid[item["content"]]["name"] for item in settings_manual.get("view_items") or []
                              if item.get("content") in by_uuid),
            input_types={f["name"]: f.get("input_type", "text") for f in fields.values()},
            function_name=function.name if function else "", function_uuid=calls[0].get("uuid", ""),
            pre_script=settings.get("pre_processing_script") or "", result_name=settings.get("result_name") or "",
            scripts=tuple(scripts), activation_type="automatic" if automatic else "manual",
            enabled=raw.get("status", "enabled") == "enabled")

    def playbook(self, name: str) -> Playbook:
        """Return the playbook with this API name or display name (``KeyError`` if there is none)."""
        for playbook in self.playbooks:
            if name in (playbook.name, playbook.display_name):
                return playbook
        raise KeyError(f"no playbook named {name!r}")

    def _parse_workflow(self, raw: dict, functions_by_uuid: dict[str, Function]) -> Workflow:
        root = ET.fromstring(raw["content"]["xml"])  # noqa: S314 - the package's own export
        calls = root.findall(f".//{BPMN}serviceTask/{BPMN}extensionElements/{RESILIENT}function")
        if len(calls) != 1:
            raise ValueError(f"workflow {raw['programmatic_name']} calls {len(calls)} functions; "
                             "fn_slack's workflows call exactly one")
        call = calls[0]
        settings = json.loads(call.text or "{}")
        fn_uuid = call.get("uuid", "")
        function = functions_by_uuid.get(fn_uuid)
        statics = {}
        for field_uuid, spec in (settings.get("inputs") or {}).items():
            if spec.get("input_type") == "static" and field_uuid in self.fields_by_uuid:
                statics[self.fields_by_uuid[field_uuid].name] = _static_value(spec.get("static_input") or {})
        return Workflow(
            programmatic_name=raw["programmatic_name"], name=raw.get("name", ""),
            object_type=raw.get("object_type", ""), function_name=function.name if function else "",
            function_uuid=fn_uuid, pre_script=settings.get("pre_processing_script") or "",
            post_script=settings.get("post_processing_script") or "",
            result_name=settings.get("result_name") or "",
            pre_language=settings.get("pre_processing_script_language") or "python",
            post_language=settings.get("post_processing_script_language") or "python",
            static_inputs=statics)

    def rule(self, display_name: str) -> Rule:
        """Return the rule with this display name (``KeyError`` if there is none)."""
        for rule in self.rules:
            if rule.name == display_name:
                return rule
        raise KeyError(f"no rule named {display_name!r}")

    def workflow(self, programmatic_name: str) -> Workflow:
        """Return the workflow with this programmatic name (``KeyError`` if there is none)."""
        for workflow in self.workflows:
            if workflow.programmatic_name == programmatic_name:
                return workflow
        raise KeyError(f"no workflow named {programmatic_name!r}")

    def function(self, name: str) -> Function:
        """Return the function with this API name (``KeyError`` if there is none)."""
        for function in self.functions:
            if function.name == name:
                return function
        raise KeyError(f"no function named {name!r}")

    def input_types(self, function_name: str) -> dict[str, str]:
        """Return ``{input name: input type}`` for one function, for :func:`run_pre_processing`."""
        by_name = {f.name: f.input_type for f in self.fields_by_uuid.values()
                   if f.export_key.startswith("__function/")}
        return {name: by_name[name] for name in self.function(function_name).input_names}


def default_export_path() -> Path:
    """Return the path of the export.res shipped in the installed fn_slack package."""
    import fn_slack  # noqa: PLC0415 - only needed when no path is given

    return Path(fn_slack.__file__).resolve().parent / "util" / "data" / "export.res"


def load_customizations(path: str | None = None) -> Customizations:
    """Load and parse an export (default: fn_slack/util/data/export.res)."""
    export_path = Path(path) if path else default_export_path()
    return Customizations(json.loads(export_path.read_text(encoding="utf-8")))


def _condition_value(obj: Mapping[str, Any], field_name: str, object_type: str) -> Any:
    prefix, _, name = field_name.partition(".")
    if prefix != object_type or not name:
        raise ValueError(f"condition on {field_name!r} is not a field of the rule's {object_type}")
    value: Any = obj
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    # With handle_format=names SOAR gives a type as its name; a {"name": ...} handle object means the same.
    if isinstance(value, Mapping) and "name" in value:
        value = value["name"]
    return value


def _condition_holds(condition: Mapping[str, Any], actual: Any) -> bool:
    method, expected = condition.get("method"), condition.get("value")
    if method == "equals":
        return actual == expected
    if method == "not_equals":
        return actual != expected
    if method == "in":
        return actual in (expected or [])
    if method == "not_in":
        return actual not in (expected or [])
    if method == "contains":
        return actual is not None and expected in actual
    if method == "not_contains":
        return actual is None or expected not in actual
    if method == "has_a_value":
        return actual not in (None, "", [])
    if method == "not_has_a_value":
        return actual in (None, "", [])
    raise ValueError(f"condition method {method!r} is not supported for menu items")


def _change_holds(condition: Mapping[str, Any], obj: Mapping[str, Any], before: Mapping[str, Any] | None,
                  object_type: str) -> bool:
    """An automatic condition on a change: ``changed``/``changed_to`` compare the field before and after (an
    object just added had no value before), ``object_added`` holds only for a new object."""
    method = condition.get("method")
    if method == "object_added":
        return before is None
    now = _condition_value(obj, condition["field_name"], object_type)
    was = None if before is None else _condition_value(before, condition["field_name"], object_type)
    if method == "changed":
        return now != was
    if method == "changed_to":
        return now != was and now == condition.get("value")
    return _condition_holds(condition, now)


def activation_holds(playbook: Playbook, obj: dict, before: dict | None) -> bool:
    """Whether SOAR starts the automatic ``playbook`` for this change of ``obj`` (``before``: the object as it
    was; None when it was just added)."""
    results = [_change_holds(c, obj, before, playbook.object_type) for c in playbook.conditions]
    if playbook.logic_type == "any":
        return any(results)
    if playbook.logic_type == "all":
        return all(results)
    raise ValueError(f"{playbook.name!r}: logic type {playbook.logic_type!r} is not supported")


def rule_matches(rule: Rule | Playbook, obj: dict) -> bool:
    """Return whether the rule's menu item (or a manual playbook) shows on ``obj`` (of its object type)."""
    if not rule.conditions:
        return True
    results = [_condition_holds(c, _condition_value(obj, c["field_name"], rule.object_type))
               for c in rule.conditions]
    if rule.logic_type == "any":
        return any(results)
    if rule.logic_type == "all":
        return all(results)
    raise ValueError(f"{rule.name!r}: logic type {rule.logic_type!r} is not supported")
