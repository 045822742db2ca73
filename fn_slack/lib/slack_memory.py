"""What this process remembers of Slack for all its function calls: channel names, people's user IDs, who
people are (users.info, refreshed after a while), the token's own user and team.

A leaf: it imports nothing of fn_slack. Each answer is kept per workspace (the Slack URL and the token), so
two configurations in one process never see each other's answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

USER_ID_TTL = 900           # seconds an e-mail → user ID answer is reused for later invitations
PERSON_TTL = 600            # seconds who a person is (users.info) is reused: a renamed person shows renamed after
PEOPLE_KEPT = 5000          # people remembered at most; the longest unused are forgotten first
Workspace = tuple[str, int]  # (slack_api_url, hash of the token)


class ProcessMemory(Generic[K, V]):
    """Answers remembered by this process for all its function calls, per workspace, optionally for ``ttl`` s
    and for at most ``most`` keys (the longest unused are forgotten first)."""

    def __init__(self, ttl: float | None = None, most: int | None = None) -> None:
        self.ttl = ttl
        self.most = most
        self._lock = threading.Lock()
        self._known: dict[tuple[Workspace, K], tuple[V, float]] = {}

    def get(self, workspace: Workspace, key: K) -> V | None:
        """The remembered value, or None (never known, forgotten or older than ``ttl``)."""
        with self._lock:
            entry = self._known.pop((workspace, key), None)
            if entry is not None:      # the most recently used last: the first key is the one to forget
                self._known[(workspace, key)] = entry
        if entry is None or (self.ttl is not None and time.monotonic() - entry[1] > self.ttl):
            return None
        return entry[0]

    def remember(self, workspace: Workspace, items: Iterable[tuple[K, V]]) -> None:
        """Remember each ``(key, value)``."""
        now = time.monotonic()
        with self._lock:
            for key, value in items:
                self._known.pop((workspace, key), None)
                self._known[(workspace, key)] = (value, now)
            while self.most is not None and len(self._known) > self.most:
                del self._known[next(iter(self._known))]

    def forget(self, workspace: Workspace, key: K) -> None:
        """Forget one key."""
        with self._lock:
            self._known.pop((workspace, key), None)

    def forget_value(self, workspace: Workspace, value: V) -> None:
        """Forget every key whose value is ``value``."""
        with self._lock:
            for stale in [k for k, (v, _) in self._known.items() if k[0] == workspace and v == value]:
                del self._known[stale]

    def clear(self) -> None:
        """Forget everything (a freshly started app)."""
        with self._lock:
            self._known.clear()


# Channel name → the channel (a slack_client.Channel), so a name is searched in the workspace once, not on
# every post.
CHANNEL_DIRECTORY: ProcessMemory[str, Any] = ProcessMemory()
# Lower-cased e-mail → user ID of users.lookupByEmail; only members found are remembered.
USER_IDS: ProcessMemory[str, str] = ProcessMemory(ttl=USER_ID_TTL)
# User ID → who the person is (a people.Person of users.info), for the notes that name them.
PEOPLE: ProcessMemory[str, Any] = ProcessMemory(ttl=PERSON_TTL, most=PEOPLE_KEPT)
# The token's own user ID (auth.test), asked once per process and workspace: a user token's posts are its.
TOKEN_USERS: ProcessMemory[str, str] = ProcessMemory()
