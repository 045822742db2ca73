"""The ``[fn_slack]`` app.config section read once into validated, typed settings, and the SOAR links built
from ``[resilient]``."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import os
import re
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from resilient_lib import build_incident_url, build_resilient_url, build_task_url, str_to_bool

from fn_slack.lib import messages
from fn_slack.lib.errors import ConfigError

PACKAGE = "fn_slack"
SECTION = "fn_slack"
DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_USERNAME = "SOAR"
DEFAULT_TIMEOUT = 30
# The most one function call waits for Slack's rate limits, in its method's line and Retry-After together: a
# burst of 200 new incidents needs ten minutes of conversations.create's 20 a minute; half an hour rides out that
# and more, yet still ends a call Slack keeps refusing.
DEFAULT_MAX_RATE_LIMIT_WAIT = 1800
# How long Slack may still carry out a write after fn_slack stopped waiting for its answer (its connection
# ended: `timeout` passed, or it dropped). Slack documents no such limit; this is fn_slack's assumption, the
# same as the default `timeout`: a call Slack has not finished within that is given as long again. A lost
# post is looked for until then and sent again only if still not seen, never posted twice.
DEFAULT_WRITE_SETTLE_SECONDS = 30
MAX_WRITE_SETTLE_SECONDS = 3600
DEFAULT_MAX_UPLOAD_MB = 1024
SLACK_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
# The largest values that still make sense; anything above is a typo (or "inf") and refused, naming the key.
MAX_TIMEOUT = 3600                 # an hour for one HTTP call
MAX_RATE_LIMIT_WAIT = 86400        # a day of waiting out rate limits in one function call
MAX_UPLOAD_MB_SETTING = 1024 * 1024  # a terabyte; values above Slack's 1 GB are capped at it
DEFAULT_EVENT_CLAIM_SECONDS = 30
DEFAULT_QUESTION_EXPIRY_MINUTES = 1440
MAX_EVENT_CLAIM_SECONDS = 3600            # an hour before another process takes over an event's claim
MAX_QUESTION_EXPIRY_MINUTES = 525600      # a year
MESSAGE_STYLES = ("attachment", "blocks")
DEFAULT_SLASH_COMMAND = "/soar"
# Slack's command names: a slash, then at most 32 lower-case letters, digits, - or _ (the manifest's rule).
SLASH_COMMAND_RE = re.compile(r"^/[a-z0-9_-]{1,32}$")
MIN_SEAL_KEY_LENGTH = 32
SEAL_KEY_LABEL = b"fn_slack row seal v1"

# Values that the generated app.config and the docs show as examples: never a real token.
_PLACEHOLDER_MARKERS = ("<", ">", "xoxb-xxxx", "xoxp-xxxx", "your-token", "your_token", "changeme")


def _is_unset(value: object) -> bool:
    """True for a missing value, or a ``$VAR`` reference whose variable is not set (it stays literal)."""
    if value is None:
        return True
    text = str(value).strip()
    return not text or text.startswith("$") or text.startswith("^")


def _is_placeholder(token: str) -> bool:
    lowered = token.lower()
    return any(marker in lowered for marker in _PLACEHOLDER_MARKERS)


def _number(options: Mapping[str, Any], key: str, default: float, minimum: float, maximum: float) -> float:
    """A numeric setting between ``minimum`` and ``maximum``; ``nan`` and ``inf`` are not numbers here."""
    raw = options.get(key)
    if _is_unset(raw):
        return default
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ConfigError(messages.config_not_a_number(key, raw, default)) from None
    if not math.isfinite(value):
        raise ConfigError(messages.config_not_a_number(key, raw, default))
    if value < minimum:
        raise ConfigError(messages.config_below_minimum(key, minimum, value))
    if value > maximum:
        raise ConfigError(messages.config_above_maximum(key, maximum, value))
    return value


def _flag(options: Mapping[str, Any], key: str) -> bool:
    raw = options.get(key)
    if _is_unset(raw):
        return False
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ConfigError(messages.flag_setting_not_boolean(key, raw))


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: localhost or a loopback address (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _api_url(options: Mapping[str, Any]) -> str:
    """slack_api_url checked: http(s) in any letter case, plain http only to this machine unless allowed."""
    api_url = str(options.get("slack_api_url") or DEFAULT_API_URL).strip()
    try:
        parts = urlsplit(api_url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or parts.scheme.lower() not in ("https", "http") or not host:
        raise ConfigError(messages.api_url_not_http(api_url, DEFAULT_API_URL))
    scheme = parts.scheme.lower()
    if scheme == "http" and not _is_loopback(host) and not _flag(options, "allow_insecure_http"):
        raise ConfigError(messages.api_url_plain_http(api_url))
    api_url = scheme + api_url[len(parts.scheme):]
    return api_url if api_url.endswith("/") else api_url + "/"


def _verify(options: Mapping[str, Any], verify: bool | str | None) -> bool | str:
    """TLS verification as resilient-lib read it; a CA bundle path must name a usable file."""
    if verify is None or isinstance(verify, bool):
        return True if verify is None else verify
    path = str(verify).strip()
    where = SECTION if "verify" in options else "integrations"
    if not os.path.exists(path):
        raise ConfigError(messages.config_verify_bundle_missing(where, path))
    try:
        tls_context(path)   # made once per path for the process, and the one Slack calls then use
    except (ssl.SSLError, OSError, ValueError) as err:
        raise ConfigError(messages.config_verify_bundle_unusable(where, path, err)) from None
    return path


@dataclass(frozen=True)
class SlackSettings:
    """What every Slack call needs; the token is kept out of ``repr`` so it cannot leak into logs."""

    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    username: str = DEFAULT_USERNAME
    timeout: int = DEFAULT_TIMEOUT
    max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT
    write_settle_seconds: float = DEFAULT_WRITE_SETTLE_SECONDS
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    allow_malware_samples: bool = False
    template_file: str | None = None
    result_user_info: bool = False   # from_app_configs: true when [fn_slack] has no such key (a 2.x app.config)
    proxy: str | None = None
    verify: bool | str = True
    # Two-way channels (Socket Mode): the app-level token (xapp-...); None keeps the listener off.
    app_token: str | None = field(default=None, repr=False)
    event_claim_seconds: float = DEFAULT_EVENT_CLAIM_SECONDS
    question_expiry_minutes: float = DEFAULT_QUESTION_EXPIRY_MINUTES
    message_style: str = "attachment"  # how slack_post_message shows a container: legacy attachment or Block Kit
    # Actions from Slack: the slash command fn_slack answers, and the SOAR roles whose holders may act on any
    # linked incident (besides its owner and members).
    slash_command: str = DEFAULT_SLASH_COMMAND
    actions_roles: tuple[str, ...] = ()
    # Declare incident: the SOAR roles whose holders may declare one (empty: any active SOAR user).
    declare_roles: tuple[str, ...] = ()
    # The secret of the seals on the rows fn_slack decides on (soar.seals): ``seal_key``, or when it is unset a
    # key derived from ``api_token`` (the same on every integration server with the same app.config).
    seal_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_app_configs(cls, options: Mapping[str, Any] | None, proxies: Mapping[str, str] | None = None,
                         verify: bool | str | None = None) -> SlackSettings:
        """Validate the ``[fn_slack]`` section. ``proxies``/``verify`` come from resilient-lib's
        RequestsCommon, which already falls back to ``[integrations]`` and the environment."""
        options = options or {}
        token = options.get("api_token")
        if _is_unset(token):
            raise ConfigError(messages.token_not_set())
        token = str(token).strip()
        if _is_placeholder(token):
            raise ConfigError(messages.token_is_placeholder())

        api_url = _api_url(options)

        username = options.get("username")
        username = DEFAULT_USERNAME if _is_unset(username) else str(username).strip()
        template_file = options.get("template_file")
        template_file = None if _is_unset(template_file) else str(template_file).strip()

        max_upload_mb = _number(options, "max_upload_mb", DEFAULT_MAX_UPLOAD_MB, 0, MAX_UPLOAD_MB_SETTING)
        max_upload_bytes = min(int(max_upload_mb * 1024 * 1024), SLACK_MAX_UPLOAD_BYTES)

        proxy = None
        if proxies:
            proxy = proxies.get("https" if api_url.startswith("https") else "http") or None

        return cls(
            token=token,
            api_url=api_url,
            username=username,
            timeout=int(_number(options, "timeout", DEFAULT_TIMEOUT, 1, MAX_TIMEOUT)),
            max_rate_limit_wait=_number(options, "max_rate_limit_wait", DEFAULT_MAX_RATE_LIMIT_WAIT, 0,
                                        MAX_RATE_LIMIT_WAIT),
            write_settle_seconds=_number(options, "write_settle_seconds", DEFAULT_WRITE_SETTLE_SECONDS, 0,
                                         MAX_WRITE_SETTLE_SECONDS),
            max_upload_bytes=max_upload_bytes,
            allow_malware_samples=str_to_bool(options.get("allow_malware_samples") or "false"),
            template_file=template_file,
            result_user_info=_result_user_info(options),
            proxy=proxy,
            verify=_verify(options, verify),
            app_token=_app_token(options),
            event_claim_seconds=_number(options, "event_claim_seconds", DEFAULT_EVENT_CLAIM_SECONDS, 1,
                                        MAX_EVENT_CLAIM_SECONDS),
            question_expiry_minutes=_number(options, "question_expiry_minutes", DEFAULT_QUESTION_EXPIRY_MINUTES, 1,
                                            MAX_QUESTION_EXPIRY_MINUTES),
            message_style=_message_style(options),
            seal_key=_seal_key(options),
            slash_command=_slash_command(options),
            actions_roles=_roles(options.get("actions_roles")),
            declare_roles=_roles(options.get("declare_roles")),
        )

    @property
    def seal_secret(self) -> bytes:
        """The key of the rows' seals: derived from ``seal_key`` when set, else from the bot token, so that it
        never appears itself in a row, a log or a result."""
        source = self.seal_key or self.token
        return hmac.new(source.encode("utf-8"), SEAL_KEY_LABEL, hashlib.sha256).digest()

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context for Slack calls: default verification, a CA bundle, or (if configured) none."""
        return tls_context(self.verify)


