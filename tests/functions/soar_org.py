"""The SOAR of the function tests: the SOAR sandbox (sandbox/soar), one per test process, reset for each test.

resilient-circuits' REST client talks to it over HTTPS as to a SOAR server; a test arranges and inspects the
sandbox's own org (``SoarState``) and uses its faults (``fail_requests``, ``lose_answers``, ``on_arrival``,
``hold``). ``SoarOrg`` adds only what the function tests share on top of it.
"""

from __future__ import annotations

import atexit
import json
import threading
from collections.abc import Callable
from typing import Any

from resilient.co3base import TLSHttpAdapter

from sandbox.soar import SoarSandbox
from sandbox.soar.ibm21_org import install_ibm21
from sandbox.soar.scripting import default_export_path
from sandbox.soar.state import SoarState

TABLE = "slack_conversations_db"
QUESTIONS = "slack_questions_db"
ATTACHMENT_UPLOAD = r"/(incidents|tasks)/[0-9]+/attachments$"   # POST of a file to an incident or a task
PACKAGE_EXPORT = json.loads(default_export_path().read_text(encoding="utf-8"))

_sandbox: SoarSandbox | None = None
_sandbox_lock = threading.Lock()


def soar_sandbox() -> SoarSandbox:
    """The SOAR sandbox shared by the function tests of this process (started once, reset per test); the
    package is installed in its org, as resilient-circuits finds it when a test module's app starts."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            _sandbox = SoarSandbox().start()   # row_versions: $FN_SLACK_SANDBOX_ROW_VERSIONS, else the default
            atexit.register(_sandbox.stop)
            package_org(_sandbox.state)
        return _sandbox


class RealHttps:
    """What resilient's client mounts for ``https://`` when app.config names a ``resilient_mock``: the HTTPS
    adapter it mounts anyway (resilient's ``TLSHttpAdapter``), so every REST call goes over HTTPS to the SOAR
    sandbox as it would to SOAR. Naming it keeps resilient-circuits
    from opening a STOMP connection, which the function tests do not use (they fire each function message
    into the app themselves)."""

    def __init__(self, org_name: str | None = None, email: str | None = None) -> None:
        self.adapter = TLSHttpAdapter()


class SoarOrg:
    """The sandbox's org as a function test sees it: every attribute of its ``SoarState`` (incidents,
    attachments, ``rows_of``, ``calls``, ``unknown_columns``, the faults), plus the arranging and inspecting
    steps the tests share."""

    def __init__(self, sandbox: SoarSandbox) -> None:
        self.sandbox = sandbox
        self._arranged: set[int] = set()   # attachments the test put there (not saved by fn_slack)

    @property
    def state(self) -> SoarState:
        return self.sandbox.state

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sandbox.state, name)

    def reset(self, customizations: Callable[[SoarState], object], incident_id: int, task_id: int) -> None:
        """A fresh org holding ``customizations``, with one incident and one task of it."""
        state = self.sandbox.reset()
        customizations(state)
        state.create_incident("Phishing campaign", id=incident_id)
        state.create_task(incident_id, "Investigate", id=task_id)
        self._arranged.clear()

    # ---- arranging
    def add_attachment(self, incident_id: int, name: str, data: bytes, task_id: int | None = None) -> int:
        """A file already on the incident (or its task); its id."""
        attachment_id = self.state.add_attachment(incident_id, name, data, task_id=task_id)["id"]
        self._arranged.add(attachment_id)
        return attachment_id

    def add_row(self, incident_id: int, cells: dict[str, Any]) -> dict:
        """A slack_conversations_db row of the incident, from plain {column: value} cells."""
        return self.state.add_row(incident_id, TABLE, {column: {"value": value} for column, value in cells.items()})

    def as_ibm_21(self, incident_id: int, task_id: int) -> None:
        """The org as IBM's fn_slack 2.1 left it: its customizations only (the package was upgraded and
        ``resilient-circuits customize`` not run yet)."""
        self.reset(install_ibm21, incident_id, task_id)

    def customize(self) -> None:
        """What ``resilient-circuits customize -l fn_slack`` imports: the package's customizations."""
        self.state.install(PACKAGE_EXPORT)

    # ---- inspecting
    def saved_attachments(self, incident_id: int, task_id: int | None = None) -> list[dict]:
        """The files saved on the incident (or its task) over REST, oldest first, each with its ``data``."""
        return [dict(meta, data=self.state.attachment_files[meta["id"]])
                for meta in self.state.attachments_of(incident_id, task_id) if meta["id"] not in self._arranged]


def package_org(state: SoarState) -> None:
    """An org where the package is installed (its customizations imported)."""
    state.install(PACKAGE_EXPORT)
