"""Block Kit as Slack checks it: unknown block and element types and the published limits are refused with
``invalid_blocks``, ``errors[]`` and ``response_metadata.messages`` naming each problem by JSON pointer, and
nothing is posted; fn_slack's own blocks at their limits pass."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError

from fn_slack.lib.block_kit import QuestionRef, answered_blocks, container_blocks, expired_blocks, question_blocks


def _text(kind: str, n: int, char: str = "x") -> dict:
    return {"type": kind, "text": char * n}


def _button(**fields) -> dict:
    return {"type": "button", "action_id": "a", "value": "v", "text": _text("plain_text", 3), **fields}


def _section(n: int) -> dict:
    return {"type": "section", "text": _text("mrkdwn", n)}


BAD = [
    ([_section(1)] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
    ([_section(3001)], "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
    ([_section(0)], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    ([{"type": "section"}], "must provide either text or fields [json-pointer:/blocks/0]"),
    ([{"type": "section", "fields": [_text("mrkdwn", 1)] * 11}],
     "no more than 10 items allowed [json-pointer:/blocks/0/fields]"),
    ([{"type": "section", "fields": [_text("mrkdwn", 2001)]}],
     "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]"),
    ([{"type": "header", "text": _text("plain_text", 151)}],
     "must be less than 151 characters [json-pointer:/blocks/0/text/text]"),
    ([{"type": "header", "text": _text("mrkdwn", 5)}],
     "must be one of plain_text [json-pointer:/blocks/0/text/type]"),
    ([{"type": "actions", "elements": [_button(text=_text("plain_text", 76))]}],
     "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"),
    ([{"type": "actions", "elements": [_button(value="v" * 2001)]}],
     "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"),
    ([{"type": "actions", "elements": [_button(action_id="a" * 256)]}],
     "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]"),
    ([{"type": "actions", "block_id": "b" * 256, "elements": [_button()]}],
     "must be less than 256 characters [json-pointer:/blocks/0/block_id]"),
    ([{"type": "actions", "elements": [_button()] * 26}],
     "no more than 25 items allowed [json-pointer:/blocks/0/elements]"),
    ([{"type": "actions", "elements": []}], "must provide at least 1 items [json-pointer:/blocks/0/elements]"),
    ([{"type": "actions", "elements": [_button(style="green")]}],
     "must be one of primary, danger [json-pointer:/blocks/0/elements/0/style]"),
    ([{"type": "context", "elements": [_text("mrkdwn", 1)] * 11}],
     "no more than 10 items allowed [json-pointer:/blocks/0/elements]"),
    ([{"type": "carousel"}], "unsupported type: carousel [json-pointer:/blocks/0/type]"),
    ([{"type": "actions", "elements": [{"type": "slider", "action_id": "s"}]}],
     "unsupported type: slider [json-pointer:/blocks/0/elements/0/type]"),
    ([{"type": "image", "image_url": "https://x/y.png"}], "missing required field [json-pointer:/blocks/0/alt_text]"),
]


@pytest.mark.parametrize(("blocks", "error"), BAD, ids=[e.split(" [")[0] + f"-{i}" for i, (_, e) in enumerate(BAD)])
def test_blocks_breaking_slack_s_rules_are_refused_with_the_pointer_and_nothing_is_posted(sb, client, blocks, error):
    room = sb.add_channel("kit", members=["bot"])
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=room, text="fallback", blocks=blocks)
    answer = caught.value.response.data
    assert answer["ok"] is False and answer["error"] == "invalid_blocks"
    assert answer["errors"] == [error]
    assert answer["response_metadata"] == {"messages": [f"[ERROR] {error}"]}
    assert sb.messages(room) == []


def test_every_problem_is_named_and_chat_update_and_post_ephemeral_check_blocks_too(sb, client):
    room = sb.add_channel("kit", members=["bot", "alice"])
    ts = client.chat_postMessage(channel=room, text="v1")["ts"]
    blocks = [_section(3001), {"type": "header", "text": _text("plain_text", 151)}]
    for call in (lambda: client.chat_update(channel=room, ts=ts, text="v2", blocks=blocks),
                 lambda: client.chat_postEphemeral(channel=room, user=sb.user("alice")["id"], text="t", blocks=blocks)):
        with pytest.raises(SlackApiError) as caught:
            call()
        assert caught.value.response["errors"] == [
            "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
            "must be less than 151 characters [json-pointer:/blocks/1/text/text]"]
    assert sb.messages(room)[0]["text"] == "v1" and not sb.ephemerals


def test_blocks_inside_attachments_are_checked_with_their_pointer(sb, client):
    room = sb.add_channel("kit", members=["bot"])
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=room, text="t", attachments=[{"blocks": [{"type": "nope"}]}])
    assert caught.value.response["errors"] == ["unsupported type: nope [json-pointer:/attachments/0/blocks/0/type]"]


def test_the_tidy_switch_accepts_what_only_has_a_type(sb, client):
    sb.set_realism("tidy", block_kit_validation=False)
    room = sb.add_channel("kit", members=["bot"])
    assert client.chat_postMessage(channel=room, text="t", blocks=[_section(3001)])["ok"]


def test_fn_slack_s_own_blocks_at_their_limits_pass(sb, client):
    room = sb.add_channel("kit", members=["bot"])
    options = [f"{i}" + "o" * 300 for i in range(10)]   # button texts cut to 75, values to 2000
    who = [sb.user("alice")["id"]]
    views = [
        question_blocks(QuestionRef(1, 2, "q" * 40), "q" * 5000, options, who=who, expires=time.time() + 60,
                        free_text=True, header="h" * 400),
        answered_blocks("&<>" * 2000, "a" * 5000, who[0], time.time()),
        expired_blocks("q" * 5000, time.time()),
        container_blocks("t" * 400, [(f"label {i}", "v" * (2100 if i % 7 == 0 else 30)) for i in range(40)],
                         "https://soar.example.com/#incidents/1", pretext="p" * 4000),
    ]
    for blocks in views:
        assert client.chat_postMessage(channel=room, text="fallback", blocks=blocks)["ok"]
    assert len(sb.messages(room)) == len(views)
