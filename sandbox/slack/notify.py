"""Works out whom Slack would notify for a posted message (broadcasts, user and user-group mentions)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Slack's escaped mention syntax: <!channel>, <!here|here>, <@U123>, <@U123|name>, <!subteam^S123|@team>.
_SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>")
# With link_names=1 Slack also turns bare @words into mentions; the @ must not follow a word character
# (so "bob@example.com" is no mention).
_BARE = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)


def message_texts(text: str | None, blocks: Any, attachments: Any = None) -> list[str]:
    """The texts Slack scans for mentions: the top-level text, the legacy attachment fields (pretext, title,
    text, fields' titles and values) and the mrkdwn/plain texts inside blocks (attachments' blocks too)."""
    texts = [text or ""]
    nested: list[Any] = [blocks]
    for att in attachments if isinstance(attachments, list) else []:
        if not isinstance(att, dict):
            continue
        texts.extend(str(att[k]) for k in ("pretext", "title", "text") if isinstance(att.get(k), str))
        for fld in att.get("fields") or []:
            if isinstance(fld, dict):
                texts.extend(str(fld[k]) for k in ("title", "value") if isinstance(fld.get(k), str))
        nested.append(att.get("blocks"))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(nested)
    return texts


def compute(texts: Iterable[str], *, link_names: bool, users_by_name: dict[str, str],
            usergroups_by_handle: dict[str, str]) -> dict[str, list[str]]:
    """Return {"broadcast": [...], "users": [...], "usergroups": [...]} in first-mention order.

    Escaped text (&lt;!channel&gt;) never matches because the patterns need a literal "<".
    """
    broadcast: dict[str, None] = {}
    users: dict[str, None] = {}
    groups: dict[str, None] = {}
    for text in texts:
        for match in _SPECIAL.finditer(text):
            broadcast[match.group(1)] = None
        for match in _USER.finditer(text):
            users[match.group(1)] = None
        for match in _SUBTEAM.finditer(text):
            groups[match.group(1)] = None
        if link_names:
            # Strip the <...> forms first so "<@U1|bob>" is not counted twice as a bare "@bob".
            bare_text = re.sub(r"<[^>]*>", " ", text)
            for match in _BARE.finditer(bare_text):
                word = match.group(1).rstrip("._-").lower()
                if word in ("channel", "here", "everyone"):
                    broadcast[word] = None
                elif word in users_by_name:
                    users[users_by_name[word]] = None
                elif word in usergroups_by_handle:
                    groups[usergroups_by_handle[word]] = None
    return {"broadcast": list(broadcast), "users": list(users), "usergroups": list(groups)}
