"""The SOAR side of two-way channels (SOAR REST only): which incident a channel mirrors into, the claim that
lets exactly one integration server write a Slack event, and the notes.

**Finding the incident of a channel.** A link that mirrors puts its channel ID into the incident's custom
field ``slack_mirror_channels`` (space-separated IDs). The listener asks SOAR once per channel and process:
``POST /incidents/query_paged`` with the condition ``properties.slack_mirror_channels contains <ID>`` (an
indexed database query, not a scan of incidents through the API) at ``return_level=normal`` with
``field_handle=slack_mirror_channels`` (a ``partial`` answer carries no custom fields; IBM's own apps read a
custom field this way), then reads that incident's
``slack_conversations_db`` rows (one GET) to learn whether the link is the incident's or a task's and whether
mirroring is still on. The answer is cached by the caller.

**Exactly once.** Each mirrored Slack event has a key (``<channel>/<ts>``, ``.../edit/<edited ts>``,
``.../deleted``). A process claims it by adding a row to the incident's ``slack_messages_db`` and reading the
rows back: the lowest row id with that key is the claim (row ids only grow), a process that lost deletes its
own row. The claim holder writes the note and marks the row ``noted``. A claim still ``claimed`` after
``event_claim_seconds`` belongs to a process that died mid-event: another process takes it over with a row
update carrying the row's ``version`` (SOAR answers 409 to all but one), and before writing looks for the
event's reference in the notes, in case the dead process wrote the note but not the mark.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from resilient import BasicHTTPException, Patch, PatchConflictException, SimpleHTTPException

from fn_slack.lib import messages
from fn_slack.lib.conversations_table import COL_MIRROR
from fn_slack.lib.conversations_table import TABLE as LINKS_TABLE
from fn_slack.lib.errors import SoarError
from fn_slack.lib.soar_rest import (
    IncidentTableRows,
    call_soar,
    cell_value,
    http_status,
    post_once,
    short,
    table_columns,
)

INDEX_FIELD = "slack_mirror_channels"
TABLE = "slack_messages_db"
COL_KEY = "slack_msg_key"
COL_STATE = "slack_msg_state"
COL_OWNER = "slack_msg_owner"
COL_CLAIMED = "slack_msg_claimed"
COL_NOTE = "slack_msg_note_id"
COL_AUTHOR = "slack_msg_author"
COL_LINK = "slack_msg_link"
CLAIMED = "claimed"
NOTED = "noted"
COLUMNS = (COL_KEY, COL_STATE, COL_OWNER, COL_CLAIMED, COL_NOTE, COL_AUTHOR, COL_LINK)
PURPOSE = "mirroring (slack_mirror)"


def check_mirroring_ready(rest_client: object) -> None:
    """Refuse slack_mirror Yes before anything is posted when the org lacks what mirroring writes: the
    ``slack_messages_db`` table (or a column of it) or the link's ``slack_db_mirror`` column (the package was
    upgraded before ``resilient-circuits customize``)."""
    claims = table_columns(rest_client, TABLE, wanted=COLUMNS)
    if not claims.exists:
        raise SoarError(messages.soar_table_needs_customize(TABLE, PURPOSE))
    for table, wanted, columns in ((TABLE, COLUMNS, claims),
                                   (LINKS_TABLE, (COL_MIRROR,),
                                    table_columns(rest_client, LINKS_TABLE, wanted=(COL_MIRROR,)))):
        missing = columns.missing(wanted)
        if missing:
            raise SoarError(messages.soar_table_columns_need_customize(table, missing, PURPOSE))


def mirror_log_ready(rest_client: object) -> bool:
    """Whether the org has the ``slack_messages_db`` table the listener claims events in."""
    return table_columns(rest_client, TABLE, wanted=COLUMNS).exists


def owner_name() -> str:
    """The name of this process (host:pid), as the claim rows give it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _refused(what: str) -> Callable[[int | None, str], SoarError]:
    return lambda status, text: SoarError(messages.soar_refused(what, status, text))


class MirrorIndex:
    """The incident field that says which channels an incident mirrors."""

    def __init__(self, rest_client: object) -> None:
        self.rest = rest_client
        self.calls = 0

    def incidents_of(self, channel_id: str) -> list[int]:
        """The incidents whose field holds ``channel_id`` (normally one)."""
        self.calls += 1
        body = {"filters": [{"conditions": [{"field_name": f"properties.{INDEX_FIELD}", "method": "contains",
                                              "value": channel_id}]}], "start": 0, "length": 20}
        uri = f"/incidents/query_paged?return_level=normal&field_handle={INDEX_FIELD}"
        answer = call_soar(lambda: self.rest.post(uri, body),
                           refused=_refused("search incidents for a Slack channel"))
        found = []
        for incident in answer.get("data") or []:
            value = str((incident.get("properties") or {}).get(INDEX_FIELD) or "")
            if channel_id in value.split():
                found.append(int(incident["id"]))
        return found

    def add(self, incident_id: int, channel_id: str) -> None:
        """Put ``channel_id`` into the incident's field (a concurrent change is read again and retried)."""
        for _ in range(5):
            incident = call_soar(lambda: self.rest.get(f"/incidents/{incident_id}"),
                                 refused=_refused(f"read incident {incident_id}"))
            old = (incident.get("properties") or {}).get(INDEX_FIELD)
            ids = str(old or "").split()
            if channel_id in ids:
                return
            patch = Patch(incident)
            # A custom field goes by its bare name (as SOAR and IBM's apps name it), with its value as read:
            # SOAR refuses the patch (field_failures) when the field changed since.
            patch.add_value(INDEX_FIELD, " ".join([*ids, channel_id]), old_value=old)
            try:
                self.rest.patch(f"/incidents/{incident_id}", patch)
                return
            except PatchConflictException:
                continue  # another link of this incident changed the field first: read it again
            except (BasicHTTPException, SimpleHTTPException) as err:
                raise _refused(f"update incident {incident_id}")(http_status(err), short(err)) from None
        raise SoarError(messages.soar_incident_kept_changing(incident_id))


