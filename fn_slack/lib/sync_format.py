"""Pure: what a channel kept in step with its incident shows — the topic, the bookmark and the pinned summary's
blocks — and the digest of each part that says whether it changed since it was written.

Everything from SOAR is untrusted in Slack and escaped (``message_format.escape_untrusted``): an incident named
``<!channel>`` notifies nobody, a link typed into a field is shown as typed. The topic fits Slack's 250
characters: the SOAR link is kept whole, and the owner, the phase and the severity are shortened (with an
ellipsis, before escaping, so that no entity is cut) until it fits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Protocol

from fn_slack.lib import messages
from fn_slack.lib.message_format import escape_untrusted, html_to_mrkdwn
from fn_slack.lib.text_conventions import TimeFormat, utc_time

TOPIC_MAX = 250         # conversations.setTopic: "too_long" beyond 250 characters (its method page)
SEPARATOR = " · "
ELLIPSIS = "…"
HEADER_MAX = 150        # a header block's plain_text (Block Kit reference)
FIELD_MAX = 2000        # a section field's text (Block Kit reference)
SECTION_MAX = 3000      # a section block's text (Block Kit reference)


class IncidentFacts(Protocol):
    """What the parts show of the incident (``soar.incident_facts.IncidentFacts`` as read from SOAR)."""

    incident_id: int
    name: str
    severity: str
    phase: str
    closed: bool
    owner: str
    open_tasks: int
    last_update_ms: int
    closed_tasks: int
    resolution: str
    resolution_summary: str


@dataclass(frozen=True)
class SyncParts:
    """The three parts fn_slack keeps in step, as they are to be written."""

    topic: str
    bookmark_title: str
    bookmark_link: str
    summary_text: str
    summary_blocks: list[dict]

    def digests(self) -> dict[str, str]:
        """A digest per part: equal digests mean nothing to write."""
        return {"topic": digest(self.topic), "bookmark": digest([self.bookmark_title, self.bookmark_link]),
                "summary": digest([self.summary_text, self.summary_blocks])}


def digest(value: object) -> str:
    """A short, stable digest of a JSON-able value."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:max(0, limit - 1)].rstrip() + ELLIPSIS


def topic_text(facts: IncidentFacts, link: str) -> str:
    """"severity · phase/status · owner · <link|SOAR id>", at most ``TOPIC_MAX`` characters as sent."""
    anchor = f"<{link}|{messages.sync_link_label(facts.incident_id)}>"
    status = messages.incident_status(facts.closed)
    values = [_one_line(facts.severity) or "-", _one_line(facts.phase) or "-",
              _one_line(facts.owner) or messages.NO_OWNER]

    def render(parts: list[str]) -> str:
        severity, phase, owner = (escape_untrusted(p) for p in parts)
        return SEPARATOR.join([severity, f"{phase}/{status}", owner, anchor])

    text = render(values)
    for index in (2, 1, 0):   # the owner first, then the phase, then the severity
        while len(text) > TOPIC_MAX and len(values[index]) > 1:
            over = len(text) - TOPIC_MAX
            values[index] = _cut(values[index].rstrip(ELLIPSIS), max(1, len(values[index]) - over - 1))
            text = render(values)
    if len(text) > TOPIC_MAX:   # only an absurdly long SOAR address gets here: the link alone
        text = _cut(anchor, TOPIC_MAX) if len(anchor) <= TOPIC_MAX else messages.sync_link_label(facts.incident_id)
    return text


def summary(facts: IncidentFacts) -> tuple[str, list[dict]]:
    """The pinned summary: its notification text and its blocks (name, severity, owner, open tasks, last
    update; the phase and status too)."""
    name = _one_line(facts.name) or messages.sync_untitled(facts.incident_id)
    updated = (utc_time(facts.last_update_ms / 1000, TimeFormat.QUESTION) if facts.last_update_ms else "-")
    labels = messages.SYNC_SUMMARY_LABELS
    fields = [(labels["severity"], facts.severity or "-"), (labels["owner"], facts.owner or messages.NO_OWNER),
              (labels["phase"], f"{facts.phase or '-'}/{messages.incident_status(facts.closed)}"),
              (labels["open_tasks"], str(facts.open_tasks)), (labels["last_update"], updated)]
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(name, HEADER_MAX), "emoji": False}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": _cut(f"*{label}*\n{escape_untrusted(value)}",
                                                                       FIELD_MAX)} for label, value in fields]},
        {"type": "context", "elements": [{"type": "mrkdwn",
                                          "text": messages.sync_summary_context(facts.incident_id)}]},
    ]
    text = messages.sync_summary_fallback(escape_untrusted(_cut(name, HEADER_MAX)), facts.incident_id)
    return text, blocks


def closing_summary(facts: IncidentFacts) -> tuple[str, list[dict]]:
    """The closing summary a closed incident's channel gets before it is exported and archived: its text (the
    archive notice's wording first, then the summary, so that the saved export holds it) and its blocks (name,
    "Closed", resolution, owner, final severity, tasks closed/open, the resolution summary)."""
    name = _one_line(facts.name) or messages.sync_untitled(facts.incident_id)
    labels = messages.CLOSING_LABELS
    fields = [(labels["status"], messages.CLOSED), (labels["resolution"], facts.resolution or messages.NO_RESOLUTION),
              (labels["owner"], facts.owner or messages.NO_OWNER), (labels["severity"], facts.severity or "-"),
              (labels["tasks"], messages.closing_tasks(facts.closed_tasks, facts.open_tasks))]
    shown = [(label, _cut(escape_untrusted(_one_line(value)), FIELD_MAX - len(label) - 4)) for label, value in fields]
    resolution_summary = html_to_mrkdwn(facts.resolution_summary).strip()
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(name, HEADER_MAX), "emoji": False}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in shown]},
    ]
    lines = [messages.ARCHIVE_NOTICE, messages.sync_summary_fallback(escape_untrusted(_cut(name, HEADER_MAX)),
                                                                     facts.incident_id)]
    lines += [f"{label}: {value}" for label, value in shown]
    if resolution_summary:
        text = _cut(f"*{labels['summary']}*\n{resolution_summary}", SECTION_MAX)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
        lines.append(f"{labels['summary']}: {_cut(resolution_summary, SECTION_MAX)}")
    context = f"{messages.ARCHIVE_NOTICE} {messages.closing_summary_context(facts.incident_id)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return "\n".join(lines), blocks


def is_archive_notice(text: object) -> bool:
    """Whether a message's text is the archive's notice, plain or as a closing summary's first line."""
    return isinstance(text, str) and text.split("\n", 1)[0] == messages.ARCHIVE_NOTICE


def sync_parts(facts: IncidentFacts, link: str) -> SyncParts:
    """Every part for the incident and its SOAR address."""
    text, blocks = summary(facts)
    return SyncParts(topic=topic_text(facts, link), bookmark_title=messages.sync_bookmark_title(facts.incident_id),
                     bookmark_link=link, summary_text=text, summary_blocks=blocks)
