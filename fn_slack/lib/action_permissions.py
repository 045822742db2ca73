"""Who may act on SOAR from Slack (the one permission check of every action from Slack).

A Slack person acts only as the SOAR user with the same e-mail, and only on an incident that SOAR user owns or
is a member of, or when that user holds one of the roles mapped in ``actions_roles``. Refused, always: a guest
of the workspace (``is_restricted``/``is_ultra_restricted``), a person of another team (Slack Connect,
``is_stranger``), a person Slack could not describe, a profile without e-mail, an e-mail no SOAR user has, a
disabled or locked SOAR user. The check fails closed: what cannot be read is a refusal or an error, never a yes.
"""

from __future__ import annotations

from dataclasses import dataclass

from fn_slack.lib.people import Person
from fn_slack.lib.soar.actors import IncidentPeople, SoarActors, SoarUser


@dataclass(frozen=True)
class Allowed:
    """The person may act, as this SOAR user."""

    person: Person
    soar_user: SoarUser
    via: str   # "owner", "member" or "role <name>"


@dataclass(frozen=True)
class Refused:
    """The person may not act; ``reason`` is a key of ``messages.ACTION_REFUSALS``."""

    reason: str


Decision = Allowed | Refused


class ActionPermissions:
    """The check, with the roles mapped in app.config."""

    def __init__(self, actors: SoarActors, roles: tuple[str, ...]) -> None:
        self.actors = actors
        self.roles = {role.strip().lower() for role in roles}

    def who(self, person: Person) -> SoarUser | Refused:
        """The SOAR user a Slack person acts as, or why they act as nobody (the checks that need no incident)."""
        for refused, reason in ((not person.verified, "unverified"), (person.guest, "guest"),
                                (person.external, "external"), (not person.email, "no-email")):
            if refused:
                return Refused(reason)
        user = self.actors.user_by_email(person.email)
        if user is None:
            return Refused("no-soar-user")
        if not user.active:
            return Refused("inactive")
        return user

    def check(self, person: Person, people: IncidentPeople) -> Decision:
        """Whether ``person`` may act on the incident whose owner and members are ``people``, and as whom."""
        user = self.who(person)
        if isinstance(user, Refused):
            return user
        if people.owner and people.owner == user.email.lower():
            return Allowed(person, user, "owner")
        if people.includes(user.email):
            return Allowed(person, user, "member")
        held = self.held_role(user)
        if held:
            return Allowed(person, user, f"role {held}")
        return Refused("not-member")

    def held_role(self, user: SoarUser) -> str | None:
        """The first of the user's SOAR roles that is mapped (as SOAR spells it), or None."""
        return next((role for role in user.roles if role.lower() in self.roles), None)


__all__ = ["ActionPermissions", "Allowed", "Decision", "Refused"]
