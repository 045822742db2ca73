"""block_kit: the question's blocks and the container as Block Kit, within Slack's limits."""

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
from fn_slack.lib.questions import AskRequest


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
