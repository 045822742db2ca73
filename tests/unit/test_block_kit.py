"""block_kit: the question's blocks and the container as Block Kit, within Slack's limits."""

import html
import re
from types import SimpleNamespace

import pytest

from fn_slack.lib.block_kit import (
    QuestionRef,
    answered_blocks,
    container_blocks,
    expired_blocks,
    question_blocks,
    question_ref_of,
)
from fn_slack.lib.errors import InputError
from fn_slack.lib.event_notes import answer_note_html
from fn_slack.lib.message_format import escape_untrusted
from fn_slack.lib.people import Person
from fn_slack.lib.question_notes import altered_note_html, refused_note_html
from fn_slack.lib.questions import AskRequest
from fn_slack.lib.text_conventions import strip_invisible
from sandbox.slack import notify, rewrite
from tests.unit.test_message_format import HOSTILE, HOSTILE_PLAIN


def test_a_question_carries_incident_task_and_id_in_its_block_and_escapes_the_question():
    ref = QuestionRef(2095, 7, "abc123")
    blocks = question_blocks(ref, "Block <@U1> & <!here>?", ["Yes", "No"], who=["UALICE"], expires=1700000000,
                             free_text=True)
    assert blocks[0]["text"]["text"] == "Block &lt;@U1&gt; &amp; &lt;!here&gt;?"
    actions = blocks[1]
    assert actions["block_id"] == "fn_slack_q:2095:7:abc123"
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in actions["elements"]] == \
        [("fn_slack_answer_0", "Yes", "Yes"), ("fn_slack_answer_1", "No", "No")]
    context = blocks[2]["elements"][0]["text"]
    assert context == "Answer: <@UALICE> · until 2023-11-14 22:13 UTC · or reply in this thread in your own words"
    assert question_ref_of({"blocks": blocks}) == ref
    assert QuestionRef.from_block_id("fn_slack_q:2095:0:abc") == QuestionRef(2095, None, "abc")


def test_a_question_answered_only_in_words_has_no_empty_actions_block_and_still_carries_its_reference():
    ref = QuestionRef(2095, None, "abc123")
    blocks = question_blocks(ref, "What did you see?", [], who=[], expires=1700000000, free_text=True)
    assert [b["type"] for b in blocks] == ["section", "context"]
    assert question_ref_of({"blocks": blocks}) == ref


@pytest.mark.parametrize("block_id", [None, "", "other:1:2:3", "fn_slack_q:x:0:a", "fn_slack_q:1:0"])
def test_other_blocks_are_not_questions(block_id):
    assert QuestionRef.from_block_id(block_id) is None


def test_answered_and_expired_questions_have_no_buttons():
    for blocks in (answered_blocks("Go?", "Yes <b>", "UALICE", 1700000000), expired_blocks("Go?", 1700000000)):
        assert not [b for b in blocks if b["type"] == "actions"]
    assert "*Yes &lt;b&gt;* — <@UALICE>" in answered_blocks("Go?", "Yes <b>", "UALICE", 0)[1]["elements"][0]["text"]


def test_a_container_is_a_header_fields_ten_to_a_section_and_a_link():
    fields = [(f"Label {i}", f"value {i}") for i in range(12)] + [("Long", "x" * 2500)]
    blocks = container_blocks("SOAR Incident &amp; more", fields, "https://soar/#incidents/1", pretext="Look")
    assert [b["type"] for b in blocks] == ["section", "header", "section", "section", "section", "context"]
    assert blocks[1]["text"] == {"type": "plain_text", "text": "SOAR Incident & more"}
    assert len(blocks[2]["fields"]) == 10 and len(blocks[3]["fields"]) == 2
    assert blocks[4]["text"]["text"].startswith("*Long*\n") and len(blocks[4]["text"]["text"]) <= 3000
    assert blocks[5]["elements"][0]["text"] == "<https://soar/#incidents/1|Open in SOAR>"


def test_a_value_of_several_lines_is_quoted_under_its_label_so_no_line_passes_for_a_field():
    fields = [("Incident name", "Invoice\n*Severity*\nLow"), ("Severity", "High"),
              ("Description", "Two users\n\n*Severity*: Low"), ("Long", "line\n" + "x" * 2500)]
    blocks = container_blocks("SOAR Incident", fields, None)
    texts = [f["text"] for f in blocks[1]["fields"]] + [blocks[2]["text"]["text"]]
    assert texts[:3] == ["*Incident name*\n> Invoice\n> *Severity*\n> Low", "*Severity*\nHigh",
                         "*Description*\n> Two users\n>\n> *Severity*: Low"]
    assert texts[3].startswith("*Long*\n> line\n> xxx")


def _inputs(**values):
    base = {"incident_id": 2095, "slack_question": "Go?", "slack_question_anyone": True}
    return SimpleNamespace(**{**base, **values})