_TLS_GUARD = threading.Lock()
_TLS_CONTEXTS: dict[bool | str, ssl.SSLContext] = {}


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """One TLS context per ``verify`` setting for the whole process.

    Slack calls go over urllib, which opens a connection per call, and a context made per connection would load
    the CA store every time (milliseconds of CPU per call). A CA bundle changed on disk is read again when the
    app restarts."""
    with _TLS_GUARD:
        context = _TLS_CONTEXTS.get(verify)
        if context is None:
            context = _TLS_CONTEXTS[verify] = _new_tls_context(verify)
        return context


def _new_tls_context(verify: bool | str) -> ssl.SSLContext:
    if verify is True:
        return ssl.create_default_context()
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if os.path.isdir(str(verify)):
        return ssl.create_default_context(capath=str(verify))
    return ssl.create_default_context(cafile=str(verify))


def _result_user_info(options: Mapping[str, Any]) -> bool:
    """``result_user_info``: a section without the key is an app.config of IBM's fn_slack 2.x, whose workflows read
    ``results.user_info`` — filled, as 2.x did. The section ``resilient-circuits config -c`` writes for a new
    installation sets it to false (it costs Slack calls on every post)."""
    if "result_user_info" not in options:
        return True
    return _flag(options, "result_user_info")


