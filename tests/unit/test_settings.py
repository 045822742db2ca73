"""The [fn_slack] section: what a SOAR admin gets wrong, and what fn_slack says about it."""

import certifi
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
    assert (s.api_url, s.username, s.timeout, s.max_rate_limit_wait) == ("https://slack.com/api/", "SOAR", 30, 1800)
    assert s.allow_malware_samples is False and s.verify is True
    assert s.write_settle_seconds == 30
    assert s.max_upload_bytes == 1024 * 1024 * 1024


def test_api_url_gets_its_trailing_slash():
    assert settings(slack_api_url="https://slack-gov.com/api").api_url == "https://slack-gov.com/api/"


@pytest.mark.parametrize("key", ["timeout", "max_rate_limit_wait", "max_upload_mb", "write_settle_seconds"])
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


# ------------------------------------------------------------------------------------------ hostile values
@pytest.mark.parametrize("key", ["timeout", "max_rate_limit_wait", "max_upload_mb", "write_settle_seconds"])
@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400"])
def test_nan_and_infinity_are_not_numbers(key, raw):
    default = {"timeout": 30, "max_rate_limit_wait": 1800, "max_upload_mb": 1024, "write_settle_seconds": 30}[key]
    with pytest.raises(ConfigError) as err:
        settings(**{key: raw})
    assert str(err.value) == (f"[fn_slack] {key} must be a number (got {raw!r}); remove it to use the default "
                              f"{default}.")


@pytest.mark.parametrize(("key", "raw", "message"), [
    ("timeout", "-5", "[fn_slack] timeout must be at least 1 (got -5)."),
    ("max_rate_limit_wait", "-0.5", "[fn_slack] max_rate_limit_wait must be at least 0 (got -0.5)."),
    ("max_upload_mb", "-1", "[fn_slack] max_upload_mb must be at least 0 (got -1)."),
    ("timeout", "3601", "[fn_slack] timeout must be at most 3600 (got 3601)."),
    ("timeout", "1e12", "[fn_slack] timeout must be at most 3600 (got 1000000000000)."),
    ("max_rate_limit_wait", "86401", "[fn_slack] max_rate_limit_wait must be at most 86400 (got 86401)."),
    ("max_upload_mb", "1e300", "[fn_slack] max_upload_mb must be at most 1048576 (got 1e+300)."),
    ("write_settle_seconds", "-1", "[fn_slack] write_settle_seconds must be at least 0 (got -1)."),
    ("write_settle_seconds", "3601", "[fn_slack] write_settle_seconds must be at most 3600 (got 3601)."),
])
def test_negative_and_absurd_numbers_name_the_key(key, raw, message):
    with pytest.raises(ConfigError) as err:
        settings(**{key: raw})
    assert str(err.value) == message


def test_the_largest_sensible_numbers_are_accepted():
    loaded = settings(timeout="3600", max_rate_limit_wait="86400", max_upload_mb="1048576")
    assert (loaded.timeout, loaded.max_rate_limit_wait, loaded.max_upload_bytes) == (3600, 86400, 1024 ** 3)


def test_a_missing_ca_bundle_names_the_key_and_the_path(tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(ConfigError) as err:
        SlackSettings.from_app_configs({"api_token": "xoxb-1", "verify": missing}, verify=missing)
    assert str(err.value) == (f"[fn_slack] verify names a CA bundle that does not exist: {missing}. Give the path "
                              f"of a PEM file of the CA certificates to trust, or true to use the system's.")


def test_a_missing_ca_bundle_from_integrations_names_that_section(tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(ConfigError, match=r"^\[integrations\] verify names a CA bundle that does not exist"):
        SlackSettings.from_app_configs({"api_token": "xoxb-1"}, verify=missing)


def test_a_ca_bundle_that_is_not_pem_names_the_key_and_the_path(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError) as err:
        SlackSettings.from_app_configs({"api_token": "xoxb-1", "verify": str(junk)}, verify=str(junk))
    assert str(err.value).startswith(f"[fn_slack] verify names a CA bundle that cannot be used: {junk} (")


def test_an_existing_ca_bundle_is_used(tmp_path):
    loaded = SlackSettings.from_app_configs({"api_token": "xoxb-1", "verify": certifi.where()},
                                            verify=certifi.where())
    assert loaded.verify == certifi.where() and loaded.ssl_context() is not None


@pytest.mark.parametrize("url", ["http://slack.example.com/api/", "http://10.1.2.3:8080/api/",
                                 "HTTP://slack.example.com/api/", "http://127.0.0.1.example.com/api/"])
def test_plain_http_to_another_machine_is_refused(url):
    with pytest.raises(ConfigError) as err:
        settings(slack_api_url=url)
    assert str(err.value) == (f"[fn_slack] slack_api_url {url} uses plain http to another machine: the Slack "
                              f"token would cross the network unencrypted. Use https, or set allow_insecure_http = "
                              f"true if the connection is protected another way.")


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api/"),
    ("http://127.8.9.10/api/", "http://127.8.9.10/api/"),
    ("http://localhost:9000/api/", "http://localhost:9000/api/"),
    ("http://[::1]:9000/api/", "http://[::1]:9000/api/"),
    ("HTTP://LOCALHOST:9000/api/", "http://LOCALHOST:9000/api/"),
    ("HTTPS://slack.com/api/", "https://slack.com/api/"),
    ("Https://slack-gov.com/api", "https://slack-gov.com/api/"),
])
def test_loopback_http_and_any_letter_case_are_accepted(url, expected):
    loaded = settings(slack_api_url=url)
    assert loaded.api_url == expected


def test_an_uppercase_https_url_still_picks_the_https_proxy():
    proxies = {"http": "http://p:80", "https": "http://p:443"}
    loaded = SlackSettings.from_app_configs({"api_token": "xoxb-1", "slack_api_url": "HTTPS://slack.com/api/"},
                                            proxies)
    assert loaded.proxy == "http://p:443"


def test_plain_http_to_another_machine_can_be_allowed_explicitly():
    assert settings(slack_api_url="http://slack.internal/api/", allow_insecure_http="true").api_url == \
        "http://slack.internal/api/"
    with pytest.raises(ConfigError, match=r"^\[fn_slack\] allow_insecure_http must be true or false \(got 'sure'\)"):
        settings(slack_api_url="http://slack.internal/api/", allow_insecure_http="sure")


@pytest.mark.parametrize("url", ["ftp://slack.com/api/", "slack.com/api/", "https:///api/", "file:///etc/passwd"])
def test_urls_that_are_not_http_are_refused(url):
    with pytest.raises(ConfigError, match=r"^\[fn_slack\] slack_api_url must be an http\(s\) URL"):
        settings(slack_api_url=url)

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


def test_a_section_without_result_user_info_fills_user_info_as_2x_did():
    assert settings().result_user_info is True                      # every app.config of fn_slack 2.x
    assert settings(result_user_info="false").result_user_info is False
    assert settings(result_user_info="True").result_user_info is True


def test_the_section_config_c_writes_for_a_new_install_turns_user_info_off():
    import configparser  # noqa: PLC0415 - only this test reads the generated section

    from fn_slack.util.config import config_section_data  # noqa: PLC0415

    parser = configparser.ConfigParser()
    parser.read_string(config_section_data())
    section = dict(parser["fn_slack"], api_token="xoxb-1-real")
    assert section["result_user_info"] == "false"
    assert SlackSettings.from_app_configs(section).result_user_info is False


def test_a_result_user_info_that_is_not_a_flag_names_the_key():
    with pytest.raises(ConfigError, match="result_user_info"):
        settings(result_user_info="sometimes")
