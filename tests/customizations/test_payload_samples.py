"""The payload samples show the results the functions really return, wrapped in the v2 payload."""

from __future__ import annotations

import json

import jsonschema
import pytest

from fn_slack.lib.channel_post import PostOutcome
from fn_slack.lib.channel_sync import SyncOutcome
from fn_slack.lib.question_answer import VerifiedAnswer
from fn_slack.lib.questions import AskOutcome
from fn_slack.lib.slack_vocabulary import Channel
from tests.customizations import samples as s
from tools.customizations import build_export

SAMPLES = build_export.ROOT / "payload_samples"
EXPORT = json.loads(build_export.EXPORT_PATH.read_text(encoding="utf-8"))
FIELDS = {f["uuid"]: f["name"] for f in EXPORT["fields"]}
FUNCTIONS = {f["name"]: [FIELDS[item["content"]] for item in f["view_items"]] for f in EXPORT["functions"]}

# What the post functions build their result with, so the samples follow the code.
POST_KEYS = list(PostOutcome(channel=Channel(id="C1", name="x", is_private=False), url="https://x", ts="1.2",
                             created=False, linked=True).result())
CONTENT_KEYS = {
    "slack_post_message": [*POST_KEYS, "user_info"],
    "slack_post_attachment": [*POST_KEYS, "file_id", "file_name", "user_info"],
    "slack_archive_channel": ["channel", "channel_id", "attachment_id", "attachment_name", "message_count"],
    "slack_ask_question": list(AskOutcome("q", Channel(id="C1", name="x", is_private=False), "1.2", "https://x", 0,
                                          []).result()),
    "slack_question_answer": list(VerifiedAnswer("q", "open", "", "", "", None).result()),
    "slack_sync_channel": list(SyncOutcome(None, False, (), None, 0).result()),
}
TEST_RESULTS = {"slack_post_message": s.POST_RESULT, "slack_post_attachment": s.ATTACHMENT_RESULT,
                "slack_archive_channel": s.ARCHIVE_RESULT, "slack_ask_question": s.QUESTION_RESULT,
                "slack_question_answer": s.VERIFIED_ANSWER_RESULT, "slack_sync_channel": s.SYNC_RESULT}
# The key a payload's schema requires first (the legacy flat layout): the channel, or for the function that reads
# SOAR only, the question.
FIRST_KEY = dict.fromkeys(TEST_RESULTS, "channel") | {"slack_question_answer": "question_id"}
# The functions whose one outside call is to SOAR, not Slack (their mock expectations describe SOAR's answer).
SOAR_ONLY = {"slack_question_answer"}


def load(function: str, name: str) -> dict:
    return json.loads((SAMPLES / function / name).read_text(encoding="utf-8"))


def test_every_function_has_samples():
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(FUNCTIONS)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_example_is_a_v2_payload_with_the_real_result_keys_also_flat(function):
    example = load(function, "output_json_example.json")

    # v2 keys, plus the content's keys at the top level as IBM's fn_slack 1.x/2.x sent them
    assert set(example) == {"version", "success", "reason", "content", "raw", "inputs", "metrics",
                            *CONTENT_KEYS[function]}
    assert {key: example[key] for key in CONTENT_KEYS[function]} == example["content"]
    assert (example["version"], example["success"]) == (2.0, True)
    assert list(example["content"]) == CONTENT_KEYS[function]
    assert sorted(example["inputs"]) == sorted(FUNCTIONS[function])
    assert example["metrics"]["package"] == "fn_slack"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_schema_accepts_the_example_and_the_results_the_workflow_tests_use(function):
    schema = load(function, "output_json_schema.json")
    jsonschema.validate(load(function, "output_json_example.json"), schema)
    jsonschema.validate(s.v2_payload(TEST_RESULTS[function]), schema)
    assert list(TEST_RESULTS[function]) == CONTENT_KEYS[function]


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_schema_rejects_a_result_of_the_wrong_shape(function):
    schema = load(function, "output_json_schema.json")
    broken = s.v2_payload(dict(TEST_RESULTS[function], **{FIRST_KEY[function]: 42}))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_schema_rejects_a_payload_without_the_legacy_flat_keys(function):
    schema = load(function, "output_json_schema.json")
    v2_only = {key: value for key, value in s.v2_payload(TEST_RESULTS[function]).items()
               if key in ("version", "success", "reason", "content", "raw", "inputs", "metrics")}
    with pytest.raises(jsonschema.ValidationError, match=f"'{FIRST_KEY[function]}' is a required property"):
        jsonschema.validate(v2_only, schema)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_mock_expectations_describe_the_slack_call_that_succeeds_or_fails(function):
    success = load(function, "mock_json_expectation_success.json")
    failure = load(function, "mock_json_expectation_fail.json")
    assert success["httpRequest"]["path"] == failure["httpRequest"]["path"]
    if function in SOAR_ONLY:   # SOAR's REST API: the row read, or SOAR's refusal
        assert success["httpRequest"]["path"].startswith("/rest/orgs/")
        assert success["httpResponse"]["statusCode"] == 200 and success["httpResponse"]["body"]["rows"]
        assert failure["httpResponse"]["statusCode"] >= 400 and failure["httpResponse"]["body"]["message"]
        return
    assert success["httpResponse"]["body"]["ok"] is True
    assert failure["httpResponse"]["body"]["ok"] is False and failure["httpResponse"]["body"]["error"]
