"""Who a Slack person is, as fn_slack names them in SOAR (pure, a leaf): the user ID, the real name and e-mail of
``users.info``, and whether they are a guest or another organisation's (Slack Connect) person.

A display name is what a person chooses to be called and anyone may choose "Alice"; fn_slack never names a
person by it. The real name, the e-mail and the ID come from the workspace's own record (``users.info``:
``real_name``, ``profile.email``, ``is_restricted``, ``is_ultra_restricted``, ``is_stranger``, ``team_id``).
A person Slack did not describe is named by the ID alone and marked unverified — never by a name the event
itself carried.
"""

from __future__ import annotations

from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.text_conventions import strip_invisible


def _clean(value: object) -> str:
    """A name or address from Slack as one line without invisible characters."""
    return " ".join(strip_invisible(str(value or "")).split())


@dataclass(frozen=True)
class Person:
    """A Slack person as a note names them."""

    user_id: str
    real_name: str = ""
    email: str = ""
    guest: bool = False
    external: bool = False
    verified: bool = True

    @classmethod
    def from_slack(cls, user: dict, home_team: str | None) -> Person:
        """The person of a users.info ``user``; ``home_team`` is the app's own team (``auth.test``'s
        ``team_id``): a person of another team is external."""
        profile = user.get("profile") or {}
        team = user.get("team_id") or profile.get("team")
        return cls(user_id=_clean(user.get("id")), real_name=_clean(user.get("real_name") or profile.get("real_name")),
                   email=_clean(profile.get("email")),
                   guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
                   external=bool(user.get("is_stranger")) or bool(home_team and team and team != home_team))

    @classmethod
    def unverified(cls, user_id: str) -> Person:
        """A person Slack did not describe (users.info failed or does not know them): the ID alone."""
        return cls(user_id=_clean(user_id), verified=False)

    @property
    def name(self) -> str:
        """The real name, else the ID (where one word must stand for the person: a mention, "answered by")."""
        return self.real_name or self.user_id

    @property
    def label(self) -> str:
        """Plain text naming the person beyond doubt: ``Alice Adams <alice@example.com> (U0ALICE01), guest``."""
        marks = [mark for mark, on in ((messages.PERSON_GUEST, self.guest), (messages.PERSON_EXTERNAL, self.external),
                                       (messages.PERSON_UNVERIFIED, not self.verified)) if on]
        return messages.person_label(self.real_name, self.email, self.user_id, marks)


__all__ = ["Person"]
