"""The SOAR side of two-way channels against the SOAR sandbox, with the `resilient` client fn_slack uses:
the channel index field, the claim rows that let one writer win, and a dead writer's claim taken over."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from fn_slack.lib.block_kit import QuestionRef
from fn_slack.lib.errors import SoarError
from fn_slack.lib.event_notes import note_html
from fn_slack.lib.mirror import (
    MENTION_LOOKUPS,
    ChannelDirectory,
    EventMirror,
    MirrorService,
    MirrorTarget,
    SlackEvent,
    marker,
)
from fn_slack.lib.people import Person
from fn_slack.lib.questions import QuestionAnswers
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.files import SoarFiles
from fn_slack.lib.soar.incidents import MirrorIndex, Notes
from fn_slack.lib.soar.mirror_log import MirrorLog
from fn_slack.lib.soar.question_rows import QuestionsTable
from fn_slack.lib.soar.seals import Sealer
from sandbox.slack.socket_mode import APP_TOKEN
from sandbox.soar import SoarSandbox
from sandbox.soar.ibm21_org import install_ibm21
from tests.polling import wait_until
from tests.unit.soar_links import SEALER, sealed

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
KEY, SECRET = "mirror-key", "mirror-secret"


def _event(key_ts: str = "1700000000.000100") -> SlackEvent:
    return SlackEvent(f"C1/{key_ts}", "message", "C1", key_ts, None, "UALICE", "hello", "", ())


class _Mirror(EventMirror):
    """EventMirror without Slack: author names and the workspace URL are given."""

    def person(self, user_id: str) -> Person:
        return Person(user_id, "Alice Adams", "alice@example.com")

    def identity(self) -> dict:
        return {"user_id": "UBOT", "url": "https://sandbox.slack.com/"}


def _mirror(rest, owner: str, clock=None) -> _Mirror:
    settings = SlackSettings(token="xoxb-test", event_claim_seconds=2)
    kwargs = {"clock": clock} if clock else {}
    return _Mirror(settings, rest, owner=owner, sleep=lambda s: threading.Event().wait(s), **kwargs)


@pytest.fixture(params=["refuse", "accept"])
def dotted_patch(soar, request):
    """Both positions of the sandbox's unknown: whether SOAR takes a PATCH of ``properties.<field>``."""
    soar.state.dotted_patch = request.param
    yield request.param
    soar.state.dotted_patch = "refuse"


