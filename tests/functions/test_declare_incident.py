"""*Declare incident* through the Socket Mode listener of a resilient-circuits app, against the Slack sandbox (the
global shortcut, views.open, the modal's submission and its ack) and the SOAR sandbox (users by e-mail, the new
incident, its notes and links): who may declare, the modal's errors, and the incident and channel made once.

In SOAR, Bob (bob@example.com) is an active user without roles; Gina is a guest in Slack; Carol is made
inactive or unknown where a test says so."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from sandbox.slack.socket_mode import APP_TOKEN
from tests.functions.harness import config_data as make_config
from tests.polling import wait_until

config_data = make_config(app_token=APP_TOKEN, event_claim_seconds=2)
NAME_BLOCK, SEVERITY_BLOCK, DESCRIPTION_BLOCK = "declare_name", "declare_severity", "declare_description"


@pytest.fixture
def listening(circuits_app, slack):
    assert slack.socket_mode.wait_for_connections(1, timeout=30), "the app's listener did not connect"
    return circuits_app


def modal_of(slack, person: str) -> dict:
    """Pick *Declare incident* as ``person``; the modal Slack shows them."""
    uid = slack.user(person)["id"]
    sent = slack.actions.global_shortcut(slack.user_token(person), "declare_incident")
    assert sent["ok"], sent
    assert wait_until(lambda: slack.actions.open_views(uid), timeout=30), f"no modal opened for {person}"
    [view] = slack.actions.open_views(uid)
    return view


def shown_text(view: dict) -> str:
    return " ".join(str((b.get("text") or {}).get("text") or "") for b in view["view"]["blocks"])


def view_id_of(slack, person: str) -> str:
    uid = slack.user(person)["id"]
    with slack._lock:  # noqa: SLF001 - the test reads which modal is the person's
        return next(vid for vid, v in slack._ws.views.items() if v["user"] == uid and v["open"])  # noqa: SLF001


def submit(slack, person: str, name: str, severity: str | None, description: str = "") -> dict:
    view_id = view_id_of(slack, person)
    values = {NAME_BLOCK: {"name": name}, DESCRIPTION_BLOCK: {"description": description}}
    if severity:
        values[SEVERITY_BLOCK] = {"severity": severity}
    sent = slack.actions.submit_view(slack.user_token(person), view_id, values)
    assert sent["ok"], sent
    return {"view_id": view_id, **slack.actions.submission_result(view_id, sent["envelope_id"], timeout=30)}


def incidents_named(soar, name: str) -> list[dict]:
    return [i for i in soar.state.query_incidents([])["data"] if i["name"] == name]


def direct_messages(slack, person: str) -> list[str]:
    """What the app told the person in its direct message with them."""
    uid = slack.user(person)["id"]
    with slack._lock:  # noqa: SLF001 - the test finds the app's DM with the person
        dms = [c.id for c in slack._ws.channels.values() if c.is_im and uid in c.members]  # noqa: SLF001
    return [m["text"] for channel in dms for m in slack.messages(channel)]


def declared(slack, soar, name: str) -> tuple[dict, dict]:
    """The incident of that name and its channel, once both exist and the channel is linked."""
    def ready() -> bool:
        found = incidents_named(soar, name)
        return len(found) == 1 and bool(soar.state.rows_of(found[0]["id"])) and any(
            "declared this incident" in str(n["text"]) for n in soar.notes_of(found[0]["id"]))
    assert wait_until(ready, timeout=45), f"no incident {name!r} with a linked channel and its note"
    [incident] = incidents_named(soar, name)
    [row] = soar.state.rows_of(incident["id"])
    return incident, row


def test_bob_declares_an_incident_and_gets_its_private_channel(slack, soar, listening):
    modal = modal_of(slack, "bob")
    assert modal["view"]["title"]["text"] == "Declare incident"
    answered = submit(slack, "bob", "Phishing at <HQ> & more", "High", "Mails from\n<b>evil</b>.example")
    assert answered["closed"] is True

    incident, row = declared(slack, soar, "Phishing at <HQ> & more")
    assert incident["severity_code"] == "High" and incident["owner_id"] == "bob@example.com"
    assert "&lt;b&gt;evil&lt;/b&gt;.example" in incident["description"] and "<b>" not in incident["description"]
    assert f"(declaration {answered['view_id']})" in incident["description"]
    assert "Bob Brown" in incident["description"]

    name = f"inc-{incident['id']}-phishing-at-hq-more"
    channel = slack.channel(name)
    assert channel is not None and channel["is_private"]
    assert slack.user("bob")["id"] in channel["members"]
    [first] = slack.messages(channel["id"])
    assert f"<@{slack.user('bob')['id']}> declared this incident" in first["text"]
    attachment = first["attachments"][0]
    assert "High" in attachment["text"] and "Phishing at &lt;HQ&gt; &amp; more" in attachment["text"]
    assert f"incidents/{incident['id']}?" in attachment["title_link"]
    assert row["slack_db_channel_id"] == channel["id"] and row["slack_db_mirror"] in (True, "Yes", "yes")
    [note] = [n for n in soar.notes_of(incident["id"]) if "declared this incident" in str(n["text"])]
    assert "Bob Brown" in str(note["text"]) and "bob@example.com" in str(note["text"]) and name in str(note["text"])


def test_a_blank_name_keeps_the_modal_open_with_the_error_and_creates_nothing(slack, soar, listening):
    modal_of(slack, "bob")
    before = len(soar.state.query_incidents([])["data"])
    answered = submit(slack, "bob", " \u200b  ", "High", "spaces are no name")
    assert answered["closed"] is False
    assert answered["errors"] == {NAME_BLOCK: "Give the incident a name."}
    wait_until(lambda: False, timeout=2)
    assert len(soar.state.query_incidents([])["data"]) == before

    answered = submit(slack, "bob", "Now named", "Low")   # the same modal, corrected
    assert answered["closed"] is True
    declared(slack, soar, "Now named")


@pytest.mark.parametrize("person, arrange, why", [
    ("gina", None, "guests of the Slack workspace never act on SOAR"),
    ("carol", "inactive", "your SOAR user is disabled or locked"),
    ("carol", "unknown", "no SOAR user has your e-mail address"),
])
def test_a_person_who_may_not_declare_gets_a_modal_saying_why(slack, soar, listening, person, arrange, why):
    if arrange == "inactive":
        soar.state.add_person(13, "carol@example.com", "Carol", "Chen", status="D")
    if arrange == "unknown":
        soar.state.add_person(13, "carol.chen@example.org", "Carol", "Chen")
    before = len(soar.state.query_incidents([])["data"])
    modal = modal_of(slack, person)
    assert shown_text(modal) == f":no_entry: You cannot declare a SOAR incident from Slack: {why}."
    assert "submit" not in modal["view"]
    assert len(soar.state.query_incidents([])["data"]) == before


def test_a_lost_answer_to_the_incident_post_makes_one_incident(slack, soar, listening):
    lost = soar.state.lose_answers("POST", r"/incidents$", status=502)
    modal_of(slack, "bob")
    assert submit(slack, "bob", "Lost answer", "Medium")["closed"] is True
    incident, _row = declared(slack, soar, "Lost answer")
    assert lost.remaining == 0, "the lost answer never happened"
    assert len(incidents_named(soar, "Lost answer")) == 1
    assert slack.channel(f"inc-{incident['id']}-lost-answer") is not None


def test_when_soar_refuses_the_incident_the_person_is_told_nothing_was_created(slack, soar, listening):
    soar.state.fail_requests("POST", r"/incidents$", status=400)
    modal_of(slack, "bob")
    assert submit(slack, "bob", "Refused", "Low")["closed"] is True
    assert wait_until(lambda: direct_messages(slack, "bob"), timeout=30), "Bob was not told"
    [told] = direct_messages(slack, "bob")
    assert told.startswith(":warning: Your incident was not declared:") and "Nothing was created" in told
    assert incidents_named(soar, "Refused") == []


def test_what_is_said_in_the_declared_channel_becomes_notes_even_after_a_word_before_the_link(slack, soar,
                                                                                              listening):
    held = soar.state.hold("PATCH", r"/incidents/\d+$")   # the index write that makes the channel mirror
    modal_of(slack, "bob")
    submit(slack, "bob", "Mirrored", "Low")
    assert held.arrived.wait(30), "the channel was never indexed"
    [early] = incidents_named(soar, "Mirrored")
    bob = WebClient(token=slack.user_token("bob"), base_url=slack.base_url)
    channel = soar.state.rows_of(early["id"])[0]["slack_db_channel_id"]
    bob.chat_postMessage(channel=channel, text="too early")   # the listener finds no link yet
    wait_until(lambda: False, timeout=1)
    held.release()
    incident, _row = declared(slack, soar, "Mirrored")
    bob.chat_postMessage(channel=channel, text="host isolated")
    assert wait_until(lambda: any("host isolated" in str(n["text"]) for n in soar.notes_of(incident["id"])),
                      timeout=30), "a message after the link was not noted"


def test_a_submission_slack_delivers_twice_declares_once(slack, soar, listening):
    modal_of(slack, "bob")
    slack.socket_mode.duplicate_actions = 1
    answered = submit(slack, "bob", "Twice delivered", "Medium")
    [copy] = [c for c, first in slack.socket_mode.duplicated.items()]
    assert answered["closed"] is True and slack.socket_mode.wait_acked(copy, timeout=30)
    incident, row = declared(slack, soar, "Twice delivered")
    wait_until(lambda: False, timeout=3)   # time for the second delivery's work to end
    assert len(incidents_named(soar, "Twice delivered")) == 1
    assert len(slack.messages(row["slack_db_channel_id"])) == 1
    assert len([n for n in soar.notes_of(incident["id"]) if "declared this incident" in str(n["text"])]) == 1
