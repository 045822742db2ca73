"""*Declare incident* with ``declare_roles`` set: only SOAR users holding one of those roles may declare; the
others get a modal saying so, and nothing is created (the Slack and SOAR sandboxes, as in
test_declare_incident)."""

from __future__ import annotations

from sandbox.slack.socket_mode import APP_TOKEN
from tests.functions.harness import config_data as make_config
from tests.functions.test_declare_incident import listening, modal_of, shown_text  # noqa: F401 - the fixture

config_data = make_config(app_token=APP_TOKEN, event_claim_seconds=2, declare_roles="Incident Commander")


def test_only_holders_of_a_declare_role_may_declare(slack, soar, listening):  # noqa: F811 - the fixture
    refused = modal_of(slack, "bob")   # Bob: an active SOAR user without roles
    assert shown_text(refused) == (":no_entry: You cannot declare a SOAR incident from Slack: your SOAR user holds "
                                   "none of the roles allowed to declare incidents (declare_roles).")
    allowed = modal_of(slack, "alice")   # Alice holds Incident Commander
    assert allowed["view"]["callback_id"] == "declare_incident" and allowed["view"]["submit"]["text"] == "Declare"
