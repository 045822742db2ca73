"""slack_text → Slack message: the container of the example workflows, escaping and value formatting."""

import json
import re
import time

import pytest

from fn_slack.lib.errors import InputError
from fn_slack.lib.message_format import (
    KNOWN_TYPES,
    MAX_TEXT_CHARS,
    MENTION_BREAK,
    SlackMessage,
    escape_untrusted,
    format_value,
    parse_container,
    render_comment,
    render_message,
    slack_date,
)
from sandbox.slack import notify, rewrite
from tests.unit.slack_checks import assert_inert

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!channel|channel>",
    "@channel",
    "@here",
    "@everyone",
    "@CHANNEL",
    "@Here",
    "@EveryOne",
    "ping @channel now",
    "(@here)",
    "<https://evil.example|click>",
    "<https://evil.example>",
    "<mailto:x@evil.example|mail>",
    "<@U123>",
    "<@U123|boss>",
    "<#C123>",
    "<#C123|general>",
    "<!subteam^S1>",
    "<!subteam^S1|@security>",
    "<!date^1^{date}|x>",
    "&lt;!channel&gt;",
    "&amp;lt;!here&amp;gt;",
    "a & b",
    ">quote",
    # a note's header imitated, a mention whose label names someone else, a link whose label is another address
    "*Slack* · *Alice Adams <alice@example.com> (U0ALICE01)* wrote in *#inc* at 2023-11-14 22:13:20 UTC",
    "<@U0ALICE01|Alice (CISO)>",
    "<https://evil.example/pay|https://bank.example/pay>",
    "<https://evil.example|bank.example>",
    # bidi controls and zero-width characters: a reversed file name, a mention split to slip past a filter
    "invoice\u202egnp.exe",
    "\u2067evil\u2069 \u200f\u061c",
    "@\u200bhere @\u2060channel <!chan\u200bnel> <\ufeff!here>",
    "\u00adpay\u200c\u200dnow",
]


def container(**entries) -> str:
    """A slack_text container as the example workflows' scripts build it (json.dumps keeps order)."""
    return json.dumps({label.replace("_", " "): {"type": t, "data": d} for label, (t, d) in entries.items()})


def incident_container() -> str:
    return json.dumps({
        "Additional Text": {"type": "string", "data": "Hey user <@UCNC5K34J> check out #random"},
        "Resilient URL": {"type": "incident", "data": 2095},
        "Type of data": {"type": "string", "data": "Incident"},
        "Incident ID": {"type": "number", "data": 2095},
        "Incident name": {"type": "string", "data": "Phishing <b>campaign</b> @here"},
        "Description": {"type": "richtext", "data": "<div><p>Mail from <b>ceo</b></p><p>Second</p></div>"},
        "Incident Types": {"type": "string", "data": "['Malware', 'Phishing']"},
        "NIST Attack Vectors": {"type": "string", "data": []},
        "Confirmed": {"type": "boolean", "data": True},
        "Date Created": {"type": "datetime", "data": 1541066628000},
        "Date Occurred": {"type": "datetime", "data": None},
        "Severity": {"type": "string", "data": "High"},
    })


# ------------------------------------------------------------------------------------------ plain text

HOSTILE_PLAIN = ["<!here> free gift", "<!channel>", "@here now", "@Everyone", "<@U0ALICE01> pay this",
                 "<!subteam^S0ONCALL01|@oncall>", "@oncall", "<https://evil.example/login|Approve>",
                 "see https://evil.example/x|Approve", "(https://evil.example/x|Approve)",
                 "xhttps://evil.example/x|Approve", "```\nfake code block"]


@pytest.mark.parametrize("text", HOSTILE_PLAIN)
def test_plain_text_is_inert_it_pings_nobody_and_links_nowhere(text):
    posted = render_message(text, lambda i, t: "").text
    stored = rewrite.rewrite(posted, link_names=True, wrap_urls=True, usergroups_by_handle={"oncall": "S0ONCALL01"})
    pinged = notify.compute([stored], link_names=True, users_by_name={"alice": "U0ALICE01"},
                            usergroups_by_handle={"oncall": "S0ONCALL01"})
    assert pinged == {"broadcast": [], "users": [], "usergroups": []}
    assert [seq for seq in re.findall(r"<([^<>]*)>", stored) if "|" in seq or not seq.startswith("http")] == []
    assert "```" not in posted


