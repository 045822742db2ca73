"""Every user-facing text of fn_slack comes from the catalogue (fn_slack/lib/messages.py): no module composes
the text of an error it raises, and no note, Slack reply or block carries fixed words of its own."""

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[2] / "fn_slack" / "lib"
USER_FACING_ERRORS = {"InputError", "ConfigError", "SoarError", "SlackError", "ChannelStateError"}


def _composed_texts(path: Path) -> list[str]:
    """The errors raised with a literal or f-string text, and the literal words inside HTML or mrkdwn that
    is built for people (a note's ``<p>``, a Slack ``:emoji:`` line, a link label)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in USER_FACING_ERRORS
                and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr)):
            found.append(f"{path.name}:{node.lineno} {node.func.id}(...)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if any(word in text for word in ("Files: ", "Before:", "answered the question", ":hourglass:",
                                             ":white_check_mark:", "Open in SOAR", "anyone in this conversation",
                                             "replied in a thread")):
                found.append(f"{path.name}:{node.lineno} {text[:40]!r}")
    return found


@pytest.mark.parametrize("path", sorted(p for p in LIB.glob("*.py") if p.stem != "messages"), ids=lambda p: p.stem)
def test_no_module_but_the_catalogue_writes_user_facing_text(path):
    assert _composed_texts(path) == []
