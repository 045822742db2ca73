"""Fixtures shared by the unit tests of the pure modules."""

import pytest

from tests.functions.conftest import slack  # noqa: F401 - the Slack sandbox, reset, for the Slack-edge tests


@pytest.fixture
def soar_link():
    """A URL builder like the one the post_message component passes to render_message."""
    def build(incident_id: int, task_id: int | None) -> str:
        url = f"https://soar.example.com/#incidents/{incident_id}"
        return f"{url}?task_id={task_id}" if task_id else url
    return build
