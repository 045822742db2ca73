"""One result, two layouts: scripts written for IBM's fn_slack 1.x/2.x and for the v2 payload both work.

The functions run through resilient-circuits against the Slack sandbox; their final reply is handed to
post-processing scripts in the SOAR-like script context, as SOAR hands it over.
"""

import pytest

from fn_slack.lib.results import function_result, user_info_line
from sandbox.soar.scripting import ScriptContext, ScriptError, run_post_processing
from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function

config_data = make_config()
V2_KEYS = {"version", "success", "reason", "content", "raw", "inputs", "metrics"}

# A post-processing script of the kind IBM's 2.1 workflows ship (written here, not copied): flat keys,
# a loop over user_info.
LEGACY_POST_SCRIPT = """
text = u"Posted to Slack channel #{0}: <a href='{1}'>{1}</a>".format(results.channel, results.url)
for user in results.user_info:
    text += u"<br>" + user
incident.addNote(helper.createRichText(text))
"""
LEGACY_ARCHIVE_SCRIPT = """
incident.addNote(helper.createRichText(u"Slack channel #{} has been archived.".format(results.channel)))
"""
V2_POST_SCRIPT = """
if not results.success:
    helper.fail(results.reason)
content = results.content
incident.addNote(helper.createRichText("v2 #{} {} linked={} ({} ms, inputs: {})".format(
    content.channel, content.url, content.linked, results.metrics.execution_time_ms,
    results.inputs.slack_channel)))
"""


def run_script(script, results):
    ctx = ScriptContext(incident={"id": INCIDENT, "name": "Phishing campaign"})
    run_post_processing(script, ctx, results)
    return [note.html for note in ctx.notes_added]


def test_post_message_result_has_the_v2_payload_and_the_legacy_keys(circuits_app, slack, soar):
    outcome = run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": "inc-2095", "slack_is_channel_private": False,
        "slack_text": "Hello"})

    result = outcome.result
    assert set(result) >= V2_KEYS
    assert (result["version"], result["success"], result["reason"]) == (2.0, True, None)
    assert result["inputs"]["slack_channel"] == "inc-2095"
    assert result["metrics"]["package"] == "fn_slack"
    channel_id = slack.channel("inc-2095")["id"]
    assert result["content"]["channel_id"] == channel_id
    # IBM's flat keys, with the same values as the content.
    assert result["channel"] == "inc-2095"
    assert result["url"] == result["content"]["url"]
    assert result["url"].startswith(f"https://sandbox.slack.com/archives/{channel_id}/p")
    assert result["user_info"] == [] == result["content"]["user_info"]

    [legacy_note] = run_script(LEGACY_POST_SCRIPT, result)
    assert legacy_note == f"Posted to Slack channel #inc-2095: <a href='{result['url']}'>{result['url']}</a>"
    [v2_note] = run_script(V2_POST_SCRIPT, result)
    assert v2_note.startswith(f"v2 #inc-2095 {result['url']} linked=True (")
    assert v2_note.endswith(" ms, inputs: inc-2095)")


def test_post_attachment_result_serves_both_layouts(circuits_app, slack, soar):
    attachment_id = soar.add_attachment(INCIDENT, "report.txt", b"findings\n")
    outcome = run_function(circuits_app, "slack_post_attachment", {
        "incident_id": INCIDENT, "attachment_id": attachment_id, "slack_channel": "inc-2095",
        "slack_is_channel_private": True, "slack_text": "the report"})

    result = outcome.result
    assert set(result) >= V2_KEYS
    assert result["channel"] == result["content"]["channel"] == "inc-2095"
    assert result["url"] == result["content"]["url"] and result["url"].startswith("https://")
    assert result["file_name"] == result["content"]["file_name"] == "report.txt"
    assert result["user_info"] == []
    assert run_script(LEGACY_POST_SCRIPT, result)[0].startswith("Posted to Slack channel #inc-2095: <a href=")


def test_archive_result_serves_both_layouts(circuits_app, slack, soar):
    channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id])
    soar.add_row(INCIDENT, {"slack_db_res_id": f"RES-{INCIDENT}", "slack_db_channel": "inc-2095",
                            "slack_db_channel_type": "Public", "slack_db_channel_id": channel_id,
                            "slack_db_permalink": "", "slack_db_time": 1})
    outcome = run_function(circuits_app, "slack_archive_channel", {"incident_id": INCIDENT})

    result = outcome.result
    assert set(result) >= V2_KEYS
    assert result["channel"] == result["content"]["channel"] == "inc-2095"
    assert result["channel_id"] == channel_id
    assert "user_info" not in result  # IBM's archive result has no user_info either
    assert run_script(LEGACY_ARCHIVE_SCRIPT, result) == ["Slack channel #inc-2095 has been archived."]


def test_legacy_loop_over_user_info_lists_every_member():
    members = [user_info_line("Alice Archer", "alice@example.com"), user_info_line("Bob", "bob@example.com")]
    fr = function_result({"channel": "inc-1", "url": "https://x/p1"}, user_info=members)
    payload = {"version": 2.0, "success": True, "reason": None, "content": fr.value, "raw": None,
               "inputs": {}, "metrics": {}}
    fr.value = payload  # what resilient-circuits does with the ResultPayload it builds

    assert fr.value["user_info"] == ["Alice Archer: alice@example.com", "Bob: bob@example.com"]
    assert run_script(LEGACY_POST_SCRIPT, fr.value) == [
        "Posted to Slack channel #inc-1: <a href='https://x/p1'>https://x/p1</a>"
        "<br>Alice Archer: alice@example.com<br>Bob: bob@example.com"]


def test_a_content_key_never_overrides_the_v2_keys():
    fr = function_result({"channel": "inc-1", "success": "not a flag", "version": "x"})
    fr.value = {"version": 2.0, "success": True, "reason": None, "content": fr.value, "raw": None,
                "inputs": {"a": 1}, "metrics": {}}

    assert (fr.value["version"], fr.value["success"], fr.value["inputs"]) == (2.0, True, {"a": 1})
    assert fr.value["channel"] == "inc-1" and fr.value["content"]["success"] == "not a flag"


def test_without_the_legacy_keys_an_ibm_script_would_fail():
    """The v2 payload alone (what the package sent before) breaks IBM's loop: the keys are what fixes it."""
    bare = {"version": 2.0, "success": True, "reason": None, "content": {"channel": "inc-1", "url": "u"},
            "raw": None, "inputs": {}, "metrics": {}}
    with pytest.raises(ScriptError, match="TypeError"):
        run_script(LEGACY_POST_SCRIPT, bare)
