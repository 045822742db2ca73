"""The SOAR sandbox's web page, over HTTP as a browser sends it: what it lists, that it escapes hostile data,
that it refuses forged posts, and that a click made through its forms runs the real path (rule, workflow,
function message, `resilient-circuits run`) and shows the status messages and the result as they arrive."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import requests
from bs4 import BeautifulSoup

from sandbox.soar import SoarSandbox
from sandbox.soar.notes_html import sanitize_note_html
from sandbox.soar.scripting import default_export_path
from tests.polling import wait_until

from .conftest import CALL_WAIT, QUEUE, Stack
from .stomp_client import ScriptedApp

pytestmark = pytest.mark.e2e

POST_INCIDENT = "Example: Post Incident to Slack"
POST_ARTIFACT = "Example: Post Artifact to Slack"
POST_ARTIFACT_FILE = "Example: Post Artifact Attachment to Slack"
HOSTILE_NAME = "<script>alert('name')</script> Phish"
HOSTILE_NOTE = ('<p>Blocked <b>3</b> mails<img src="x" onerror="alert(1)"><script>alert(2)</script>'
                '<a href="javascript:alert(3)">click me</a> <a href=" JaVaScRiPt:alert(4)">again</a> '
                '<a href="https://intranet.example.com/t/1" onclick="alert(5)">ticket</a><style>body{}</style>'
                '<iframe src="https://evil.example/"></iframe></p><div')


@pytest.fixture
def soar():
    """A SOAR sandbox with fn_slack's customizations imported, and no integration server."""
    with SoarSandbox() as sandbox:
        pending = sandbox.state.start_import(json.loads(default_export_path().read_text(encoding="utf-8")))
        sandbox.state.finish_import(pending["id"], "ACCEPTED")
        yield sandbox


def _get(url: str, **kwargs) -> requests.Response:
    response = requests.get(url, timeout=10, **kwargs)
    assert response.status_code == 200, response.text[:500]
    return response


def _page(soar: SoarSandbox, path: str) -> BeautifulSoup:
    return BeautifulSoup(_get(soar.ui_url + path.lstrip("/")).text, "html.parser")


def _csrf(soar: SoarSandbox) -> str:
    return _page(soar, "/").select_one('form[data-create-incident] input[name="csrf"]')["value"]


def _submit_activation(soar: SoarSandbox, inc_id: int, button: dict, values: dict[str, str]) -> requests.Response:
    """Follow a menu item's button to its dialog, fill it in as a person does and press Execute."""
    session = requests.Session()
    incident_page = BeautifulSoup(session.get(f"{soar.ui_url}incidents/{inc_id}", timeout=10).text, "html.parser")
    found = incident_page.select_one(f'button[data-{button["hook"]}="{button["name"]}"]')
    assert found is not None, f"no {button['name']!r} button on the incident page"
    opener = found.find_parent("form")
    query = {i["name"]: i["value"] for i in opener.select("input[type=hidden]")}
    dialog = BeautifulSoup(session.get(soar.ui_url + opener["action"].lstrip("/"), params=query, timeout=10).text,
                           "html.parser")
    form = dialog.select_one("form[data-activation]")
    assert form is not None and form.select_one("button[type=submit]") is not None
    data = {i["name"]: i.get("value", "") for i in form.select("input")}
    fields = {tag["name"] for tag in form.select("input, select, textarea") if tag.get("type") != "hidden"}
    assert set(values) <= fields, f"the dialog has no field {set(values) - fields}"
    data.update(values)
    return session.post(soar.ui_url + form["action"].lstrip("/"), data=data, timeout=10, allow_redirects=False,
                        headers={"Origin": soar.ui_url.rstrip("/")})


def _action(soar: SoarSandbox, inc_id: int, number: str):
    return _page(soar, f"/incidents/{inc_id}").select_one(f'[data-action-id="{number}"]')


