"""slack_post_message with [fn_slack] message_style = blocks: the container as Block Kit (function tests)."""

import json

from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.functions.soar_org import soar_sandbox

config_data = make_config(message_style="blocks")


def container(**entries):
    return json.dumps({label: {"type": t, "data": d} for label, (t, d) in entries.items()})


def test_the_container_becomes_header_fields_and_a_link_to_soar(circuits_app, slack, soar):
    text = container(**{
        "Additional Text": ("string", "Please look <@U0ALICE>"), "Resilient URL": ("incident", INCIDENT),
        "Type of data": ("string", "Incident"), "Incident name": ("string", "Phish <b>&</b>"),
        "Severity": ("string", "High"), "Description": ("richtext", "<p>Two <b>users</b></p>")})
    outcome = run_function(circuits_app, "slack_post_message",
                           {"incident_id": INCIDENT, "slack_channel": "blocks-room", "slack_is_channel_private": False,
                            "slack_text": text})
    assert outcome.content["channel"] == "blocks-room"
    [message] = slack.messages(slack.channel("blocks-room")["id"])
    assert "attachments" not in message
    assert message["text"] == "Please look <@U0ALICE>"  # what notifications and old clients show
    blocks = message["blocks"]
    assert [b["type"] for b in blocks] == ["section", "header", "section", "context"]
    assert blocks[1]["text"] == {"type": "plain_text", "text": "SOAR Incident"}
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields[0] == "*Incident name*\nPhish &lt;b&gt;&amp;&lt;/b&gt;"
    assert fields[1] == "*Severity*\nHigh"
    assert fields[2].startswith("*Description*\nTwo *users*")
    assert blocks[3]["elements"][0]["text"] == \
        f"<{soar_sandbox().rest_url}#incidents/{INCIDENT}?orgId=201|Open in SOAR>"


def test_plain_text_is_posted_as_text(circuits_app, slack, soar):
    run_function(circuits_app, "slack_post_message", {"incident_id": INCIDENT, "slack_channel": "plain-blocks",
                                                      "slack_is_channel_private": False, "slack_text": "just text"})
    [message] = slack.messages(slack.channel("plain-blocks")["id"])
    assert message["text"] == "just text" and "blocks" not in message and "attachments" not in message


def test_a_value_with_a_newline_cannot_forge_a_field(circuits_app, slack, soar):
    text = container(**{
        "Type of data": ("string", "Incident"), "Incident name": ("string", "Invoice\n*Severity*\nLow"),
        "Severity": ("string", "High"), "Description": ("richtext", "<p>Two users</p><p>*Severity*: Low</p>")})
    outcome = run_function(circuits_app, "slack_post_message",
                           {"incident_id": INCIDENT, "slack_channel": "general", "slack_text": text})
    assert outcome.error is None, outcome.error
    [message] = slack.messages(slack.channel("general")["id"])
    fields = [f["text"] for b in message["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
    # Each field shows one bold label; every further line of a value is quoted under it, visibly its own.
    assert [[line for line in f.split("\n") if not line.startswith(">")] for f in fields] == \
        [["*Incident name*"], ["*Severity*", "High"], ["*Description*"]]
    assert fields[0] == "*Incident name*\n> Invoice\n> *Severity*\n> Low"
    assert fields[2] == "*Description*\n> Two users\n> *Severity*: Low"
