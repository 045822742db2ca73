"""Several integration servers, one incident's first posts: the incident's channel is claimed in slack_messages_db,
so exactly one server creates (or finds) and links it and the others post in it once it is linked. The other
server here is another claim owner with its own SOAR client (the e2e suite runs real processes:
tests/e2e/test_scale_out.py). Each test runs with the SOAR sandbox checking row versions and ignoring them."""

import threading
import time

import pytest
from slack_sdk import WebClient

from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.channel_claims import ChannelClaim, ClaimTiming
from fn_slack.lib.soar.links import ConversationsTable
from fn_slack.lib.soar.mirror_log import MirrorLog
from fn_slack.lib.soar.seals import Sealer
from sandbox.soar.state import ROW_VERSIONS
from tests.functions.conftest import INCIDENT
from tests.functions.harness import TOKEN, run_function
from tests.functions.harness import config_data as make_config

LEASE = 1
config_data = make_config(event_claim_seconds=LEASE, max_rate_limit_wait=20)
CLAIMS = "slack_messages_db"
KEY = "channel/incident"
CHANNEL = "inc-2095"
OTHER = "soar-int-2:4242"   # the other integration server's claim owner
TOLD = f"Another integration server is creating or finding the channel #{CHANNEL} for incident {INCIDENT}"


@pytest.fixture(params=ROW_VERSIONS)
def org(request, soar):
    """The org, with SOAR checking row versions or ignoring them."""
    soar.state.row_versions = request.param
    return soar


def post(circuits_app) -> object:
    return run_function(circuits_app, "slack_post_message", {
        "incident_id": INCIDENT, "slack_channel": CHANNEL, "slack_is_channel_private": False,
        "slack_text": "Containment started"})


def creates(slack) -> list:
    return [c for c in slack.calls_to("conversations.create") if c.params.get("name") == CHANNEL]


def test_a_post_waits_for_the_channel_another_server_is_creating_and_posts_there(circuits_app, slack, org):
    """The other server holds the claim longer than the lease (renewing it, as a live holder does), then creates
    the channel and links it: the post waits, tells the analyst once, creates nothing and posts in the linked
    channel."""
    rest = org.sandbox.rest_client()
    log = MirrorLog(rest, INCIDENT, owner=OTHER)
    held = log.claim(KEY, "", "")
    assert held.won
    failures: list[BaseException] = []

    def other_server() -> None:
        try:
            claim = held.first
            for _ in range(6):   # 1.8 s: longer than the lease, renewed every 0.3 s
                time.sleep(0.3)
                claim = log.renew(claim)
            created = WebClient(token=TOKEN, base_url=slack.base_url).conversations_create(name=CHANNEL)
            ConversationsTable(rest, INCIDENT, Sealer(SlackSettings(token=TOKEN).seal_secret)).add_link(
                None, CHANNEL, created["channel"]["id"], "Public", "https://example.slack.com/archives/x")
            log.release(claim)
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            failures.append(err)

    worker = threading.Thread(target=other_server)
    worker.start()
    outcome = post(circuits_app)
    worker.join(30)

    assert failures == [], failures
    assert outcome.error is None, outcome.error
    assert [s for s in outcome.statuses if s.startswith(TOLD)] == [outcome.statuses[0]], outcome.statuses
    assert (outcome.content["channel_created"], outcome.content["linked"]) == (False, False)
    assert [c.ok for c in creates(slack)] == [True], "the other server created the channel; the post did not"
    [row] = org.rows_of(INCIDENT)
    assert row["slack_db_channel_id"] == outcome.content["channel_id"] == slack.channel(CHANNEL)["id"]
    assert [m["text"] for m in slack.messages(slack.channel(CHANNEL)["id"])] == ["Containment started"]
    assert org.rows_of(INCIDENT, CLAIMS) == []


def test_a_claim_left_by_a_server_that_died_after_creating_the_channel_is_taken_over_and_the_channel_found(
        circuits_app, slack, org):
    """The holder created the channel and died before linking it: its claim stands still. After the lease the
    post takes it over, Slack answers name_taken, and the channel is found and used: one channel, one row."""
    rest = org.sandbox.rest_client()
    assert MirrorLog(rest, INCIDENT, owner=OTHER).claim(KEY, "", "").won
    WebClient(token=TOKEN, base_url=slack.base_url).conversations_create(name=CHANNEL)
    started = time.monotonic()

    outcome = post(circuits_app)

    assert outcome.error is None, outcome.error
    assert time.monotonic() - started >= LEASE, "the dead server's claim was waited out for the lease"
    assert any(s.startswith(TOLD) for s in outcome.statuses), outcome.statuses
    assert outcome.content["channel_created"] is False and outcome.content["linked"] is True
    assert [c.error for c in creates(slack)] == [None, "name_taken"], "the dead server's create, then name_taken"
    assert len([c for c in slack.state_json()["channels"] if c["name"] == CHANNEL]) == 1
    [row] = org.rows_of(INCIDENT)
    assert row["slack_db_channel_id"] == slack.channel(CHANNEL)["id"]
    assert org.rows_of(INCIDENT, CLAIMS) == [], "the taken-over claim and the post's own are gone"


def test_a_holder_waiting_in_slack_s_rate_limit_line_keeps_its_claim(circuits_app, slack, org):
    """conversations.create is rate-limited for three leases: the holder renews its claim meanwhile, so another
    server waiting for the channel never takes it over; it gets the link."""
    slack.faults.add("conversations.create", "ratelimit", retry_after=3 * LEASE)
    rest = org.sandbox.rest_client()
    other = ChannelClaim(rest, INCIDENT, None, ClaimTiming(LEASE, 30), object_label=f"incident {INCIDENT}",
                         channel_name=CHANNEL, owner=OTHER)
    table = ConversationsTable(rest, INCIDENT, Sealer(SlackSettings(token=TOKEN).seal_secret))
    granted: dict = {}

    def other_server() -> None:
        while not org.rows_of(INCIDENT, CLAIMS):   # the post claimed first
            time.sleep(0.02)
        granted["it"] = other.acquire(lambda: table.find_link(None), lambda text: None)

    worker = threading.Thread(target=other_server)
    worker.start()
    outcome = post(circuits_app)
    worker.join(30)

    assert outcome.error is None, outcome.error
    assert outcome.content["channel_created"] is True
    assert granted["it"].claim is None, "the other server took over the claim of a live holder"
    assert granted["it"].link.channel_id == outcome.content["channel_id"]
    assert [c.error for c in creates(slack)] == ["ratelimited", None]
    assert org.rows_of(INCIDENT, CLAIMS) == []


def test_without_slack_messages_db_a_first_post_goes_on_without_a_claim_and_says_so(circuits_app, slack, soar):
    soar.as_ibm_21(INCIDENT, 7)

    outcome = post(circuits_app)

    assert outcome.error is None, outcome.error
    assert outcome.content["channel_created"] is True
    assert any("slack_messages_db is missing" in s and "customize" in s for s in outcome.statuses), outcome.statuses
