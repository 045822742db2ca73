"""How often a post goes to the incident's link (``slack_conversations_db``): read once (and once more under the
incident's lock, only when nothing is linked), written once — the thread root and the mirror flag in that one
write — and the incident's mirror field patched after it, with no return to the table. SOAR sandbox and Slack
sandbox over HTTP, with the `resilient` client fn_slack uses."""

from __future__ import annotations

import threading

import pytest

from fn_slack.lib import locks
from fn_slack.lib.message_post import MessagePost, MessageRequest
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.links import ConversationsTable
from fn_slack.lib.soar.seals import Sealer
from tests.functions.harness import TOKEN

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
LINKS = "/table_data/slack_conversations_db"
SEALER = Sealer(SlackSettings(token=TOKEN).seal_secret)   # the seal the flow's settings make


@pytest.fixture
def incident(soar):
    return soar.create_incident("Link writes")["id"]


def run(slack, rest, incident_id: int, tables=None, **inputs) -> tuple[list, object]:
    """One slack_post_message run: its status messages and outcome."""
    settings = SlackSettings(token=TOKEN, api_url=slack.base_url, max_rate_limit_wait=5)
    fields = {"incident_id": incident_id, "slack_text": "Incident update", **inputs}
    request = MessageRequest.from_inputs(type("Inputs", (), fields)())
    flow = MessagePost(settings, rest, lambda i, t: f"https://soar.example.com/#incidents/{i}", tables)
    *statuses, outcome = list(flow.run(request))
    return statuses, outcome


def link_calls(soar, since: int) -> list[str]:
    """The verbs of the calls on the link table after call number ``since``, and the incident PATCHes."""
    calls = soar.state.calls[since:]
    return [c.method if LINKS in c.path else "PATCH incident" for c in calls
            if LINKS in c.path or (c.method == "PATCH" and "/table_data/" not in c.path)]


def test_a_first_post_with_thread_and_mirror_reads_the_link_twice_and_writes_it_once(soar, rest, slack, incident):
    since = len(soar.state.calls)
    statuses, outcome = run(slack, rest, incident, slack_channel="first-thread-mirror",
                            slack_is_channel_private=False, slack_thread=True, slack_mirror=True)

    # read; read again under the channel's claim; the one write and the check that it won
    assert link_calls(soar, since) == ["GET", "GET", "POST", "GET", "PATCH incident"]
    [row] = soar.state.rows_of(incident)
    assert (row["slack_db_thread_ts"], row["slack_db_mirror"]) == (outcome.ts, True)
    assert soar.state.incident(incident)["properties"]["slack_mirror_channels"] == outcome.channel.id
    assert f"This message starts the incident {incident}'s thread: later posts with slack_thread Yes reply in it." \
        in statuses
    assert f"Messages of people in #first-thread-mirror are now written to the incident {incident} as notes." \
        in statuses


def test_a_threaded_mirrored_post_to_a_linked_channel_updates_the_row_once(soar, rest, slack, incident):
    run(slack, rest, incident, slack_channel="linked-then-threaded", slack_is_channel_private=False)
    since = len(soar.state.calls)
    _, outcome = run(slack, rest, incident, slack_thread=True, slack_mirror=True)

    assert link_calls(soar, since) == ["GET", "PUT", "PATCH incident"]
    [row] = soar.state.rows_of(incident)
    assert (row["slack_db_thread_ts"], row["slack_db_mirror"]) == (outcome.ts, True)


def test_a_plain_post_to_a_linked_channel_reads_once_and_writes_nothing(soar, rest, slack, incident):
    run(slack, rest, incident, slack_channel="plain-linked", slack_is_channel_private=False)
    since = len(soar.state.calls)
    run(slack, rest, incident)
    assert link_calls(soar, since) == ["GET"]


def test_a_first_plain_post_reads_the_link_twice_and_writes_it_once(soar, rest, slack, incident):
    since = len(soar.state.calls)
    run(slack, rest, incident, slack_channel="plain-first", slack_is_channel_private=False)
    assert link_calls(soar, since) == ["GET", "GET", "POST", "GET"]


