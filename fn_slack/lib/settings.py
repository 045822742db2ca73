"""The ``[fn_slack]`` app.config section read once into validated, typed settings."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from resilient_lib import str_to_bool

from fn_slack.lib.errors import ConfigError

SECTION = "fn_slack"
DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_USERNAME = "SOAR"
DEFAULT_TIMEOUT = 30
DEFAULT_MAX_RATE_LIMIT_WAIT = 120
DEFAULT_MAX_UPLOAD_MB = 1024
SLACK_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024

# Values that the generated app.config and the docs show as examples: never a real token.
_PLACEHOLDER_MARKERS = ("<", ">", "xoxb-xxxx", "xoxp-xxxx", "your-token", "your_token", "changeme")


def _is_unset(value: Any) -> bool:
    """True for a missing value, or a ``$VAR`` reference whose variable is not set (it stays literal)."""
    if value is None:
        return True
    text = str(value).strip()
    return not text or text.startswith("$") or text.startswith("^")


def _is_placeholder(token: str) -> bool:
    lowered = token.lower()
    return any(marker in lowered for marker in _PLACEHOLDER_MARKERS)


def _number(options: Mapping[str, Any], key: str, default: float, minimum: float) -> float:
    raw = options.get(key)
    if _is_unset(raw):
        return default
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ConfigError(f"[{SECTION}] {key} must be a number (got {str(raw)!r}); "
                          f"remove it to use the default {default:g}.") from None
    if value < minimum:
        raise ConfigError(f"[{SECTION}] {key} must be at least {minimum:g} (got {value:g}).")
    return value


@dataclass(frozen=True)
class SlackSettings:
    """What every Slack call needs; the token is kept out of ``repr`` so it cannot leak into logs."""

    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    username: str = DEFAULT_USERNAME
    timeout: int = DEFAULT_TIMEOUT
    max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    allow_malware_samples: bool = False
    template_file: str | None = None
    proxy: str | None = None
    verify: bool | str = True

    @classmethod
    def from_app_configs(cls, options: Mapping[str, Any] | None, proxies: Mapping[str, str] | None = None,
                         verify: bool | str | None = None) -> SlackSettings:
        """Validate the ``[fn_slack]`` section. ``proxies``/``verify`` come from resilient-lib's
        RequestsCommon, which already falls back to ``[integrations]`` and the environment."""
        options = options or {}
        token = options.get("api_token")
        if _is_unset(token):
            raise ConfigError(f"[{SECTION}] api_token is not set: put your Slack bot token (xoxb-...) in "
                              f"app.config, or set the environment variable it refers to.")
        token = str(token).strip()
        if _is_placeholder(token):
            raise ConfigError(f"[{SECTION}] api_token still holds the example value: replace it with your "
                              f"Slack bot token (xoxb-...).")

        api_url = str(options.get("slack_api_url") or DEFAULT_API_URL).strip()
        if not api_url.startswith(("https://", "http://")):
            raise ConfigError(f"[{SECTION}] slack_api_url must be an http(s) URL such as {DEFAULT_API_URL} "
                              f"(got {api_url!r}).")
        if not api_url.endswith("/"):
            api_url += "/"

        username = options.get("username")
        username = DEFAULT_USERNAME if _is_unset(username) else str(username).strip()
        template_file = options.get("template_file")
        template_file = None if _is_unset(template_file) else str(template_file).strip()

        max_upload_mb = _number(options, "max_upload_mb", DEFAULT_MAX_UPLOAD_MB, 0)
        max_upload_bytes = min(int(max_upload_mb * 1024 * 1024), SLACK_MAX_UPLOAD_BYTES)

        proxy = None
        if proxies:
            proxy = proxies.get("https" if api_url.startswith("https") else "http") or None

        return cls(
            token=token,
            api_url=api_url,
            username=username,
            timeout=int(_number(options, "timeout", DEFAULT_TIMEOUT, 1)),
            max_rate_limit_wait=_number(options, "max_rate_limit_wait", DEFAULT_MAX_RATE_LIMIT_WAIT, 0),
            max_upload_bytes=max_upload_bytes,
            allow_malware_samples=str_to_bool(options.get("allow_malware_samples") or "false"),
            template_file=template_file,
            proxy=proxy,
            verify=True if verify is None else verify,
        )

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for Slack calls: default verification, a CA bundle, or (if configured) none."""
        if self.verify is True:
            return None
        if self.verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=str(self.verify))