def test_answer_options_are_lines_or_bar_separated_and_deduplicated():
    assert AskRequest.from_inputs(_inputs(slack_question_options="Yes|No|Yes")).options == ["Yes", "No"]
    assert AskRequest.from_inputs(_inputs(slack_question_options="Yes, isolate\nNo, wait\n")).options == \
        ["Yes, isolate", "No, wait"]
    free = AskRequest.from_inputs(_inputs(slack_question_free_text=True))
    assert free.options == [] and free.free_text is True


def test_a_question_with_neither_buttons_nor_free_text_is_refused():
    with pytest.raises(InputError, match="slack_question_options is empty"):
        AskRequest.from_inputs(_inputs())


def test_a_header_from_soar_shows_its_text_as_typed_yet_starts_no_mention_or_link():
    [header] = [b for b in container_blocks("SOAR &lt;!channel&gt; &lt;@U1&gt; &amp;", [], None)
                if b["type"] == "header"]
    assert header["text"]["text"].replace("\u200b", "") == "SOAR <!channel> <@U1> &"
    assert "<!" not in header["text"]["text"] and "<@" not in header["text"]["text"]


# --- incident data in a question is inert everywhere it reaches Slack or a note -------------------------------

CATALOGUE = list(dict.fromkeys(HOSTILE + HOSTILE_PLAIN))
SLACK_SYNTAX = re.compile(r"<(?![\u200b])([^<>]*)>")


def _live(text: str, asked: set[str]) -> list[str]:
    """Slack syntax that would act: a broadcast, a mention of anyone not asked, a link with a label."""
    return [seq for seq in SLACK_SYNTAX.findall(text)
            if seq.lstrip("@") not in asked and ("|" in seq or not seq.startswith("http"))]


def _text_objects(node: object) -> list[tuple[str, str]]:
    """(type, text) of every text object in blocks."""
    if isinstance(node, dict):
        found = [(node["type"], node["text"])] if node.get("type") in ("mrkdwn", "plain_text") else []
        return found + [t for value in node.values() for t in _text_objects(value)]
    if isinstance(node, list):
        return [t for item in node for t in _text_objects(item)]
    return []


@pytest.mark.parametrize("hostile", CATALOGUE)
def test_every_view_of_a_question_made_of_incident_data_notifies_nobody_and_links_nowhere(hostile):
    """The question, its buttons, the answered and the expired view, as fn_slack builds them (with the escaping
    of posts): mrkdwn as Slack stores it (entities, links and @words read), a button's plain text as sent; and
    as the sandbox reads notifications from both."""
    option = hostile.replace("\n", " ")
    views = [question_blocks(QuestionRef(1, None, "q"), f"Block {hostile} now?", [option, "No"], who=["UALICE"],
                             expires=1700000000, free_text=True, escape=escape_untrusted),
             answered_blocks(f"Block {hostile} now?", option, "UALICE", 1700000000, escape=escape_untrusted),
             expired_blocks(f"Block {hostile} now?", 1700000000, escape=escape_untrusted)]
    groups = {"oncall": "S0ONCALL01"}
    for blocks in views:
        for kind, text in [("mrkdwn", escape_untrusted(f"Block {hostile} now?")), *_text_objects(blocks)]:
            shown = rewrite.rewrite(text, link_names=True, wrap_urls=True, usergroups_by_handle=groups) \
                if kind == "mrkdwn" else text
            assert _live(shown, {"UALICE"}) == [], (hostile, shown)
            pinged = notify.compute([shown], link_names=True, users_by_name={"alice": "UALICE"},
                                    usergroups_by_handle=groups)
            assert (pinged["broadcast"], pinged["usergroups"]) == ([], []) and set(pinged["users"]) <= {"UALICE"}
    [button] = [e for b in views[0] if b["type"] == "actions" for e in b["elements"]][:1]
    assert button["value"] == option   # a click sends the option back as asked


@pytest.mark.parametrize("hostile", CATALOGUE)
def test_a_button_s_answer_and_a_refusal_are_plain_text_in_their_notes(hostile):
    note = answer_note_html("q", "Go?", hostile, Person("U0ALICE01", "Alice Adams"), 1700000000, typed=False)
    refused = refused_note_html("q", hostile, who=hostile, user_id="U0CAROL", answer=hostile, reason="not-asked")
    for html_text in (note, refused):
        assert "<a " not in html_text
        assert html.escape(strip_invisible(hostile)) in html_text


def test_the_note_of_a_changed_row_names_each_change_escaped():
    note = altered_note_html("q", "Go?", "changed", [("slack_q_allowed", "U0ALICE", "U0ALICE <b>U0CAROL</b>")])
    assert "<li>slack_q_allowed: U0ALICE → U0ALICE &lt;b&gt;U0CAROL&lt;/b&gt;</li>" in note
    assert "its row was changed" in note
