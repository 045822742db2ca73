"""The process-wide lock per incident: two calls for one incident never both create a channel or a link."""

from __future__ import annotations

import threading
from collections import defaultdict


class IncidentLocks:
    """One re-entrant lock per incident id, made on first use."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.RLock] = defaultdict(threading.RLock)

    def __call__(self, incident_id: int) -> threading.RLock:
        """The lock of ``incident_id`` (the same object for every caller in this process)."""
        with self._guard:
            return self._locks[int(incident_id)]


incident_lock = IncidentLocks()
