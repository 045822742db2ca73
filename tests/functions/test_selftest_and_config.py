"""`resilient-circuits selftest -l fn_slack` and a broken [fn_slack] section, as the SOAR admin meets them."""

import socket

import pytest

from fn_slack.util.selftest import selftest_function
from tests.functions.conftest import INCIDENT
from tests.functions.harness import TOKEN, run_function, slack_sandbox
from tests.functions.harness import config_data as make_config

config_data = make_config(template_file="/nonexistent/fn_slack/export.jinja2", max_upload_mb="0.001")


def opts(**fn_slack):
    section = {"api_token": TOKEN, "slack_api_url": slack_sandbox().base_url, "timeout": "5"}
    section.update(fn_slack)
    return {"resilient": {"host": "soar.example.test"}, "fn_slack": section}


def test_selftest_success_names_the_workspace_and_the_bot(slack):
    result = selftest_function(opts())

    assert result["state"] == "success"
    assert "Connected to Slack workspace 'sandbox' (https://sandbox.slack.com/) as bot" in result["reason"]
    assert TOKEN not in result["reason"]


def test_selftest_with_a_revoked_token_fails_with_slacks_reason(slack):
    slack.revoke_token(slack.default_token)

    result = selftest_function(opts())

    assert result == {"state": "failure", "reason": "The Slack token in [fn_slack] api_token has been revoked "
                                                    "(token_revoked): reinstall the Slack app and update app.config."}


def test_selftest_with_a_wrong_token_fails_without_showing_it(slack):
    result = selftest_function(opts(api_token="xoxb-not-a-real-token"))

    assert result["state"] == "failure"
    assert "invalid_auth" in result["reason"] and "xoxb-not-a-real-token" not in result["reason"]


@pytest.mark.parametrize(("token", "reason"), [
    (None, "[fn_slack] api_token is not set"),
    ("$FN_SLACK_TOKEN_THAT_IS_NOT_SET", "[fn_slack] api_token is not set"),
    ("xoxb-xxxx-your-token", "[fn_slack] api_token still holds the example value"),
])
def test_selftest_with_a_missing_or_placeholder_token_names_the_key(slack, token, reason):
    result = selftest_function(opts(api_token=token))

    assert result["state"] == "failure"
    assert result["reason"].startswith(reason)
    assert slack.calls == []


@pytest.mark.parametrize(("setting", "reason"), [
    ({"timeout": "nan"}, "[fn_slack] timeout must be a number (got 'nan'); remove it to use the default 30."),
    ({"timeout": "inf"}, "[fn_slack] timeout must be a number (got 'inf'); remove it to use the default 30."),
    ({"timeout": "-1"}, "[fn_slack] timeout must be at least 1 (got -1)."),
    ({"max_rate_limit_wait": "1e9"}, "[fn_slack] max_rate_limit_wait must be at most 86400 (got 1000000000)."),
    ({"max_rate_limit_wait": "NaN"},
     "[fn_slack] max_rate_limit_wait must be a number (got 'NaN'); remove it to use the default 1800."),
    ({"max_upload_mb": "-inf"}, "[fn_slack] max_upload_mb must be a number (got '-inf'); remove it to use the default "
                                "1024."),
    ({"max_upload_mb": "99999999"}, "[fn_slack] max_upload_mb must be at most 1048576 (got 99999999)."),
    ({"verify": "/nonexistent/fn_slack/ca.pem"},
     "[fn_slack] verify names a CA bundle that does not exist: /nonexistent/fn_slack/ca.pem. Give the path of a PEM "
     "file of the CA certificates to trust, or true to use the system's."),
    ({"slack_api_url": "http://slack.example.com/api/"},
     "[fn_slack] slack_api_url http://slack.example.com/api/ uses plain http to another machine: the Slack token "
     "would cross the network unencrypted. Use https, or set allow_insecure_http = true if the connection is "
     "protected another way."),
])
def test_selftest_with_an_unusable_setting_names_the_key_and_calls_nothing(slack, setting, reason):
    result = selftest_function(opts(**setting))

    assert result == {"state": "failure", "reason": reason}
    assert slack.calls == []


def test_selftest_accepts_an_uppercase_scheme(slack):
    url = slack_sandbox().base_url
    result = selftest_function(opts(slack_api_url=url.replace("http://", "HTTP://")))

    assert result["state"] == "success"


def test_selftest_without_network_says_slack_cannot_be_reached(slack):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{closed_port}/api/"

    result = selftest_function(opts(slack_api_url=url, max_rate_limit_wait="1"))

    assert result["state"] == "failure"
    assert result["reason"].startswith(f"Could not reach Slack at {url} for auth.test")


class TestBrokenTemplateFile:
    def test_archive_with_a_missing_template_file_changes_nothing(self, circuits_app, slack, soar):
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id])

        outcome = run_function(circuits_app, "slack_archive_channel",
                               {"incident_id": INCIDENT, "slack_channel_id": channel_id})

        assert "template_file" in outcome.error and "/nonexistent/fn_slack/export.jinja2" in outcome.error
        assert slack.calls == []
        assert slack.channel("inc-2095")["is_archived"] is False
        assert soar.saved_attachments(INCIDENT) == []


class TestUploadCap:
    def test_a_file_over_max_upload_mb_is_refused_before_anything_is_sent(self, circuits_app, slack, soar):
        attachment_id = soar.add_attachment(INCIDENT, "big.bin", b"\0" * 4096)

        outcome = run_function(circuits_app, "slack_post_attachment",
                               {"incident_id": INCIDENT, "attachment_id": attachment_id, "slack_channel": "general"})

        assert outcome.error == ("ERROR:\n\nbig.bin is 4.0 KB, over the upload limit of 1.0 KB ([fn_slack] "
                                 "max_upload_mb, at most Slack's 1 GB): nothing was uploaded.")
        assert slack.calls == []


def test_selftest_checks_the_app_level_token_when_two_way_channels_are_on(slack):
    from sandbox.slack.socket_mode import APP_TOKEN  # noqa: PLC0415

    works = selftest_function(opts(app_token=APP_TOKEN))
    assert works["state"] == "success"
    assert works["reason"].endswith("Socket Mode: the app-level token opens connections (two-way channels are on).")
    assert APP_TOKEN not in works["reason"]

    refused = selftest_function(opts(app_token="xapp-1-A0-not-this-app"))
    assert refused["state"] == "failure"
    assert refused["reason"].startswith("[fn_slack] app_token was refused by Slack's apps.connections.open "
                                        "(invalid_auth)")
    assert "xapp-1-A0-not-this-app" not in refused["reason"]


def test_without_an_app_token_no_listener_starts(caplog):
    import logging  # noqa: PLC0415

    from fn_slack.lib.mirror import MirrorService  # noqa: PLC0415

    with caplog.at_level(logging.INFO, logger="fn_slack"):
        service = MirrorService.from_opts(opts(), rest_client=lambda: pytest.fail("no SOAR client is needed"))
    assert service is None
    assert "Slack Socket Mode listener is off: [fn_slack] app_token is not set." in caplog.text


def test_a_bot_token_given_as_app_token_is_named_at_start(caplog):
    import logging  # noqa: PLC0415

    from fn_slack.lib.mirror import MirrorService  # noqa: PLC0415

    with caplog.at_level(logging.ERROR, logger="fn_slack"):
        service = MirrorService.from_opts(opts(app_token="xoxb-1-bot"), rest_client=lambda: None)
    assert service is None
    assert "[fn_slack] app_token must be an app-level token (xapp-...)" in caplog.text