# ---------------------------------------------------------------- what the page lists
def test_the_page_lists_the_incident_with_its_tasks_notes_artifacts_attachments_and_table_rows(soar):
    incident = soar.create_incident("Phishing campaign", "<p>Invoices with a <b>macro</b></p>", severity_code="High")
    inc = incident["id"]
    task = soar.create_task(inc, "Reset passwords", owner_id="carol@example.com")
    note = soar.add_note(inc, "<p>Gateway blocked <b>3</b> more</p>")
    task_note = soar.add_note(inc, "<p>Started the resets</p>", task_id=task["id"])
    ip = soar.add_artifact(inc, "IP Address", "203.0.113.7", "Sending server")
    log = soar.add_artifact(inc, "Log File", "gw.log", "Excerpt", file_name="gw.log", data=b"reject\n")
    mail = soar.add_attachment(inc, "reported.eml", b"From: x", content_type="message/rfc822")
    users = soar.add_attachment(inc, "users.csv", b"user\nann\n", task_id=task["id"])
    row = soar.state.add_row(inc, "slack_conversations_db",
                             {"slack_db_channel": {"value": "inc-phish"},
                              "slack_db_channel_type": {"value": "Public"}})

    index = _page(soar, "/")
    link = index.select_one(f'a[data-incident-id="{inc}"]')
    assert link["href"] == f"/incidents/{inc}" and link.get_text() == "Phishing campaign"

    page = _page(soar, link["href"])
    assert page.select_one("h1[data-incident-name]").get_text() == "Phishing campaign"
    assert "High" in page.select_one(".inc-header").get_text()
    assert {s["data-section"] for s in page.select("section[data-section]")} == {
        "actions", "tasks", "notes", "artifacts", "attachments", "tables", "activity"}
    task_el = page.select_one(f'section[data-section="tasks"] [data-task-id="{task["id"]}"]')
    assert "Reset passwords" in task_el.get_text()
    assert task_el.select_one(f'article[data-note-id="{task_note["id"]}"]') is not None, "task notes in their task"
    notes = page.select_one('section[data-section="notes"]')
    assert [a["data-note-id"] for a in notes.select("article[data-note-id]")] == [str(note["id"])]
    assert notes.select_one("article .note-body b").get_text() == "3", "note HTML is rendered, not shown as text"
    artifacts = page.select_one('section[data-section="artifacts"]')
    assert {a["data-artifact-id"] for a in artifacts.select("[data-artifact-id]")} == {str(ip["id"]), str(log["id"])}
    attachments = page.select_one('section[data-section="attachments"]')
    assert {a["data-attachment-id"] for a in attachments.select("[data-attachment-id]")} == {
        str(mail["id"]), str(users["id"])}
    download = attachments.select_one(f'[data-attachment-id="{mail["id"]}"] a')["href"]
    file = _get(soar.ui_url + download.lstrip("/"))
    assert file.content == b"From: x" and file.headers["Content-Disposition"].startswith("attachment")
    table = page.select_one('section[data-section="tables"] table[data-table="slack_conversations_db"]')
    cells = table.select_one(f'tr[data-row-id="{row["id"]}"]')
    assert cells.select_one('td[data-column="slack_db_channel"]').get_text() == "inc-phish"
    assert cells.select_one('td[data-column="slack_db_channel_type"]').get_text() == "Public"
    assert page.select_one('table[data-table="slack_questions_db"]') is not None


def test_menu_items_are_shown_on_their_objects_only_where_their_conditions_hold(soar):
    inc = soar.create_incident("Menu items")["id"]
    task = soar.create_task(inc, "A task")
    ip = soar.add_artifact(inc, "IP Address", "203.0.113.7")
    log = soar.add_artifact(inc, "Log File", "gw.log", file_name="gw.log", data=b"x")
    page = _page(soar, f"/incidents/{inc}")
    actions = page.select_one('section[data-section="actions"]')
    assert {b["data-menu-item"] for b in actions.select("button[data-menu-item]")} == {
        POST_INCIDENT, "Example: Archive Incident Slack Channel", "Example: Ask a Question in Slack",
        "Example: Keep Slack Channel in Step"}
    playbooks = {b["data-playbook"] for b in actions.select("button[data-playbook]")}
    assert "Example: Post Incident to Slack (PB)" in playbooks
    assert {b["data-menu-item"] for b in page.select(f'[data-task-id="{task["id"]}"] button[data-menu-item]')} == {
        "Example: Post Task to Slack", "Example: Archive Task Slack Channel"}
    # artifact.type conditions: a file-type artifact gets the file item, any other the value item
    assert {b["data-menu-item"] for b in page.select(f'[data-artifact-id="{ip["id"]}"] button[data-menu-item]')} \
        == {POST_ARTIFACT}
    assert {b["data-menu-item"] for b in page.select(f'[data-artifact-id="{log["id"]}"] button[data-menu-item]')} \
        == {POST_ARTIFACT_FILE}