def test_the_index_field_finds_the_incident_of_a_channel_and_keeps_concurrent_additions(soar, rest, dotted_patch):
    incident = soar.create_incident("Indexed")
    other = soar.create_incident("Other")
    index = MirrorIndex(rest)
    c1, c2, c3 = (f"C{n}{dotted_patch.upper()}" for n in (1, 2, 3))   # the sandbox is shared by both positions
    threads = [threading.Thread(target=index.add, args=(incident["id"], cid)) for cid in (c1, c2, c3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    index.add(other["id"], f"{c1}X")
    assert sorted(soar.state.incident(incident["id"])["properties"]["slack_mirror_channels"].split()) == [c1, c2, c3]
    assert index.incidents_of(c2) == [incident["id"]]
    assert index.incidents_of(c1) == [incident["id"]], "a longer ID holding it is not a match"
    assert index.incidents_of("C9NONE") == []


def test_the_directory_follows_the_link_of_the_incident_or_task_and_caches(soar, rest):
    incident = soar.create_incident("Directory")
    task = soar.create_task(incident["id"], "Contain")
    soar.state.add_row(incident["id"], "slack_conversations_db", sealed(
        SEALER, incident["id"], slack_db_res_id=f"RES-{incident['id']}-{task['id']}", slack_db_channel="contain",
        slack_db_channel_id="CTASK1", slack_db_mirror=True))
    soar.state.add_row(incident["id"], "slack_conversations_db", sealed(
        SEALER, incident["id"], slack_db_res_id=f"RES-{incident['id']}", slack_db_channel="quiet",
        slack_db_channel_id="CQUIET"))
    MirrorIndex(rest).add(incident["id"], "CTASK1")
    MirrorIndex(rest).add(incident["id"], "CQUIET")
    directory = ChannelDirectory(rest, SEALER)

    assert directory.target("CTASK1") == MirrorTarget(incident["id"], task["id"], "contain")
    assert directory.target("CQUIET") is None, "a link without slack_db_mirror stays one-way"
    assert directory.target("CTASK1") is not None and directory.lookups == 2


def test_of_two_writers_at_once_one_writes_the_note(soar, rest):
    incident = soar.create_incident("Race")
    target = MirrorTarget(incident["id"], None, "race")
    outcomes = []
    barrier = threading.Barrier(2)

    def write(owner: str) -> None:
        barrier.wait()
        outcomes.append(_mirror(rest, owner)._write_once(_event(), target))

    threads = [threading.Thread(target=write, args=(f"host:{n}",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["duplicate", "noted"]
    assert len(soar.state.notes_of(incident["id"])) == 1
    [row] = soar.state.rows_of(incident["id"], "slack_messages_db")
    assert row["slack_msg_state"] == "noted"


def test_a_redelivered_event_is_not_written_again(soar, rest):
    incident = soar.create_incident("Redelivered")
    target = MirrorTarget(incident["id"], None, "again")
    assert _mirror(rest, "host:1")._write_once(_event(), target) == "noted"
    assert _mirror(rest, "host:2")._write_once(_event(), target) == "duplicate"
    assert len(soar.state.notes_of(incident["id"])) == 1


def test_a_dead_writer_s_claim_is_taken_over_after_the_claim_time(soar, rest):
    incident = soar.create_incident("Dead writer")
    target = MirrorTarget(incident["id"], None, "dead")
    MirrorLog(rest, incident["id"], owner="host:dead").claim("C1/1700000000.000100", "Alice", "")
    assert _mirror(rest, "host:alive")._write_once(_event(), target) == "noted"
    [row] = soar.state.rows_of(incident["id"], "slack_messages_db")
    assert (row["slack_msg_owner"], row["slack_msg_state"]) == ("host:alive", "noted")
    assert len(soar.state.notes_of(incident["id"])) == 1


def test_a_dead_writer_that_wrote_the_note_but_not_the_mark_is_not_written_twice(soar, rest):
    incident = soar.create_incident("Dead after the note")
    target = MirrorTarget(incident["id"], None, "dead")
    MirrorLog(rest, incident["id"], owner="host:dead").claim("C1/1700000000.000100", "Alice", "")
    key_marker = marker("C1/1700000000.000100")
    note_id = Notes(rest).add(incident["id"], None, f"<p>x</p>{key_marker}", marker=key_marker)
    assert _mirror(rest, "host:alive")._write_once(_event(), target) == "recovered"
    [row] = soar.state.rows_of(incident["id"], "slack_messages_db")
    assert (row["slack_msg_state"], row["slack_msg_note_id"]) == ("noted", note_id)
    assert len(soar.state.notes_of(incident["id"])) == 1


def test_two_processes_taking_over_the_same_claim_write_once(soar, rest):
    incident = soar.create_incident("Two takeovers")
    target = MirrorTarget(incident["id"], None, "dead")
    MirrorLog(rest, incident["id"], owner="host:dead").claim("C1/1700000000.000100", "Alice", "")
    outcomes = []
    threads = [threading.Thread(target=lambda n=n: outcomes.append(
        _mirror(rest, f"host:{n}")._write_once(_event(), target))) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["duplicate", "noted"]
    assert len(soar.state.notes_of(incident["id"])) == 1


class _Directory:
    """A channel directory that knows one target (its SOAR side is what the test is about)."""

    def __init__(self, target: MirrorTarget) -> None:
        self._target = target

    def target(self, channel_id: str) -> MirrorTarget | None:
        return self._target


def test_without_the_messages_table_the_listener_skips_with_a_warning_and_writes_nothing(caplog):
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET) as old:   # customize not run: IBM 2.1's objects only
        install_ibm21(old.state)
        client = old.rest_client()
        incident = old.create_incident("Mirrored before customize")
        mirror = _Mirror(SlackSettings(token="xoxb-test"), client, owner="host:1",
                         directory=_Directory(MirrorTarget(incident["id"], None, "inc")))
        with caplog.at_level(logging.WARNING, logger="fn_slack.lib.mirror"):
            outcome = mirror.handle(_event())

        assert outcome == "skipped"
        assert "SOAR has no data table slack_messages_db, which mirroring needs" in caplog.text
        assert "resilient-circuits customize" in caplog.text
        assert old.state.notes_of(incident["id"]) == []


def test_a_missing_3x_table_is_named_in_the_error():
    """Before customize, SOAR has IBM 2.1's slack_conversations_db only: the error names the table that is missing."""
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET) as old:
        install_ibm21(old.state)
        client = old.rest_client()
        incident = old.create_incident("Asked before customize")

        questions = QuestionsTable(client, incident["id"], sealer=Sealer(b"k"))
        for reader, table in ((lambda: questions.find("q1"), "slack_questions_db"),
                              (lambda: MirrorLog(client, incident["id"], owner="host:1").claims("C1/1.2"),
                               "slack_messages_db")):
            with pytest.raises(SoarError) as caught:
                reader()
            assert str(caught.value).startswith(f"The data table {table} is missing from incident {incident['id']}")


# --------------------------------------------------------------------------- writes whose answer is lost
# SOAR saves the write, then its answer is lost (a proxy's 502): resilient's client, as resilient-circuits
# configures it, would send the POST again. fn_slack writes once.

@pytest.fixture
def retrying_rest(soar):
    client = soar.rest_client(retries=3)
    return client


def test_a_note_whose_answer_is_lost_is_written_once(soar, retrying_rest):
    incident = soar.create_incident("Lost answer")
    lost = soar.state.lose_answers("POST", rf"/incidents/{incident['id']}/comments$")
    note_id = Notes(retrying_rest).add(incident["id"], None, "<p>hello <small>[ref-1]</small></p>", marker="[ref-1]")
    notes = soar.state.notes_of(incident["id"])
    assert lost.lost, "SOAR's answer was lost"
    assert [n["id"] for n in notes] == [note_id], "one note, and fn_slack knows its id"


def test_a_claim_row_whose_answer_is_lost_is_added_once(soar, retrying_rest):
    incident = soar.create_incident("Lost claim answer")
    soar.state.lose_answers("POST", rf"/incidents/{incident['id']}/table_data/slack_messages_db/row_data$")
    log = MirrorLog(retrying_rest, incident["id"], owner="host:1")
    standing = log.claim("C1/1.000100", "Alice", "<a>Slack</a>")
    assert standing.won
    assert [c.row_id for c in log.claims("C1/1.000100")] == [standing.first.row_id]


def test_a_question_row_whose_answer_is_lost_is_added_once(soar, retrying_rest):
    incident = soar.create_incident("Lost question answer")
    soar.state.lose_answers("POST", rf"/incidents/{incident['id']}/table_data/slack_questions_db/row_data$")
    table = QuestionsTable(retrying_rest, incident["id"], sealer=Sealer(b"k"))
    question = table.add(question_id="q-1", question="Block the sender?", options=["Yes", "No"], channel_id="C1",
                         ts="1.000100", allowed=[], expires_ms=0, link="")
    rows = soar.state.table_rows(incident["id"], "slack_questions_db")["rows"]
    assert [r["id"] for r in rows] == [question.row_id]


def test_an_upload_whose_answer_is_lost_is_saved_once(soar, retrying_rest, tmp_path):
    incident = soar.create_incident("Lost upload answer")
    soar.state.lose_answers("POST", rf"/incidents/{incident['id']}/attachments$")
    path = tmp_path / "export.txt"
    path.write_text("the channel's messages\n", encoding="utf-8")
    saved = SoarFiles(retrying_rest, incident["id"]).save(str(path), "general-export.txt")
    assert [a["id"] for a in soar.state.attachments_of(incident["id"])] == [saved["id"]]


def test_a_message_mentioning_hundreds_of_people_looks_up_a_bounded_number_of_names(soar, rest, slack):
    """A mention flood must not spend the workspace's users.info budget: the names fn_slack already knows and at
    most MENTION_LOOKUPS more are looked up; every other mention stays the person's ID in the note."""
    people = [slack.add_user(f"p{n}", f"p{n}@example.com", real_name=f"Person {n}") for n in range(60)]
    incident = soar.create_incident("Mention flood")
    target = MirrorTarget(incident["id"], None, "flood")
    event = SlackEvent("C1/1700000000.000900", "message", "C1", "1700000000.000900", None, people[0],
                       " ".join(f"<@{uid}>" for uid in people), "", ())
    settings = SlackSettings(token=slack.default_token, api_url=slack.base_url, event_claim_seconds=2)
    writer = EventMirror(settings, rest, owner="host:flood")
    writer.identity = lambda: {"user_id": "UBOT", "url": "https://sandbox.slack.com/"}
    slack.clear_calls()
    assert writer._write_once(event, target) == "noted"
    looked_up = {call.params.get("user") for call in slack.calls_to("users.info")}
    assert len(looked_up) <= MENTION_LOOKUPS + 1   # the author, then the budget
    [note] = soar.state.notes_of(incident["id"])
    text = note["text"]["content"] if isinstance(note["text"], dict) else note["text"]
    assert "Person 1" in text and people[-1] in text and "Person 59" not in text
    # A name looked up before is known without a call, whatever the budget.
    slack.clear_calls()
    later = SlackEvent("C1/1700000000.000901", "message", "C1", "1700000000.000901", None, people[0],
                       f"<@{people[1]}> again", "", ())
    assert writer._write_once(later, target) == "noted"
    assert slack.calls_to("users.info") == []


def _noted_elsewhere(rest, incident_id: int, event: SlackEvent) -> None:
    """A note fn_slack wrote for another event, rendered as the listener renders it."""
    body = note_html(event, Person("UBOB", "Bob Brown"), "dead", "https://sandbox.slack.com/x", lambda _uid: None)
    Notes(rest).add(incident_id, None, body, marker=marker(event.key))


def test_a_person_typing_an_events_reference_does_not_stand_for_its_note(soar, rest):
    incident = soar.create_incident("Typed reference")
    target = MirrorTarget(incident["id"], None, "dead")
    MirrorLog(rest, incident["id"], owner="host:dead").claim("C1/1700000000.000100", "Alice", "")
    typed = SlackEvent("C1/1700000000.000200", "message", "C1", "1700000000.000200", None, "UBOB",
                       "slack-event C1/1700000000.000100", "", ())
    _noted_elsewhere(rest, incident["id"], typed)
    assert _mirror(rest, "host:alive")._write_once(_event(), target) == "noted"
    assert len(soar.state.notes_of(incident["id"])) == 2


def test_a_takeover_does_not_take_the_note_of_the_messages_edit_for_the_message_s_own(soar, rest):
    incident = soar.create_incident("Edit noted")
    target = MirrorTarget(incident["id"], None, "dead")
    MirrorLog(rest, incident["id"], owner="host:dead").claim("C1/1700000000.000100", "Alice", "")
    edit = SlackEvent("C1/1700000000.000100/edit/1700000005.000000", "edit", "C1", "1700000000.000100", None,
                      "UALICE", "hello again", "hello", ())
    _noted_elsewhere(rest, incident["id"], edit)
    assert _mirror(rest, "host:alive")._write_once(_event(), target) == "noted"
    assert len(soar.state.notes_of(incident["id"])) == 2


@pytest.fixture
def failing_render(monkeypatch):
    """The note cannot be rendered (any failure of the conversion): the event is a poison message."""
    def boom(*_args, **_kwargs):
        raise ValueError("cannot convert this message")
    monkeypatch.setattr("fn_slack.lib.mirror.note_html", boom)


def test_a_message_that_cannot_be_mirrored_releases_its_claim_until_slack_s_last_delivery(soar, rest, failing_render):
    incident = soar.create_incident("Poison, early")
    target = MirrorTarget(incident["id"], None, "poison")
    with pytest.raises(ValueError, match="cannot convert"):
        _mirror(rest, "host:1")._write_once(_event(), target)
    assert soar.state.rows_of(incident["id"], "slack_messages_db") == []   # the next delivery claims afresh
    assert soar.state.notes_of(incident["id"]) == []


def test_at_slack_s_last_delivery_a_message_that_cannot_be_mirrored_is_recorded_with_a_note(soar, rest,
                                                                                              failing_render):
    incident = soar.create_incident("Poison, last")
    target = MirrorTarget(incident["id"], None, "poison")
    assert _mirror(rest, "host:1")._write_once(_event(), target, last_try=True) == "failed"
    [note] = soar.state.notes_of(incident["id"])
    text = note["text"]["content"] if isinstance(note["text"], dict) else note["text"]
    assert "could not copy it" in text and "https://sandbox.slack.com/archives/C1/p1700000000000100" in text
    [row] = soar.state.rows_of(incident["id"], "slack_messages_db")
    assert (row["slack_msg_state"], row["slack_msg_note_id"]) == ("failed", note["id"])
    # Recorded once: another process handling a late duplicate writes nothing more.
    assert _mirror(rest, "host:2")._write_once(_event(), target, last_try=True) == "duplicate"
    assert len(soar.state.notes_of(incident["id"])) == 1


@pytest.mark.parametrize(("attempt", "last"), [(0, False), (2, False), (3, True)])
def test_the_listener_tells_the_mirror_when_slack_delivers_an_event_for_the_last_time(rest, slack, attempt, last):
    settings = SlackSettings(token=slack.default_token, api_url=slack.base_url, app_token=APP_TOKEN)
    service = MirrorService(settings, rest)
    seen = []
    service.mirror.handle = lambda event, *, last_try=False: seen.append((event.key, last_try))
    message = {"type": "message", "channel": "C1", "user": "UALICE", "text": "hi", "ts": "1700000000.000100"}
    service._handle("events_api", {"event": message}, {"retry_attempt": attempt})
    assert seen == [("C1/1700000000.000100", last)]


# --------------------------------------------------------------------------- the claim protocol under faults
# Each case once with a SOAR that checks row versions and once with one that ignores them (row_versions): no step
# of the protocol may rest on a version check.

def _recorded(soar, incident_id: int) -> list[tuple[str, int]]:
    return [(row["slack_msg_state"], row["slack_msg_note_id"])
            for row in soar.state.rows_of(incident_id, "slack_messages_db")]


def _in_thread(work, outcomes: list) -> threading.Thread:
    def run() -> None:
        try:
            outcomes.append(work())
        except Exception as err:  # noqa: BLE001 - the test reads what happened
            outcomes.append(err)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_note_whose_connection_drops_after_soar_saved_it_is_written_once(soar, retrying_rest):
    """resilient's client resends a POST whose connection dropped; fn_slack's note goes out once and is looked for."""
    incident = soar.create_incident("Dropped connection")
    dropped = soar.state.lose_answers("POST", rf"/incidents/{incident['id']}/comments$", status=0)
    key_marker = marker("C1/1700000000.000100")
    note_id = Notes(retrying_rest).add(incident["id"], None, f"<p>hello</p>{key_marker}", marker=key_marker)
    assert dropped.lost, "the connection dropped after SOAR saved the note"
    assert [n["id"] for n in soar.state.notes_of(incident["id"])] == [note_id]


def test_a_note_write_held_past_the_claim_time_leaves_one_note(soar, rest, row_versions):
    """The first writer's note POST is held by SOAR beyond the claim time; a second server takes the claim over
    and writes; the held note lands afterwards and its writer, finding its claim gone, removes it."""
    incident = soar.create_incident(f"Held write {row_versions}")
    target = MirrorTarget(incident["id"], None, "held")
    let_go = threading.Event()
    held = soar.state.on_arrival("POST", rf"/incidents/{incident['id']}/comments$", lambda: let_go.wait(30))
    outcomes: list = []
    slow = _in_thread(lambda: _mirror(soar.rest_client(), "host:slow")._write_once(_event(), target), outcomes)
    assert wait_until(lambda: held.done.is_set() or any(
        row["slack_msg_state"] == "writing" for row in soar.state.rows_of(incident["id"], "slack_messages_db")))
    fast = _mirror(soar.rest_client(), "host:fast")._write_once(_event(), target)
    let_go.set()
    slow.join(60)
    assert sorted([fast, *outcomes]) == ["noted", "superseded"]
    [(state, note_id)] = _recorded(soar, incident["id"])
    assert state == "noted"
    assert [n["id"] for n in soar.state.notes_of(incident["id"])] == [note_id], "one note: the recorded one"


def test_a_server_whose_clock_runs_behind_does_not_lose_its_live_claim(soar, rest, row_versions):
    """Claim time 2 s; the first server's clock runs 6 s behind, so its fresh claim looks 6 s old to the other.
    The other waits for the claim as it sees it stand still, and writes nothing."""
    incident = soar.create_incident(f"Clock skew {row_versions}")
    target = MirrorTarget(incident["id"], None, "skew")
    soar.state.on_arrival("POST", rf"/incidents/{incident['id']}/comments$", lambda: threading.Event().wait(1))
    outcomes: list = []
    behind = _in_thread(lambda: _mirror(soar.rest_client(), "host:behind", clock=lambda: time.time() - 6)
                        ._write_once(_event(), target), outcomes)
    assert wait_until(lambda: soar.state.rows_of(incident["id"], "slack_messages_db"))
    ahead = _mirror(soar.rest_client(), "host:ahead")._write_once(_event(), target)
    behind.join(60)
    assert sorted([ahead, *outcomes]) == ["duplicate", "noted"]
    assert len(soar.state.notes_of(incident["id"])) == 1


def _dead_writer_at(step: str, rest, incident_id: int) -> None:
    """What a writer killed at ``step`` leaves in SOAR."""
    log = MirrorLog(rest, incident_id, owner="host:killed")
    claim = log.claim("C1/1700000000.000100", "Alice", "").first
    if step == "claimed":
        return
    began = log.begin_write(claim)
    if step == "writing":
        return
    body = note_html(_event(), Person("UALICE", "Alice Adams"), "killed", "https://sandbox.slack.com/x",
                     lambda _uid: None)
    note_id = Notes(rest).add(incident_id, None, body, marker=marker(_event().key))
    if step == "noted":
        log.mark_noted(began, note_id)


@pytest.mark.parametrize(("step", "outcome"), [("claimed", "noted"), ("writing", "noted"),
                                               ("note written", "recovered"), ("noted", "duplicate")])
def test_a_writer_killed_at_any_step_leaves_exactly_one_note(soar, rest, row_versions, step, outcome):
    incident = soar.create_incident(f"Killed at {step} {row_versions}")
    _dead_writer_at(step, rest, incident["id"])
    target = MirrorTarget(incident["id"], None, "killed")
    assert _mirror(rest, "host:next")._write_once(_event(), target) == outcome
    [(state, note_id)] = _recorded(soar, incident["id"])
    assert state == "noted"
    assert [n["id"] for n in soar.state.notes_of(incident["id"])] == [note_id]


def test_a_holder_that_wrote_but_was_taken_over_before_its_mark_keeps_the_adopted_note(soar, rest, row_versions):
    """The first writer's note is saved, then its mark is held past the claim time; the taker adopts that note;
    the first writer, finding its row gone, sees its note recorded and leaves it."""
    incident = soar.create_incident(f"Mark held {row_versions}")
    target = MirrorTarget(incident["id"], None, "mark")
    let_go = threading.Event()
    soar.state.on_arrival("PUT", rf"/incidents/{incident['id']}/table_data/slack_messages_db/row_data/\d+",
                          lambda: None)   # the begin-write PUT passes
    held = soar.state.on_arrival("PUT", rf"/incidents/{incident['id']}/table_data/slack_messages_db/row_data/\d+",
                                 lambda: let_go.wait(30))   # the mark waits
    outcomes: list = []
    slow = _in_thread(lambda: _mirror(soar.rest_client(), "host:slow")._write_once(_event(), target), outcomes)
    assert wait_until(lambda: soar.state.notes_of(incident["id"]))
    taker = _mirror(soar.rest_client(), "host:taker")._write_once(_event(), target)
    let_go.set()
    slow.join(60)
    assert held.done.is_set()
    assert sorted([taker, *outcomes]) == ["recovered", "superseded"]
    [(state, note_id)] = _recorded(soar, incident["id"])
    assert [n["id"] for n in soar.state.notes_of(incident["id"])] == [note_id] and state == "noted"


def test_two_servers_completing_one_answer_s_note_at_once_write_it_once(soar, row_versions):
    """A reply delivered to two servers after the answer was recorded: both complete its note at once. The note
    is written under its own claim (question/<id>/note), not after a look that both make before either writes."""
    incident = soar.create_incident(f"Answer note {row_versions}")
    table = QuestionsTable(soar.rest_client(), incident["id"], sealer=Sealer(b"k"))
    question = table.add(question_id="q-note", question="Block the sender?", options=["Yes", "No"],
                         channel_id="C1", ts="1.000100", allowed=[], expires_ms=2**41, link="")
    settings = SlackSettings(token="xoxb-test", event_claim_seconds=2)
    ref = QuestionRef(incident["id"], None, "q-note")
    barrier = threading.Barrier(2)

    def complete() -> None:
        answers = QuestionAnswers(settings, soar.rest_client(), lambda _url, _body: True, user_name=lambda _u: "Alice")
        barrier.wait()
        answers._note_once(ref, question, "Yes", "UALICE", 1700000000.0, typed=True)   # noqa: SLF001 - the step

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    notes = [n for n in soar.state.notes_of(incident["id"]) if "slack-question q-note" in str(n["text"])]
    assert len(notes) == 1
