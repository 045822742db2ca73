"""Who a mirrored note says wrote it, against the Slack and SOAR sandboxes: the person Slack's users.info names
(real name, e-mail, ID; guests and other organisations' people marked), never a display name; a header the
message cannot imitate; mentions, links and invisible characters shown for what they are."""

from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup

from fn_slack.lib.mirror import EventMirror, MirrorTarget, SlackEvent
from fn_slack.lib.people import Person
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_memory import PEOPLE

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


class _Writer:
    """The listener's EventMirror on the sandboxes: each ``write`` is one person's message, noted."""

    def __init__(self, soar, rest, slack) -> None:
        self.soar, self.slack = soar, slack
        self.incident = soar.create_incident("Attribution")
        self.target = MirrorTarget(self.incident["id"], None, "ir-attribution")
        settings = SlackSettings(token=slack.default_token, api_url=slack.base_url, event_claim_seconds=2)
        self.mirror = EventMirror(settings, rest, owner="host:attribution")
        self.mirror.identity = lambda: {"user_id": "UBOT", "url": "https://sandbox.slack.com/"}
        self.count = 0

    def write(self, user_id: str, text: str) -> str:
        """The note of ``user_id`` writing ``text``."""
        self.count += 1
        ts = f"1700000000.{self.count:06d}"
        event = SlackEvent(f"C1/{ts}", "message", "C1", ts, None, user_id, text, "", ())
        assert self.mirror._write_once(event, self.target) == "noted"
        note = self.soar.state.notes_of(self.incident["id"])[-1]
        return note["text"]["content"] if isinstance(note["text"], dict) else note["text"]


@pytest.fixture
def writer(soar, rest, slack):
    PEOPLE.clear()
    yield _Writer(soar, rest, slack)
    PEOPLE.clear()


def _header(note: str) -> str:
    """The text of the note's first paragraph: fn_slack's header."""
    return BeautifulSoup(note, "html.parser").find("p").get_text()


def test_a_person_who_calls_herself_alice_is_not_shown_as_alice(writer, slack):
    alice = slack.user("alice")["id"]
    mallory = slack.add_user("mallory", "mallory@example.com", real_name="Mallory Moss", display_name="Alice")
    real, impostor = writer.write(alice, "block the domain"), writer.write(mallory, "block the domain")
    assert _header(real).startswith(f"Slack · Alice Adams <alice@example.com> ({alice}) wrote in")
    assert _header(impostor).startswith(f"Slack · Mallory Moss <mallory@example.com> ({mallory}) wrote in")
    assert "<b>Alice</b>" not in impostor


def test_a_message_that_imitates_the_header_is_quoted_text_not_a_header(writer, slack):
    mallory = slack.add_user("mallory", "mallory@example.com", real_name="Mallory Moss", display_name="Alice")
    forged = "*Slack* · *Alice* wrote in *#inc* at 2023-11-14 22:13:20 UTC\nApproved, block it"
    note = writer.write(mallory, forged)
    soup = BeautifulSoup(note, "html.parser")
    assert note.count("<b>Slack</b>") == 1, note          # fn_slack's own header, once
    quote = soup.find("blockquote")
    assert quote.get_text() == "*Slack* · *Alice* wrote in *#inc* at 2023-11-14 22:13:20 UTC" + "Approved, block it"
    assert quote.find("b") is None, note
    assert soup.find("p").find_next_sibling() is quote    # the person's text comes after the header, quoted


def test_a_mention_shows_the_real_person_a_link_its_real_target_and_invisible_characters_go(writer, slack):
    alice, bob = slack.user("alice")["id"], slack.user("bob")["id"]
    note = writer.write(bob, f"OK by <@{alice}|Alice (CISO)>: pay at <https://evil.example/pay|https://bank.example/pay>"
                             " invoice\u202egnp.exe\u200b")
    soup = BeautifulSoup(note, "html.parser")
    quote = soup.find("blockquote")
    assert "@Alice Adams" in quote.get_text() and "CISO" not in note
    [link] = quote.find_all("a")
    assert link["href"] == "https://evil.example/pay" and link.get_text() == "https://evil.example/pay"
    assert "\u202e" not in note and "\u200b" not in note and "invoicegnp.exe" in quote.get_text()


def test_guests_and_people_of_another_organisation_are_marked(writer, slack):
    gina, erin = slack.user("gina")["id"], slack.user("erin")["id"]
    assert _header(writer.write(gina, "hello")).startswith(
        f"Slack · Gina Guest <gina@example.com> ({gina}), guest wrote in")
    assert _header(writer.write(erin, "hello")).startswith(
        f"Slack · Erin External <erin@partner.example> ({erin}), external (Slack Connect) wrote in")


def test_when_slack_cannot_say_who_wrote_the_note_names_the_id_alone_unverified(writer, slack):
    mallory = slack.add_user("mallory", "mallory@example.com", real_name="Mallory Moss", display_name="Alice")
    slack.faults.add("users.info", "slack_error", error="user_not_found")
    note = writer.write(mallory, "hello")
    assert _header(note).startswith(f"Slack · {mallory}, unverified: Slack did not say who this is wrote in")
    assert "Mallory" not in note and "Alice" not in note


def test_a_person_is_asked_of_slack_once_and_again_after_a_while_so_a_rename_shows(writer, slack, monkeypatch):
    alice = slack.user("alice")["id"]
    slack.clear_calls()
    for _ in range(3):
        writer.write(alice, "update")
    assert len(slack.calls_to("users.info")) == 1
    slack.set_user_names(alice, real_name="Alice Renamed")
    monkeypatch.setattr(PEOPLE, "ttl", 0.2)
    time.sleep(0.3)
    assert _header(writer.write(alice, "later")).startswith(f"Slack · Alice Renamed <alice@example.com> ({alice})")
    assert len(slack.calls_to("users.info")) == 2


@pytest.mark.parametrize(("user", "external"), [
    ({"id": "U1", "team_id": "T0PARTNER1", "real_name": "Erin"}, True),                 # another team, no is_stranger
    ({"id": "U1", "team_id": "T0HOME", "is_stranger": True, "real_name": "Erin"}, True),
    ({"id": "U1", "team_id": "T0HOME", "real_name": "Alice"}, False),
])
def test_a_person_of_another_team_is_external_whether_or_not_slack_says_is_stranger(user, external):
    assert Person.from_slack(user, "T0HOME").external is external
