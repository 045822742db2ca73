"""An unusable number in [fn_slack]: the app still loads, says so at start-up, and every call reports it."""

import logging

import pytest

from fn_slack.components.funct_slack_post_message import FunctionComponent
from tests.functions.conftest import INCIDENT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function

config_data = make_config(timeout="nan")
REASON = "[fn_slack] timeout must be a number (got 'nan'); remove it to use the default 30."


@pytest.mark.parametrize(("function", "inputs"), [
    ("slack_post_message", {"slack_channel": "general", "slack_text": "x"}),
    ("slack_post_attachment", {"slack_channel": "general", "attachment_id": 1}),
    ("slack_archive_channel", {"slack_channel_id": "C0123ABCD"}),
])
def test_every_call_reports_the_setting_and_changes_nothing(circuits_app, slack, soar, function, inputs):
    for _ in range(2):
        outcome = run_function(circuits_app, function, {"incident_id": INCIDENT, **inputs})

        assert outcome.error == f"ERROR:\n\n{REASON}"
    assert slack.calls == []
    assert soar.calls == []


def test_the_app_loads_and_logs_the_setting_at_start_up(circuits_app, caplog):
    with caplog.at_level(logging.ERROR):
        FunctionComponent(circuits_app.app.opts)

    assert f"fn_slack cannot call Slack until app.config is fixed: {REASON}" in caplog.text
