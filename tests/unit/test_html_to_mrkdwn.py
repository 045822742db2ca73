"""SOAR rich text (HTML) → readable, safe Slack mrkdwn."""

import pytest

from fn_slack.lib.message_format import MENTION_BREAK, html_to_mrkdwn
from tests.unit.slack_checks import assert_inert


@pytest.mark.parametrize(("html", "text"), [
    ("<p>first</p><p>second</p>", "first\nsecond"),
    ("<div>one</div>\n  <div>two</div>", "one\ntwo"),
    ("<div>a<br>b<br/><br>c</div>", "a\nb\n\nc"),
    ("<p>  lots   of\n   space  </p>", "lots of space"),
    ("just text", "just text"),
    ("line one\nline two", "line one\nline two"),
    ("", ""),
])
def test_paragraphs_divs_and_breaks_become_lines(html, text):
    assert html_to_mrkdwn(html) == text


def test_unordered_list_items_get_bullets():
    assert html_to_mrkdwn("<p>Steps:</p><ul><li>isolate</li><li>reimage</li></ul><p>done</p>") == (
        "Steps:\n• isolate\n• reimage\ndone")


def test_ordered_list_items_are_numbered_and_honour_start():
    assert html_to_mrkdwn("<ol><li>a</li><li>b</li></ol><ol start='4'><li>c</li></ol>") == "1. a\n2. b\n4. c"


def test_nested_lists_are_indented():
    assert html_to_mrkdwn("<ul><li>top<ol><li>x</li><li>y</li></ol></li><li>next</li></ul>") == (
        "• top\n    1. x\n    2. y\n• next")


@pytest.mark.parametrize(("html", "text"), [
    ("<b>bold</b>", "*bold*"),
    ("<strong>bold</strong> text", "*bold* text"),
    ("a <i>slanted</i> word", "a _slanted_ word"),
    ("<em>em</em>", "_em_"),
    ("<s>gone</s> <strike>old</strike> <del>x</del>", "~gone~ ~old~ ~x~"),
    ("run <code>rm -rf</code>", "run `rm -rf`"),
    ("<b> padded </b>end", "*padded* end"),
    ("<b></b>empty", "empty"),
    ("<b>two<br>lines</b>", "*two*\n*lines*"),
    ("<h2>Summary</h2><p>body</p>", "*Summary*\nbody"),
])
def test_inline_formatting_becomes_slack_markers(html, text):
    assert html_to_mrkdwn(html) == text


@pytest.mark.parametrize(("html", "text"), [
    ('<a href="https://ex.com/page">the page</a>', "<https://ex.com/page|the page>"),
    ('<a href="http://ex.com">site</a>', "<http://ex.com|site>"),
    ('<a href="mailto:soc@ex.com">mail us</a>', "<mailto:soc@ex.com|mail us>"),
    ('<a href="HTTPS://EX.COM">x</a>', "<HTTPS://EX.COM|x>"),
    ('<a href="https://ex.com"></a>', "<https://ex.com>"),
    ('see <a href="https://ex.com">this</a>, then', "see <https://ex.com|this>, then"),
    ('<a href="https://ex.com/?a=1&amp;b=2">q</a>', "<https://ex.com/?a=1&amp;b=2|q>"),
    ('<a href="https://ex.com/a b|c>d">x</a>', "<https://ex.com/a%20b%7Cc%3Ed|x>"),
    ('<a href="https://ex.com/@user">profile</a>', "<https://ex.com/@user|profile>"),
])
def test_real_links_in_rich_text_stay_links(html, text):
    assert html_to_mrkdwn(html) == text


def test_link_text_is_escaped_and_cannot_break_out_of_the_link():
    result = html_to_mrkdwn('<a href="https://ex.com">a | b &gt; <b>c</b> &lt;!here&gt; @channel</a>')
    assert result == f"<https://ex.com|a b &gt; *c* &lt;!here&gt; @{MENTION_BREAK}channel>"
    label = result[len("<https://ex.com|"):-1]
    assert "|" not in label and ">" not in label


@pytest.mark.parametrize("href", ["javascript:alert(1)", "data:text/html,x", "ftp://ex.com/f", "/relative",
                                  "", "slack://channel?id=C1"])
def test_links_that_are_not_web_or_mail_become_plain_text(href):
    assert html_to_mrkdwn(f'<a href="{href}">click me</a>') == "click me"


@pytest.mark.parametrize(("html", "text"), [
    ("fish &amp; chips", "fish &amp; chips"),
    ("caf&eacute; &ndash; na&iuml;ve &#x1F600;", "café – naïve 😀"),
    ("a&nbsp;b", "a b"),
    ("&lt;script&gt;", "&lt;script&gt;"),
    ("&amp;lt;", "&amp;lt;"),
    ("&amp;amp;lt;!channel&amp;amp;gt;", "&amp;amp;lt;!channel&amp;amp;gt;"),
])
def test_entities_are_decoded_then_escaped_for_slack(html, text):
    assert html_to_mrkdwn(html) == text


def test_non_ascii_text_is_kept():
    assert html_to_mrkdwn("<p>Ünïcödé — 日本語 — Привет</p>") == "Ünïcödé — 日本語 — Привет"