# ---------------------------------------------------------------- hostile data
def test_hostile_names_and_notes_are_escaped_links_are_http_only_and_every_answer_has_a_strict_csp(soar):
    inc = soar.create_incident(HOSTILE_NAME, '<p onmouseover="alert(6)">desc</p>')["id"]
    soar.create_task(inc, "<img src=x onerror=alert(7)>")
    soar.add_note(inc, HOSTILE_NOTE)
    soar.add_attachment(inc, '"><script>alert(8)</script>.eml', b"x")
    for path in ("/", f"/incidents/{inc}", "/static/soar.css", "/no-such-page"):
        response = requests.get(soar.ui_url + path.lstrip("/"), timeout=10)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert "script-src" not in csp or "script-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    text = requests.get(f"{soar.ui_url}incidents/{inc}", timeout=10).text
    page = BeautifulSoup(text, "html.parser")
    assert page.select_one("h1[data-incident-name]").get_text() == HOSTILE_NAME
    assert page.find("script") is None and page.find("img") is None and page.find("iframe") is None
    assert "<script" not in text.lower() and "<img" not in text.lower()
    assert [(tag.name, attr) for tag in page.find_all(True) for attr in tag.attrs if attr.lower().startswith("on")] \
        == [], "no event handler attribute"
    assert all(a["href"].startswith(("/", "#", "https://", "http://")) for a in page.select("a[href]"))
    task_name = page.select_one('section[data-section="tasks"] [data-task-id] b').get_text()
    assert task_name == "<img src=x onerror=alert(7)>", "shown as the text it is"
    note = page.select_one('section[data-section="notes"] article .note-body')
    assert [a.get("href") for a in note.select("a")] == [None, None, "https://intranet.example.com/t/1"]
    assert note.select_one("b").get_text() == "3"
    assert "<style" not in str(note) and "body{}" not in note.get_text()


def test_the_note_sanitizer_keeps_the_allowed_markup_and_closes_what_a_note_leaves_open():
    assert sanitize_note_html('<p>a <b>b<i>c</p> d') == "<p>a <b>b<i>c</i></b></p> d"
    assert sanitize_note_html('<a href="http://x.example/?a=1&amp;b=&quot;2">x</a>') == \
        '<a href="http://x.example/?a=1&amp;b=&quot;2" rel="noopener noreferrer nofollow">x</a>'
    assert sanitize_note_html("<a href='data:text/html,x'>x</a><a href='//evil.example/'>y</a>") == "<a>x</a><a>y</a>"
    assert sanitize_note_html("1 &lt; 2 <unknown>&amp;</unknown><br/>") == "1 &lt; 2 &amp;<br>"
    assert sanitize_note_html("<script>a<b>x</b></script><svg><a href='https://x.example'>s</a></svg>ok") == "ok"


# ---------------------------------------------------------------- forged posts
def test_a_post_without_the_csrf_token_or_from_another_site_is_refused_with_no_side_effect(soar):
    token = _csrf(soar)
    form = {"name": "Forged", "description": "", "severity_code": "High"}
    origin = {"Origin": soar.ui_url.rstrip("/")}
    for data, headers in ((form, origin), ({**form, "csrf": "wrong"}, origin),
                          ({**form, "csrf": token}, {"Origin": "http://evil.example"})):
        response = requests.post(f"{soar.ui_url}incidents", data=data, headers=headers, timeout=10,
                                 allow_redirects=False)
        assert response.status_code == 403, response.text
        assert "Content-Security-Policy" in response.headers
    inc = soar.create_incident("Target")["id"]
    response = requests.post(f"{soar.ui_url}incidents/{inc}/actions", timeout=10, allow_redirects=False,
                             data={"rule": POST_INCIDENT, "rule_slack_channel": "forged"})
    assert response.status_code == 403
    assert [i["name"] for i in soar.state.incidents.values()] == ["Target"]
    assert soar.broker.queue_depth(QUEUE) == 0 and soar.web.driver.clicks == []

    response = requests.post(f"{soar.ui_url}incidents", data={**form, "csrf": token}, headers=origin, timeout=10,
                             allow_redirects=False)
    assert response.status_code == 303
    [created] = [i for i in soar.state.incidents.values() if i["name"] == "Forged"]
    assert response.headers["Location"] == f"/incidents/{created['id']}" and created["severity_code"] == "High"


