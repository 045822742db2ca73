"""The claims log ``slack_messages_db``, declared on the data-table engine: the claim that lets exactly one
integration server do a thing once — write a mirrored Slack event's note, or decide a question's outcome.

**Exactly once.** Each mirrored Slack event has a key (``<channel>/<ts>``, ``.../edit/<edited ts>``,
``.../deleted``); a question's outcome has ``question/<id>/outcome``. The key is matched exactly, in the key
column of the claim rows. A process claims a key through the engine's *oldest row wins* (``tables.claim``): it
adds a row with the key and reads the rows back; the lowest row id with that key is the claim, a process that
lost deletes its own row. The claim's row is its fence: a row that was taken over is deleted, so every later
write of the old holder to it is refused (404), whether or not SOAR checks row versions.

A claim row goes ``claimed`` (``retaking`` when a note of the key may exist already) → ``writing`` (the
holder checked its claim just before its write, and says a write began) → ``noted`` (the note's id recorded)
or ``failed`` (Slack's last delivery could not be mirrored; its note says so). A claim that stays unchanged for
``event_claim_seconds``, as the waiting process's own clock measures it (never another server's clock), belongs
to a process that died or hangs: it is taken over (``tables.take_over``: delete that row, claim again, the
oldest new row wins). The user guide draws the protocol with its failure cases (§12.2).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fn_slack.lib.soar import tables
from fn_slack.lib.soar.columns import check_table_ready, table_columns
from fn_slack.lib.soar.links import COL_MIRROR, COL_SEAL
from fn_slack.lib.soar.links import TABLE as LINKS_TABLE
from fn_slack.lib.soar.tables import IncidentTable, Row, TableSpec

TABLE = "slack_messages_db"
COL_KEY = "slack_msg_key"
COL_STATE = "slack_msg_state"
COL_OWNER = "slack_msg_owner"
COL_CLAIMED = "slack_msg_claimed"
COL_NOTE = "slack_msg_note_id"
COL_AUTHOR = "slack_msg_author"
COL_LINK = "slack_msg_link"
CLAIMED = "claimed"
RETAKING = "retaking"  # claimed from a holder that may have written: the holder looks for its notes first
WRITING = "writing"    # the holder checked its claim and began the write; a taker looks for what it wrote
NOTED = "noted"
OPEN_STATES = (CLAIMED, RETAKING, WRITING)
FAILED = "failed"   # the event could not be mirrored at Slack's last delivery; its note says so
COLUMNS = (COL_KEY, COL_STATE, COL_OWNER, COL_CLAIMED, COL_NOTE, COL_AUTHOR, COL_LINK)
CLAIMS = TableSpec(TABLE, columns=COLUMNS, key=COL_KEY)
PURPOSE = "mirroring (slack_mirror)"


def check_ready(rest_client: object, purpose: str) -> None:
    """Refuse ``purpose`` before anything is posted when the org lacks the ``slack_messages_db`` table (or a
    column of it): the package was upgraded before ``resilient-circuits customize``."""
    check_table_ready(rest_client, TABLE, COLUMNS, purpose)


def check_mirroring_ready(rest_client: object) -> None:
    """Refuse slack_mirror Yes before anything is posted when the org lacks what mirroring writes: the
    ``slack_messages_db`` table (or a column of it) or the link's ``slack_db_mirror`` and ``slack_db_seal``
    columns (a link mirrors only when fn_slack sealed it)."""
    check_ready(rest_client, PURPOSE)
    check_table_ready(rest_client, LINKS_TABLE, (COL_MIRROR, COL_SEAL), PURPOSE)


def mirror_log_ready(rest_client: object) -> bool:
    """Whether the org has the ``slack_messages_db`` table the listener claims events in."""
    return table_columns(rest_client, TABLE, wanted=COLUMNS).exists


def owner_name() -> str:
    """The name of this process (host:pid), as the claim rows give it."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Claim:
    """The row that holds one key's claim."""

    row_id: int
    state: str
    owner: str
    claimed_ms: int
    note_id: int | None
    row: Row = field(compare=False, repr=False, default_factory=lambda: Row(0))


def _claim_of(row: Row) -> Claim:
    note = row.value(COL_NOTE)
    return Claim(row_id=row.row_id, state=row.text(COL_STATE), owner=row.text(COL_OWNER),
                 claimed_ms=int(row.value(COL_CLAIMED) or 0),
                 note_id=int(note) if note not in (None, "") else None, row=row)


@dataclass(frozen=True)
class Standing:
    """Where a key's claim stands: its claim (the oldest row; None when no row is left) and whether it is this
    process's."""

    first: Claim | None
    won: bool


def _standing(race: tables.Race) -> Standing:
    return Standing(first=_claim_of(race.winner) if race.winner is not None else None, won=race.won)


