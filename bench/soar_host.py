"""Runs the SOAR sandbox (REST, broker, and ActiveMQ's child process when asked for) in its own process, so
that the benchmark's own waiting and bookkeeping do not share a Python interpreter with SOAR's side."""

from __future__ import annotations

import json
import multiprocessing
import time
from multiprocessing.connection import Connection
from typing import Any

from sandbox.soar import SoarSandbox


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
        "wait_all": _wait_all, "info": _info}


def _serve(conn: Connection, options: dict) -> None:
    sandbox = SoarSandbox(**options).start()
    conn.send("ready")
    try:
        while True:
            name, args, kwargs = conn.recv()
            if name == "stop":
                return
            try:
                op = _OPS.get(name)
                if op is not None:
                    result = op(sandbox, *args, **kwargs)
                elif name.startswith("broker."):
                    result = getattr(sandbox.broker, name.removeprefix("broker."))(*args, **kwargs)
                else:
                    result = getattr(sandbox, name)(*args, **kwargs)
                conn.send((True, result))
            except Exception as err:  # noqa: BLE001 - every failure goes back to the benchmark as text
                conn.send((False, f"{type(err).__name__}: {err}"))
    finally:
        sandbox.stop()


class SoarHost:
    """A SoarSandbox living in its own process; methods are forwarded over a pipe ("broker.x" reaches the
    broker's x)."""

    def __init__(self, **options: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, options), name="soar-sandbox", daemon=True)
        self._process.start()
        child.close()
        if not self._conn.poll(180):
            self.close()
            raise RuntimeError("the SOAR sandbox did not start within 180 s")
        try:
            self._conn.recv()
        except EOFError as exc:
            self.close()
            raise RuntimeError("the SOAR sandbox process ended while starting (see its output)") from exc
        self.info: dict = self.call("info")
        self.org_id: int = self.info["org_id"]

    @property
    def pid(self) -> int:
        return self._process.pid

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self._conn.send((name, args, kwargs))
        ok, result = self._conn.recv()
        if not ok:
            raise RuntimeError(f"SOAR sandbox {name} failed: {result}")
        return result

    def app_config_section(self, logdir: str, num_workers: int = 10, api_key: tuple[str, str] | None = None) -> str:
        return self.call("app_config_section", logdir, num_workers=num_workers, api_key=api_key)

    def close(self) -> None:
        if self._process.is_alive():
            self._conn.send(("stop", (), {}))
            self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        self._conn.close()

    def __enter__(self) -> SoarHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
