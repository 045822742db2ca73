"""A sandbox in a child process, driven over a pipe, so the measured process holds only its own work."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

Op = Callable[..., Any]


def serve(conn: Connection, sandbox: Any, ready: Any, ops: dict[str, Op],
          resolve: Callable[[Any, str], Op] = getattr) -> None:
    """In the child: send ``ready``, then run each ``(name, args, kwargs)`` received — one of ``ops`` (called with
    the sandbox first) or what ``resolve(sandbox, name)`` gives — until "stop"; the sandbox stops either way."""
    conn.send(ready)
    try:
        while True:
            name, args, kwargs = conn.recv()
            if name == "stop":
                return
            try:
                op = ops.get(name)
                result = op(sandbox, *args, **kwargs) if op else resolve(sandbox, name)(*args, **kwargs)
                conn.send((True, result))
            except Exception as err:  # noqa: BLE001 - every failure goes back to the benchmark as text
                conn.send((False, f"{type(err).__name__}: {err}"))
    finally:
        sandbox.stop()


class ChildHost:
    """The benchmark's side: starts the child, forwards calls, stops it."""

    label = "sandbox"
    stop_timeout = 10.0

    def __init__(self, target: Callable[[Connection, dict], None], options: dict, *, name: str,
                 start_timeout: float | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=target, args=(child, options), name=name, daemon=True)
        self._process.start()
        child.close()
        if start_timeout is not None and not self._conn.poll(start_timeout):
            self.close()
            raise RuntimeError(f"the {self.label} did not start within {start_timeout:g} s")
        try:
            self.ready = self._conn.recv()
        except EOFError as exc:
            self.close()
            raise RuntimeError(f"the {self.label} process ended while starting (see its output)") from exc

    @property
    def pid(self) -> int:
        return self._process.pid

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self._conn.send((name, args, kwargs))
        ok, result = self._conn.recv()
        if not ok:
            raise RuntimeError(f"{self.label} {name} failed: {result}")
        return result

    def close(self) -> None:
        if self._process.is_alive():
            self._conn.send(("stop", (), {}))
            self._process.join(timeout=self.stop_timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        self._conn.close()

    def __enter__(self) -> ChildHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