def _message_style(options: Mapping[str, Any]) -> str:
    raw = options.get("message_style")
    if _is_unset(raw):
        return "attachment"
    style = str(raw).strip().lower()
    if style not in MESSAGE_STYLES:
        raise ConfigError(messages.message_style_unknown(str(raw), MESSAGE_STYLES))
    return style


def _slash_command(options: Mapping[str, Any]) -> str:
    """``slash_command``: the command registered in the Slack app (default ``/soar``)."""
    raw = options.get("slash_command")
    if _is_unset(raw):
        return DEFAULT_SLASH_COMMAND
    command = str(raw).strip().lower()
    command = command if command.startswith("/") else "/" + command
    if not SLASH_COMMAND_RE.match(command):
        raise ConfigError(messages.slash_command_invalid(str(raw)))
    return command


def _roles(raw: object) -> tuple[str, ...]:
    """``actions_roles`` (unset: only an incident's owner and members act) or ``declare_roles`` (unset: any
    active SOAR user declares): comma-separated SOAR role names."""
    if _is_unset(raw):
        return ()
    return tuple(dict.fromkeys(r.strip() for r in str(raw).split(",") if r.strip()))


def _seal_key(options: Mapping[str, Any]) -> str | None:
    """``seal_key``: unset derives the seals' key from ``api_token``; else a secret of at least
    ``MIN_SEAL_KEY_LENGTH`` characters (the same on every integration server)."""
    raw = options.get("seal_key")
    if _is_unset(raw):
        return None
    key = str(raw).strip()
    if _is_placeholder(key) or len(key) < MIN_SEAL_KEY_LENGTH:
        raise ConfigError(messages.seal_key_too_short(MIN_SEAL_KEY_LENGTH))
    return key


def _app_token(options: Mapping[str, Any]) -> str | None:
    """``app_token``: unset (or commented out) keeps the Socket Mode listener off; else an ``xapp-`` token."""
    raw = options.get("app_token")
    if _is_unset(raw):
        return None
    token = str(raw).strip()
    if _is_placeholder(token) or "xapp-xxxx" in token.lower():
        raise ConfigError(messages.app_token_is_placeholder())
    if not token.startswith("xapp-"):
        raise ConfigError(messages.app_token_not_app_level())
    return token


def load_settings(component: object) -> SlackSettings:
    """The validated ``[fn_slack]`` settings of a running component (proxies and TLS via resilient-lib)."""
    return SlackSettings.from_app_configs(component.app_configs, component.rc.get_proxies(),
                                          component.rc.get_verify())


def check_settings_at_startup(component: object) -> None:
    """Log a clear message at start-up when [fn_slack] is unusable; each call then fails with the same text."""
    try:
        load_settings(component)
    except ConfigError as err:
        component.LOG.error(messages.settings_unusable_at_startup(), err)


def soar_link_builder(opts: Mapping[str, Any], org_id: int | None) -> Callable[[int, int | None], str]:
    """A function giving the SOAR URL of an incident or task, from ``[resilient] host/port``."""
    resilient = opts.get("resilient", {}) or {}
    base = build_resilient_url(resilient.get("host", ""), resilient.get("port", 443))

    def link(incident_id: int, task_id: int | None = None) -> str:
        if task_id:
            return build_task_url(base, incident_id, task_id, org_id)
        return build_incident_url(base, incident_id, org_id)

    return link
