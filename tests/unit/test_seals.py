"""The seals on the rows fn_slack decides on (soar.seals): an edit of a sealed cell, a seal copied to another
row, a seal made with another key and a row without a seal are each told apart from an intact row."""

from __future__ import annotations

import pytest

from fn_slack.lib.errors import ConfigError
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.soar.seals import BROKEN, CHANGED, INTACT, UNSEALED, Sealer

COLUMNS = ("status", "answer", "allowed")
ROW = {"status": "open", "answer": "", "allowed": "U1 U2", "other": "free"}
SCOPE = "slack_questions_db/2095/q1"


def test_an_untouched_row_is_intact_and_cells_outside_the_seal_may_change():
    sealer = Sealer(b"k" * 32)
    seal = sealer.seal(SCOPE, ROW, COLUMNS)
    assert sealer.check(SCOPE, {**ROW, "other": "edited"}, COLUMNS, seal).state == INTACT


def test_soar_answering_empty_false_and_floats_differently_does_not_break_the_seal():
    sealer = Sealer(b"k" * 32)
    seal = sealer.seal(SCOPE, {"status": "open", "answer": None, "allowed": 1700000000000.0}, COLUMNS)
    assert sealer.check(SCOPE, {"status": "open", "allowed": 1700000000000}, COLUMNS, seal).intact


def test_an_edited_cell_is_named_with_what_was_sealed_and_what_it_holds_now():
    sealer = Sealer(b"k" * 32)
    seal = sealer.seal(SCOPE, ROW, COLUMNS)
    verdict = sealer.check(SCOPE, {**ROW, "status": "answered", "allowed": "U1 U2 U666"}, COLUMNS, seal)
    assert verdict.state == CHANGED
    assert [(c.column, c.sealed, c.now) for c in verdict.changes] == [
        ("allowed", "U1 U2", "U1 U2 U666"), ("status", "open", "answered")]


@pytest.mark.parametrize("tamper", [
    lambda seal: seal[:-2] + ("AA" if not seal.endswith("AA") else "BB"),   # the MAC edited
    lambda seal: "v1." + Sealer(b"k" * 32).seal(SCOPE, {**ROW, "status": "answered"}, COLUMNS).split(".")[1]
    + "." + seal.split(".")[2],                                              # the cells edited to fit an edit
    lambda seal: "v2" + seal[2:],
    lambda seal: "v1.%%%.###",
    lambda seal: "garbage",
])
def test_a_changed_seal_is_broken(tamper):
    sealer = Sealer(b"k" * 32)
    seal = sealer.seal(SCOPE, ROW, COLUMNS)
    assert sealer.check(SCOPE, ROW, COLUMNS, tamper(seal)).state == BROKEN


def test_a_seal_copied_to_another_row_or_incident_or_made_with_another_key_is_broken():
    seal = Sealer(b"k" * 32).seal(SCOPE, ROW, COLUMNS)
    assert Sealer(b"k" * 32).check("slack_questions_db/2096/q1", ROW, COLUMNS, seal).state == BROKEN
    assert Sealer(b"k" * 32).check("slack_questions_db/2095/q2", ROW, COLUMNS, seal).state == BROKEN
    assert Sealer(b"x" * 32).check(SCOPE, ROW, COLUMNS, seal).state == BROKEN


def test_a_row_without_a_seal_is_unsealed():
    assert Sealer(b"k" * 32).check(SCOPE, ROW, COLUMNS, None).state == UNSEALED
    assert Sealer(b"k" * 32).check(SCOPE, ROW, COLUMNS, "  ").state == UNSEALED


def test_the_key_comes_from_seal_key_or_the_bot_token_and_never_shows():
    by_token = SlackSettings.from_app_configs({"api_token": "xoxb-1-2-abc"})
    other_token = SlackSettings.from_app_configs({"api_token": "xoxb-1-2-abd"})
    with_key = SlackSettings.from_app_configs({"api_token": "xoxb-1-2-abc", "seal_key": "s" * 32})
    assert by_token.seal_secret != other_token.seal_secret != with_key.seal_secret
    assert b"xoxb" not in by_token.seal_secret and "s" * 32 not in repr(with_key)
    assert "s" * 32 not in repr(Sealer(with_key.seal_secret)) and repr(Sealer(b"k")) == "Sealer(<secret>)"


def test_a_short_seal_key_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match="seal_key must be a secret of at least 32 characters"):
        SlackSettings.from_app_configs({"api_token": "xoxb-1-2-abc", "seal_key": "short"})
