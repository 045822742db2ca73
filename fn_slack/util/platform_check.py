"""``python -m fn_slack.util.platform_check [-c app.config] [--json] --yes``: an opt-in check an administrator runs
against their own SOAR and Slack to settle what fn_slack could not verify from public sources.

It reads the same app.config as ``resilient-circuits`` (resilient's own loader: ``$ENV`` and ``^keystore`` values
work), creates a scratch incident with a scratch ``slack_conversations_db`` row and scratch Slack channels,
tries each behaviour and says which position of the fn_slack test sandboxes' switches the platform matches.
Everything it creates it removes again (the channels are archived, the incident deleted, or closed when the API
key may not delete it) in ``finally``; what it could not remove is named. Without ``--yes`` it writes nothing and
says what it would create. It is never run by ``resilient-circuits run`` or ``selftest``.

Exit status: 0 when every check ran (a check skipped by choice, such as the user-token check without a user
token, counts as run), 2 when a check could not run (the reason is in the report), 1 when nothing was tried.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, suppress
from dataclasses import asdict, dataclass, field
from importlib import metadata

import resilient
from requests import RequestException
from resilient import BasicHTTPException, Patch, SimpleHTTPException
from resilient_circuits.app_argument_parser import AppArgumentParser
from resilient_lib import RequestsCommon
from urllib3.util import connection as urllib3_connection

from fn_slack.lib import messages
from fn_slack.lib.errors import FnSlackError, SlackError
from fn_slack.lib.retry import WaitBudget
from fn_slack.lib.settings import SECTION, SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.soar.rest import http_status, short

# ---------------------------------------------------------------------------------------------------- adapter
# The only place this command touches fn_slack's SOAR and Slack edges (and resilient's client): plain calls,
# each answered as (status, body) so that a probe sees what the platform did instead of an fn_slack error.

NEVER_RESEND = list(range(400, 600))   # resilient's client raises these at once instead of sending again
CONNECT_TRIES = 3                      # resilient's default is to try connecting to SOAR forever
CHECK_WAIT_SECONDS = 20                # Slack rate-limit waiting allowed per Slack client of the check


@dataclass(frozen=True)
class Answer:
    """One platform answer: the HTTP status (None: no answer), the decoded body, and an error text to show."""

    status: int | None
    body: object = None
    error: str = ""

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (a Slack error answers HTTP 200 with an error code)."""
        return self.status is not None and 200 <= self.status < 300 and not self.error


class SoarRefusedKeyError(ValueError):
    """SOAR refused the API key (resilient's client gave up)."""


class SoarCalls:
    """SOAR REST calls over resilient's client (``resilient.get_client``); never resent by the client: one try per
    request (a scratch write answered 5xx or cut off is not sent again), a bounded number of tries to connect."""

    def __init__(self, opts: Mapping[str, object]) -> None:
        # resilient's client prints a traceback and exits the process (code 21) when SOAR refuses the API key:
        # keep its traceback off the report and say so in the check's own words.
        with redirect_stderr(io.StringIO()):
            try:
                self.rest = resilient.get_client(dict(opts), max_connection_retries=CONNECT_TRIES,
                                                 request_max_retries=1)
            except SystemExit as refused:
                raise SoarRefusedKeyError(messages.platform_check_key_refused(refused.code)) from None

    def call(self, verb: str, uri: str, payload: object = None) -> Answer:
        """``verb`` (GET, POST, PUT, DELETE) of ``uri`` under the org, as an :class:`Answer`."""
        calls: dict[str, Callable[[], object]] = {
            "GET": lambda: self.rest.get(uri, skip_retry=NEVER_RESEND),
            "POST": lambda: self.rest.post(uri, payload, skip_retry=NEVER_RESEND),
            "PUT": lambda: self.rest.put(uri, payload, skip_retry=NEVER_RESEND),
            "DELETE": lambda: self.rest.delete(uri, skip_retry=NEVER_RESEND),
        }
        return _soar_answer(calls[verb])

    def server_version(self) -> str:
        """SOAR's version (``GET /rest/const``), for the report; empty when SOAR does not say."""
        answer = _soar_answer(lambda: self.rest.get("/const", is_uri_absolute=True, skip_retry=NEVER_RESEND))
        version = answer.body.get("server_version") if isinstance(answer.body, dict) else None
        return str(version.get("version") or "") if isinstance(version, dict) else str(version or "")

    def patch(self, uri: str, fields: Mapping[str, tuple[object, object]], version: int | None) -> Answer:
        """PATCH ``uri`` with resilient's ``Patch``: ``fields`` maps a field name to (old value, new value)."""
        patch = Patch({}, version=version)
        for name, (old, new) in fields.items():
            patch.add_value(name, new, old_value=old)
        return _soar_answer(lambda: self.rest.patch(uri, patch))

    @contextmanager
    def connections_opened(self) -> Iterator[list[int]]:
        """Count the TCP connections opened while the block runs (urllib3's ``create_connection``, which every new
        connection and every reconnect of a pooled one goes through); the count is the list's one item."""
        count = [0]
        original = urllib3_connection.create_connection

        def counted(*args: object, **kwargs: object) -> object:
            count[0] += 1
            return original(*args, **kwargs)

        urllib3_connection.create_connection = counted
        try:
            yield count
        finally:
            urllib3_connection.create_connection = original


