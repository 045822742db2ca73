"""The process-wide lock per incident: two calls for one incident never both create a channel or a link.

A post that found nothing linked waits for the lock; it reads the link again under it only when another post of
this process added a link for the same incident (or task) since its first read (``links_added``), so the first
post of an incident reads the link table once before its write."""

from __future__ import annotations

import threading
from collections import defaultdict


class IncidentLocks:
    """One re-entrant lock per incident id, made on first use."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.RLock] = defaultdict(threading.RLock)
        self._links_added: dict[tuple[int, int | None], int] = defaultdict(int)

    def __call__(self, incident_id: int) -> threading.RLock:
        """The lock of ``incident_id`` (the same object for every caller in this process)."""
        with self._guard:
            return self._locks[int(incident_id)]

    def links_added(self, incident_id: int, task_id: int | None) -> int:
        """How many links of the incident (or task) posts of this process have added so far."""
        with self._guard:
            return self._links_added[(int(incident_id), task_id)]

    def link_added(self, incident_id: int, task_id: int | None) -> None:
        """Count a link a post added (under the incident's lock), for the posts waiting for that lock."""
        with self._guard:
            self._links_added[(int(incident_id), task_id)] += 1


incident_lock = IncidentLocks()
