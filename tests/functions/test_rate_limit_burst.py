"""A burst of first posts meets Slack's Tier 2 limit on conversations.create (20 a minute per workspace): the
calls queue for it in order, the analyst is told the expected wait, and every post is made."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

from fn_slack.lib.settings import DEFAULT_MAX_RATE_LIMIT_WAIT
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function

TIME_SCALE = 0.05          # Slack's minute is 3 s here
INCIDENTS = 100            # five minutes of conversations.create at Slack's pace
WORKERS = 25               # more function calls at once than Slack allows creations a minute
FIRST = 3000
# The default ceiling, scaled like Slack's minute.
config_data = make_config(num_workers=WORKERS, max_rate_limit_wait=DEFAULT_MAX_RATE_LIMIT_WAIT * TIME_SCALE)


def first_post(circuits_app, incident_id):
    return run_function(circuits_app, "slack_post_message",
                        {"incident_id": incident_id, "slack_channel": f"burst-{incident_id}",
                         "slack_is_channel_private": False, "slack_text": f"first post of {incident_id}"},
                        timeout=180)


def test_a_burst_of_first_posts_queues_for_conversations_create_and_every_post_is_made(circuits_app, slack, soar):
    incidents = range(FIRST, FIRST + INCIDENTS)
    for incident_id in incidents:
        soar.state.create_incident(f"Burst {incident_id}", id=incident_id)
    slack.set_rate_limits(True, time_scale=TIME_SCALE)
    slack.clear_calls()

    started = time.monotonic()
    with ThreadPoolExecutor(INCIDENTS) as pool:
        outcomes = list(pool.map(lambda i: first_post(circuits_app, i), incidents))
    took = time.monotonic() - started

    failed = [o.error for o in outcomes if o.error]
    creates = slack.calls_to("conversations.create")
    refused = [c for c in creates if c.http_status == 429]
    print(f"\n{INCIDENTS} first posts with {WORKERS} workers in {took:.1f} s (floor {INCIDENTS // 20 * 3 - 3} s): "
          f"{len(failed)} failed, {len(creates) - len(refused)} channels created, {len(refused)} "
          f"conversations.create answered 429")
    assert failed == []
    assert len(creates) - len(refused) == INCIDENTS
    for incident_id in incidents:
        assert [m["text"] for m in slack.messages(slack.channel(f"burst-{incident_id}")["id"])] == \
            [f"first post of {incident_id}"]
    # The calls that waited in line were told which method, why, and how long.
    waits = [s for o in outcomes for s in o.statuses if s.startswith("Waiting for Slack: conversations.create")]
    assert waits, "no call said it was waiting for conversations.create"
    assert all(re.search(r"about 20 a minute per workspace.*expected wait about \d+", s) for s in waits)
    # One call of this process in Slack at a time while the limit holds: no herd of refusals at each window.
    assert len(refused) <= len(creates) - len(refused)
