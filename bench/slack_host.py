"""Runs the Slack sandbox in a child process, so the measured process holds only the client's work."""

from __future__ import annotations

from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from bench.child_host import ChildHost, serve
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
    serve(conn, sandbox, sandbox.base_url, _LOCAL_OPS)


class SlackHost(ChildHost):
    """A SlackSandbox living in its own process; methods are forwarded over a pipe."""

    token = DEFAULT_TOKEN
    label = "Slack sandbox"

    def __init__(self, **options: Any) -> None:
        super().__init__(_serve, options, name="slack-sandbox")
        self.base_url: str = self.ready

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)