class MirrorLog(IncidentTable):
    """The ``slack_messages_db`` rows of one incident: one claim per key (a mirrored event, a question's
    outcome)."""

    def __init__(self, rest_client: object, incident_id: int, *, owner: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(rest_client, CLAIMS, incident_id)
        self.clock = clock
        self.owner = owner or owner_name()

    def claims(self, key: str) -> list[Claim]:
        """The rows of ``key``, oldest (lowest id) first."""
        return [_claim_of(row) for row in self.rows_with(key)]

    def _claim_cells(self, author: str, link_html: str, retaking: bool = False
                     ) -> tuple[dict, Callable[[], Row | None]]:
        """The claim row of this process (its claim time is its mark) and how to find it after a lost answer."""
        claimed_ms = int(self.clock() * 1000)
        cells = {COL_STATE: RETAKING if retaking else CLAIMED, COL_OWNER: self.owner, COL_CLAIMED: claimed_ms,
                 COL_AUTHOR: author, COL_LINK: link_html}

        def look() -> Row | None:
            return next((row for row in self.rows() if row.text(COL_OWNER) == self.owner
                         and row.value(COL_CLAIMED) == claimed_ms), None)

        return cells, look

    def claim(self, key: str, author: str, link_html: str, *, retaking: bool = False) -> Standing:
        """Claim ``key``: the oldest row of the key wins; this process's row is removed when it lost.
        ``retaking``: a note of the key may exist already (the holder looks for it before writing)."""
        cells, look = self._claim_cells(author, link_html, retaking)
        return _standing(tables.claim(self, key, cells, look=look))

    def standing(self, key: str) -> Standing:
        """Read where the claim of ``key`` stands (this process holds no row of it)."""
        return _standing(tables.standing(self, key))

    def take_over(self, claim: Claim, author: str = "", link_html: str = "", *, retaking: bool = False) -> Standing:
        """Take over a dead process's claim: its row is removed and the key claimed again (oldest row wins);
        ``retaking`` as for ``claim``."""
        cells, look = self._claim_cells(author or claim.row.text(COL_AUTHOR), link_html or claim.row.text(COL_LINK),
                                        retaking)
        return _standing(tables.take_over(self, claim.row, claim.row.text(COL_KEY), cells, look=look))

    def begin_write(self, claim: Claim) -> Claim | None:
        """Check the claim just before the write and say the write began (the whole row written, its claim time
        renewed); None when the row is gone: another process took the claim over and writes instead."""
        return self.renew(claim, state=WRITING)

    def renew(self, claim: Claim, *, state: str | None = None) -> Claim | None:
        """Renew a held claim's time (the whole row written; its state too, when given): a holder that works
        long is not taken for dead. None when the row is gone: another process took the claim over."""
        changes = {COL_CLAIMED: int(self.clock() * 1000), **({COL_STATE: state} if state else {})}
        written, _left_out = self.put(claim.row, changes)
        return _claim_of(written) if written is not None else None

    def holds(self, claim: Claim) -> bool:
        """Whether ``claim``'s row is still there and still this process's, open (read from SOAR)."""
        row = self.row(claim.row_id)
        return row is not None and row.text(COL_OWNER) == self.owner and row.text(COL_STATE) in OPEN_STATES

    def mark_noted(self, claim: Claim, note_id: int | None = None) -> bool:
        """Record on the claim row (the whole row written) that the work is done, with the event's note
        ``note_id``. False when the row is gone: the claim was taken over meanwhile, and the note written under
        it is not this process's to keep."""
        done = {COL_STATE: NOTED, **({COL_NOTE: note_id} if note_id is not None else {})}
        written, _left_out = self.put(claim.row, done)
        return written is not None

    def mark_failed(self, claim: Claim, note_id: int) -> bool:
        """Record on the claim row that the event could not be mirrored, with the note that says so; False when
        the row is gone (taken over)."""
        written, _left_out = self.put(claim.row, {COL_STATE: FAILED, COL_NOTE: note_id})
        return written is not None

    def release(self, claim: Claim) -> None:
        """Remove this process's claim after its work failed: the next delivery claims the key afresh instead
        of waiting for the claim's lease to run out."""
        self.delete(claim.row)


class Silence:
    """How long a claim has stood unchanged, as this process's own monotonic clock measures it: a claim is taken
    over only after it stood still (same row, state and claim time) for the whole lease, so a clock difference
    between integration servers never makes a live claim look dead."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._seen: tuple | None = None
        self._since = 0.0

    def over(self, claim: Claim, lease_seconds: float) -> bool:
        """Whether ``claim`` has stood unchanged for ``lease_seconds`` since this process first saw it so."""
        now = self.clock()
        seen = (claim.row_id, claim.state, claim.claimed_ms, claim.owner)
        if seen != self._seen:
            self._seen, self._since = seen, now
        return now - self._since >= lease_seconds


__all__ = ["CLAIMED", "CLAIMS", "FAILED", "NOTED", "OPEN_STATES", "RETAKING", "WRITING", "Claim", "MirrorLog",
           "Silence", "Standing",
           "check_mirroring_ready", "check_ready", "mirror_log_ready", "owner_name"]
