"""Validation of the function inputs, before anything is asked of Slack or SOAR."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.errors import InputError

MAX_CHANNEL_NAME = 80
_NAME_OK = re.compile(r"^[a-z0-9_-]+$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
# What a channel ID typed into slack_channel looks like: C/G + capitals and digits, at least one digit, 9+ long
# (so a shouted name such as GENERAL still gets the capital-letters advice).
_ID_AS_NAME = re.compile(r"^[CG](?=[A-Z]*[0-9])[A-Z0-9]{8,}$")
# Pragmatic e-mail shape: one @, no spaces or commas, a dot in the domain, no leading/trailing dots.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):  # a rich-text field arrives as {"format": ..., "content": ...}
        value = value.get("content", "")
    return str(value).strip()


def text_input(value: object) -> str | None:
    """A text input, trimmed; None when empty."""
    return _text(value) or None


def channel_name(value: object) -> str | None:
    """A channel name as typed, checked against Slack's rules (a leading ``#`` is dropped); None when empty."""
    name = _text(value)
    if name.startswith("#"):
        name = name[1:].strip()
        if not name:
            raise InputError(messages.channel_name_only_hash())
    if not name:
        return None
    if _ID_AS_NAME.match(name):
        raise InputError(messages.channel_id_as_name(name))
    if len(name) > MAX_CHANNEL_NAME:
        raise InputError(messages.channel_name_too_long(name))
    if name != name.lower() and _NAME_OK.match(name.lower()):
        raise InputError(messages.channel_name_capitals(name))
    if not _NAME_OK.match(name):
        bad = sorted({c for c in name if not re.match(r"[a-z0-9_-]", c)})
        shown = " ".join(repr(c) for c in bad[:8])
        raise InputError(messages.channel_name_bad_characters(name, shown))
    if not re.search(r"[a-z0-9]", name):
        raise InputError(messages.channel_name_only_punctuation(name))
    return name


def channel_id(value: object) -> str | None:
    """A Slack channel ID such as C0123456789; None when empty."""
    text = _text(value)
    if not text:
        return None
    if not _CHANNEL_ID.match(text):
        raise InputError(messages.bad_channel_id(text))
    return text


def record_id(name: str, value: object, *, required: bool = False) -> int | None:
    """A SOAR object id (a positive whole number)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError(messages.missing_record_id(name))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InputError(messages.record_id_not_a_number(name, value)) from None
    if number <= 0:
        raise InputError(messages.record_id_not_positive(name, number))
    return number


def flag(value: object, name: str) -> bool | None:
    """A boolean input: True/False, or None when it was not set."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(messages.bad_flag(name, value))


@dataclass(frozen=True)
class Participants:
    """The e-mails of slack_participant_emails: well-formed ones to invite, malformed ones to report."""

    emails: list[str]
    malformed: list[str]


def participant_emails(value: object) -> Participants:
    """Comma-separated e-mails: trimmed, empties and duplicates dropped, malformed ones set apart."""
    emails: list[str] = []
    malformed: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[,;\n]", _text(value)):
        email = part.strip()
        if not email or email.lower() in seen:
            continue
        seen.add(email.lower())
        (emails if _EMAIL.match(email) else malformed).append(email)
    return Participants(emails=emails, malformed=malformed)
