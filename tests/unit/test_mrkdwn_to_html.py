"""mrkdwn_to_html: Slack text becomes SOAR note HTML in which only fn_slack's own markup is live."""

import pytest
from bs4 import BeautifulSoup

from fn_slack.lib.mrkdwn_to_html import mrkdwn_to_html

ALLOWED = {"b", "i", "s", "code", "pre", "blockquote", "br", "a"}


def live_tags(html: str) -> list:
    return BeautifulSoup(html, "html.parser").find_all(True)


def test_formatting_mentions_and_links_become_html():
    html = mrkdwn_to_html("*Contained* _now_ ~maybe~ `rm -rf` <@U1> in <#C9|ir-room> <!here> "
                          "<https://wiki.example.com/a?x=1&amp;y=2|runbook> <mailto:soc@example.com|mail us>",
                          users={"U1": "Alice"}, channels={"C9": "ir-room"})
    assert html == ('<b>Contained</b> <i>now</i> <s>maybe</s> <code>rm -rf</code> <b>@Alice</b> in <b>#ir-room</b> '
                    '<b>@here</b> <a href="https://wiki.example.com/a?x=1&amp;y=2">runbook</a> '
                    '<a href="mailto:soc@example.com">mail us</a>')


def test_lines_quotes_and_code_blocks():
    html = mrkdwn_to_html("&gt; the alert said\n&gt; twice\nso I checked\n```grep *x* &lt;log&gt;\nline 2```")
    assert html == ("<blockquote>the alert said<br>twice</blockquote>so I checked<br>"
                    "<pre>grep *x* &lt;log&gt;\nline 2</pre>")


def test_a_mention_shows_the_person_slack_names_never_the_label_the_writer_gave():
    html = mrkdwn_to_html("approved by <@U0ALICE01|Alice (CISO)> and <@U404|Bob (CEO)>",
                          users={"U0ALICE01": "Mallory Example"})
    assert html == "approved by <b>@Mallory Example</b> and <b>@U404</b>"
    assert "CISO" not in html and "CEO" not in html


def test_a_channel_shows_its_known_name_and_an_unknown_one_its_label_with_its_id():
    html = mrkdwn_to_html("see <#C1|general> and <#C2|ceo-office>", channels={"C1": "ir-42"})
    assert html == "see <b>#ir-42</b> and <b>#ceo-office</b> (C2)"


@pytest.mark.parametrize(("text", "target"), [
    ("<https://evil.example/pay|https://bank.example/pay>", "https://evil.example/pay"),
    ("<https://evil.example|bank.example>", "https://evil.example"),
    ("<https://evil.example|log in at www.bank.example now>", "https://evil.example"),
    ("<mailto:ceo@evil.example|ceo@bank.example>", "mailto:ceo@evil.example"),
    ("<https://10.0.0.1/x|https://192.168.1.1/x>", "https://10.0.0.1/x"),
])
def test_a_link_whose_label_names_another_address_shows_its_real_target(text, target):
    html = mrkdwn_to_html(text)
    [link] = BeautifulSoup(html, "html.parser").find_all("a")
    assert link["href"] == target and link.get_text() == target
    assert html.endswith("(shown in Slack as \u201c" + text.split("|", 1)[1][:-1] + "\u201d)")


@pytest.mark.parametrize("text", ["<https://www.example.com/a|example.com>", "<https://docs.example.com/x|runbook>",
                                  "<https://example.com/a|https://example.com/b>"])
def test_a_link_whose_label_is_honest_shows_the_label(text):
    [link] = BeautifulSoup(mrkdwn_to_html(text), "html.parser").find_all("a")
    assert link.get_text() == text.split("|", 1)[1][:-1]


@pytest.mark.parametrize("invisible", ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067",
                                       "\u2068", "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\u200c",
                                       "\u200d", "\u2060", "\ufeff", "\u00ad"])
def test_bidi_and_zero_width_characters_are_removed_from_text_and_names(invisible):
    html = mrkdwn_to_html(f"invoice{invisible}fdp.exe from <@U1> in <#C1>",
                          users={"U1": f"Ali{invisible}ce"}, channels={"C1": f"ir{invisible}-1"})
    assert html == "invoicefdp.exe from <b>@Alice</b> in <b>#ir-1</b>"


def test_an_emoji_sequence_keeps_its_joiner():
    assert mrkdwn_to_html("\U0001F468\u200d\U0001F469\u200d\U0001F467") == "\U0001F468\u200d\U0001F469\u200d\U0001F467"


def test_lines_marked_literal_keep_their_markers_as_typed():
    html = mrkdwn_to_html("*Slack* · *Alice* wrote\n*bold*", literal=lambda line: line.startswith("*Slack*"))
    assert html == "*Slack* · *Alice* wrote<br><b>bold</b>"


def test_an_unknown_mention_shows_its_id_and_a_plain_word_with_underscores_stays():
    assert mrkdwn_to_html("ping <@U404> about snake_case_name") == "ping <b>@U404</b> about snake_case_name"


@pytest.mark.parametrize("text", [
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<javascript:alert(1)|click me>",
    "<https://example.com|<b onmouseover=alert(1)>x</b>>",
    '"><svg/onload=alert(3)>',
    "<@U1|<img src=x onerror=alert(1)>>",
    "`</code><script>x</script>`",
    "```</pre><iframe src=//evil>```",
])
def test_hostile_text_stays_text(text):
    html = mrkdwn_to_html(text, users={"U1": "<i>Alice</i>"})
    for tag in live_tags(html):
        assert tag.name in ALLOWED, html
        assert set(tag.attrs) <= {"href"}, html
        if tag.name == "a":
            assert tag["href"].startswith(("https://", "http://", "mailto:")), html
    assert "javascript:" not in "".join(t.get("href", "") for t in live_tags(html))


def test_soar_template_markup_is_not_interpreted():
    text = "{{ incident.id }} ${7*7} [b]x[/b] &amp;lt;b&amp;gt;"
    assert mrkdwn_to_html(text) == "{{ incident.id }} ${7*7} [b]x[/b] &amp;lt;b&amp;gt;"


def test_control_characters_are_dropped_and_cannot_pose_as_fn_slacks_own_placeholders():
    """A message holding NUL characters around a number (what the converter marks its finished parts with)
    used to make the conversion fail, so the message was never mirrored; control characters have no place
    in a note."""
    assert mrkdwn_to_html("a \x0099\x00 b") == "a 99 b"
    assert mrkdwn_to_html("\x000\x00 ```code``` \x001\x00") == "0 <pre>code</pre> 1"
    assert mrkdwn_to_html("bell\x07 and\x1b[31m escape") == "bell and[31m escape"
    assert mrkdwn_to_html("tab\tkept") == "tab\tkept"
