"""Two integration servers (or SOAR's redelivery) bring one reopened incident in step: the reopen claims the
incident's channel in slack_messages_db like a first post, so exactly one server creates the new channel and moves
the link; the other waits for the new link and keeps that channel in step, creating nothing. The other server here
is another claim owner with its own SOAR client."""

import threading
import time

from slack_sdk import WebClient

from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.links import ConversationsTable
from fn_slack.lib.soar.mirror_log import MirrorLog
from fn_slack.lib.soar.seals import Sealer
from tests.functions.conftest import INCIDENT
from tests.functions.harness import TOKEN
from tests.functions.harness import config_data as make_config
from tests.functions.test_close_and_reopen import change_incident, close, kept_in_step, run

config_data = make_config(event_claim_seconds=1, max_rate_limit_wait=20)
KEY = "channel/incident"
OTHER = "soar-int-2:4242"


def test_a_reopen_waits_for_the_new_channel_another_server_is_linking(circuits_app, slack, soar):
    old_id = kept_in_step(circuits_app, soar, slack)
    close(soar)
    assert run(circuits_app, "slack_archive_channel").error is None
    change_incident(soar, plan_status="A")
    rest = soar.sandbox.rest_client()
    log = MirrorLog(rest, INCIDENT, owner=OTHER)
    held = log.claim(KEY, "", "")
    assert held.won
    failures: list[BaseException] = []

    def other_server() -> None:
        try:
            claim = held.first
            for _ in range(6):   # longer than the lease, renewed as a live holder does
                time.sleep(0.3)
                claim = log.renew(claim)
            created = WebClient(token=TOKEN, base_url=slack.base_url).conversations_create(name="inc-2095-2")
            table = ConversationsTable(rest, INCIDENT, Sealer(SlackSettings(token=TOKEN).seal_secret))
            table.relink(table.find_link(), old_id, "inc-2095-2", created["channel"]["id"], "Public")
            log.release(claim)
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            failures.append(err)

    slack.clear_calls()
    worker = threading.Thread(target=other_server)
    worker.start()
    outcome = run(circuits_app, "slack_sync_channel")
    worker.join(30)

    assert failures == [], failures
    assert outcome.error is None, outcome.error
    assert "Another integration server linked the reopened incident to #inc-2095-2" in " ".join(outcome.statuses)
    assert [c.params.get("name") for c in slack.calls_to("conversations.create")] == ["inc-2095-2"]
    new = slack.channel("inc-2095-2")
    assert outcome.content["channel_id"] == new["id"] and new["topic"].startswith("Low · Respond/Active · ")
    assert slack.channel("inc-2095-3") is None
    [row] = soar.rows_of(INCIDENT)
    assert row["slack_db_channel_id"] == new["id"] and row["slack_db_sync"] is True
    assert soar.rows_of(INCIDENT, "slack_messages_db") == []