def _soar_answer(action: Callable[[], object]) -> Answer:
    try:
        answer = action()
    except (BasicHTTPException, SimpleHTTPException) as err:
        return Answer(http_status(err) or 0, None, short(err, 200))
    except RequestException as err:
        return Answer(None, None, type(err).__name__)
    body = answer.json() if hasattr(answer, "json") else answer
    return Answer(200, body)


class SlackCalls:
    """Slack Web API calls with fn_slack's Slack client (``SlackClient``) for one token."""

    def __init__(self, settings: SlackSettings) -> None:
        self.slack = SlackClient(settings, budget=WaitBudget(CHECK_WAIT_SECONDS))

    def call(self, method: str, **params: object) -> Answer:
        """Call ``method``; Slack's error code is the answer's ``error`` (status 200 with ``ok: false``)."""
        try:
            return Answer(200, dict(self.slack.call(method, **params).data))
        except SlackError as err:
            return Answer(200, None, err.code)
        except FnSlackError as err:
            return Answer(None, None, str(err))


def load_opts(config_file: str | None) -> dict:
    """The app.config as resilient-circuits reads it (``-c``, else ``$APP_CONFIG_FILE`` or ~/.resilient)."""
    path = config_file or resilient.get_config_file()
    if not os.path.exists(path):
        raise FileNotFoundError(messages.platform_check_no_config(path))
    return AppArgumentParser(config_file=path).parse_args(args=[])


def slack_settings(opts: Mapping[str, object], token: str | None = None) -> SlackSettings:
    """``[fn_slack]`` as fn_slack reads it (proxies and TLS through resilient-lib), optionally with ``token``."""
    options = dict(opts.get(SECTION) or {})
    if token:
        options["api_token"] = token
    rc = RequestsCommon(opts=dict(opts), function_opts=options)
    return SlackSettings.from_app_configs(options, rc.get_proxies(), rc.get_verify())


# ----------------------------------------------------------------------------------------------------- report
RAN, SKIPPED, FAILED = "ran", "skipped", "could not run"


@dataclass
class Check:
    """One behaviour tried: what the platform did, and the sandbox switch position that matches it (None: no
    position matches, or the check did not run)."""

    name: str
    tried: str
    switch: str
    status: str = FAILED
    platform: str = ""
    matches: str | None = None


