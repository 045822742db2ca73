"""The result a function sends to SOAR, readable by workflow scripts of both layouts.

resilient-circuits wraps what a function yields in its v2 payload::

    {"version": 2.0, "success": ..., "reason": ..., "content": {...}, "raw": ..., "inputs": {...},
     "metrics": {...}}

IBM's fn_slack 1.x and 2.x sent the result flat instead (``results.channel``, ``results.url``, and from 2.0
``results.user_info``), and the post-processing scripts and playbooks written for them read those keys.
:func:`function_result` gives SOAR one payload that serves both: the v2 payload exactly as resilient-circuits
builds it (its ``inputs`` and ``metrics`` included), plus the content's keys at the top level.
"""

from __future__ import annotations

from typing import Any

from resilient_circuits import FunctionResult

# The v2 payload's own keys: a content key of the same name is never copied over them.
V2_KEYS = frozenset({"version", "success", "reason", "content", "raw", "inputs", "metrics"})


def user_info_line(display_name: str, email: str) -> str:
    """One ``user_info`` entry in IBM's shape: ``"<display name>: <email>"``."""
    return f"{display_name}: {email}"


def function_result(content: dict[str, Any], *, user_info: list[str] | None = None) -> FunctionResult:
    """Return the ``FunctionResult`` for ``content``, laid out for old and new scripts at once.

    ``user_info`` (post functions only) is IBM's list of ``"<display name>: <email>"`` strings for the
    channel's human members; an empty list lets a legacy ``for user in results.user_info`` loop run zero
    times. It is added to the content as well, so ``results.content.user_info`` holds the same list.
    """
    content = dict(content)
    if user_info is not None:
        content["user_info"] = list(user_info)
    legacy = {key: value for key, value in content.items() if key not in V2_KEYS}
    return _BothLayouts(content, legacy)


class _BothLayouts(FunctionResult):
    """A ``FunctionResult`` whose finished payload also carries the legacy flat keys.

    resilient-circuits replaces ``value`` (the content) with the payload of ``ResultPayload.done``, whose
    ``content`` is that same dict. At that moment the flat keys are added next to the v2 keys, so the
    payload keeps everything resilient-circuits puts into it.
    """

    def __init__(self, content: dict[str, Any], legacy: dict[str, Any]) -> None:
        self._content = content
        self._legacy = legacy
        super().__init__(content)

    @property
    def value(self) -> object:
        return self._value

    @value.setter
    def value(self, new: object) -> None:
        if isinstance(new, dict) and new is not self._content and new.get("content") is self._content:
            new = {**self._legacy, **new}
        self._value = new
