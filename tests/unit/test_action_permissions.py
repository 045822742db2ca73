"""Who may act from Slack: the checks in order, failing closed (a narrow test with SOAR's users stubbed)."""

from __future__ import annotations

import pytest

from fn_slack.lib import messages
from fn_slack.lib.action_permissions import ActionPermissions, Allowed, Refused
from fn_slack.lib.people import Person
from fn_slack.lib.soar.actors import IncidentPeople, SoarUser

USERS = {
    "bob@example.com": SoarUser(12, "bob@example.com", "Bob Brown", True, ()),
    "carol@example.com": SoarUser(13, "carol@example.com", "Carol Chen", True, ()),
    "ic@example.com": SoarUser(15, "IC@example.com", "Ida Commander", True, ("Incident Commander",)),
    "off@example.com": SoarUser(16, "off@example.com", "Olaf Off", False, ("Incident Commander",)),
}
PEOPLE = IncidentPeople("Phish", "alice@example.com", frozenset({"bob@example.com"}))


class Actors:
    def user_by_email(self, email: str) -> SoarUser | None:
        return USERS.get(email.strip().lower())


def check(person: Person, roles: tuple[str, ...] = ("incident commander",)):
    return ActionPermissions(Actors(), roles).check(person, PEOPLE)


def slack(email: str, **marks: bool) -> Person:
    return Person("U1", "Someone", email, **marks)


@pytest.mark.parametrize(("person", "reason"), [
    (Person.unverified("U1"), "unverified"),
    (slack("bob@example.com", guest=True), "guest"),
    (slack("bob@example.com", external=True), "external"),
    (slack(""), "no-email"),
    (slack("nobody@example.com"), "no-soar-user"),
    (slack("off@example.com"), "inactive"),
    (slack("carol@example.com"), "not-member"),
])
def test_each_refusal_has_its_reason(person, reason):
    assert check(person) == Refused(reason)
    assert reason in messages.ACTION_REFUSALS


def test_a_guest_or_external_person_is_refused_even_as_a_member_or_role_holder():
    assert check(slack("ic@example.com", guest=True)) == Refused("guest")
    assert check(slack("BOB@example.com", external=True)) == Refused("external")


def test_members_and_mapped_roles_act_as_their_soar_user():
    member = check(slack("Bob@Example.com"))
    assert isinstance(member, Allowed) and member.via == "member" and member.soar_user.user_id == 12
    commander = check(slack("ic@example.com"))
    assert isinstance(commander, Allowed) and commander.via == "role Incident Commander"
    assert check(slack("ic@example.com"), roles=()) == Refused("not-member")