@dataclass
class Report:
    """Every check and what was created and removed again."""

    checks: list[Check] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    not_removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)   # fn_slack's, SOAR's

    def switches(self) -> dict[str, str | None]:
        """The position of each sandbox switch the checks that ran agree on (None: they disagree or none
        matched; the checks' own lines say what the platform did)."""
        found: dict[str, set[str | None]] = {}
        for c in self.checks:
            if c.status == RAN and not c.switch.startswith("("):
                found.setdefault(c.switch, set()).add(c.matches)
        return {switch: next(iter(seen)) if len(seen) == 1 else None for switch, seen in found.items()}

    @property
    def exit_code(self) -> int:
        """0 when every check ran, 2 when one could not run (or setup failed)."""
        return 2 if self.problems or any(c.status == FAILED for c in self.checks) else 0

    def to_json(self) -> dict:
        """The machine-readable report for a field report."""
        return {"fn_slack_platform_check": 1, "exit_code": self.exit_code, "versions": self.versions,
                "checks": [asdict(c) for c in self.checks], "switches": self.switches(),
                "created": self.created, "removed": self.removed,
                "not_removed": self.not_removed, "problems": self.problems}

    def table(self) -> str:
        """The report for people: one row per check, then what was removed and what was not."""
        rows = [("check", "what the platform did", "sandbox switch", "matches")]
        for c in self.checks:
            platform = c.platform if c.status != SKIPPED else f"not tried: {c.platform}"
            if c.status == FAILED:
                platform = f"could not run: {c.platform}"
            rows.append((c.name, platform, c.switch, c.matches or "-"))
        widths = [min(max(len(r[i]) for r in rows), 70) for i in range(3)]
        lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(r)) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths) + "  -------")
        lines += [f"switch {name}: {position or 'no single position matches (see its checks)'}"
                  for name, position in self.switches().items()]
        lines.append("versions: " + ", ".join(f"{name} {value or '?'}" for name, value in self.versions.items()))
        lines += [f"problem: {p}" for p in self.problems]
        lines += [f"removed: {r}" for r in self.removed]
        lines += [f"NOT REMOVED: {r}" for r in self.not_removed]
        return "\n".join(lines)


def guarded(report: Report, step: Callable[[], None]) -> None:
    """Run one step of checks; an unexpected failure marks the step's checks that did not finish (a broken answer
    from the platform must not stop the other checks or the clean-up)."""
    before = len(report.checks)
    try:
        step()
    except (LookupError, TypeError, ValueError, AttributeError, FnSlackError, RequestException) as err:
        unfinished = [c for c in report.checks[before:] if c.status == FAILED and not c.platform]
        for check in unfinished:
            check.platform = messages.platform_check_step_failed(type(err).__name__)
        if not unfinished:
            report.problems.append(messages.platform_check_step_failed(type(err).__name__))


# ------------------------------------------------------------------------------------------------------ SOAR
TABLE = "slack_conversations_db"
FIELD = "slack_mirror_channels"
NO_SUCH_COLUMN = "fn_slack_platform_check_no_such_column"
KEEP_ALIVE_CALLS = 3
# The SOAR checks that need the scratch incident: name → (what is tried, the sandbox switch it settles).
SOAR_CHECKS = {
    "row PUT, stale version": ("PUT a row with a version it no longer has", "row_versions"),
    "row PUT, some cells": ("PUT a row with one of its cells", "row_versions"),
    "row write, unknown column": (f"POST a row with a cell of column {NO_SUCH_COLUMN}", "unknown_columns"),
    "PATCH bare name": (f"PATCH {FIELD} by its bare name", "(none: the sandbox accepts it)"),
    "partial query properties": ("query_paged return_level=partial: are custom fields in it?",
                                 "(none: the sandbox omits them)"),
    "PATCH dotted name": (f"PATCH properties.{FIELD}", "dotted_patch"),
}
KEEP_ALIVE = "HTTP keep-alive"
KEEP_ALIVE_SPEC = (f"{KEEP_ALIVE_CALLS} GETs in a row: how many connections they open",
                   "(none: the sandbox keeps connections)")


def soar_check(name: str, platform: str = "") -> Check:
    """A new (not yet run) check of SOAR_CHECKS."""
    tried, switch = KEEP_ALIVE_SPEC if name == KEEP_ALIVE else SOAR_CHECKS[name]
    return Check(name, tried, switch, FAILED, platform)


