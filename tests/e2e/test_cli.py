"""`resilient-circuits customize` and `selftest -l fn_slack`, run for real against the sandboxes."""

from __future__ import annotations

import pytest

from sandbox.soar.circuits import run_cli, write_app_config

pytestmark = pytest.mark.e2e

FUNCTIONS = ["slack_post_message", "slack_post_attachment", "slack_archive_channel", "slack_sync_channel",
             "slack_ask_question", "slack_question_answer"]


def test_customize_imports_the_destination_functions_rules_workflows_and_table(customized_stack):
    state = customized_stack.soar.state
    assert list(state.functions) == FUNCTIONS
    assert {fn["destination_handle"] for fn in state.functions.values()} == {"slack"}
    destination = state.message_destinations["slack"]
    assert destination["expect_ack"] is True
    assert destination["api_keys"] == [7], "customize lets the app's API key consume the destination"
    assert len(state.rules) == 10
    assert len(state.workflows) == 10
    columns = state.tables["slack_conversations_db"]["fields"].values()
    assert [c["name"] for c in sorted(columns, key=lambda c: c["order"])] == [
        "slack_db_time", "slack_db_res_id", "slack_db_channel", "slack_db_channel_type", "slack_db_permalink",
        "slack_db_channel_id", "slack_db_mirror", "slack_db_thread_ts", "slack_db_seal", "slack_db_sync",
        "slack_db_sync_state"]
    assert {"slack_messages_db", "slack_questions_db"} <= set(state.tables)


def test_customize_again_updates_instead_of_duplicating(customized_stack):
    state = customized_stack.soar.state
    ids_before = {name: fn["id"] for name, fn in state.functions.items()}
    result = run_cli(customized_stack.config, "customize", "-y", "-l", "fn_slack")
    assert result.returncode == 0, result.output
    assert {name: fn["id"] for name, fn in state.functions.items()} == ids_before
    assert len(state.rules) == 10
    assert state.message_destinations["slack"]["api_keys"] == [7]
    assert [i["record"]["status"] for i in state.imports.values()] == ["ACCEPTED", "ACCEPTED"]


def test_selftest_succeeds_with_a_good_token(customized_stack):
    result = run_cli(customized_stack.config, "selftest", "-l", "fn_slack")
    assert result.returncode == 0, result.output
    assert "selftest: success" in result.output


def test_selftest_fails_with_a_revoked_token_and_gives_slacks_reason(customized_stack):
    stack = customized_stack
    stack.slack.add_token("xoxb-revoked-token", ["chat:write", "channels:read"])
    stack.slack.revoke_token("xoxb-revoked-token")
    config = write_app_config(stack.workdir, stack.soar, stack.slack.base_url, api_token="xoxb-revoked-token",
                              name="revoked.config")
    result = run_cli(config, "selftest", "-l", "fn_slack")
    assert result.returncode == 1, result.output
    assert "selftest: failure" in result.output
    assert "token_revoked" in result.output
    assert "xoxb-revoked-token" not in result.output
