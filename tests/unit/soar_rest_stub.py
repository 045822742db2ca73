"""A stand-in for resilient's REST client holding one org's slack_conversations_db rows, logging each call."""

from __future__ import annotations

import itertools
import re

from resilient import SimpleHTTPException


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.text = f"HTTP {status_code}"
        self.reason = "stub"


class TableRest:
    """Answers the table_data calls ConversationsTable makes; ``fail_with`` makes every call fail with a status."""

    _URI = re.compile(r"^/incidents/(\d+)/table_data/slack_conversations_db"
                      r"(?:/row_data(?:/(\d+))?)?\?handle_format=names$")

    def __init__(self) -> None:
        self.rows: dict[int, list[dict]] = {}
        self.log: list[tuple[str, str]] = []
        self.fail_with: int | None = None
        self._ids = itertools.count(1)

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
        incident_id, _ = self._route("GET", uri)
        return {"rows": [dict(row) for row in self.rows.get(incident_id, [])]}

    def post(self, uri: str, payload: dict, skip_retry: list | None = None) -> dict:
        incident_id, _ = self._route("POST", uri)
        return self.add_row(incident_id, **{k: c["value"] for k, c in payload["cells"].items()})

    def put(self, uri: str, payload: dict, skip_retry: list | None = None) -> dict:
        incident_id, row_id = self._route("PUT", uri)
        [row] = [r for r in self.rows[incident_id] if r["id"] == row_id]
        row["cells"].update(payload["cells"])
        return row

    def delete(self, uri: str, skip_retry: list | None = None) -> dict:
        incident_id, row_id = self._route("DELETE", uri)
        self.rows[incident_id] = [r for r in self.rows[incident_id] if r["id"] != row_id]
        return {}