def _row_uri(incident_id: int, row_id: int | None = None) -> str:
    suffix = "" if row_id is None else f"/{row_id}"
    return f"/incidents/{incident_id}/table_data/{TABLE}/row_data{suffix}?handle_format=names"


def _cells(row: object) -> dict:
    """{column: value} of a row answer (cells keyed by column name)."""
    cells = row.get("cells") if isinstance(row, dict) else None
    return {name: (cell or {}).get("value") for name, cell in (cells or {}).items()}


class SoarProbe:
    """The SOAR checks in one scratch incident named ``marker``; ``cleanup()`` removes what they created.
    ``idle_seconds`` > 0 also measures whether SOAR keeps a connection open that long."""

    def __init__(self, soar: SoarCalls, report: Report, marker: str, idle_seconds: float = 0) -> None:
        self.soar = soar
        self.report = report
        self.marker = marker
        self.idle_seconds = idle_seconds
        self.incident: dict | None = None

    def run(self) -> None:
        """Create the scratch incident, then try each SOAR behaviour (a step that fails unexpectedly marks its
        checks as not run and the others still run)."""
        self.report.versions["soar"] = self.soar.server_version()
        missing = self._missing_customizations()
        if missing:
            self.report.checks += [soar_check(name, missing) for name in SOAR_CHECKS]
            guarded(self.report, self._keep_alive)
            return
        created = self.soar.call("POST", "/incidents", {
            "name": self.marker, "discovered_date": int(time.time() * 1000),
            "description": "Scratch incident of fn_slack's platform check; it deletes it when it ends."})
        if not created.ok or not isinstance(created.body, dict):
            self.report.problems.append(messages.platform_check_incident_refused(created.status, created.error))
            self.report.checks += [soar_check(name, "no scratch incident") for name in SOAR_CHECKS]
        else:
            self.incident = created.body
            self.report.created.append(f"SOAR incident {created.body['id']} ({self.marker})")
            for step in (self._rows, self._unknown_column, self._patches_and_partial):
                guarded(self.report, step)
        guarded(self.report, self._keep_alive)

    def _missing_customizations(self) -> str:
        table = self.soar.call("GET", f"/types/{TABLE}?handle_format=names")
        fields = self.soar.call("GET", "/types/incident/fields")
        if not table.ok:
            return messages.platform_check_needs_customize(f"data table {TABLE}", table.status)
        names = {f.get("name") for f in fields.body or [] if isinstance(f, dict)} if fields.ok else set()
        if FIELD not in names:
            return messages.platform_check_needs_customize(f"incident field {FIELD}", fields.status)
        return ""

    def _rows(self) -> None:
        """A row PUT with a stale version, and a PUT that sends some cells: row_versions checked or ignored."""
        stale, some = soar_check("row PUT, stale version"), soar_check("row PUT, some cells")
        self.report.checks += [stale, some]
        inc_id = self.incident["id"]
        added = self.soar.call("POST", _row_uri(inc_id), {"cells": {
            "slack_db_res_id": {"value": f"{inc_id}:platform-check"}, "slack_db_channel": {"value": self.marker},
            "slack_db_channel_type": {"value": "public"}, "slack_db_time": {"value": int(time.time() * 1000)}}})
        if not added.ok or not isinstance(added.body, dict):
            stale.platform = some.platform = messages.platform_check_row_refused(added.status, added.error)
            return
        row_id, first = added.body["id"], added.body.get("version")
        put = self.soar.call("PUT", _row_uri(inc_id, row_id),
                             {"version": first, "cells": {"slack_db_channel": {"value": "changed"}}})
        after = self.soar.call("GET", _row_uri(inc_id, row_id))
        if not put.ok or not after.ok:
            some.platform = messages.platform_check_row_refused(put.status or after.status, put.error or after.error)
        else:
            kept = _cells(after.body).get("slack_db_channel_type") == "public"
            some.status, some.platform = RAN, ("other cells kept" if kept else "other cells blanked")
            some.matches = "checked" if kept else "ignored"
        now = (after.body or {}).get("version") if after.ok and isinstance(after.body, dict) else None
        old = first if now != first else (first or 1) - 1   # a version the row no longer has
        sent = {"slack_db_channel": {"value": "stale"}, "slack_db_channel_type": {"value": "public"},
                "slack_db_res_id": {"value": f"{inc_id}:platform-check"}}
        put = self.soar.call("PUT", _row_uri(inc_id, row_id), {"version": old, "cells": sent})
        if put.status == 409:
            stale.status, stale.platform, stale.matches = RAN, "refused (HTTP 409)", "checked"
        elif put.ok:
            stale.status, stale.platform, stale.matches = RAN, "accepted (the row was changed)", "ignored"
        else:
            stale.platform = messages.platform_check_row_refused(put.status, put.error)

    def _unknown_column(self) -> None:
        check = soar_check("row write, unknown column")
        self.report.checks.append(check)
        inc_id = self.incident["id"]
        added = self.soar.call("POST", _row_uri(inc_id), {"cells": {
            "slack_db_res_id": {"value": f"{inc_id}:platform-check"}, NO_SUCH_COLUMN: {"value": "x"}}})
        if added.status == 400:
            check.status, check.platform, check.matches = RAN, "refused (HTTP 400)", "refuse"
        elif added.ok and NO_SUCH_COLUMN not in _cells(added.body):
            check.status, check.platform, check.matches = RAN, "row written without the cell", "drop"
        elif added.ok:
            check.status, check.platform = RAN, "row written with the unknown cell"
        else:
            check.platform = messages.platform_check_row_refused(added.status, added.error)

    def _patches_and_partial(self) -> None:
        """PATCH of the custom field by bare name, then by ``properties.<field>``; the partial query between."""
        inc_id, uri = self.incident["id"], f"/incidents/{self.incident['id']}"
        bare, partial = soar_check("PATCH bare name"), soar_check("partial query properties")
        dotted = soar_check("PATCH dotted name")
        self.report.checks += [bare, partial, dotted]
        current = self.soar.call("GET", uri)
        if not current.ok:
            bare.platform = partial.platform = dotted.platform = f"HTTP {current.status}: {current.error}"
            return
        old = (current.body.get("properties") or {}).get(FIELD)
        answer = self.soar.patch(uri, {FIELD: (old, "C0PLATFORMCHECK")}, current.body.get("vers"))
        bare.status, bare.platform = RAN, "accepted" if answer.ok else f"refused (HTTP {answer.status})"
        bare.matches = "sandbox" if answer.ok else None
        found = self.soar.call("POST", "/incidents/query_paged?return_level=partial", {
            "filters": [{"conditions": [{"field_name": "id", "method": "equals", "value": inc_id}]}],
            "start": 0, "length": 1})
        data = (found.body or {}).get("data") if found.ok and isinstance(found.body, dict) else None
        if data:
            present = FIELD in (data[0].get("properties") or {})
            partial.status = RAN
            partial.platform = "custom fields present" if present else "custom fields absent"
            partial.matches = None if present else "sandbox"
        else:
            partial.platform = f"the scratch incident was not found (HTTP {found.status}) {found.error}".strip()
        current = self.soar.call("GET", uri)
        old = (current.body.get("properties") or {}).get(FIELD) if current.ok else None
        answer = self.soar.patch(uri, {f"properties.{FIELD}": (old, "C0DOTTED")},
                                 current.body.get("vers") if current.ok else None)
        after = self.soar.call("GET", uri)
        landed = after.ok and (after.body.get("properties") or {}).get(FIELD) == "C0DOTTED"
        if answer.ok and landed:
            dotted.status, dotted.platform, dotted.matches = RAN, "accepted as the bare name", "accept"
        elif answer.status is not None and 400 <= answer.status < 500:
            dotted.status, dotted.platform, dotted.matches = RAN, f"refused (HTTP {answer.status})", "refuse"
        elif answer.ok:
            dotted.status, dotted.platform = RAN, "answered success but the field did not change"
        else:
            dotted.platform = f"HTTP {answer.status}: {answer.error}"

    def _keep_alive(self) -> None:
        check = soar_check(KEEP_ALIVE)
        self.report.checks.append(check)
        self.soar.call("GET", "/types/incident/fields")   # a connection to reuse, whatever came before
        with self.soar.connections_opened() as opened:
            answers = [self.soar.call("GET", "/types/incident/fields") for _ in range(KEEP_ALIVE_CALLS)]
        if not all(a.ok for a in answers):
            check.platform = f"SOAR did not answer: HTTP {answers[-1].status} {answers[-1].error}".strip()
            return
        check.status = RAN
        check.platform = f"{opened[0]} new connection(s) for {KEEP_ALIVE_CALLS} calls"
        check.matches = "sandbox" if opened[0] == 0 else None
        if self.idle_seconds > 0 and opened[0] == 0:
            time.sleep(self.idle_seconds)
            with self.soar.connections_opened() as reopened:
                self.soar.call("GET", "/types/incident/fields")
            check.platform += (f"; still open after {self.idle_seconds:g} s idle" if not reopened[0]
                               else f"; closed within {self.idle_seconds:g} s idle")

    def cleanup(self) -> None:
        """Delete every incident named ``marker`` (a create whose answer was lost included); close one that
        may not be deleted."""
        found = self.soar.call("POST", "/incidents/query_paged?return_level=partial", {
            "filters": [{"conditions": [{"field_name": "name", "method": "equals", "value": self.marker}]}],
            "start": 0, "length": 20})
        ids = {int(i["id"]) for i in (found.body or {}).get("data") or []} if found.ok else set()
        if self.incident:
            ids.add(int(self.incident["id"]))
        for inc_id in sorted(ids):
            deleted = self.soar.call("DELETE", f"/incidents/{inc_id}")
            if deleted.ok:
                self.report.removed.append(f"SOAR incident {inc_id} deleted, with its rows")
                continue
            closed = self._close(inc_id)
            if closed.ok:
                self.report.removed.append(f"SOAR incident {inc_id} closed (delete refused: HTTP {deleted.status})")
            else:
                self.report.not_removed.append(messages.platform_check_incident_left(
                    inc_id, deleted.status, closed.status))

    def _close(self, inc_id: int) -> Answer:
        current = self.soar.call("GET", f"/incidents/{inc_id}")
        if not current.ok:
            return current
        return self.soar.patch(f"/incidents/{inc_id}", {"plan_status": (current.body.get("plan_status"), "C")},
                               current.body.get("vers"))


