"""Realistic SOAR objects and function results used to run the example workflows' scripts."""

from __future__ import annotations

from fn_slack.lib.results import function_result

SOAR_URL = "https://soar.example.test"

# Text an analyst or an e-mail parser really puts into SOAR: quotes, newlines, HTML, non-ASCII and
# Slack syntax that must never reach Slack as a live mention or link.
HOSTILE_NAME = 'Phishing "CEO fraud" <!channel> <https://evil.test/n|open> for Zoë\nsecond line & more'
HOSTILE_HTML = ('<div><p>Mail from <b>"Jürgen"</b> &lt;ceo@evil.test&gt;</p>'
                '<ul><li>asks @here to wire 10\u202f000\u00a0€</li><li><a href="https://evil.test/x">click</a>'
                "</li></ul><p>&lt;!everyone&gt; 日本語</p></div>")

INCIDENT = {
    "id": 2103,
    "name": HOSTILE_NAME,
    "description": {"format": "html", "content": HOSTILE_HTML},
    "incident_type_ids": ["Phishing", "Malware"],
    "nist_attack_vectors": ["E-mail"],
    "confirmed": True,
    "create_date": 1762007634000,      # 2025-11-01 14:33:54 UTC
    "start_date": 1761998400000,       # 2025-11-01 12:00:00 UTC
    "discovered_date": None,
    "severity_code": "High",
    "owner_id": "alice@example.com",
    "properties": {},
}

TASK = {
    "id": 77,
    "inc_id": 2103,
    "name": 'Call "the CFO" – über <b>urgent</b>',
    "status": "O",
    "owner_id": "Bob Builder",
    "due_date": 1762128000000,         # 2025-11-03 00:00:00 UTC
}

INCIDENT_NOTE = {"id": 501, "text": {"format": "html", "content": "<p>Seen by <i>SOC</i>:\nline 2 ✓</p>"}}
TASK_NOTE = {"id": 502, "task_id": 77, "text": "<p>Called: no answer &amp; \"voicemail\"</p>"}

ARTIFACT = {
    "id": 31,
    "type": "IP Address",
    "value": "192.168.56.3",
    "description": None,
    "created": 1762005828000,          # 2025-11-01 14:03:48 UTC
    "creator": {"display_name": "Resilient Sysadmin", "id": 1},
}
FILE_ARTIFACT = {
    "id": 32,
    "type": "RFC 822 Email Message File",
    "value": "invoice <1>.eml",
    "created": 1762005900000,
    "creator_id": "alice@example.com",
    "attachment": {"name": "invoice <1>.eml", "content_type": "message/rfc822", "size": 2048},
}

INCIDENT_ATTACHMENT = {"id": 12, "name": "report.pdf", "inc_id": 2103, "task_id": None,
                       "content_type": "application/pdf", "size": 1000}
TASK_ATTACHMENT = {"id": 13, "name": "call notes.txt", "inc_id": 2103, "task_id": 77,
                   "content_type": "text/plain", "size": 10}

RULE_PROPERTIES = {
    "rule_slack_channel": "incident-2103",
    "rule_slack_is_channel_private": True,
    "rule_slack_participant_emails": "alice@example.com, bob@example.com",
    "rule_slack_text": "Hey <@UCNC5K34J> check out #random: \"quoted\"\nnext line ✓",
    "slack_channel_id": None,
    "rule_slack_question": "Isolate host-17 now?",
    "rule_slack_question_options": "Yes|No|Wait for IT",
    "rule_slack_question_direct": None,
    "rule_slack_question_anyone": None,
}


def v2_payload(content: dict, success: bool = True, reason: str | None = None) -> dict:
    """Wrap a function's content the way resilient-circuits hands it to post-processing (payload v2), with
    the flat legacy keys fn_slack adds (fn_slack/lib/results.py)."""
    result = function_result(content)
    result.value = {"version": 2.0, "success": success, "reason": reason, "content": result.value, "raw": None,
                    "inputs": {}, "metrics": {"version": "1.0", "package": "fn_slack", "package_version": "3.0.0",
                                              "host": "integrations", "execution_time_ms": 812,
                                              "timestamp": "2026-11-30 10:00:00"}}
    return result.value


POST_RESULT = {"channel": "incident-2103", "url": "https://acme.slack.com/archives/C0AAA/p1700000000000100",
               "channel_id": "C0AAA", "ts": "1700000000.000100", "channel_type": "Private",
               "channel_created": True, "linked": True, "user_info": ["Alice Archer: alice@example.com"]}
ATTACHMENT_RESULT = {**{k: v for k, v in POST_RESULT.items() if k != "user_info"}, "file_id": "F0BBB",
                     "file_name": "report.pdf", "user_info": POST_RESULT["user_info"]}
QUESTION_RESULT = {"question_id": "4f1c2a9be07d4c1a", "channel": "incident-2103", "channel_id": "C0AAA",
                   "ts": "1700000000.000100", "url": "https://acme.slack.com/archives/C0AAA/p1700000000000100",
                   "expires": 1700086400000, "allowed_user_ids": ["U0ALICE"], "status": "open"}
VERIFIED_ANSWER_RESULT = {"question_id": "4f1c2a9be07d4c1a", "status": "answered", "answer": "Yes",
                          "answered_by": "Alice Example", "answered_by_id": "U0ALICE", "answered_at": 1700000100000,
                          "verified": True}
ARCHIVE_RESULT = {"channel": "incident-2103", "channel_id": "C0AAA", "attachment_id": 12,
                  "attachment_name": "Slack_channel_incident-2103_history.txt", "message_count": 42}
SYNC_RESULT = {"channel": "incident-2103", "channel_id": "C08A1B2C3D4", "synced": True, "written": ["topic", "summary"],
               "slack_writes": 2, "summary_ts": "1764238542.000200", "bookmark_id": "Bk08A1B2C3D4E"}


def soar_link(incident_id: int, task_id: int | None) -> str:
    """Build SOAR object URLs the way the functions do (resilient-lib's build_incident_url/build_task_url)."""
    url = f"{SOAR_URL}/#incidents/{incident_id}"
    return f"{url}?task_id={task_id}" if task_id else url