def test_bad_form_values_are_refused_naming_the_field_with_no_side_effect(soar):
    token = _csrf(soar)
    response = requests.post(f"{soar.ui_url}incidents", data={"csrf": token, "name": "X", "severity_code": "Huge"},
                             timeout=10, allow_redirects=False)
    assert response.status_code == 400 and "Severity must be one of Low, Medium, High" in response.text
    inc = soar.create_incident("Target")["id"]
    response = requests.post(f"{soar.ui_url}incidents/{inc}/actions", timeout=10, allow_redirects=False, data={
        "csrf": token, "rule": POST_INCIDENT, "rule_slack_is_channel_private": "maybe"})
    assert response.status_code == 400 and "rule_slack_is_channel_private" in response.text
    response = requests.post(f"{soar.ui_url}incidents/{inc}/actions", timeout=10, allow_redirects=False, data={
        "csrf": token, "rule": "Example: No such item"})
    assert response.status_code == 400 and "No such item" in response.text
    other = soar.create_incident("Another")["id"]
    foreign_note = soar.add_note(other, "<p>not this incident's</p>")["id"]
    response = requests.post(f"{soar.ui_url}incidents/{inc}/actions", timeout=10, allow_redirects=False, data={
        "csrf": token, "rule": "Example: Post Note to Slack", "object_id": str(foreign_note)})
    assert response.status_code == 404
    response = requests.post(f"{soar.ui_url}incidents/{inc}/actions", timeout=10, allow_redirects=False, data={
        "csrf": token, "rule": "Example: Post Task to Slack"})
    assert response.status_code == 400 and "task_id" in response.text
    assert len(soar.state.incidents) == 2 and soar.web.driver.clicks == [] and soar.broker.queue_depth(QUEUE) == 0


# ---------------------------------------------------------------- clicks
def test_a_click_with_no_integration_server_subscribed_says_so_on_the_page(soar):
    inc = soar.create_incident("Nobody listens")["id"]
    response = _submit_activation(soar, inc, {"hook": "menu-item", "name": POST_INCIDENT},
                                  {"rule_slack_channel": "nobody-listens", "rule_slack_is_channel_private": "no"})
    assert response.status_code == 303 and response.headers["Location"] == f"/incidents/{inc}#action-1"
    action = _action(soar, inc, "1")
    assert action["data-state"] == "running"
    warning = action.select_one("[data-no-server]").get_text()
    assert "No integration server is subscribed to actions.201.slack" in warning
    page = requests.get(f"{soar.ui_url}incidents/{inc}", timeout=10).text
    assert f'<meta http-equiv="refresh" content="1; url=/incidents/{inc}">' in page, \
        "a page with a running click reloads itself (to its address without the #action fragment)"


def SlowApp(soar: SoarSandbox) -> ScriptedApp:  # noqa: N802 - reads as the app it plays
    """Plays an integration server: answers the function message with one status message, then waits until
    the test lets it send the result."""
    content = {"channel": "slow", "url": "https://sandbox.slack.com/archives/C1/p1"}
    return ScriptedApp(soar, [
        {"message_type": 0, "message": "Channel #slow <b>created</b>", "complete": False},
        {"message_type": 0, "message": "Completed", "complete": True, "results": {
            "version": 2.0, "success": True, "reason": None, "content": content, "raw": None, "inputs": {},
            "metrics": {}}}], queue=QUEUE, login=(soar.api_key_id, soar.api_key_secret), hold_after=1)


def test_status_messages_show_while_the_function_runs_and_the_result_when_it_ends(soar):
    inc = soar.create_incident("Slow one")["id"]
    app = SlowApp(soar)
    try:
        response = _submit_activation(soar, inc, {"hook": "menu-item", "name": POST_INCIDENT},
                                      {"rule_slack_channel": "slow", "rule_slack_is_channel_private": "no"})
        assert response.status_code == 303
        assert wait_until(lambda: _action(soar, inc, "1").select("li[data-status-message]"), timeout=30)
        running = _action(soar, inc, "1")
        assert running["data-state"] == "running" and running.select_one("pre[data-result]") is None
        assert [li.get_text() for li in running.select("li[data-status-message]")] == ["Channel #slow <b>created</b>"]
        assert running.select_one("[data-no-server]") is None
    finally:
        app.close()
    assert wait_until(lambda: _action(soar, inc, "1")["data-state"] != "running", timeout=30)
    done = _action(soar, inc, "1")
    assert done["data-state"] == "succeeded", done.get_text()
    assert json.loads(done.select_one("pre[data-result]").get_text())["content"]["channel"] == "slow"
    assert "was posted to Slack channel" in _page(soar, f"/incidents/{inc}").select_one(
        'section[data-section="notes"]').get_text(), "post-processing added its note"


