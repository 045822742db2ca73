"""A note written exactly once under a claim of ``slack_messages_db`` (the protocol of ``mirror_log``): a
mirrored Slack event's note, and a question's answer note. Every note the listener writes goes through
:class:`ClaimedNote`.

The steps, as the user guide draws them (§12.2): claim the key (the oldest row wins); a claim of another
process is waited for until it is recorded, or taken over once it stood unchanged for the claim time on this
process's own clock; the holder checks its claim just before writing (a PUT of its own row, ``writing``: a
row taken over is gone and answers 404), writes the note once, and records it (``noted``). A holder that lost
its claim while writing goes back to the claim with the note it wrote, which the key's record decides: a note
that is not the recorded one is removed by its writer. A retaking holder (after a takeover) adopts the oldest
note of the key, if any, and removes the others once its record is written.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.soar.incidents import Notes
from fn_slack.lib.soar.mirror_log import FAILED, NOTED, RETAKING, Claim, MirrorLog, Silence

LOG = logging.getLogger(__name__)
POLL_SECONDS = 0.25     # first wait for another process's open claim; doubles up to MAX_POLL_SECONDS
MAX_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class NotePlace:
    """Where the note goes and what identifies it: the incident (and task), the claim key, the reference the
    note carries (found again by a retaking holder) and what the claim row shows (author, link)."""

    incident_id: int
    task_id: int | None
    key: str
    reference: str
    author: str = ""
    link_html: str = ""


@dataclass
class Timing:
    """The claim time, the clocks and the waits of one process."""

    lease_seconds: float
    clock: Callable[[], float] = time.time           # the claim time written in a claim row
    monotonic: Callable[[], float] = time.monotonic  # how long another process's claim stood still
    sleep: Callable[[float], None] = time.sleep
    closing: threading.Event | None = None           # set: stop waiting for other processes' claims

    def give_up_at(self) -> float:
        """When a process stops waiting for an open claim (the caller's delivery comes again)."""
        return time.monotonic() + max(4 * self.lease_seconds, 60)


class ClaimedNote:
    """One note, written once by the holder of its key's claim."""

    def __init__(self, rest_client: object, place: NotePlace, timing: Timing, *, owner: str | None = None) -> None:
        self.place = place
        self.timing = timing
        self.log = MirrorLog(rest_client, place.incident_id, owner=owner, clock=timing.clock)
        self.notes = Notes(rest_client)

    def claimed(self) -> bool:
        """Whether the key is claimed already (by any process): work that comes before the note, and must be
        done once, is skipped by a second delivery that finds the claim."""
        return self.log.standing(self.place.key).first is not None

    def write(self, body: Callable[[], str], *, failed: Callable[[ClaimedNote, Claim, Exception], str] | None = None,
              look_first: bool = False) -> str:
        """Write the note ``body()`` makes; returns "noted", "recovered" (a dead holder's note adopted),
        "duplicate" (recorded already), "superseded" (this process's claim was taken over; the taker wrote) or
        what ``failed(self, claim, error)`` returns when the note cannot be made or written (without it, the
        claim is released and the error raised). ``look_first``: the note may exist without a claim row (an
        earlier version wrote it): the holder looks for it before writing."""
        place, log = self.place, self.log
        give_up = self.timing.give_up_at()
        unrecorded: int | None = None   # a note this process wrote under a claim it then lost
        standing = log.claim(place.key, place.author, place.link_html, retaking=look_first)
        silence = Silence(self.timing.monotonic)
        pause = POLL_SECONDS
        while True:
            first = standing.first
            if first is None:  # no row of the key is left: claim again
                standing = log.claim(place.key, place.author, place.link_html, retaking=unrecorded is not None)
            elif first.state in (NOTED, FAILED):   # recorded: a note of this process that is not the record goes
                if unrecorded is not None and unrecorded != first.note_id:
                    self.remove(unrecorded)
                return "duplicate" if unrecorded is None else "superseded"
            elif standing.won:
                outcome, unrecorded = self._hold(first, unrecorded, body, failed)
                if outcome is not None:
                    return outcome
                standing = log.standing(place.key)
            elif not silence.over(first, self.timing.lease_seconds):
                pause = self._wait(pause, give_up)
                standing = log.standing(place.key)
            else:   # its holder may have written before it died (a claim of fn_slack 3.0 never says so): retaking
                standing = log.take_over(first, place.author, place.link_html, retaking=True)

    def _wait(self, pause: float, give_up: float) -> float:
        """Wait for an open claim (the next pause is returned); past the deadline or when closing, give up."""
        closing = self.timing.closing
        if time.monotonic() > give_up or (closing is not None and closing.is_set()):
            raise TimeoutError(f"the claim of {self.place.key} stayed open")
        self.timing.sleep(pause)
        return min(pause * 2, MAX_POLL_SECONDS)

    def _hold(self, claim: Claim, unrecorded: int | None, body: Callable[[], str],
              failed: Callable[[ClaimedNote, Claim, Exception], str] | None) -> tuple[str | None, int | None]:
        """The holder's turn: check the claim just before writing (the row says a write began), write the note
        once, record it. A retaking claim, or a process that already wrote a note, first looks for the notes
        of the key: the oldest is the note (adopted), the others are removed once it is recorded. Returns the
        outcome, or None (with the note this process wrote, if any) when the claim was lost meanwhile."""
        try:
            text = body()
        except Exception as err:
            return self._failed(claim, err, failed), None
        search = claim.state == RETAKING or unrecorded is not None
        began = self.log.begin_write(claim)
        if began is None:   # taken over before the write: nothing written
            return None, unrecorded
        found = self.notes.find_all(self.place.incident_id, self.place.task_id, self.place.reference) \
            if search else []
        if found:
            note_id = found[0]
        else:
            try:
                note_id = self.add(text, began)
            except Exception as err:
                return self._failed(began, err, failed), unrecorded
            if note_id is None:   # the answer was lost and the claim with it: nothing found, nothing resent
                return None, unrecorded
        if not self.log.mark_noted(began, note_id):   # taken over while writing: the key's record decides
            LOG.warning(messages.mirror_claim_lost(self.place.key, note_id))
            return None, note_id if not found else unrecorded
        for stray in {*found[1:], *([unrecorded] if unrecorded is not None else [])} - {note_id}:
            self.remove(stray)
        return ("recovered" if found else "noted"), None

    def _failed(self, claim: Claim, err: Exception,
                failed: Callable[[ClaimedNote, Claim, Exception], str] | None) -> str:
        if failed is not None:
            return failed(self, claim, err)
        self.release(claim)
        raise err

    # ------------------------------------------------------------------ steps a failure handler takes
    def add(self, html_text: str, claim: Claim) -> int | None:
        """Add the note once while ``claim`` is this process's (None: the answer was lost with the claim)."""
        place = self.place
        return self.notes.add(place.incident_id, place.task_id, html_text, marker=place.reference,
                              may_resend=lambda: self.log.holds(claim))

    def remove(self, note_id: int) -> None:
        """Remove a note this process wrote that is not the key's record."""
        self.notes.remove(self.place.incident_id, self.place.task_id, note_id)

    def release(self, claim: Claim) -> None:
        """Remove the claim after a failed try: the next delivery claims the key afresh."""
        with contextlib.suppress(Exception):
            self.log.release(claim)

    def record_failure(self, claim: Claim, html_text: str) -> str:
        """Write a note that says the thing could not be done, and mark the claim ``failed`` with it; the claim
        is released (and the error raised) when even that note cannot be written."""
        try:
            note_id = self.add(html_text, claim)
        except Exception:
            self.release(claim)
            raise
        if note_id is not None and not self.log.mark_failed(claim, note_id):
            self.remove(note_id)
            return "superseded"
        return "failed"


__all__ = ["ClaimedNote", "NotePlace", "Timing"]
