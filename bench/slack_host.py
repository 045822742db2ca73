"""Runs the Slack sandbox in a child process, so the measured process holds only the client's work."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from sandbox.slack import DEFAULT_TOKEN, SlackSandbox


def _call_counts(sandbox: SlackSandbox) -> dict:
    """Requests answered since the last count, by method, and how many of them were refused with 429."""
    calls = sandbox.calls
    sandbox.clear_calls()
    return {"total": len(calls), "by_method": dict(Counter(call.method for call in calls)),
            "ok_by_method": dict(Counter(call.method for call in calls if call.http_status == 200)),
            "rate_limited": sum(1 for call in calls if call.http_status == 429)}


def _seed_history(sandbox: SlackSandbox, channel_id: str, messages: int, threads: int, files: int) -> int:
    # The list of timestamps would only cost pickling time across the pipe.
    return len(sandbox.seed_history(channel_id, messages, threads=threads, files=files))


def _set_latency(sandbox: SlackSandbox, latency_ms: float) -> None:
    sandbox.latency_ms = latency_ms


def _add_users(sandbox: SlackSandbox, users: list[tuple[str, str]]) -> list[str]:
    return [sandbox.add_user(name, email) for name, email in users]


_LOCAL_OPS = {"call_counts": _call_counts, "seed_history": _seed_history, "set_latency": _set_latency,
              "add_users": _add_users}


def _serve(conn: Connection, options: dict) -> None:
    sandbox = SlackSandbox(**options).start()
    conn.send(sandbox.base_url)
    try:
        while True:
            name, args, kwargs = conn.recv()
            if name == "stop":
                return
            try:
                op = _LOCAL_OPS.get(name)
                result = op(sandbox, *args, **kwargs) if op else getattr(sandbox, name)(*args, **kwargs)
                conn.send((True, result))
            except Exception as err:  # noqa: BLE001 - every failure goes back to the benchmark as text
                conn.send((False, f"{type(err).__name__}: {err}"))
    finally:
        sandbox.stop()


class SlackHost:
    """A SlackSandbox living in its own process; methods are forwarded over a pipe."""

    token = DEFAULT_TOKEN

    def __init__(self, **options: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, options), name="slack-sandbox", daemon=True)
        self._process.start()
        child.close()
        self.base_url: str = self._conn.recv()

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def forward(*args: Any, **kwargs: Any) -> Any:
            self._conn.send((name, args, kwargs))
            ok, result = self._conn.recv()
            if not ok:
                raise RuntimeError(f"Slack sandbox {name} failed: {result}")
            return result

        return forward

    def close(self) -> None:
        if self._process.is_alive():
            self._conn.send(("stop", (), {}))
            self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        self._conn.close()

    def __enter__(self) -> SlackHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
