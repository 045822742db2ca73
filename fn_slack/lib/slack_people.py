"""SlackPeople: who a Slack person is (``people.Person``: real name, e-mail, guest, external) from users.info,
remembered per process (``slack_memory.PEOPLE``: refreshed after ``PERSON_TTL``, at most ``PEOPLE_KEPT``), and
the app's own team (auth.test's ``team_id``) that tells another organisation's people apart.

The Slack edge: it asks Slack through one function call's ``SlackClient`` and knows nothing of SOAR.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fn_slack.lib.people import Person
from fn_slack.lib.slack_memory import PEOPLE, TOKEN_USERS

if TYPE_CHECKING:
    from fn_slack.lib.slack_client import SlackClient


class SlackPeople:
    """People by user ID, over one call's ``SlackClient``."""

    def __init__(self, slack: SlackClient) -> None:
        self.slack = slack

    def person(self, user_id: str) -> Person:
        """Who the person with this ID is, remembered per process; a user Slack does not know is the ID alone,
        unverified. Slack's other failures are raised (the caller decides what stands in)."""
        known = self.remembered(user_id)
        if known is not None:
            return known
        user = self.slack.user(user_id)
        if not user:
            return Person.unverified(user_id)
        person = Person.from_slack(user, self.home_team())
        PEOPLE.remember(self.slack.workspace, [(user_id, person)])
        return person

    def remembered(self, user_id: str) -> Person | None:
        """The person this process already knows by this ID (no call), or None."""
        return PEOPLE.get(self.slack.workspace, user_id)

    def home_team(self) -> str:
        """The ID of the app's own team (auth.test's ``team_id``), asked once per process and workspace (any
        auth.test of the process answers it, see SlackClient.auth_test)."""
        return TOKEN_USERS.get(self.slack.workspace, "team") or str(self.slack.auth_test().get("team_id") or "")


__all__ = ["SlackPeople"]
