"""The claim of an incident's (or task's) channel in ``slack_messages_db``: of several integration servers whose
first posts for one incident find nothing linked, exactly one creates (or finds) the channel and links it; the
others wait for its link and post there.

The claim is ``mirror_log``'s: key ``channel/incident`` (or ``channel/task/<id>``) in the incident's claim rows,
the oldest row wins (``tables.claim``), a loser's row is removed at once. Steps:

- The holder reads the link again (another server may have linked it just before the claim), and, with nothing
  linked, creates or finds the channel and writes the link; then it removes its claim row, so the key can be
  claimed again when someone deletes the link later. While it holds the claim (a wait in Slack's rate-limit line
  may be long) a heartbeat renews the row's claim time every third of the lease; a failed post removes its row
  at once.
- Every other post waits: it reads the link with a growing pause (0.25 s doubling to 2 s); the link found, it
  posts there like any post to a linked incident. A claim row gone without a link (the holder failed) is
  claimed again; a claim that stood unchanged for the lease (``event_claim_seconds``) on this process's own
  clock (``Silence``) belongs to a server that died and is taken over. The wait ends with an error at
  ``max_rate_limit_wait``, the ceiling of every Slack wait.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from fn_slack.lib import messages
from fn_slack.lib.errors import ChannelStateError
from fn_slack.lib.soar.mirror_log import Claim, MirrorLog, Silence, Standing, mirror_log_ready

LOG = logging.getLogger(__name__)
POLL_SECONDS = 0.25      # the first pause before the link is read again; doubles up to MAX_POLL_SECONDS
MAX_POLL_SECONDS = 2.0
Link = TypeVar("Link")


def channel_key(task_id: int | None) -> str:
    """The claim key of the channel of the incident (``channel/incident``) or of one of its tasks."""
    return f"channel/task/{int(task_id)}" if task_id else "channel/incident"


def claims_ready(rest_client: object) -> bool:
    """Whether the org has ``slack_messages_db`` to claim channels in (the package may have been upgraded before
    ``resilient-circuits customize``)."""
    return mirror_log_ready(rest_client)


@dataclass
class ClaimTiming:
    """The lease of a claim, the ceiling of a wait for another server's claim, and this process's clocks."""

    lease_seconds: float
    ceiling_seconds: float
    clock: Callable[[], float] = time.time           # the claim time written in a claim row
    monotonic: Callable[[], float] = time.monotonic  # how long another server's claim stood still; the ceiling
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Granted(Generic[Link]):
    """How a claim ended: this process holds it (``claim``), or the channel was linked meanwhile (``link``)."""

    claim: Claim | None
    link: Link | None


class ChannelClaim:
    """The claim of one incident's (or task's) channel; ``object_label`` and ``channel_name`` name it to the
    analyst."""

    def __init__(self, rest_client: object, incident_id: int, task_id: int | None, timing: ClaimTiming, *,
                 object_label: str, channel_name: str, owner: str | None = None) -> None:
        self.log = MirrorLog(rest_client, incident_id, owner=owner, clock=timing.clock)
        self.key = channel_key(task_id)
        self.timing = timing
        self.object_label = object_label
        self.channel_name = channel_name

    def acquire(self, read_link: Callable[[], Link | None], tell: Callable[[str], None]) -> Granted[Link]:
        """Claim the channel, or wait until the server that holds it has linked it (``read_link()`` not None).
        The first wait is told once (``tell``). A claim that is won is followed by one more read of the link:
        linked meanwhile, the claim is removed again and the link returned."""
        timing, log = self.timing, self.log
        standing = log.claim(self.key, "", "")
        silence, pause, told = Silence(timing.monotonic), POLL_SECONDS, False
        give_up = timing.monotonic() + timing.ceiling_seconds
        while not standing.won:
            if not told:
                tell(messages.channel_being_created_elsewhere(self.channel_name, self.object_label))
                told = True
            if timing.monotonic() >= give_up:
                raise ChannelStateError(messages.channel_creation_pending(self.channel_name, self.object_label,
                                                                          timing.ceiling_seconds),
                                        reason="channel_claim_pending")
            timing.sleep(min(pause, max(0.0, give_up - timing.monotonic())))
            pause = min(pause * 2, MAX_POLL_SECONDS)
            link = read_link()
            if link is not None:
                return Granted(claim=None, link=link)
            standing = self._next(log.standing(self.key), silence)
        link = read_link()   # another server may have linked it just before this claim
        if link is not None:
            self.release(standing.first)
            return Granted(claim=None, link=link)
        return Granted(claim=standing.first, link=None)

    def _next(self, standing: Standing, silence: Silence) -> Standing:
        """No claim left (its holder failed and removed it): claim again. A claim unchanged for the lease: its
        holder died; take it over. Otherwise wait on."""
        first = standing.first
        if first is None:
            return self.log.claim(self.key, "", "")
        if silence.over(first, self.timing.lease_seconds):
            LOG.info("fn_slack takes over the claim of %s (row %s of %s) after %.0f s unchanged", self.key,
                     first.row_id, first.owner, self.timing.lease_seconds)
            return self.log.take_over(first)
        return standing

    @contextlib.contextmanager
    def held(self, claim: Claim) -> Iterator[None]:
        """While the block runs the claim's time is renewed every third of the lease; after it (done or failed)
        the claim row is removed."""
        heartbeat = _Heartbeat(self.log, claim, self.timing.lease_seconds / 3)
        heartbeat.start()
        try:
            yield
        finally:
            self.release(heartbeat.stop())

    def release(self, claim: Claim | None) -> None:
        """Remove this process's claim row (gone already: taken over; nothing to do)."""
        if claim is None:
            return
        try:
            self.log.release(claim)
        except Exception as err:   # the claim's lease ends it anyway: the post is not failed for its cleanup
            LOG.warning("fn_slack could not remove its claim %s (row %s): %s", self.key, claim.row_id, err)


class _Heartbeat:
    """Renews a held claim's time (the whole row written, as every claim write) until stopped."""

    def __init__(self, log: MirrorLog, claim: Claim, every: float) -> None:
        self.log = log
        self.claim: Claim | None = claim
        self.every = max(every, 0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fn_slack claim {claim.row_id}", daemon=True)
        self._lock = threading.Lock()

    def start(self) -> None:
        """Begin renewing."""
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                if self.claim is None:
                    return
                try:
                    self.claim = self.log.renew(self.claim)
                except Exception as err:   # SOAR unreachable for a moment: the next beat tries again
                    LOG.warning("fn_slack could not renew its claim (row %s): %s", self.claim.row_id, err)
                    continue
                if self.claim is None:
                    LOG.warning("fn_slack's claim of a channel was taken over by another integration server")

    def stop(self) -> Claim | None:
        """Stop renewing; the claim as last written (None: it was taken over)."""
        self._stop.set()
        self._thread.join()
        with self._lock:
            return self.claim


__all__ = ["ChannelClaim", "ClaimTiming", "Granted", "channel_key", "claims_ready"]