@dataclass(frozen=True)
class Claim:
    """The row that holds one event's claim."""

    row_id: int
    version: int
    state: str
    owner: str
    claimed_ms: int
    note_id: int | None


def _claim_of(row: dict) -> Claim:
    note = cell_value(row, COL_NOTE)
    return Claim(row_id=int(row["id"]), version=int(row.get("version") or 0),
                 state=str(cell_value(row, COL_STATE) or ""),
                 owner=str(cell_value(row, COL_OWNER) or ""), claimed_ms=int(cell_value(row, COL_CLAIMED) or 0),
                 note_id=int(note) if note not in (None, "") else None)


class MirrorLog(IncidentTableRows):
    """The ``slack_messages_db`` rows of one incident: one claim per mirrored Slack event."""

    table = TABLE

    def __init__(self, rest_client: object, incident_id: int, *, owner: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(rest_client, incident_id, clock=clock)
        self.owner = owner or owner_name()

    def _call(self, action: Callable[[], dict], what: str) -> dict:
        self.calls += 1
        return call_soar(action, refused=_refused(what),
                         missing=self._missing)

    def claims(self, key: str) -> list[Claim]:
        """The rows of ``key``, oldest (lowest id) first."""
        rows = self._call(lambda: self.rest.get(self._uri(), skip_retry=[404]), f"read {TABLE}").get("rows") or []
        return [_claim_of(r) for r in sorted(rows, key=lambda r: int(r.get("id") or 0))
                if str(cell_value(r, COL_KEY) or "") == key]

    def add_claim(self, key: str, author: str, link_html: str) -> Claim:
        """Add this process's claim row for ``key`` (once: a lost answer is looked for before adding again)."""
        claimed_ms = int(self.clock() * 1000)
        cells = {COL_KEY: {"value": key}, COL_STATE: {"value": CLAIMED}, COL_OWNER: {"value": self.owner},
                 COL_CLAIMED: {"value": claimed_ms}, COL_AUTHOR: {"value": author}, COL_LINK: {"value": link_html}}

        def send(skip_retry: list[int]) -> Claim:
            self.calls += 1
            return _claim_of(self.rest.post(self._uri("/row_data"), {"cells": cells}, skip_retry=skip_retry))

        def look() -> Claim | None:
            return next((c for c in self.claims(key) if c.owner == self.owner and c.claimed_ms == claimed_ms), None)

        return post_once(send, look, refused=_refused(f"add a row to {TABLE}"),
                         missing=self._missing)

    def drop(self, claim: Claim) -> None:
        """Remove a claim row (this process's, after losing to an older claim)."""
        self._call(lambda: self.rest.delete(self._uri(f"/row_data/{claim.row_id}"), skip_retry=[404]),
                   f"remove a row of {TABLE}")

    def take_over(self, claim: Claim) -> bool:
        """Claim a dead process's row; False when another process changed it first (HTTP 409)."""
        cells = {COL_OWNER: {"value": self.owner}, COL_CLAIMED: {"value": int(self.clock() * 1000)}}
        try:
            self.calls += 1
            self.rest.put(self._uri(f"/row_data/{claim.row_id}"), {"cells": cells, "version": claim.version},
                          skip_retry=[404, 409])
            return True
        except (BasicHTTPException, SimpleHTTPException) as err:
            if http_status(err) == 409:
                return False
            raise _refused(f"update a row of {TABLE}")(http_status(err), str(err)) from None

    def mark_noted(self, claim: Claim, note_id: int) -> None:
        """Record on the claim row that the event's note ``note_id`` is written."""
        cells = {COL_STATE: {"value": NOTED}, COL_NOTE: {"value": note_id}}
        self._call(lambda: self.rest.put(self._uri(f"/row_data/{claim.row_id}"), {"cells": cells},
                                         skip_retry=[404]), f"update a row of {TABLE}")


class Notes:
    """Notes of an incident or task."""

    def __init__(self, rest_client: object) -> None:
        self.rest = rest_client
        self.calls = 0

    @staticmethod
    def _uri(incident_id: int, task_id: int | None) -> str:
        return f"/tasks/{task_id}/comments" if task_id else f"/incidents/{incident_id}/comments"

    def add(self, incident_id: int, task_id: int | None, html_text: str, *, marker: str) -> int:
        """Add a note holding ``marker`` (fn_slack's reference to what it records); returns its id. The note is
        written once: when SOAR's answer is lost, the note is looked for by its marker before writing again."""
        def send(skip_retry: list[int]) -> int:
            self.calls += 1
            return int(self.rest.post(self._uri(incident_id, task_id),
                                      {"text": {"format": "html", "content": html_text}}, skip_retry=skip_retry)["id"])

        return post_once(send, lambda: self.find(incident_id, task_id, marker),
                         refused=_refused(f"add a note to incident {incident_id}"))

    def find(self, incident_id: int, task_id: int | None, marker: str) -> int | None:
        """The id of a note holding ``marker``, if any."""
        self.calls += 1
        notes = call_soar(lambda: self.rest.get(self._uri(incident_id, task_id)),
                          refused=_refused(f"read the notes of incident {incident_id}"))
        for note in notes or []:
            text = note.get("text")
            text = text.get("content") if isinstance(text, dict) else text
            if marker in str(text or ""):
                return int(note["id"])
        return None


__all__ = ["Claim", "MirrorIndex", "MirrorLog", "Notes", "check_mirroring_ready", "mirror_log_ready",
           "owner_name"]