# ----------------------------------------------------------------------------------------------------- Slack
class SlackProbe:
    """The Slack checks with scratch channels named from ``marker``; ``cleanup()`` archives what is left.

    ``bot`` is the configured bot token's client (None when ``api_token`` is a user token), ``user`` a user
    token's client (None without one)."""

    def __init__(self, bot: SlackCalls | None, user: SlackCalls | None, report: Report, marker: str) -> None:
        self.bot = bot
        self.user = user
        self.owner = bot or user
        self.report = report
        self.marker = marker
        self.open: dict[str, str] = {}   # channel ID → name, created and not archived yet

    def run(self) -> None:
        """The public channel (metadata from the user token, then the archive), then the private one."""
        ejects = Check("archive, public channel", "the bot reads the history of a public channel it archived",
                       "archive_ejects_app")
        private = Check("archive, private channel", "the bot looks at a private channel it archived",
                        "archived_private_visible")
        metadata = Check("metadata, user token", "chat.postMessage with metadata from a user token",
                         "user_token_metadata")
        self.report.checks += [ejects, private, metadata]
        public_id = self._create(f"{self.marker}-pub", private=False, checks=(ejects, metadata))
        if public_id:
            self._metadata(public_id, metadata)
            archived = self._archive(public_id)
            if self.bot is None:
                ejects.status, ejects.platform = SKIPPED, messages.platform_check_no_bot_token()
            elif archived.ok:
                self._ejects(public_id, ejects)
            else:
                ejects.platform = f"conversations.archive: {archived.error}"
        if self.bot is None:
            private.status, private.platform = SKIPPED, messages.platform_check_no_bot_token()
            return
        private_id = self._create(f"{self.marker}-priv", private=True, checks=(private,))
        if private_id:
            archived = self._archive(private_id)
            if archived.ok:
                self._private(private_id, private)
            else:
                private.platform = f"conversations.archive: {archived.error}"

    def _create(self, name: str, *, private: bool, checks: tuple[Check, ...]) -> str | None:
        created = self.owner.call("conversations.create", name=name, is_private=private)
        channel = (created.body or {}).get("channel") or {} if created.ok else {}
        if not channel.get("id"):
            for check in checks:
                check.platform = f"conversations.create: {created.error}"
            return None
        self.open[channel["id"]] = name
        kind = "private" if private else "public"
        self.report.created.append(f"Slack {kind} channel #{name} ({channel['id']})")
        return channel["id"]

    def _archive(self, channel_id: str) -> Answer:
        archived = self.owner.call("conversations.archive", channel=channel_id)
        if archived.ok or archived.error == "already_archived":
            name = self.open.pop(channel_id, channel_id)
            self.report.removed.append(f"Slack channel #{name} ({channel_id}) archived")
            return Answer(200, archived.body)
        return archived

    def _metadata(self, channel_id: str, check: Check) -> None:
        if self.user is None:
            check.status, check.platform = SKIPPED, messages.platform_check_no_user_token()
            return
        if self.bot is not None:
            me = self.user.call("auth.test")
            user_id = (me.body or {}).get("user_id") if me.ok else None
            invited = self.bot.call("conversations.invite", channel=channel_id, users=user_id) if user_id else me
            if not invited.ok and invited.error != "already_in_channel":
                check.platform = f"inviting the user token's user: {invited.error}"
                return
        posted = self.user.call("chat.postMessage", channel=channel_id, text="fn_slack platform check",
                                metadata=json.dumps({"event_type": "fn_slack_platform_check",
                                                     "event_payload": {"check": "user_token_metadata"}}))
        if posted.ok:
            check.status, check.platform, check.matches = RAN, "posted with the metadata", "accept"
        elif posted.error == "metadata_must_be_sent_from_app":
            check.status, check.platform, check.matches = RAN, "refused: metadata_must_be_sent_from_app", "refuse"
        elif posted.status == 200:
            check.status, check.platform = RAN, f"refused: {posted.error}"
        else:
            check.platform = posted.error

    def _ejects(self, channel_id: str, check: Check) -> None:
        history = self.bot.call("conversations.history", channel=channel_id, limit=1)
        check.status = RAN
        if history.ok:
            check.platform, check.matches = "history still readable", "false"
        elif history.error == "not_in_channel":
            check.platform, check.matches = "not_in_channel: the bot was taken out", "true"
        else:
            check.platform = f"conversations.history: {history.error}"

    def _private(self, channel_id: str, check: Check) -> None:
        history = self.bot.call("conversations.history", channel=channel_id, limit=1)
        info = self.bot.call("conversations.info", channel=channel_id)
        check.status = RAN
        if history.ok:
            check.platform = "the bot stays a member (history readable): the switch does not apply"
            check.matches = "either"
        elif info.ok and (info.body.get("channel") or {}).get("is_archived"):
            check.platform, check.matches = f"{history.error} on history; conversations.info describes it", "true"
        elif info.error == "channel_not_found" and history.error == "channel_not_found":
            check.platform, check.matches = "channel_not_found", "false"
        else:
            check.platform = f"conversations.history: {history.error}; conversations.info: {info.error or 'ok'}"

    def cleanup(self) -> None:
        """Archive every scratch channel not archived yet; name those Slack refused to archive."""
        for channel_id, name in list(self.open.items()):
            archived = self._archive(channel_id)
            if not archived.ok:
                self.report.not_removed.append(messages.platform_check_channel_left(name, channel_id,
                                                                                    archived.error))


