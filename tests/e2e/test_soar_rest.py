"""The SOAR sandbox's REST API, called with the `resilient` client that fn_slack and resilient-circuits use."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import pytest
import requests
import resilient

from sandbox.soar import SoarSandbox
from sandbox.soar.scripting import default_export_path
from sandbox.soar.state import ROW_VERSIONS_ENV, SoarState

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]

KEY, SECRET = "rest-key-id", "rest-key-secret-value"
TABLE = "slack_conversations_db"


@pytest.fixture
def soar():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET) as sandbox:
        yield sandbox


def _client(soar: SoarSandbox, secret: str = SECRET) -> resilient.SimpleClient:
    client = resilient.SimpleClient(org_name="Test Org", base_url=soar.rest_url.rstrip("/"), verify=False,
                                    request_max_retries=1, request_retry_delay=0)
    client.set_api_key(KEY, secret)
    return client


def _import_fn_slack(client: resilient.SimpleClient) -> dict:
    export = json.loads(default_export_path().read_text(encoding="utf-8"))
    pending = client.post("/configurations/imports", export)
    assert pending["status"] == "PENDING"
    client.put(f"/configurations/imports/{pending['id']}", dict(pending, status="ACCEPTED"))
    return export


def test_wrong_api_secret_is_refused_with_401(soar):
    response = requests.get(f"{soar.rest_url}rest/orgs/201/incidents/1", auth=(KEY, "not-the-secret"),
                            verify=False, timeout=10)  # noqa: S501 - the sandbox certificate is self-signed
    assert response.status_code == 401
    assert "API key" in response.json()["message"]
    # The resilient client turns a 401 into its "invalid credentials" exit code.
    with pytest.raises(SystemExit) as caught:
        _client(soar, secret="not-the-secret")
    assert caught.value.code == 21


def test_session_selects_the_org_by_name_and_reports_actions_enabled(soar):
    client = _client(soar)
    assert client.org_id == 201
    assert client.get("/orgs/201", is_uri_absolute=True)["actions_framework_enabled"] is True
    assert client.get("/const", is_uri_absolute=True)["server_version"]["version"].startswith("51.")


def test_functions_are_defined_only_after_the_import_is_accepted(soar):
    client = _client(soar)
    with pytest.raises(resilient.SimpleHTTPException):
        client.get("/functions/slack_post_message?handle_format=names", skip_retry=[404])
    export = _import_fn_slack(client)
    function = client.get("/functions/slack_post_message?handle_format=names")
    assert function["destination_handle"] == "slack"
    assert function["uuid"] == "ded2826c-6528-4a26-b2c8-0cf215dce3c3"
    field_names = {f["name"] for f in client.get("/types/__function/fields")}
    declared = {f["name"] for f in export["fields"] if f["export_key"].startswith("__function/")}
    assert field_names == declared
    destinations = client.get("/message_destinations")["entities"]
    assert [d["programmatic_name"] for d in destinations] == ["slack"]


def test_a_rejected_import_defines_nothing(soar):
    client = _client(soar)
    export = json.loads(default_export_path().read_text(encoding="utf-8"))
    pending = client.post("/configurations/imports", export)
    client.put(f"/configurations/imports/{pending['id']}", dict(pending, status="REJECTED"))
    assert client.get("/functions")["entities"] == []


def test_data_table_rows_before_and_after_the_import(soar):
    client = _client(soar)
    incident = soar.create_incident("Lost laptop")
    uri = f"/incidents/{incident['id']}/table_data/{TABLE}?handle_format=names"
    with pytest.raises(resilient.SimpleHTTPException) as caught:
        client.get(uri, skip_retry=[404])
    assert caught.value.response.status_code == 404

    _import_fn_slack(client)
    assert client.get(uri)["rows"] == []
    row = client.post(f"/incidents/{incident['id']}/table_data/{TABLE}/row_data?handle_format=names",
                      {"cells": {"slack_db_res_id": {"value": f"RES-{incident['id']}"},
                                 "slack_db_channel": {"value": "lost-laptop"}}})
    assert row["cells"]["slack_db_channel"]["value"] == "lost-laptop"
    client.put(f"/incidents/{incident['id']}/table_data/{TABLE}/row_data/{row['id']}?handle_format=names",
               {"cells": {**row["cells"], "slack_db_channel_id": {"value": "C0123"}}})   # the whole row, as IBM's apps
    rows = client.get(uri)["rows"]
    assert len(rows) == 1
    cells = {name: cell["value"] for name, cell in rows[0]["cells"].items()}
    assert cells == {"slack_db_res_id": f"RES-{incident['id']}", "slack_db_channel": "lost-laptop",
                     "slack_db_channel_id": "C0123"}
    assert soar.state.rows_of(incident["id"]) == [cells]
    client.delete(f"/incidents/{incident['id']}/table_data/{TABLE}/row_data/{row['id']}")
    assert client.get(uri)["rows"] == []


def test_a_row_with_an_unknown_column_is_refused(soar):
    client = _client(soar)
    _import_fn_slack(client)
    incident = soar.create_incident("x")
    with pytest.raises(resilient.SimpleHTTPException) as caught:
        client.post(f"/incidents/{incident['id']}/table_data/{TABLE}/row_data",
                    {"cells": {"no_such_column": {"value": 1}}}, skip_retry=[400])
    assert "no_such_column" in str(caught.value)


def test_with_unknown_columns_drop_a_row_is_written_without_the_unknown_cell():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET, unknown_columns="drop") as soar:
        client = _client(soar)
        _import_fn_slack(client)
        incident = soar.create_incident("x")
        uri = f"/incidents/{incident['id']}/table_data/{TABLE}/row_data?handle_format=names"
        row = client.post(uri, {"cells": {"slack_db_channel": {"value": "inc-x"}, "no_such_column": {"value": 1}}})
        assert set(row["cells"]) == {"slack_db_channel"}
        client.put(uri.replace("row_data?", f"row_data/{row['id']}?"),
                   {"cells": {**row["cells"], "no_such_column": {"value": 2}}})
        assert soar.state.rows_of(incident["id"]) == [{"slack_db_channel": "inc-x"}]
    with pytest.raises(ValueError, match="unknown_columns"):
        SoarSandbox(unknown_columns="ignore")


def test_row_versions_checked_refuses_a_stale_put_and_ignored_replaces_the_row():
    for mode in ("checked", "ignored"):
        with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET, row_versions=mode) as soar:
            client = _client(soar)
            _import_fn_slack(client)
            incident = soar.create_incident("x")
            uri = f"/incidents/{incident['id']}/table_data/{TABLE}/row_data"
            row = client.post(f"{uri}?handle_format=names", {"cells": {"slack_db_channel": {"value": "inc-x"},
                                                                       "slack_db_channel_id": {"value": "C1"}}})
            row_uri = f"{uri}/{row['id']}?handle_format=names"
            client.put(row_uri, {"version": row["version"], "cells": {"slack_db_channel": {"value": "inc-y"}}})
            stale = {"version": row["version"], "cells": {"slack_db_channel": {"value": "inc-z"}}}
            if mode == "checked":
                with pytest.raises(resilient.SimpleHTTPException, match="version"):
                    client.put(row_uri, stale, skip_retry=[409])
                assert soar.state.rows_of(incident["id"]) == [{"slack_db_channel": "inc-y",
                                                               "slack_db_channel_id": "C1"}]
            else:
                client.put(row_uri, stale)
                assert soar.state.rows_of(incident["id"]) == [{"slack_db_channel": "inc-z"}]
    with pytest.raises(ValueError, match="row_versions"):
        SoarSandbox(row_versions="sometimes")


def test_row_versions_start_ignored_unless_the_environment_names_the_other_position(monkeypatch):
    monkeypatch.delenv(ROW_VERSIONS_ENV, raising=False)
    assert SoarState().row_versions == "ignored"
    monkeypatch.setenv(ROW_VERSIONS_ENV, "checked")
    assert SoarState().row_versions == "checked"
    assert SoarState(row_versions="ignored").row_versions == "ignored"
    monkeypatch.setenv(ROW_VERSIONS_ENV, "sometimes")
    with pytest.raises(ValueError, match=ROW_VERSIONS_ENV):
        SoarState()


def test_a_data_table_definition_names_its_columns_and_a_missing_table_is_404(soar):
    client = _client(soar)
    with pytest.raises(resilient.SimpleHTTPException) as caught:
        client.get(f"/types/{TABLE}?handle_format=names", skip_retry=[404])
    assert caught.value.response.status_code == 404
    export = _import_fn_slack(client)
    definition = client.get(f"/types/{TABLE}?handle_format=names")
    (table,) = [t for t in export["types"] if t["type_name"] == TABLE]
    assert definition["type_name"] == TABLE and definition["type_id"] == 8 and definition["uuid"] == table["uuid"]
    assert sorted(definition["fields"]) == sorted(table["fields"])
    assert all(definition["fields"][name]["name"] == name for name in definition["fields"])


def test_incident_and_task_attachments_upload_and_download(soar):
    client = _client(soar)
    incident = soar.create_incident("Malware on host")
    task = soar.create_task(incident["id"], "Collect logs")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "history.txt")
        with open(path, "wb") as handle:
            handle.write(b"1 - SOAR POSTED ON 2026-11-01 14:41:54:\nhello\n")
        uploaded = client.post_attachment(f"/tasks/{task['id']}/attachments", path,
                                          filename="Slack_channel_x_history.txt", mimetype="text/plain")
    assert uploaded["task_id"] == task["id"]
    assert uploaded["name"] == "Slack_channel_x_history.txt"
    meta = client.get(f"/tasks/{task['id']}/attachments/{uploaded['id']}")
    assert (meta["content_type"], meta["size"]) == ("text/plain", 46)
    body = client.get_content(f"/tasks/{task['id']}/attachments/{uploaded['id']}/contents")
    assert body.startswith(b"1 - SOAR POSTED ON")
    on_incident = soar.add_attachment(incident["id"], "report.pdf", b"%PDF-1.4", content_type="application/pdf")
    assert client.get_content(f"/incidents/{incident['id']}/attachments/{on_incident['id']}/contents") \
        == b"%PDF-1.4"


def _upload(client: resilient.SimpleClient, incident_id: int, name: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, name)
        with open(path, "wb") as handle:
            handle.write(b"history")
        return client.post_attachment(f"/incidents/{incident_id}/attachments", path, filename=name,
                                      mimetype="text/plain")


def test_failed_requests_are_answered_500_take_no_effect_and_end_when_told(soar):
    client = _client(soar)
    incident = soar.create_incident("Malware on host")
    failing = soar.state.fail_requests("POST", r"/attachments$", times=10)

    with pytest.raises(resilient.SimpleHTTPException) as refused:
        _upload(client, incident["id"], "first.txt")

    assert refused.value.response.status_code == 500
    assert soar.state.attachments_of(incident["id"]) == []
    assert failing.failed and failing.remaining == 10 - len(failing.failed)
    failing.remaining = 0
    assert _upload(client, incident["id"], "second.txt")["name"] == "second.txt"
    assert [a["name"] for a in soar.state.attachments_of(incident["id"])] == ["second.txt"]


def test_an_arrival_action_runs_once_as_the_request_arrives_before_it_takes_effect(soar):
    client = _client(soar)
    incident = soar.create_incident("Malware on host")
    seen: list[list[str]] = []
    arrival = soar.state.on_arrival("POST", r"/attachments$", lambda: seen.append(
        [a["name"] for a in soar.state.attachments_of(incident["id"])]))

    _upload(client, incident["id"], "first.txt")
    _upload(client, incident["id"], "second.txt")

    assert arrival.done.is_set()
    assert seen == [[]]   # once, before the first file was stored


def test_a_task_can_be_given_its_id_as_an_incident_can(soar):
    client = _client(soar)
    incident = soar.create_incident("Malware on host", id=3000)
    soar.create_task(incident["id"], "Collect logs", id=77)
    assert client.get("/tasks/77")["name"] == "Collect logs"
    assert client.get("/incidents/3000")["name"] == "Malware on host"


def test_reset_empties_the_org_and_restores_the_started_switches_keeping_keys_and_port():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET, unknown_columns="drop") as soar:
        client = _client(soar)
        incident = soar.create_incident("Malware on host")
        soar.state.unknown_columns = "refuse"
        port = soar.rest_port

        fresh = soar.reset()

        assert fresh is soar.state and soar.rest_port == port
        assert fresh.incidents == {} and fresh.unknown_columns == "drop"
        with pytest.raises(resilient.SimpleHTTPException) as gone:
            client.get(f"/incidents/{incident['id']}")
        assert gone.value.response.status_code == 404   # the same client, still signed in: the incident is gone
        assert client.get(f"/incidents/{soar.create_incident('Next')['id']}")["name"] == "Next"


def test_artifact_type_is_a_name_only_with_handle_format_names(soar):
    client = _client(soar)
    incident = soar.create_incident("x")
    artifact = soar.add_artifact(incident["id"], "Malware Sample", "evil.exe", file_name="evil.exe",
                                 data=b"MZ\x90\x00")
    named = client.get(f"/incidents/{incident['id']}/artifacts/{artifact['id']}?handle_format=names")
    assert named["type"] == "Malware Sample"
    assert named["attachment"]["name"] == "evil.exe"
    assert isinstance(client.get(f"/incidents/{incident['id']}/artifacts/{artifact['id']}")["type"], int)
    assert client.get_content(f"/incidents/{incident['id']}/artifacts/{artifact['id']}/contents") == b"MZ\x90\x00"


def test_an_artifact_is_posted_with_its_type_by_name_or_soars_id_and_listed(soar):
    client = _client(soar)
    incident = soar.create_incident("x")
    uri = f"/incidents/{incident['id']}/artifacts"
    made = client.post(uri + "?handle_format=names", {"type": {"name": "IP Address"}, "value": "203.0.113.7",
                                                      "description": {"format": "text", "content": "from Slack"}})
    assert [(a["type"], a["value"], a["description"]) for a in made] == [("IP Address", "203.0.113.7", "from Slack")]
    client.post(uri, {"type": 38, "value": "a" * 64})   # SOAR's own id of Malware SHA-256 Hash
    listed = client.get(uri + "?handle_format=names")
    assert [(a["type"], a["value"]) for a in listed] == [("IP Address", "203.0.113.7"),
                                                          ("Malware SHA-256 Hash", "a" * 64)]
    assert [a["type"] for a in client.get(uri)] == [1, 38]
    for bad in ({"type": {"name": "Nonsense"}, "value": "x"}, {"type": "URL", "value": "  "}):
        with pytest.raises(resilient.SimpleHTTPException) as refused:
            client.post(uri, bad)
        assert refused.value.response.status_code == 400


def test_notes_posted_over_rest_are_stored_as_html_on_the_right_object(soar):
    client = _client(soar)
    incident = soar.create_incident("x")
    task = soar.create_task(incident["id"], "t")
    client.post(f"/incidents/{incident['id']}/comments", {"text": {"format": "html", "content": "<b>inc</b>"}})
    client.post(f"/tasks/{task['id']}/comments", {"text": {"format": "html", "content": "<i>task</i>"}})
    assert [n["text"] for n in soar.state.notes_of(incident["id"])] == ["<b>inc</b>"]
    assert [n["text"] for n in soar.state.notes_of(incident["id"], task["id"])] == ["<i>task</i>"]


def test_missing_incident_is_404(soar):
    client = _client(soar)
    with pytest.raises(resilient.SimpleHTTPException) as caught:
        client.get("/incidents/999999?handle_format=names", skip_retry=[404])
    assert caught.value.response.status_code == 404


def test_admin_state_is_served_without_auth_and_never_shows_the_key(soar):
    _import_fn_slack(_client(soar))
    response = requests.get(f"{soar.rest_url}_sandbox/state", verify=False, timeout=10)  # noqa: S501
    assert response.status_code == 200
    state = response.json()
    assert [f["name"] for f in state["functions"]] == ["slack_post_message", "slack_post_attachment",
                                                       "slack_archive_channel", "slack_sync_channel",
                                                       "slack_ask_question", "slack_question_answer"]
    assert SECRET not in response.text and KEY not in response.text
    assert any(call["path"].endswith("/configurations/imports") for call in state["calls"])


def test_command_line_prints_both_addresses_and_serves_until_terminated():
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.soar", "--rest-port", "0", "--stomp-port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.fullmatch(r'SOAR sandbox REST https://127\.0\.0\.1:(\d+)/ STOMP 127\.0\.0\.1:(\d+) '
                             r'\(org "Test Org" id 201\)\n', line)
        assert match, line
        response = requests.get(f"https://127.0.0.1:{match[1]}/rest/const", verify=False, timeout=10)  # noqa: S501
        assert response.status_code == 401
        with socket.create_connection(("127.0.0.1", int(match[2])), timeout=10):
            pass
    finally:
        proc.terminate()
    assert proc.wait(10) == 0


def _tls_socket(soar: SoarSandbox) -> ssl.SSLSocket:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE   # the sandbox certificate is self-signed
    return context.wrap_socket(socket.create_connection((soar.host, soar.rest_port), timeout=10))


def _ask(conn: ssl.SSLSocket, path: str) -> bytes:
    """One HTTP/1.1 GET on an open connection; the whole answer (headers and a Content-Length body)."""
    auth = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = conn.recv(65536)
        if not chunk:
            return answer
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


def test_an_http_1_1_connection_stays_open_for_the_next_call_and_resilients_pool_reuses_it(soar):
    incident = soar.create_incident("Keep-alive")
    with _tls_socket(soar) as conn:
        first = _ask(conn, f"/rest/orgs/201/incidents/{incident['id']}")
        second = _ask(conn, f"/rest/orgs/201/incidents/{incident['id']}")
    assert first.startswith(b"HTTP/1.1 200") and b"connection: close" not in first.lower()
    assert second.startswith(b"HTTP/1.1 200"), "the second call on the same connection is answered"
    client = _client(soar)
    before = soar.connections_opened
    for number in range(20):
        client.post(f"/incidents/{incident['id']}/comments",
                    {"text": {"format": "html", "content": f"<p>{number}</p>"}})
        client.get(f"/incidents/{incident['id']}")
    assert soar.connections_opened - before <= 1, "40 calls of one client go over one kept-alive connection"


def test_calls_on_a_kept_alive_connection_are_answered_without_waiting_for_a_delayed_ack(soar):
    incident = soar.create_incident("Keep-alive")
    client = _client(soar)
    client.get(f"/incidents/{incident['id']}")   # the connection is open

    started = time.perf_counter()
    for _ in range(20):
        client.get(f"/incidents/{incident['id']}")
    average = (time.perf_counter() - started) / 20

    # With Nagle's algorithm on the server's socket every answer waited for the client's delayed ACK (40 ms).
    assert average < 0.02, f"{average * 1000:.1f} ms per call on a kept-alive connection"


def test_an_idle_connection_is_closed_after_the_keep_alive_time():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET, keepalive_seconds=0.5) as soar, \
            _tls_socket(soar) as conn:
        assert _ask(conn, "/rest/orgs/201").startswith(b"HTTP/1.1 200")
        conn.settimeout(5)
        started = time.monotonic()
        assert conn.recv(1) == b"", "the sandbox closes the idle connection"
        assert 0.3 < time.monotonic() - started < 3


def test_query_paged_carries_custom_fields_only_at_return_level_normal_and_only_those_named(soar):
    client = _client(soar)
    _import_fn_slack(client)
    incident = soar.create_incident("Mirrored", properties={"slack_mirror_channels": "C1 C2", "other_field": "x"})
    query = {"filters": [{"conditions": [{"field_name": "properties.slack_mirror_channels", "method": "contains",
                                          "value": "C2"}]}], "start": 0, "length": 10}
    partial = client.post("/incidents/query_paged?return_level=partial", query)["data"]
    assert [i["id"] for i in partial] == [incident["id"]], "a condition on a custom field finds the incident"
    assert "properties" not in partial[0]
    normal = client.post("/incidents/query_paged?return_level=normal&field_handle=slack_mirror_channels", query)
    assert normal["data"][0]["properties"] == {"slack_mirror_channels": "C1 C2"}


def test_patch_names_a_custom_field_by_its_bare_name_and_the_dotted_form_is_a_switch(soar):
    client = _client(soar)
    _import_fn_slack(client)
    incident = soar.create_incident("Patched")
    patch = resilient.Patch(client.get(f"/incidents/{incident['id']}"))
    patch.add_value("slack_mirror_channels", "C1", old_value=None)
    client.patch(f"/incidents/{incident['id']}", patch)
    assert soar.state.incident(incident["id"])["properties"]["slack_mirror_channels"] == "C1"
    dotted = resilient.Patch(client.get(f"/incidents/{incident['id']}"))
    dotted.add_value("properties.slack_mirror_channels", "C1 C2")
    with pytest.raises(resilient.SimpleHTTPException, match="by its name"):
        client.patch(f"/incidents/{incident['id']}", dotted)
    soar.state.dotted_patch = "accept"
    client.patch(f"/incidents/{incident['id']}", dotted)
    assert soar.state.incident(incident["id"])["properties"]["slack_mirror_channels"] == "C1 C2"
