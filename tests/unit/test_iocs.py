"""The IOCs fn_slack finds in a Slack message and offers as SOAR artifacts, and the check of a button's value."""

from __future__ import annotations

import json
import time

import pytest

from fn_slack.lib.block_kit import MAX_BUTTON_TEXT
from fn_slack.lib.iocs import Ioc, checked_offer, find_iocs, offer_blocks, offers


def found(text: str) -> list[tuple[str, str]]:
    return [(ioc.kind, ioc.value) for ioc in find_iocs(text, limit=50)]


@pytest.mark.parametrize(("text", "expected"), [
    ("C2 at 203.0.113.7.", [("ip", "203.0.113.7")]),
    ("v6 2001:DB8:0:0::7 seen", [("ip", "2001:db8::7")]),
    ("go to hxxps://bad[.]example[.]com/login?a=1&amp;b=2 now", [("url", "https://bad.example.com/login?a=1&b=2")]),
    ("see <https://evil.example/x|the login page>", [("url", "https://evil.example/x")]),
    ("<mailto:Eve@Phish.Example|Eve@Phish.Example> wrote", [("email", "eve@phish.example")]),
    ("from eve[@]phish[.]example", [("email", "eve@phish.example")]),
    ("domain evil[.]example and mal-ware.co.uk", [("domain", "evil.example"), ("domain", "mal-ware.co.uk")]),
    ("md5 D41D8CD98F00B204E9800998ECF8427E", [("md5", "d41d8cd98f00b204e9800998ecf8427e")]),
    ("sha1 " + "ab" * 20, [("sha1", "ab" * 20)]),
    ("sha256 " + "0f" * 32, [("sha256", "0f" * 32)]),
    ("(https://x.example/a_(b)) and https://y.example/q).", [("url", "https://x.example/a_(b)"),
                                                              ("url", "https://y.example/q")]),
    ("203.0.113.7 again 203.0.113.7 and EVIL.example, evil.example", [("ip", "203.0.113.7"),
                                                                      ("domain", "evil.example")]),
])
def test_iocs_are_found_refanged_and_normalised(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    "upgrade to 1.2.3 or 10.4.22.1.5 today",        # versions: three numbers, or more than four
    "run setup.py, read notes.txt and report.pdf",   # file names are not domains
    "999.1.1.1 and 01.02.03.04",                     # not addresses
    "at 10:30:00, ratio 3:2, and ::",                 # times and the unspecified address
    "<@U0BOB01> <#C0ROOM01|war-room> <!here> <!subteam^S1|@ops>",
    "e.g. i.e. etc. a.b",
    "12345678901234567890123456789012",               # 32 digits: a number, not a hash
    "deadbeef" * 5 + "00",                           # 42 hex characters: no hash length
    "",
])
def test_no_false_positives(text):
    assert found(text) == []


def test_a_domain_or_address_inside_a_url_or_email_is_not_offered_again():
    assert found("https://evil.example/x from 198.51.100.2 via http://198.51.100.9/p and ann@evil.example") == [
        ("url", "https://evil.example/x"), ("url", "http://198.51.100.9/p"), ("email", "ann@evil.example"),
        ("ip", "198.51.100.2")]


@pytest.mark.parametrize("hostile", [
    "a." * 20000, "1." * 20000, ":" * 30000 + "a:" * 5000, "a@" * 20000, "-a" * 20000, "<" * 20000 + "http://",
    "https://" + "x" * 50000, "[.]" * 13000, "hxxp" * 10000,
])
def test_hostile_text_is_read_quickly_and_bounded(hostile):
    started = time.monotonic()
    iocs = find_iocs(hostile)
    assert time.monotonic() - started < 2.0
    assert len(iocs) <= 10 and all(len(i.value) <= 1000 for i in iocs)


def test_at_most_ten_are_offered_and_an_email_as_sender_or_recipient():
    text = " ".join(f"198.51.100.{n}" for n in range(30))
    assert len(find_iocs(text)) == 10
    made = offers("mail from eve@phish.example to 198.51.100.1", "1700000000.000100", "1700000000.000001")
    assert [(o.artifact_type, o.value) for o in made] == [("Email Sender", "eve@phish.example"),
                                                          ("Email Recipient", "eve@phish.example"),
                                                          ("IP Address", "198.51.100.1")]
    assert made[0].thread_ts == "1700000000.000001"


def test_buttons_fit_slacks_limits_and_their_values_come_back_checked():
    long_url = "https://evil.example/" + "a" * 900
    made = offers(f"{long_url} <b>x</b> 203.0.113.7", "1700000000.000100")
    blocks = offer_blocks("Sent.", made)
    buttons = blocks[-1]["elements"]
    assert [len(b["text"]["text"]) <= MAX_BUTTON_TEXT for b in buttons] == [True, True]
    assert buttons[0]["text"]["text"].startswith("Add https://evil.example/aaa") and "…" in buttons[0]["text"]["text"]
    assert all(len(b["value"]) <= 2000 for b in buttons)
    assert "`203.0.113.7`" in blocks[1]["text"]["text"]
    assert [checked_offer(b["value"]) for b in buttons] == made
    assert offer_blocks("Sent.", []) == [{"type": "section", "text": {"type": "mrkdwn", "text": "Sent."}}]


def test_a_value_is_shown_escaped_for_slack_and_stops_at_markup():
    made = offers("see https://evil.example/?a=1&amp;b=2 and https://x.example/&lt;script&gt;", "1.1")
    assert [o.value for o in made] == ["https://evil.example/?a=1&b=2", "https://x.example/"]
    shown = offer_blocks("Sent.", made)[1]["text"]["text"]
    assert "`https://evil.example/?a=1&amp;b=2`" in shown


@pytest.mark.parametrize("value", [
    json.dumps({"t": "URL", "v": "203.0.113.7", "ts": "1.2"}),
    json.dumps({"t": "IP Address", "v": "evil.example", "ts": "1.2"}),
    json.dumps({"t": "IP Address", "v": " 203.0.113.7", "ts": "1.2"}),
    json.dumps({"t": "IP Address", "v": "203.0.113.7 and 203.0.113.8", "ts": "1.2"}),
    json.dumps({"t": "Malware Sample", "v": "203.0.113.7", "ts": "1.2"}),
    json.dumps({"t": "IP Address", "v": "203.0.113.7", "ts": "../../x"}),
    json.dumps({"t": "IP Address", "v": "203.0.113.7", "ts": "1.2", "th": "C1/p1"}),
    json.dumps({"t": "IP Address", "v": 3405803783, "ts": "1.2"}),
    json.dumps(["IP Address", "203.0.113.7"]),
    "203.0.113.7", "", "{",
])
def test_a_forged_or_damaged_button_value_is_refused(value):
    assert checked_offer(value) is None


def test_an_ioc_is_a_value_object():
    assert find_iocs("203.0.113.7") == [Ioc("ip", "203.0.113.7")]