# ------------------------------------------------------------------------------------------------------ main
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fn_slack.util.platform_check",
                                     description="Try, in scratch objects it removes again, what fn_slack could "
                                                 "not verify of this SOAR and Slack.")
    parser.add_argument("-c", "--config", help="app.config (default: $APP_CONFIG_FILE, else ~/.resilient/app.config)")
    parser.add_argument("--yes", action="store_true", help="create the scratch objects and run the checks")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (for a field report)")
    parser.add_argument("--user-token-env", metavar="VAR",
                        help="environment variable holding a Slack user token (xoxp-) for the metadata check")
    parser.add_argument("--idle-seconds", type=float, default=0, metavar="S",
                        help="also wait S seconds and tell whether SOAR kept the idle connection (default: no)")
    return parser


def _secrets(opts: Mapping[str, object], tokens: list[str | None]) -> list[str]:
    section = opts.get("resilient") or {}
    found = [section.get(key) for key in ("api_key_secret", "password", "api_key_id")] + tokens
    return [str(s) for s in found if s and len(str(s)) >= 4]


def _redact(text: str, hidden: list[str]) -> str:
    for secret in hidden:
        text = text.replace(secret, "***")
    return text


def _package_version() -> str:
    try:
        return metadata.version("fn_slack")
    except metadata.PackageNotFoundError:
        return ""