def test_scripts_styles_and_comments_are_dropped():
    html = "<style>p{color:red}</style><p>keep</p><script>alert('x')</script><!-- secret --><noscript>n</noscript>"
    assert html_to_mrkdwn(html) == "keep"


@pytest.mark.parametrize("html", [
    "<p>&lt;!channel&gt; and &lt;@U123&gt;</p>",
    "<p>@here</p>",
    "<p>@<span>channel</span></p>",
    "<p>@<b></b>everyone</p>",
    "<p>&lt;https://evil|click&gt;</p>",
    "<div>&lt;!subteam^S1&gt;</div>",
    "plain @Channel text",
    "<p><!here> <!channel> raw</p>",
    "<p><@U123> and <#C123> and <https://evil.example|click></p>",
    "<p>&lt;<b>!channel</b>&gt;</p>",
])
def test_hostile_text_inside_rich_text_stays_inert(html):
    assert_inert(html_to_mrkdwn(html))


def test_preformatted_text_keeps_its_layout_in_a_code_block():
    assert html_to_mrkdwn("<pre>  indented\n    more</pre><p>after</p>") == "```\n  indented\n    more\n```\nafter"


def test_table_cells_are_separated():
    assert html_to_mrkdwn("<table><tr><th>Host</th><th>IP</th></tr><tr><td>web</td><td>10.0.0.1</td></tr></table>") \
        == "Host | IP\nweb | 10.0.0.1"


def test_blank_lines_never_pile_up():
    assert html_to_mrkdwn("<p>a</p><br><br><br><br><p>b</p>") == "a\n\nb"


# ------------------------------------------------------------------------------------------ look-alike links
@pytest.mark.parametrize(("html", "text"), [
    # the label names another address than the target: Slack shows the real target
    ('<a href="https://evil.example/login">https://bank.example/login</a>', "<https://evil.example/login>"),
    ('<a href="https://evil.example/">bank.example</a>', "<https://evil.example/>"),
    ('<a href="https://bank.example.evil.example/">www.bank.example</a>', "<https://bank.example.evil.example/>"),
    ('<a href="https://203.0.113.9/">10.0.0.1</a>', "<https://203.0.113.9/>"),
    ('<a href="mailto:help@evil.example">help@bank.example</a>', "<mailto:help@evil.example>"),
    ('<a href="https://evil.example/">Log in at <b>bank.example</b> now</a>', "<https://evil.example/>"),
    ('<a href="https://xn--bnk-8cd.example/">b\u0430nk.example</a>', "<https://xn--bnk-8cd.example/>"),
    # honest labels keep their text
    ('<a href="https://bank.example/login">https://bank.example/login</a>',
     "<https://bank.example/login|https://bank.example/login>"),
    ('<a href="https://www.bank.example/x">bank.example</a>', "<https://www.bank.example/x|bank.example>"),
    ('<a href="https://portal.bank.example/">bank.example</a>', "<https://portal.bank.example/|bank.example>"),
    ('<a href="https://BANK.example/">Bank.Example</a>', "<https://BANK.example/|Bank.Example>"),
    ('<a href="mailto:help@bank.example">help@bank.example</a>', "<mailto:help@bank.example|help@bank.example>"),
    ('<a href="https://evil.example/">the report</a>', "<https://evil.example/|the report>"),
])
def test_a_link_labelled_with_another_address_shows_its_real_target(html, text):
    assert html_to_mrkdwn(html) == text


# ------------------------------------------------------------------------------------------ invisible characters
@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                  "\u2069", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_bidi_and_zero_width_characters_of_rich_text_are_removed(char):
    assert html_to_mrkdwn(f"<p>invoice{char}.pdf{char}</p>") == "invoice.pdf"
    assert html_to_mrkdwn(f"plain{char} text") == "plain text"


def test_a_right_to_left_override_cannot_disguise_a_file_name():
    # "photo\u202egpj.exe" displays as "photoexe.jpg" in a bidi-aware client.
    assert html_to_mrkdwn("<p>open photo\u202egpj.exe</p>") == "open photogpj.exe"


def test_invisible_characters_cannot_hide_a_mention_from_the_mention_break():
    assert html_to_mrkdwn("<p>@\u2060channel and \u200b@here</p>") == \
        f"@{MENTION_BREAK}channel and @{MENTION_BREAK}here"


def test_invisible_characters_in_a_link_target_are_percent_encoded():
    assert html_to_mrkdwn('<a href="https://bank.example/\u202egpj.exe">file</a>') == \
        "<https://bank.example/%E2%80%AEgpj.exe|file>"


def test_emoji_joined_by_a_zero_width_joiner_stay_whole():
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    assert html_to_mrkdwn(f"<p>{family} and ❤\ufe0f\u200d\U0001F525</p>") == f"{family} and ❤\ufe0f\u200d\U0001F525"


def test_backticks_in_rich_text_cannot_open_a_code_block():
    text = html_to_mrkdwn("<p>```</p><p>swallowed?</p><p><code>``x``</code></p>")
    assert "```" not in text
    assert text == f"`{MENTION_BREAK}`{MENTION_BREAK}`\nswallowed?\n``{MENTION_BREAK}`x`{MENTION_BREAK}``"
