"""Runs the SOAR sandbox (REST, broker, and ActiveMQ's child process when asked for) in its own process, so
that the benchmark's own waiting and bookkeeping do not share a Python interpreter with SOAR's side."""

from __future__ import annotations

import json
import time
from multiprocessing.connection import Connection
from typing import Any

from bench.child_host import ChildHost, serve
from sandbox.soar import SoarSandbox
from sandbox.soar.scripting import default_export_path


def _import(soar: SoarSandbox, export: str) -> None:
    state = soar.state
    state.finish_import(state.start_import(json.loads(export))["id"], "ACCEPTED")


def _function(soar: SoarSandbox, name: str) -> dict:
    return soar.state.function(name)


def _create_incidents(soar: SoarSandbox, names: list[str]) -> list[dict]:
    return [soar.create_incident(name) for name in names]


def _add_rows(soar: SoarSandbox, table: str, rows: list[tuple[int, dict]]) -> None:
    for incident_id, cells in rows:
        soar.state.add_row(incident_id, table, cells)


def _rows_of(soar: SoarSandbox, incident_ids: list[int]) -> dict[int, list[dict]]:
    return {inc: soar.state.rows_of(inc) for inc in incident_ids}


def _rest_calls(soar: SoarSandbox) -> int:
    return len(soar.state.calls)


def _install_package(soar: SoarSandbox) -> None:
    """fn_slack's customizations installed in the org, as after its import."""
    soar.state.install(json.loads(default_export_path().read_text(encoding="utf-8")))


def _change_incident(soar: SoarSandbox, incident_id: int, values: dict, later_ms: int = 1) -> None:
    """An incident's fields changed as a SOAR user's edit changes them: its last-modified time moves on by
    ``later_ms`` (the default, 1 ms, keeps it in the same minute)."""
    state = soar.state
    with state.lock:
        incident = state.incidents[incident_id]
        incident.update(values)
        incident["inc_last_modified_date"] += max(1, later_ms)


def _rest_access(soar: SoarSandbox) -> dict:
    """What resilient's SimpleClient needs to sign in to the sandbox (its self-signed certificate unverified)."""
    return {"base_url": soar.rest_url.rstrip("/"), "org_name": soar.org_name, "api_key_id": soar.api_key_id,
            "api_key_secret": soar.api_key_secret}


def _publish_all(soar: SoarSandbox, queue: str, messages: list[tuple[str, dict]]) -> list[float]:
    """Publish every message at once; the wall-clock time each one was handed to the broker."""
    sent = []
    for body, headers in messages:
        sent.append(time.time())
        soar.broker.publish(queue, body, headers)
    return sent


def _wait_all(soar: SoarSandbox, correlations: list[str], timeout: float) -> dict[str, tuple[dict, float] | None]:
    """The final reply (body, time received) of each correlation id, None for those not answered in time."""
    deadline = time.monotonic() + timeout
    finals = {}
    for correlation in correlations:
        reply = soar.broker.wait_for_completion(correlation, max(0.0, deadline - time.monotonic()))
        finals[correlation] = None if reply is None else (reply.body, reply.received_at)
    return finals


def _info(soar: SoarSandbox) -> dict:
    broker = soar.broker
    process = getattr(broker, "process", None)
    return {"org_id": soar.org_id, "stomp_port": soar.stomp_port, "rest_port": soar.rest_port,
            "broker_pid": process.pid if process is not None else None,
            "broker_started_in": getattr(broker, "started_in", None)}


_OPS = {"import_export": _import, "function": _function, "create_incidents": _create_incidents,
        "add_rows": _add_rows, "rows_of": _rows_of, "rest_calls": _rest_calls, "publish_all": _publish_all,
        "wait_all": _wait_all, "info": _info,
        "install_package": _install_package, "change_incident": _change_incident, "rest_access": _rest_access}


def _resolve(soar: SoarSandbox, name: str) -> Any:
    """A sandbox method, or ``broker.x``: the broker's x."""
    if name.startswith("broker."):
        return getattr(soar.broker, name.removeprefix("broker."))
    return getattr(soar, name)


def _serve(conn: Connection, options: dict) -> None:
    sandbox = SoarSandbox(**options).start()
    serve(conn, sandbox, "ready", _OPS, _resolve)


class SoarHost(ChildHost):
    """A SoarSandbox living in its own process; methods are forwarded over a pipe ("broker.x" reaches the
    broker's x)."""

    label = "SOAR sandbox"
    stop_timeout = 30.0

    def __init__(self, **options: Any) -> None:
        super().__init__(_serve, options, name="soar-sandbox", start_timeout=180)
        self.info: dict = self.call("info")
        self.org_id: int = self.info["org_id"]

    def app_config_section(self, logdir: str, num_workers: int = 10, api_key: tuple[str, str] | None = None) -> str:
        return self.call("app_config_section", logdir, num_workers=num_workers, api_key=api_key)
