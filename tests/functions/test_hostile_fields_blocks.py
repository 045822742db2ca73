"""The walk of tests/functions/test_hostile_fields.py with ``[fn_slack] message_style = blocks``: the container
as Block Kit (header, fields, context) carries incident data as inertly as the legacy attachment."""

from __future__ import annotations

import pytest

from tests.functions.harness import config_data as make_config
from tests.functions.test_hostile_fields import WALKS, Walk, check_walk, short_share_wait  # noqa: F401 - fixture

config_data = make_config(message_style="blocks")
BLOCK_WALKS = [w for w in WALKS if w.function == "slack_post_message" and w.field.startswith("slack_text")]


@pytest.mark.parametrize("walk", BLOCK_WALKS, ids=lambda w: f"{w.function}:{w.field}")
def test_no_block_kit_field_lets_incident_data_notify_link_or_disguise_in_slack(walk: Walk, circuits_app, slack,
                                                                               soar):
    check_walk(walk, circuits_app, slack, soar)
