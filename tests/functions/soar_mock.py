"""A SOAR REST stand-in for function tests: BasicResilientMock plus real state for the calls fn_slack makes."""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests_mock
from pytest_resilient_circuits import BasicResilientMock
from resilient.resilient_rest_mock import resilient_endpoint

TABLE = "slack_conversations_db"
EXPORT = json.loads((Path(__file__).resolve().parents[2] / "fn_slack" / "util" / "data" / "export.res")
                    .read_text(encoding="utf-8"))
# The package's data tables and their columns, as `customize` leaves them in an org.
PACKAGE_COLUMNS = {t["type_name"]: set(t["fields"]) for t in EXPORT["types"] if t.get("type_id") == 8}
# slack_conversations_db as IBM's fn_slack 1.x/2.x imported it: five columns, no channel ID (and no 3.x table).
IBM_COLUMNS = {"slack_db_time", "slack_db_res_id", "slack_db_channel", "slack_db_channel_type", "slack_db_permalink"}
# SOAR's system artifact types by id, as sandbox/soar/state.py numbers them: without handle_format=names an
# artifact's "type" is this number, with it the name.
ARTIFACT_TYPE_IDS = {"IP Address": 1, "DNS Name": 2, "URL": 3, "Malware Sample": 12, "Log File": 13,
                     "Other File": 14, "Email Attachment": 15}


@dataclass
class SoarState:
    """Everything the mock stores; tests arrange and inspect it directly."""

    incidents: dict[int, dict] = field(default_factory=dict)
    tasks: dict[int, dict] = field(default_factory=dict)
    artifacts: dict[tuple[int, int], dict] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)      # "/incidents/1/attachments/5" -> bytes
    attachments: dict[str, dict] = field(default_factory=dict)  # same key -> metadata
    rows: dict[int, list[dict]] = field(default_factory=dict)   # incident id -> table rows
    question_rows: dict[int, list[dict]] = field(default_factory=dict)   # incident id -> slack_questions_db rows
    table_imported: bool = True
    # Data tables of the org and their columns (default: the package's, as after `customize`).
    columns: dict[str, set[str]] = field(default_factory=lambda: {k: set(v) for k, v in PACKAGE_COLUMNS.items()})
    # A row write naming a column the table lacks: "refuse" (HTTP 400) or "drop" (the cell is silently left
    # out) — the same switch as the SOAR sandbox's; which one real SOAR does is not documented.
    unknown_columns: str = "refuse"
    fail_attachment_upload: int = 0   # answer HTTP 500 to this many attachment uploads
    on_attachment_saved: object = None  # a test's hook, called (once) when an attachment upload arrives
    calls: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(100))

    def next_id(self) -> int:
        return next(self._ids)

    def reset(self) -> None:
        with self.lock:
            self.incidents.clear()
            self.tasks.clear()
            self.artifacts.clear()
            self.files.clear()
            self.attachments.clear()
            self.rows.clear()
            self.question_rows.clear()
            self.table_imported = True
            self.columns = {k: set(v) for k, v in PACKAGE_COLUMNS.items()}
            self.unknown_columns = "refuse"
            self.fail_attachment_upload = 0
            self.on_attachment_saved = None
            self.calls.clear()

    # ---- arranging
    def add_incident(self, incident_id: int, name: str = "Phishing campaign") -> dict:
        incident = {"id": incident_id, "name": name, "inc_id": incident_id}
        self.incidents[incident_id] = incident
        return incident

    def add_task(self, incident_id: int, task_id: int, name: str = "Investigate") -> dict:
        task = {"id": task_id, "inc_id": incident_id, "name": name}
        self.tasks[task_id] = task
        return task

    def add_attachment(self, incident_id: int, name: str, data: bytes, task_id: int | None = None) -> int:
        attachment_id = self.next_id()
        key = f"/tasks/{task_id}/attachments/{attachment_id}" if task_id else \
            f"/incidents/{incident_id}/attachments/{attachment_id}"
        self.files[key] = data
        self.attachments[key] = {"id": attachment_id, "name": name, "content_type": "application/octet-stream",
                                 "size": len(data), "inc_id": incident_id, "task_id": task_id,
                                 "created": int(time.time() * 1000)}
        return attachment_id

    def add_artifact(self, incident_id: int, artifact_type: str, value: str, file: tuple[str, bytes] | None = None
                     ) -> int:
        artifact_id = self.next_id()
        artifact = {"id": artifact_id, "type": artifact_type, "value": value, "description": None,
                    "inc_id": incident_id}
        if file:
            artifact["attachment"] = {"name": file[0], "content_type": "application/octet-stream",
                                      "size": len(file[1])}
            self.files[f"/incidents/{incident_id}/artifacts/{artifact_id}"] = file[1]
        self.artifacts[(incident_id, artifact_id)] = artifact
        return artifact_id

    def add_row(self, incident_id: int, cells: dict) -> dict:
        row_id = self.next_id()
        row = {"id": row_id, "type_id": 1000, "version": 1,
               "cells": {k: {"id": k, "row_id": row_id, "value": v} for k, v in cells.items()}}
        self.rows.setdefault(incident_id, []).append(row)
        return row

    def as_ibm_21(self) -> None:
        """The org as IBM's fn_slack 2.1 left it: its slack_conversations_db only (the package was upgraded and
        `customize` not run yet)."""
        self.columns = {TABLE: set(IBM_COLUMNS)}

    def check_cells(self, table: str, cells: dict) -> tuple[dict | None, str | None]:
        """The cells SOAR keeps of a row write, or the refusal's text (a column the table lacks)."""
        unknown = sorted(set(cells) - self.columns.get(table, set()))
        if unknown and self.unknown_columns == "refuse":
            return None, f"column {unknown[0]!r} is not in data table {table}"
        return {k: v for k, v in cells.items() if k not in unknown}, None

    # ---- inspecting
    def table(self, incident_id: int) -> list[dict]:
        """The rows of an incident as plain {column: value} dicts."""
        return [{k: c.get("value") for k, c in row["cells"].items()} for row in self.rows.get(incident_id, [])]

    def saved_attachments(self, incident_id: int, task_id: int | None = None) -> list[dict]:
        prefix = f"/tasks/{task_id}/attachments/" if task_id else f"/incidents/{incident_id}/attachments/"
        return [dict(meta, data=self.files[key]) for key, meta in self.attachments.items()
                if key.startswith(prefix) and meta.get("uploaded")]


