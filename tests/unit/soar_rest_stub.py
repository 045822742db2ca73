"""A stand-in for resilient's REST client holding one org's slack_conversations_db rows, logging each call."""

from __future__ import annotations

import itertools
import re
import uuid

from resilient import SimpleHTTPException

from fn_slack.lib.soar import links

IBM_COLUMNS = {links.COL_TIME, links.COL_RES_ID, links.COL_CHANNEL, links.COL_TYPE, links.COL_PERMALINK}
PACKAGE_COLUMNS = IBM_COLUMNS | {links.COL_CHANNEL_ID, links.COL_THREAD_TS, links.COL_MIRROR}


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.text = f"HTTP {status_code}"
        self.reason = "stub"


class TableRest:
    """Answers the table_data calls ConversationsTable makes; ``fail_with`` makes every call fail with a status."""

    _URI = re.compile(r"^/incidents/(\d+)/table_data/slack_conversations_db"
                      r"(?:/row_data(?:/(\d+))?)?\?handle_format=names$")

    _TYPE = re.compile(r"^/types/([a-z_]+)\?handle_format=names$")

    def __init__(self, columns: set[str] | None = None, unknown_columns: str = "refuse") -> None:
        self.rows: dict[int, list[dict]] = {}
        self.log: list[tuple[str, str]] = []
        self.type_reads: list[str] = []   # GET /types/<table>: the table's definition (its columns)
        self.fail_with: int | None = None
        self._ids = itertools.count(1)
        self.base_url = f"https://stub-{uuid.uuid4().hex}.test"   # one org per stub for learned columns
        self.org_id = 201
        # slack_conversations_db's columns; a write naming another is refused (HTTP 400) or dropped.
        self.columns = set(columns) if columns is not None else set(PACKAGE_COLUMNS)
        self.unknown_columns = unknown_columns

    def _cells(self, cells: dict) -> dict:
        unknown = sorted(set(cells) - self.columns)
        if unknown and self.unknown_columns == "refuse":
            raise SimpleHTTPException(_Response(400))
        return {k: v for k, v in cells.items() if k not in unknown}

    def add_row(self, incident_id: int, **cells: object) -> dict:
        row = {"id": next(self._ids), "cells": {k: {"value": v} for k, v in cells.items()}}
        self.rows.setdefault(incident_id, []).append(row)
        return row

    def values(self, incident_id: int) -> list[dict]:
        return [{k: c["value"] for k, c in row["cells"].items()} for row in self.rows.get(incident_id, [])]

    def verbs(self) -> list[str]:
        return [verb for verb, _ in self.log]

    def _route(self, verb: str, uri: str) -> tuple[int, int | None]:
        self.log.append((verb, uri))
        if self.fail_with is not None:
            raise SimpleHTTPException(_Response(self.fail_with))
        match = self._URI.match(uri)
        assert match, uri
        return int(match[1]), int(match[2]) if match[2] else None

    def get(self, uri: str, skip_retry: list | None = None) -> dict:
        typed = self._TYPE.match(uri)
        if typed:
            self.type_reads.append(typed[1])
            if typed[1] != "slack_conversations_db":
                raise SimpleHTTPException(_Response(404))
            return {"type_name": typed[1], "type_id": 8, "fields": {c: {"name": c} for c in sorted(self.columns)}}
        incident_id, _ = self._route("GET", uri)
        return {"rows": [dict(row) for row in self.rows.get(incident_id, [])]}

    def post(self, uri: str, payload: dict, skip_retry: list | None = None) -> dict:
        incident_id, _ = self._route("POST", uri)
        return self.add_row(incident_id, **{k: c["value"] for k, c in self._cells(payload["cells"]).items()})

    def put(self, uri: str, payload: dict, skip_retry: list | None = None) -> dict:
        incident_id, row_id = self._route("PUT", uri)
        [row] = [r for r in self.rows[incident_id] if r["id"] == row_id]
        row["cells"].update(self._cells(payload["cells"]))
        return row

    def delete(self, uri: str, skip_retry: list | None = None) -> dict:
        incident_id, row_id = self._route("DELETE", uri)
        self.rows[incident_id] = [r for r in self.rows[incident_id] if r["id"] != row_id]
        return {}
