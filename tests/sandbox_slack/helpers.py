"""Small helpers shared by the Slack sandbox tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse


def slack_error(call: Callable[..., Any], **kwargs: Any) -> SlackResponse:
    """Call a WebClient method that must fail with a Slack error (HTTP 200, ok false); return the response."""
    with pytest.raises(SlackApiError) as info:
        call(**kwargs)
    assert info.value.response.status_code == 200
    assert info.value.response["ok"] is False
    return info.value.response