STATE = SoarState()


def _json(request, data, status=200):
    return requests_mock.create_response(request, status_code=status, json=data)


def _not_found(request, what):
    return requests_mock.create_response(request, status_code=404, json={"success": False, "title": "Not Found",
                                                                        "message": f"{what} not found"})


def _body_bytes(request) -> bytes:
    body = request.body
    if hasattr(body, "read"):
        return body.read()
    return body if isinstance(body, bytes) else (body or "").encode()


def _parse_multipart(request) -> tuple[str, bytes]:
    raw = _body_bytes(request)
    header = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + raw)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            return part.get_filename(), part.get_payload(decode=True)
    raise ValueError("no file part")


class SoarMock(BasicResilientMock):
    """Answers the SOAR REST calls of fn_slack from ``STATE``."""

    def _log(self, request):
        STATE.calls.append((request.method, request.path))

    @resilient_endpoint("GET", r"/types/[a-z_]+(\?.*)?$")
    def type_get(self, request):
        self._log(request)
        name = re.search(r"/types/([a-z_]+)", request.path).group(1)
        with STATE.lock:
            if name not in STATE.columns:
                return _not_found(request, f"type {name}")
            fields = {column: {"name": column, "text": column, "input_type": "text"}
                      for column in sorted(STATE.columns[name])}
        return _json(request, {"id": 1000, "type_name": name, "display_name": name, "type_id": 8, "fields": fields})

    @resilient_endpoint("GET", r"/incidents/[0-9]+/table_data/slack_conversations_db(\?.*)?$")
    def table_get(self, request):
        self._log(request)
        incident_id = int(re.search(r"/incidents/([0-9]+)/", request.path).group(1))
        if not STATE.table_imported or incident_id not in STATE.incidents:
            return _not_found(request, "table")
        with STATE.lock:
            return _json(request, {"id": 1000, "rows": json.loads(json.dumps(STATE.rows.get(incident_id, [])))})

    @resilient_endpoint("POST", r"/incidents/[0-9]+/table_data/slack_conversations_db/row_data(\?.*)?$")
    def table_add(self, request):
        self._log(request)
        incident_id = int(re.search(r"/incidents/([0-9]+)/", request.path).group(1))
        if not STATE.table_imported or incident_id not in STATE.incidents:
            return _not_found(request, "table")
        cells, refusal = STATE.check_cells(TABLE, {k: v.get("value") for k, v in request.json()["cells"].items()})
        if refusal:
            return _json(request, {"success": False, "message": f"Bad request: {refusal}"}, status=400)
        with STATE.lock:
            return _json(request, STATE.add_row(incident_id, cells))

    @resilient_endpoint("PUT", r"/incidents/[0-9]+/table_data/slack_conversations_db/row_data/[0-9]+(\?.*)?$")
    def table_update(self, request):
        self._log(request)
        match = re.search(r"/incidents/([0-9]+)/.*/row_data/([0-9]+)", request.path)
        incident_id, row_id = int(match.group(1)), int(match.group(2))
        cells, refusal = STATE.check_cells(TABLE, {k: v.get("value") for k, v in request.json()["cells"].items()})
        if refusal:
            return _json(request, {"success": False, "message": f"Bad request: {refusal}"}, status=400)
        with STATE.lock:
            for row in STATE.rows.get(incident_id, []):
                if row["id"] == row_id:
                    for column, value in cells.items():
                        row["cells"][column] = {"id": column, "row_id": row_id, "value": value}
                    row["version"] += 1
                    return _json(request, row)
        return _not_found(request, "row")

    @resilient_endpoint("DELETE", r"/incidents/[0-9]+/table_data/slack_conversations_db/row_data/[0-9]+(\?.*)?$")
    def table_delete(self, request):
        self._log(request)
        match = re.search(r"/incidents/([0-9]+)/.*/row_data/([0-9]+)", request.path)
        incident_id, row_id = int(match.group(1)), int(match.group(2))
        with STATE.lock:
            rows = STATE.rows.get(incident_id, [])
            for row in rows:
                if row["id"] == row_id:
                    rows.remove(row)
                    return _json(request, {"success": True})
        return _not_found(request, "row")

    @resilient_endpoint("POST", r"/incidents/[0-9]+/table_data/slack_questions_db/row_data(\?.*)?$")
    def question_add(self, request):
        self._log(request)
        incident_id = int(re.search(r"/incidents/([0-9]+)/", request.path).group(1))
        if incident_id not in STATE.incidents:
            return _not_found(request, "incident")
        row_id = STATE.next_id()
        row = {"id": row_id, "type_id": 1001, "version": 1,
               "cells": {k: {"id": k, "row_id": row_id, "value": v.get("value")}
                         for k, v in request.json()["cells"].items()}}
        with STATE.lock:
            STATE.question_rows.setdefault(incident_id, []).append(row)
        return _json(request, row)

    @resilient_endpoint("GET", r"/tasks/[0-9]+(\?.*)?$")
    def task_get(self, request):
        self._log(request)
        task = STATE.tasks.get(int(re.search(r"/tasks/([0-9]+)", request.path).group(1)))
        return _json(request, task) if task else _not_found(request, "task")

    @resilient_endpoint("GET", r"/incidents/[0-9]+/artifacts/[0-9]+(\?.*)?$")
    def artifact_get(self, request):
        self._log(request)
        match = re.search(r"/incidents/([0-9]+)/artifacts/([0-9]+)", request.path)
        artifact = STATE.artifacts.get((int(match.group(1)), int(match.group(2))))
        if not artifact:
            return _not_found(request, "artifact")
        if "handle_format=names" not in (request.query or "") and artifact["type"] in ARTIFACT_TYPE_IDS:
            artifact = dict(artifact, type=ARTIFACT_TYPE_IDS[artifact["type"]])
        return _json(request, artifact)

    @resilient_endpoint("GET", r"/(incidents|tasks)/[0-9]+/(artifacts|attachments)/[0-9]+/contents(\?.*)?$")
    def contents_get(self, request):
        self._log(request)
        key = request.path.split("/rest/orgs/", 1)[-1].split("/", 1)[-1].rsplit("/contents", 1)[0]
        data = STATE.files.get("/" + key)
        if data is None:
            return _not_found(request, "file")
        return requests_mock.create_response(request, status_code=200, content=data)

    @resilient_endpoint("GET", r"/(incidents|tasks)/[0-9]+/attachments/[0-9]+(\?.*)?$")
    def attachment_get(self, request):
        self._log(request)
        key = "/" + request.path.split("/rest/orgs/", 1)[-1].split("/", 1)[-1]
        meta = STATE.attachments.get(key)
        return _json(request, meta) if meta else _not_found(request, "attachment")

    @resilient_endpoint("GET", r"/(incidents|tasks)/[0-9]+/attachments(\?.*)?$")
    def attachment_list(self, request):
        self._log(request)
        prefix = "/" + request.path.split("/rest/orgs/", 1)[-1].split("/", 1)[-1].rstrip("/") + "/"
        with STATE.lock:
            return _json(request, [{k: v for k, v in meta.items() if k != "uploaded"}
                                   for key, meta in STATE.attachments.items() if key.startswith(prefix)])

    @resilient_endpoint("POST", r"/(incidents|tasks)/[0-9]+/attachments(\?.*)?$")
    def attachment_post(self, request):
        self._log(request)
        if STATE.fail_attachment_upload > 0:
            STATE.fail_attachment_upload -= 1
            return _json(request, {"success": False, "message": "Internal error"}, status=500)
        hook, STATE.on_attachment_saved = STATE.on_attachment_saved, None
        if hook is not None:
            hook()
        name, data = _parse_multipart(request)
        match = re.search(r"/(incidents|tasks)/([0-9]+)/attachments", request.path)
        kind, owner = match.group(1), int(match.group(2))
        with STATE.lock:
            attachment_id = STATE.next_id()
            key = f"/{kind}/{owner}/attachments/{attachment_id}"
            STATE.files[key] = data
            meta = {"id": attachment_id, "name": name, "content_type": "text/plain", "size": len(data),
                    "inc_id": owner if kind == "incidents" else STATE.tasks.get(owner, {}).get("inc_id"),
                    "task_id": owner if kind == "tasks" else None, "created": int(time.time() * 1000),
                    "uploaded": True}
            STATE.attachments[key] = meta
        return _json(request, {k: v for k, v in meta.items() if k != "uploaded"})