def run_checks(opts: Mapping[str, object], settings: SlackSettings, user_token: str | None,
               idle_seconds: float = 0) -> Report:
    """Every check, each probe's scratch objects removed in ``finally``."""
    report = Report(versions={"fn_slack": _package_version()})
    marker = f"fn-slack-check-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(2)}"
    try:
        soar = SoarCalls(opts)
    except (BasicHTTPException, SimpleHTTPException, RequestException, ValueError, KeyError) as err:
        report.problems.append(messages.platform_check_soar_unreachable(type(err).__name__, short(err, 200)))
        report.checks += [soar_check(name, "no SOAR connection (see the problem below)")
                          for name in [*SOAR_CHECKS, KEEP_ALIVE]]
        soar = None
    if soar is not None:
        probe = SoarProbe(soar, report, marker, idle_seconds)
        try:
            guarded(report, probe.run)
        finally:
            guarded(report, probe.cleanup)
    is_user = settings.token.startswith("xoxp-")
    bot = None if is_user else SlackCalls(settings)
    user = SlackCalls(settings) if is_user else (SlackCalls(slack_settings(opts, user_token)) if user_token else None)
    slack = SlackProbe(bot, user, report, marker)
    try:
        guarded(report, slack.run)
    finally:
        guarded(report, slack.cleanup)
    return report


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    """The command: refuse without ``--yes``; else run the checks and print the table (or ``--json``)."""
    args = _parser().parse_args(argv)
    if not args.yes:
        out(messages.platform_check_plan())
        return 1
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    opts: dict = {}
    user_token = None
    hidden: list[str] = []
    try:
        opts = load_opts(args.config)
        settings = slack_settings(opts)
        if args.user_token_env:
            user_token = os.environ.get(args.user_token_env) or None
            if not user_token:
                raise FnSlackError(messages.platform_check_user_token_unset(args.user_token_env))
        hidden = _secrets(opts, [settings.token, settings.app_token, user_token])
        report = run_checks(opts, settings, user_token, args.idle_seconds)
    except (FnSlackError, OSError, ValueError) as err:
        out(_redact(messages.platform_check_not_started(str(err)), hidden or _secrets(opts, [user_token])))
        return 2
    text = json.dumps(report.to_json(), indent=2) if args.json else report.table()
    out(_redact(text, hidden))
    return report.exit_code


if __name__ == "__main__":
    with suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(2)
