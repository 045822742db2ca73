"""Seals on the rows fn_slack decides on: a keyed signature (HMAC-SHA256) over the cells that grant or route
(who may answer a question, its status and answer, a link's channel and mirror flag), so that a row changed in
SOAR behind fn_slack's back is noticed on the next read, and what changed can be said.

A seal is one text cell of the row: ``v1.<cells>.<mac>``. ``<cells>`` holds the sealed cells as fn_slack wrote
them (compressed JSON, base64url), ``<mac>`` the HMAC over them together with the row's *scope* (table,
incident, the row's key), so a seal copied to another row, another incident or another table does not fit. The
key never reaches SOAR: it is derived from ``[fn_slack] seal_key`` (or the bot token, see settings).

Values are compared as text after one normalisation (:func:`sealed_value`): SOAR may answer an empty cell, a
false boolean or a missing cell alike, and a number as an int or a float.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

VERSION = "v1"
INTACT, UNSEALED, BROKEN, CHANGED = "intact", "unsealed", "broken", "changed"


def sealed_value(value: object) -> str:
    """A cell's value as the seal holds it: empty, ``False`` and ``None`` alike; a whole number without ``.0``."""
    if value is None or value is False or value == "":
        return ""
    if value is True:
        return "true"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Change:
    """One sealed cell that no longer holds what fn_slack wrote."""

    column: str
    sealed: str
    now: str


@dataclass(frozen=True)
class Verdict:
    """What a row's seal says: ``intact``, ``unsealed`` (no seal: a row fn_slack did not seal), ``broken`` (the
    seal itself was changed, made with another key or belongs to another row) or ``changed`` (``changes`` names
    each cell that no longer holds what was sealed)."""

    state: str
    changes: tuple[Change, ...] = ()

    @property
    def intact(self) -> bool:
        """Whether the row holds what was sealed."""
        return self.state == INTACT


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Sealer:
    """Seals and checks rows with one secret (``SlackSettings.seal_secret``); the secret is never shown."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("a seal needs a secret")
        self._secret = bytes(secret)

    def __repr__(self) -> str:
        """Never the secret."""
        return "Sealer(<secret>)"

    def _mac(self, scope: str, payload: bytes) -> bytes:
        return hmac.new(self._secret, scope.encode("utf-8") + b"\x00" + payload, hashlib.sha256).digest()

    def seal(self, scope: str, cells: Mapping[str, object], columns: Sequence[str]) -> str:
        """The seal of ``columns`` of ``cells`` (a row about to be written) for the row named by ``scope``."""
        payload = json.dumps({column: sealed_value(cells.get(column)) for column in columns}, sort_keys=True,
                             separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return f"{VERSION}.{_b64(zlib.compress(payload, 9))}.{_b64(self._mac(scope, payload))}"

    def check(self, scope: str, cells: Mapping[str, object], columns: Sequence[str], seal: object) -> Verdict:
        """Whether the row ``cells`` (as read) still holds what its ``seal`` says, for the row named by
        ``scope``; every one of ``columns`` must have been sealed."""
        text = sealed_value(seal).strip()
        if not text:
            return Verdict(UNSEALED)
        parts = text.split(".")
        if len(parts) != 3 or parts[0] != VERSION:
            return Verdict(BROKEN)
        try:
            payload = zlib.decompress(_unb64(parts[1]))
            mac = _unb64(parts[2])
            sealed = json.loads(payload.decode("utf-8"))
        except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
            return Verdict(BROKEN)
        if not hmac.compare_digest(mac, self._mac(scope, payload)) or not isinstance(sealed, dict) \
                or set(sealed) != set(columns):
            return Verdict(BROKEN)
        changes = tuple(Change(column, str(sealed[column]), sealed_value(cells.get(column)))
                        for column in sorted(columns) if str(sealed[column]) != sealed_value(cells.get(column)))
        return Verdict(CHANGED, changes) if changes else Verdict(INTACT)


__all__ = ["BROKEN", "CHANGED", "INTACT", "UNSEALED", "Change", "Sealer", "Verdict", "sealed_value"]