@pytest.mark.parametrize("value", ["see https://evil.example/x|Approve", "www.evil.example/x|Approve now",
                                   "<https://evil.example/x|Approve>"])
def test_a_pipe_inside_an_address_of_incident_data_starts_no_link_label_even_where_slack_links_addresses(value):
    shown = format_value("Incident name", "string", value)
    stored = rewrite.rewrite(shown, link_names=True, wrap_urls=True, usergroups_by_handle={})
    assert [seq for seq in re.findall(r"<([^<>]*)>", stored) if "|" in seq] == []
    assert "evil.example/x%7CApprove" in shown


def test_a_value_at_slack_s_limit_is_escaped_in_linear_time():
    started = time.monotonic()
    escape_untrusted("x" * (MAX_TEXT_CHARS - 1) + "|")
    escape_untrusted("https://a.example/" + "x|" * (MAX_TEXT_CHARS // 2))
    assert time.monotonic() - started < 2     # a backtracking address pattern took minutes here


def test_plain_text_reads_as_typed_and_keeps_its_lines_and_e_mail_addresses():
    text = "Hey <@UCNC5K34J> & <!here>\nmail bob@example.com"
    posted = render_message(text, lambda i, t: "")
    assert posted == SlackMessage(text="Hey &lt;@\u200bUCNC5K34J&gt; &amp; &lt;!here&gt;\nmail bob@example.com")


@pytest.mark.parametrize("text", ['{"Incident name": "<!here> free gift"}', '{"a": {"data": "<@U1>"}}',
                                  "[\"<!channel>\"]"])
def test_json_that_is_not_a_container_is_plain_text_made_inert(text):
    assert parse_container(text) is None
    posted = render_message(text, lambda i, t: "").text
    assert posted == escape_untrusted(text) and "<" not in posted


def test_a_container_of_additional_text_only_is_a_plain_message_with_the_analysts_mentions():
    text = json.dumps({"Additional Text": {"type": "string", "data": "Hey user <@UCNC5K34J> check out #random"}})
    assert render_message(text, lambda i, t: "") == SlackMessage(text="Hey user <@UCNC5K34J> check out #random")


def test_a_file_comment_is_plain_text_made_inert_or_the_container_s_text_and_lines():
    assert render_comment("<!here> the report") == "&lt;!here&gt; the report"
    assert render_comment("  ") is None
    container = json.dumps({"Additional Text": {"type": "string", "data": "<@U0BOB> the report"},
                            "Resilient URL": {"type": "incident", "data": 2095},
                            "Type of data": {"type": "string", "data": "Attachment"},
                            "File": {"type": "string", "data": "a\n*Severity*: Low"}})
    assert render_comment(container) == "<@U0BOB> the report\n*SOAR Attachment*\n*File*:\n> a\n> *Severity*: Low"


@pytest.mark.parametrize("text", ['{"a": 1}', '{"note": {"data": "x"}}', "[1, 2]", '"quoted"',
                                  "{}", "123"])
def test_text_that_is_not_a_container_is_plain_text(text):
    assert parse_container(text) is None
    assert render_message(text, lambda i, t: "").text == text


def test_empty_slack_text_is_refused_naming_the_input():
    with pytest.raises(InputError, match="slack_text"):
        render_message("  ", lambda i, t: "")


def test_empty_slack_text_gets_the_message_the_user_guide_lists():
    # The catalogue's wording (doc/user-guide.md's troubleshooting table) is the one text for this error.
    with pytest.raises(InputError) as err:
        render_message("  ", lambda i, t: "")
    assert str(err.value) == "slack_text is empty: give the message to post."


def test_plain_text_over_slack_limit_fails_with_length_and_limit():
    with pytest.raises(InputError) as err:
        render_message("x" * (MAX_TEXT_CHARS + 1), lambda i, t: "")
    message = str(err.value)
    assert "slack_text" in message and "40,001" in message and "40,000" in message


def test_plain_text_at_slack_limit_is_posted_whole():
    assert len(render_message("x" * MAX_TEXT_CHARS, lambda i, t: "").text) == MAX_TEXT_CHARS


# ------------------------------------------------------------------------------------------ the container

def test_container_entries_keep_the_workflow_order():
    parsed = parse_container(incident_container())
    assert list(parsed)[:4] == ["Additional Text", "Resilient URL", "Type of data", "Incident ID"]


def test_container_with_raw_newlines_and_tabs_in_strings_is_still_a_container(soar_link):
    # A workflow script that pastes a multi-line value between quotes instead of using JSON.stringify.
    slack_text = ('{"Additional Text": {"type": "string", "data": "Please look\nat this"},\n'
                  ' "Resilient URL": {"type": "incident", "data": 2095},\n'
                  ' "Type of data": {"type": "string", "data": "Incident"},\n'
                  ' "Incident name": {"type": "string", "data": "Phishing\tcampaign"},\n'
                  ' "Description": {"type": "richtext", "data": "<p>line one\nline two</p>"}}')
    with pytest.raises(ValueError):
        json.loads(slack_text)  # strict JSON refuses control characters inside strings
    assert list(parse_container(slack_text)) == ["Additional Text", "Resilient URL", "Type of data",
                                                 "Incident name", "Description"]
    message = render_message(slack_text, soar_link)
    assert message.text == "Please look\nat this"
    [attachment] = message.attachments
    assert attachment["title"] == "SOAR Incident"
    assert attachment["title_link"] == "https://soar.example.com/#incidents/2095"
    assert attachment["text"].startswith("*Incident name*: Phishing\tcampaign\n*Description*: line one")
    assert "{" not in message.text and "{" not in attachment["text"]


def test_incident_container_renders_as_one_green_attachment(soar_link):
    message = render_message(incident_container(), soar_link)
    assert message.text == "Hey user <@UCNC5K34J> check out #random"
    assert message.attachments == [{
        "title": "SOAR Incident",
        "title_link": "https://soar.example.com/#incidents/2095",
        "text": "*Incident ID*: 2095\n"
                f"*Incident name*: Phishing &lt;b&gt;campaign&lt;/b&gt; @{MENTION_BREAK}here\n"
                "*Description*:\n> Mail from *ceo*\n> Second\n"
                "*Incident Types*: Malware, Phishing\n"
                "*Confirmed*: Yes\n"
                "*Date Created*: <!date^1541066628^{date_num} {time_secs}|2018-11-01 10:03:48>\n"
                "*Severity*: High",
        "color": "#36a64f",
        "mrkdwn_in": ["text"],
        "fallback": "SOAR Incident: https://soar.example.com/#incidents/2095",
    }]


def test_attachments_survive_json_encoding_for_slack():
    message = render_message(incident_container(), lambda i, t: "https://soar/x")
    assert json.loads(json.dumps(message.attachments)) == message.attachments


def test_task_reference_links_to_the_task(soar_link):
    text = container(Resilient_URL=("incident", "2095?task_id=7"), Type_of_data=("string", "Task"),
                     Task_Name=("string", "Contain host"))
    attachment = render_message(text, soar_link).attachments[0]
    assert attachment["title_link"] == "https://soar.example.com/#incidents/2095?task_id=7"
    assert attachment["title"] == "SOAR Task"
    assert attachment["text"] == "*Task Name*: Contain host"


def test_soar_url_key_is_accepted_like_resilient_url(soar_link):
    text = container(SOAR_URL=("incident", "42"), Type_of_data=("string", "Artifact"))
    assert render_message(text, soar_link).attachments[0]["title_link"] == "https://soar.example.com/#incidents/42"


def test_soar_link_builder_receives_incident_and_task_ids():
    calls = []
    render_message(container(Resilient_URL=("incident", "12?task_id=34")),
                   lambda i, t: calls.append((i, t)) or "https://soar/x")
    assert calls == [(12, 34)]


@pytest.mark.parametrize("data", ["abc", "12?task=3", "12?task_id=", True, 1.5])
def test_unusable_soar_url_fails_naming_the_label(data):
    with pytest.raises(InputError, match="Resilient URL"):
        render_message(container(Resilient_URL=("incident", data)), lambda i, t: "")


def test_container_without_url_has_no_title_link():
    attachment = render_message(container(Type_of_data=("string", "Incident"), Severity=("string", "Low")),
                                lambda i, t: "").attachments[0]
    assert "title_link" not in attachment
    assert attachment["fallback"] == "SOAR Incident"


def test_without_additional_text_the_notification_text_is_the_title():
    message = render_message(container(Type_of_data=("string", "Incident Note"), Note=("richtext", "<p>hi</p>")),
                             lambda i, t: "")
    assert message.text == "SOAR Incident Note"
    assert "pretext" not in message.attachments[0]


def test_additional_text_keeps_slack_syntax():
    text = container(Additional_Text=("string", "<!here> look <@U1> <https://wiki|runbook>"),
                     Type_of_data=("string", "Incident"))
    message = render_message(text, lambda i, t: "")
    assert message.text == "<!here> look <@U1> <https://wiki|runbook>"
    # Shown once, above the attachment: not repeated as its pretext.
    assert "pretext" not in message.attachments[0]


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("type_", ["string", "richtext"])
def test_soar_values_can_never_notify_or_link(hostile, type_):
    text = container(Type_of_data=("string", hostile), Incident_name=(type_, hostile),
                     Types=("string", json.dumps([hostile, hostile])))
    message = render_message(text, lambda i, t: "https://soar/x")
    attachment = message.attachments[0]
    for part in (message.text, attachment["title"], attachment["text"], attachment["fallback"].split(": ")[0]):
        assert_inert(part)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_labels_are_escaped_too(hostile):
    attachment = render_message(json.dumps({hostile: {"type": "string", "data": "v"}}), lambda i, t: "").attachments[0]
    assert_inert(attachment["text"])


def test_hostile_list_items_are_escaped():
    value = format_value("Types", "string", "['<!channel>', '@here']")
    assert_inert(value)
    assert value == f"&lt;!channel&gt;, @{MENTION_BREAK}here"


def test_entry_that_is_not_an_object_fails_naming_label_and_known_types():
    with pytest.raises(InputError) as err:
        parse_container(json.dumps({"Type of data": {"type": "string", "data": "x"}, "Severity": "High"}))
    message = str(err.value)
    assert "slack_text" in message and "'Severity'" in message and ", ".join(KNOWN_TYPES) in message


def test_entry_without_type_fails_naming_label():
    with pytest.raises(InputError, match=r"slack_text entry 'Severity' has no \"type\""):
        parse_container(json.dumps({"Incident ID": {"type": "number", "data": 1}, "Severity": {"data": "x"}}))


def test_unknown_type_fails_naming_slack_text_label_type_and_known_types():
    with pytest.raises(InputError) as err:
        render_message(container(Incident_ID=("number", 1), Severity=("colour", "red")), lambda i, t: "")
    assert str(err.value) == ("slack_text entry 'Severity' has type 'colour', which fn_slack does not know; "
                              "known types: boolean, datetime, incident, number, richtext, string.")


def test_incident_type_outside_the_url_entry_is_refused():
    with pytest.raises(InputError, match="'Parent'.*Resilient URL"):
        render_message(container(Type_of_data=("string", "Incident"), Parent=("incident", 3)), lambda i, t: "")


def test_container_too_long_for_slack_fails_instead_of_being_cut():
    text = container(Type_of_data=("string", "Incident"), Description=("string", "d" * MAX_TEXT_CHARS))
    with pytest.raises(InputError) as err:
        render_message(text, lambda i, t: "")
    assert "slack_text" in str(err.value) and "40,000" in str(err.value) and "40,015" in str(err.value)


def test_additional_text_too_long_for_slack_fails():
    text = container(Additional_Text=("string", "a" * (MAX_TEXT_CHARS + 5)), Type_of_data=("string", "x"))
    with pytest.raises(InputError, match="40,005"):
        render_message(text, lambda i, t: "")


def test_escaping_that_pushes_text_over_the_limit_is_caught():
    # 10,000 '<' become 40,000 characters of '&lt;' once escaped, plus the label.
    text = container(Type_of_data=("string", "Incident"), Data=("string", "<" * 10000))
    with pytest.raises(InputError, match="slack_text"):
        render_message(text, lambda i, t: "")


# ------------------------------------------------------------------------------------------ values

@pytest.mark.parametrize(("data", "shown"), [
    ("['Malware', 'Phishing']", "Malware, Phishing"),
    ('["Malware", "Phishing"]', "Malware, Phishing"),
    (["Malware", "Phishing"], "Malware, Phishing"),
    ("['Only one']", "Only one"),
    ("[unbalanced", "[unbalanced"),
    ("[1, 2]", "1, 2"),
    ("plain", "plain"),
    (2103, "2103"),
    ("Ünïcödé 日本", "Ünïcödé 日本"),
])
def test_string_values_and_list_reprs(data, shown):
    assert format_value("Incident Types", "string", data) == shown


@pytest.mark.parametrize(("type_", "data"), [
    ("string", ""), ("string", None), ("string", "   "), ("string", "[]"), ("string", []), ("string", "['']"),
    ("richtext", ""), ("richtext", "<p></p>"), ("datetime", 0), ("datetime", "0"), ("datetime", ""),
    ("datetime", None), ("number", None), ("boolean", None), ("boolean", ""),
])
def test_empty_values_leave_the_line_out(type_, data):
    assert format_value("Label", type_, data) is None


@pytest.mark.parametrize("data", [1541066628000, "1541066628000", " 1541066628000 ", 1541066628000.0,
                                  "1541066628123"])
def test_datetime_accepts_epoch_milliseconds_as_number_or_numeric_string(data):
    assert format_value("Date Created", "datetime", data) == (
        "<!date^1541066628^{date_num} {time_secs}|2018-11-01 10:03:48>")


@pytest.mark.parametrize("data", ["yesterday", "12:00", True, {"ms": 1}, "1e400"])
def test_bad_datetime_fails_naming_the_label(data):
    with pytest.raises(InputError, match="'Date Created'"):
        format_value("Date Created", "datetime", data)


def test_slack_date_token_shows_local_time_with_utc_fallback():
    assert slack_date(1793544114000) == "<!date^1793544114^{date_num} {time_secs}|2026-11-01 14:41:54>"
    assert slack_date("1793544114999") == "<!date^1793544114^{date_num} {time_secs}|2026-11-01 14:41:54>"


@pytest.mark.parametrize(("data", "shown"), [
    (True, "Yes"), (1, "Yes"), ("1", "Yes"), ("yes", "Yes"), ("YES", "Yes"), ("true", "Yes"), ("True", "Yes"),
    (" TRUE ", "Yes"), (False, "No"), (0, "No"), ("0", "No"), ("no", "No"), ("false", "No"), ("False", "No"),
])
def test_boolean_values_read_yes_or_no(data, shown):
    assert format_value("Confirmed", "boolean", data) == shown


@pytest.mark.parametrize(("data", "shown"), [(2103, "2103"), (0, "0"), (3.5, "3.5"), ("42", "42"), ("-1.5", "-1.5")])
def test_numbers_are_shown_as_given(data, shown):
    assert format_value("Incident ID", "number", data) == shown


@pytest.mark.parametrize("data", ["twelve", True, [1], {"a": 1}])
def test_bad_number_fails_naming_the_label(data):
    with pytest.raises(InputError, match="'Incident ID'"):
        format_value("Incident ID", "number", data)


def test_richtext_values_become_mrkdwn():
    assert format_value("Note", "richtext", "<p>Call <b>Bob</b></p><ul><li>a</li><li>b</li></ul>") == (
        "Call *Bob*\n• a\n• b")


def test_deeply_nested_richtext_fails_naming_the_label_instead_of_crashing():
    with pytest.raises(InputError, match="'Note'"):
        format_value("Note", "richtext", "<b>" * 5000 + "x")


# ------------------------------------------------------------------------------------------ escaping

@pytest.mark.parametrize("hostile", HOSTILE)
def test_escape_untrusted_makes_hostile_text_inert(hostile):
    assert_inert(escape_untrusted(hostile))


@pytest.mark.parametrize(("raw", "escaped"), [
    ("a & b", "a &amp; b"),
    ("<!channel>", "&lt;!channel&gt;"),
    ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),
    ("&amp;lt;", "&amp;amp;lt;"),
    ("@here", f"@{MENTION_BREAK}here"),
    ("@Everyone!", f"@{MENTION_BREAK}Everyone!"),
    ("x @@channel", f"x @{MENTION_BREAK}@{MENTION_BREAK}channel"),
    ("bob@example.com", "bob@example.com"),
    ("2 @ 3", "2 @ 3"),
])
def test_escape_untrusted_shows_the_text_literally(raw, escaped):
    assert escape_untrusted(raw) == escaped


def test_escaping_twice_does_not_add_more_mention_breaks():
    once = escape_untrusted("@here")
    assert escape_untrusted(once) == once


# ------------------------------------------------------------------------------------------ hostile data
NOT_JSON = ("slack_text starts with '{{' but is not valid JSON ({detail}): fn_slack does not post it as plain text, "
            "since it may hold incident data with live mentions. Fix the script that builds slack_text, or start "
            "plain text with something other than '{{'.")


@pytest.mark.parametrize(("text", "detail"), [
    ("{not json", "Expecting property name enclosed in double quotes: line 1 column 2"),
    ('  {"Incident name": {"type": "string", "data": "<!channel> x"}', "Expecting ',' delimiter: line 1 column 63"),
    ('{"Incident name": {"type": "string", "data": "unterminated}}',
     "Unterminated string starting at: line 1 column 46"),
    ('{"a": ' + "[" * 100000, "nested too deeply"),
])
def test_text_that_starts_like_the_container_but_is_not_json_is_refused(text, detail):
    with pytest.raises(InputError) as err:
        render_message(text, lambda i, t: "")
    assert str(err.value) == NOT_JSON.format(detail=detail)


def test_raw_newlines_and_tabs_inside_container_strings_still_parse():
    text = '{"Type of data": {"type": "string", "data": "Incident"}, "Name": {"type": "string", "data": "a\tb\nc"}}'
    assert parse_container(text)["Name"]["data"] == "a\tb\nc"


def _attachment_text(**entries):
    text = json.dumps({label: {"type": t, "data": d} for label, (t, d) in entries.items()})
    return render_message(text, lambda i, t: "").attachments[0]["text"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"])
def test_a_value_cannot_forge_another_field_line(newline):
    text = _attachment_text(**{"Incident name": ("string", f"Phish{newline}*Severity*: Low{newline}*Owner*: ceo"),
                               "Severity": ("string", "High")})
    assert text == "*Incident name*:\n> Phish\n> *Severity*: Low\n> *Owner*: ceo\n*Severity*: High"
    assert [line for line in text.split("\n") if line.startswith("*")] == ["*Incident name*:", "*Severity*: High"]


def test_a_rich_text_value_of_several_lines_is_quoted_under_its_label():
    text = _attachment_text(Description=("richtext", "<p>Mail</p><p><b>Severity</b>: Low</p><p></p><p>end</p>"),
                            Severity=("string", "High"))
    assert text == "*Description*:\n> Mail\n> *Severity*: Low\n*Severity*: High".replace("Low\n", "Low\n> end\n")


def test_a_label_cannot_start_a_line_of_its_own():
    text = _attachment_text(**{"Name*: x\n*Severity": ("string", "Low")})
    assert text == "*Name*: x *Severity*: Low"


def test_a_value_cannot_open_a_code_block_that_swallows_the_next_lines():
    text = _attachment_text(**{"Incident name": ("string", "```"), "Severity": ("string", "High"),
                               "Owner": ("string", "x ````` y")})
    assert "```" not in text
    assert text == (f"*Incident name*: `{MENTION_BREAK}`{MENTION_BREAK}`\n*Severity*: High\n"
                    f"*Owner*: x `{MENTION_BREAK}`{MENTION_BREAK}`{MENTION_BREAK}`{MENTION_BREAK}` y")


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                  "\u2069", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
                                  "\u200e", "\u200f", "\u061c", "\u00ad"])
def test_bidi_and_zero_width_characters_of_incident_data_are_removed(char):
    message = render_message(json.dumps({
        "Type of data": {"type": "string", "data": f"Inci{char}dent"},
        f"Na{char}me": {"type": "string", "data": f"report{char}.pdf"},
        "Owner": {"type": "string", "data": f"{char}ceo{char}"}}), lambda i, t: "")
    attachment = message.attachments[0]
    assert attachment["title"] == "SOAR Incident"
    assert attachment["text"] == "*Name*: report.pdf\n*Owner*: ceo"


def test_the_mention_break_survives_the_removal_of_zero_width_characters():
    # Incident data already holding fn_slack's own break (or one typed to fool it) still never pings.
    assert escape_untrusted(f"@{MENTION_BREAK}channel @here \u200b@everyone") == \
        f"@{MENTION_BREAK}channel @{MENTION_BREAK}here @{MENTION_BREAK}everyone"


def test_the_analysts_additional_text_keeps_its_own_formatting():
    text = json.dumps({"Additional Text": {"type": "string", "data": "```\nsee <@U123>\n```"},
                       "Type of data": {"type": "string", "data": "Incident"}})
    assert render_message(text, lambda i, t: "").text == "```\nsee <@U123>\n```"
