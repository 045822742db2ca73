"""``resilient-circuits selftest -l fn_slack``: checks that the configured Slack token works and that SOAR holds
this package's customizations.

The second check compares the org with the package's own ``export.res``: the five functions and their inputs,
the data tables and their columns, and the incident field of two-way channels. Anything missing means the
package was installed or upgraded and ``resilient-circuits customize`` has not been run (or failed): selftest
names what is missing and reports **failure**, so that an unfinished installation is noticed where
installations are checked. Posts still work meanwhile (fn_slack writes only the columns SOAR has); questions
and mirroring need the 3.x tables and are refused before anything is posted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache

import resilient
from resilient import BasicHTTPException, SimpleHTTPException
from resilient_lib import RequestsCommon

from fn_slack.lib import messages
from fn_slack.lib.errors import FnSlackError
from fn_slack.lib.retry import WaitBudget
from fn_slack.lib.settings import SECTION, SlackSettings
from fn_slack.lib.slack_client import SlackClient
from fn_slack.lib.soar.columns import table_columns
from fn_slack.lib.soar.org import incident_fields, shown_inputs
from fn_slack.lib.soar.rest import http_status, short
from fn_slack.lib.socket_listener import check_app_token
from fn_slack.util.customize import RES_FILE

LOG = logging.getLogger(__name__)
SELFTEST_WAIT_SECONDS = 10   # a selftest answers quickly: a few seconds of rate-limit waiting at most
DATA_TABLE = 8               # the type_id of a data table in an export


@dataclass(frozen=True)
class PackageCustomizations:
    """What this package's export.res imports, as selftest compares it."""

    functions: dict[str, list[tuple[str, str]]]   # function → its inputs as (uuid, name), in view order
    tables: dict[str, list[str]]                   # data table → its columns
    incident_fields: list[str]


@cache
def package_customizations() -> PackageCustomizations:
    """The package's customizations, read once from its export.res."""
    export = json.loads(RES_FILE.read_text(encoding="utf-8"))
    inputs = {f["uuid"]: f["name"] for f in export.get("fields") or []
              if str(f.get("export_key", "")).startswith("__function/")}
    functions = {fn["name"]: [(item["content"], inputs[item["content"]]) for item in fn.get("view_items") or []
                              if item.get("content") in inputs]
                 for fn in export.get("functions") or []}
    tables = {t["type_name"]: sorted(t.get("fields") or {}) for t in export.get("types") or []
              if t.get("type_id") == DATA_TABLE}
    fields = [f["name"] for f in export.get("fields") or []
              if str(f.get("export_key", "")).startswith("incident/") and f["name"].startswith("slack_")]
    return PackageCustomizations(functions=functions, tables=tables, incident_fields=fields)


def missing_customizations(rest_client: object, package: PackageCustomizations | None = None) -> list[str]:
    """What the org lacks of the package's customizations, one phrase each (empty: all there)."""
    package = package or package_customizations()
    missing = []
    for name, inputs in package.functions.items():
        shown = shown_inputs(rest_client, name)
        if shown is None:
            missing.append(messages.selftest_missing_function(name))
            continue
        absent = [input_name for uuid, input_name in inputs if uuid not in shown]
        if absent:
            missing.append(messages.selftest_missing_inputs(name, absent))
    for table, columns in package.tables.items():
        found = table_columns(rest_client, table, fresh=True)
        if not found.exists:
            missing.append(messages.selftest_missing_table(table))
        elif found.missing(columns):
            missing.append(messages.selftest_missing_columns(table, found.missing(columns)))
    if package.incident_fields:
        held = incident_fields(rest_client)
        missing += [messages.selftest_missing_incident_field(name) for name in package.incident_fields
                    if name not in held]
    return missing


def check_customizations(opts: dict) -> tuple[bool, str] | None:
    """(complete?, what to say) about the org's customizations; None when the options name no SOAR
    (selftest called outside resilient-circuits)."""
    if not opts.get("host"):
        return None
    try:
        rest_client = resilient.get_client(opts)
        missing = missing_customizations(rest_client)
    except (BasicHTTPException, SimpleHTTPException) as err:
        return False, messages.selftest_customizations_unreadable(http_status(err), short(err))
    if missing:
        return False, messages.selftest_customizations_missing(missing)
    package = package_customizations()
    return True, messages.selftest_customizations_current(len(package.functions), len(package.tables))


def selftest_function(opts: dict) -> dict:
    """Call Slack's auth.test with the configured token and report the team and the app's user; then compare
    SOAR's customizations with the package's."""
    options = opts.get(SECTION, {})
    try:
        rc = RequestsCommon(opts=opts, function_opts=options)
        settings = SlackSettings.from_app_configs(options, rc.get_proxies(), rc.get_verify())
        identity = SlackClient(settings, budget=WaitBudget(SELFTEST_WAIT_SECONDS)).auth_test()
    except FnSlackError as err:
        LOG.error("fn_slack selftest failed: %s", err)
        return {"state": "failure", "reason": str(err)}
    reason = messages.selftest_connected(team=identity.get("team") or identity.get("team_id") or "?",
                                         url=identity.get("url", ""),
                                         kind="bot" if identity.get("bot_id") else "user",
                                         who=identity.get("user") or identity.get("user_id") or "?")
    if settings.app_token:
        problem = check_app_token(settings)
        if problem:
            LOG.error("fn_slack selftest failed: %s", messages.selftest_app_token_refused(problem))
            return {"state": "failure", "reason": messages.selftest_app_token_refused(problem)}
        reason += " " + messages.selftest_app_token_works()
    customizations = check_customizations(opts)
    if customizations is not None:
        complete, said = customizations
        reason += " " + said
        if not complete:
            LOG.error("fn_slack selftest failed: %s", said)
            return {"state": "failure", "reason": reason}
    LOG.info("fn_slack selftest: %s", reason)
    return {"state": "success", "reason": reason}
