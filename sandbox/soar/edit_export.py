"""Edit a workflow's pre-processing script inside an export, as an administrator does in SOAR's workflow
editor: the demo and the tests turn fn_slack's options on this way (``inputs.slack_mirror = True``)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from xml.sax.saxutils import escape, unescape

_FUNCTION = re.compile(r'(<resilient:function uuid="[^"]+">)(.*?)(</resilient:function>)', re.DOTALL)


def edit_pre_script(export: dict, workflow: str, change: Callable[[str], str]) -> dict:
    """A copy of ``export`` whose workflow ``workflow`` (programmatic name) runs ``change(script)`` instead of
    its pre-processing script; every other object is left as it is."""
    edited = copy.deepcopy(export)
    found = [w for w in edited["workflows"] if w["programmatic_name"] == workflow]
    if not found:
        raise KeyError(f"no workflow {workflow!r} in the export")
    content = found[0]["content"]

    def rewrite(match: re.Match) -> str:
        settings = json.loads(unescape(match.group(2)))
        settings["pre_processing_script"] = change(settings["pre_processing_script"])
        return match.group(1) + escape(json.dumps(settings, separators=(",", ":"), sort_keys=True)) + match.group(3)

    content["xml"], count = _FUNCTION.subn(rewrite, content["xml"])
    if count != 1:
        raise ValueError(f"workflow {workflow!r} has {count} function calls, expected 1")
    return edited


__all__ = ["edit_pre_script"]