class _OneProcessPerThread(threading.local):
    """Each thread its own process-wide locks: two threads here race as two resilient-circuits processes do."""

    def __init__(self) -> None:
        self.locks = locks.IncidentLocks()

    def __call__(self, incident_id: int) -> threading.RLock:
        return self.locks(incident_id)

    def links_added(self, incident_id: int, task_id: int | None) -> int:
        return self.locks.links_added(incident_id, task_id)

    def link_added(self, incident_id: int, task_id: int | None) -> None:
        self.locks.link_added(incident_id, task_id)


def without_channel_claims(monkeypatch) -> None:
    """Each thread its own process, and no claim of the channel (the org without slack_messages_db): the link
    table's own race decides, as it does for posts that name their channel by ID."""
    monkeypatch.setattr("fn_slack.lib.channel_post.incident_lock", _OneProcessPerThread())
    monkeypatch.setattr("fn_slack.lib.channel_post.claims_ready", lambda rest_client: False)


def test_a_first_post_that_loses_the_link_race_keeps_its_thread_and_mirror_on_the_winner_s_row(
        soar, rest, slack, incident, monkeypatch):
    """Two processes make the first post at once to one new channel: a plain one, and one with slack_thread and
    slack_mirror. The plain one's row is older and wins; the other removes its own row, and its thread root and
    mirror flag must land on the winner's row all the same."""
    without_channel_claims(monkeypatch)
    plain_linked, both_read = threading.Event(), threading.Barrier(2, timeout=30)

    class RacingTable(ConversationsTable):
        def find_link(self, task_id=None):
            link = super().find_link(task_id)
            both_read.wait()          # both posts saw nothing linked
            return link

        def add_link(self, *args, **kwargs):
            if kwargs.get("mirror"):
                plain_linked.wait(30)  # the plain post's row is added (and checked) first
            try:
                return super().add_link(*args, **kwargs)
            finally:
                plain_linked.set()

    results: dict[str, tuple] = {}

    def post(name: str, **inputs) -> None:
        results[name] = run(slack, rest, incident, tables=lambda i: RacingTable(rest, i, SEALER),
                            slack_channel="raced-room", slack_is_channel_private=False, **inputs)

    racers = [threading.Thread(target=post, args=("plain",)),
              threading.Thread(target=post, args=("threaded",), kwargs={"slack_thread": True, "slack_mirror": True})]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)

    assert set(results) == {"plain", "threaded"}
    [row] = soar.state.rows_of(incident)
    threaded_statuses, threaded = results["threaded"]
    assert (row["slack_db_thread_ts"], row["slack_db_mirror"]) == (threaded.ts, True)
    assert row["slack_db_channel_id"] == threaded.channel.id == results["plain"][1].channel.id
    assert soar.state.incident(incident)["properties"]["slack_mirror_channels"] == threaded.channel.id
    assert threaded.linked and results["plain"][1].linked
    assert any("starts the incident" in s for s in threaded_statuses), threaded_statuses

    # The thread kept is the one later posts reply in.
    reply = run(slack, rest, incident, slack_text="a reply", slack_thread=True)[1]
    assert reply.url.endswith(f"?thread_ts={threaded.ts}&cid={threaded.channel.id}")


def test_two_first_posts_with_thread_and_mirror_at_once_leave_one_row_with_the_winner_s_thread(
        soar, rest, slack, incident, monkeypatch):
    without_channel_claims(monkeypatch)
    both_read = threading.Barrier(2, timeout=30)

    class RacingTable(ConversationsTable):
        def find_link(self, task_id=None):
            link = super().find_link(task_id)
            both_read.wait()
            return link

    results: list[tuple] = []

    def post() -> None:
        results.append(run(slack, rest, incident, tables=lambda i: RacingTable(rest, i, SEALER),
                           slack_channel="twin-room", slack_is_channel_private=False, slack_thread=True,
                           slack_mirror=True))

    racers = [threading.Thread(target=post) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)

    assert len(results) == 2
    [row] = soar.state.rows_of(incident)
    assert row["slack_db_mirror"] is True
    started = [outcome.ts for statuses, outcome in results if any("starts the incident" in s for s in statuses)]
    assert started == [row["slack_db_thread_ts"]], "only the post whose ts the link keeps says it starts the thread"
    assert soar.state.incident(incident)["properties"]["slack_mirror_channels"] == results[0][1].channel.id
