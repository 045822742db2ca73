"""The [fn_slack] section: what a SOAR admin gets wrong, and what fn_slack says about it."""

import pytest

from fn_slack.lib.errors import ConfigError
from fn_slack.lib.settings import SlackSettings


def settings(**options):
    return SlackSettings.from_app_configs({"api_token": "xoxb-1-real", **options})


@pytest.mark.parametrize("token", [None, "", "  ", "$SLACK_TOKEN", "^slack_token"])
def test_missing_or_unresolved_token_names_the_key(token):
    with pytest.raises(ConfigError, match=r"\[fn_slack\] api_token is not set"):
        SlackSettings.from_app_configs({"api_token": token})


@pytest.mark.parametrize("token", ["xoxb-xxxx-your-token", "<your slack token>", "changeme"])
def test_placeholder_token_is_refused(token):
    with pytest.raises(ConfigError, match="still holds the example value"):
        SlackSettings.from_app_configs({"api_token": token})


def test_token_never_appears_in_repr():
    assert "xoxb-1-real" not in repr(settings())


def test_defaults_follow_the_spec():
    s = settings()
    assert (s.api_url, s.username, s.timeout, s.max_rate_limit_wait) == ("https://slack.com/api/", "SOAR", 30, 120)
    assert s.allow_malware_samples is False and s.verify is True
    assert s.max_upload_bytes == 1024 * 1024 * 1024


def test_api_url_gets_its_trailing_slash():
    assert settings(slack_api_url="https://slack-gov.com/api").api_url == "https://slack-gov.com/api/"


@pytest.mark.parametrize("key", ["timeout", "max_rate_limit_wait", "max_upload_mb"])
def test_non_numbers_name_the_key(key):
    with pytest.raises(ConfigError, match=rf"\[fn_slack\] {key} must be a number"):
        settings(**{key: "lots"})


def test_upload_cap_never_exceeds_slacks_limit():
    assert settings(max_upload_mb="5000").max_upload_bytes == 1024 * 1024 * 1024
    assert settings(max_upload_mb="2").max_upload_bytes == 2 * 1024 * 1024


def test_proxy_is_chosen_by_the_api_scheme():
    proxies = {"http": "http://p:80", "https": "http://p:443"}
    assert SlackSettings.from_app_configs({"api_token": "xoxb-1"}, proxies).proxy == "http://p:443"


def test_verify_false_gives_an_unverified_context():
    context = SlackSettings.from_app_configs({"api_token": "xoxb-1"}, verify=False).ssl_context()
    assert context is not None and context.check_hostname is False


@pytest.mark.parametrize("value", [None, "", "$SLACK_APP_TOKEN", "^slack_app_token"])
def test_without_an_app_token_the_listener_is_off(value):
    assert settings(app_token=value).app_token is None


def test_an_app_token_is_kept_out_of_repr():
    s = settings(app_token="xapp-1-A1-123-abc")
    assert s.app_token == "xapp-1-A1-123-abc" and "xapp-1-A1" not in repr(s)


@pytest.mark.parametrize(("value", "says"), [("xoxb-1-bot", "must be an app-level token"),
                                             ("xapp-xxxx-your-token", "still holds the example value")])
def test_a_wrong_app_token_is_named(value, says):
    with pytest.raises(ConfigError, match=rf"\[fn_slack\] app_token {says}"):
        settings(app_token=value)


def test_event_claim_seconds_defaults_to_thirty_and_must_be_at_least_one():
    assert settings().event_claim_seconds == 30
    with pytest.raises(ConfigError, match="event_claim_seconds"):
        settings(event_claim_seconds="0")