def test_post_incident_to_slack_clicked_on_the_page_runs_resilient_circuits_and_creates_the_channel(
        running_stack: Stack):
    soar, slack = running_stack.soar, running_stack.slack
    inc = soar.create_incident("Clicked on the page", severity_code="Medium")["id"]
    channel = f"inc-{inc}-page"
    response = _submit_activation(soar, inc, {"hook": "menu-item", "name": POST_INCIDENT}, {
        "rule_slack_channel": channel, "rule_slack_is_channel_private": "no", "rule_slack_text": "From the page",
        "rule_slack_participant_emails": "alice@example.com, nobody@example.com"})
    assert response.status_code == 303
    number = response.headers["Location"].rsplit("-", 1)[1]
    assert wait_until(lambda: _action(soar, inc, number)["data-state"] != "running", timeout=CALL_WAIT)
    action = _action(soar, inc, number)
    assert action["data-state"] == "succeeded", action.get_text() + running_stack.logs()
    result = json.loads(action.select_one("pre[data-result]").get_text())
    assert result["content"]["channel"] == channel and result["content"]["channel_created"] is True
    messages = [li.get_text() for li in action.select("li[data-status-message]")]
    assert any("nobody@example.com" in m for m in messages), messages
    created = slack.channel(channel)
    assert created is not None and slack.user("alice")["id"] in created["members"]
    assert any("From the page" in json.dumps(m) for m in slack.messages(created["id"]))


def test_the_command_line_prints_the_page_address_and_the_page_answers():
    proc = subprocess.Popen([sys.executable, "-m", "sandbox.soar"], stdout=subprocess.PIPE, text=True)
    try:
        proc.stdout.readline()
        match = re.match(r"SOAR sandbox page (http://127\.0\.0\.1:\d+/) ", proc.stdout.readline())
        assert match
        page = BeautifulSoup(_get(match[1]).text, "html.parser")
        assert page.select_one("form[data-create-incident]") is not None
    finally:
        proc.terminate()
    assert proc.wait(10) == 0


def test_a_task_playbook_started_on_the_page_runs_on_that_task(running_stack: Stack):
    soar, slack = running_stack.soar, running_stack.slack
    inc = soar.create_incident("Playbook on a task")["id"]
    task = soar.create_task(inc, "Reset passwords")
    channel = f"inc-{inc}-task-pb"
    session = requests.Session()
    page = BeautifulSoup(session.get(f"{soar.ui_url}incidents/{inc}", timeout=10).text, "html.parser")
    button = page.select_one(f'[data-task-id="{task["id"]}"] button[data-playbook="Example: Post Task to Slack (PB)"]')
    assert button is not None
    response = _submit_activation(soar, inc, {"hook": "playbook", "name": "Example: Post Task to Slack (PB)"},
                                  {"rule_slack_channel": channel, "rule_slack_is_channel_private": "yes"})
    assert response.status_code == 303
    number = response.headers["Location"].rsplit("-", 1)[1]
    assert wait_until(lambda: _action(soar, inc, number)["data-state"] != "running", timeout=CALL_WAIT)
    action = _action(soar, inc, number)
    assert action["data-state"] == "succeeded", action.get_text() + running_stack.logs()
    assert f"task {task['id']}" in action.select_one(".action-head").get_text()
    created = slack.channel(channel)
    assert created is not None and created["is_private"]
    assert [r.get("slack_db_res_id") for r in soar.state.rows_of(inc)] == [f"RES-{inc}-{task['id']}"]


def test_an_automatic_playbook_soar_starts_on_a_row_of_the_incident_shows_in_its_activity(running_stack: Stack):
    soar = running_stack.soar
    inc = soar.create_incident("Answered question")["id"]
    row = soar.state.add_row(inc, "slack_questions_db", {"slack_q_status": {"value": "open"}})
    soar.web.driver.watch_rows()
    try:
        soar.web.driver.edit_row(inc, "slack_questions_db", row["id"], {"slack_q_status": "answered"})
        soar.web.driver.wait_for_automatic_runs(timeout=CALL_WAIT)
    finally:
        soar.web.driver.stop_watching_rows()
    [run] = _page(soar, f"/incidents/{inc}").select('section[data-section="activity"] [data-automatic-run]')
    assert "Example: Act on a verified Slack answer" in run.select_one(".action-head").get_text()
    assert f"slack_questions_db row {row['id']}" in run.get_text()
    assert run["data-state"] in {"succeeded", "failed"} and run.select("ol.steps li")
