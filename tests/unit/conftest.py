"""Fixtures shared by the unit tests of the pure modules."""

import json

import pytest

from sandbox.soar import SoarSandbox
from sandbox.soar.scripting import default_export_path
from tests.functions.conftest import slack  # noqa: F401 - the Slack sandbox, reset, for the Slack-edge tests


@pytest.fixture
def soar_link():
    """A URL builder like the one the post_message component passes to render_message."""
    def build(incident_id: int, task_id: int | None) -> str:
        url = f"https://soar.example.com/#incidents/{incident_id}"
        return f"{url}?task_id={task_id}" if task_id else url
    return build


@pytest.fixture(scope="module")
def soar():
    """A SOAR sandbox (one per test module) whose org holds this package's customizations."""
    with SoarSandbox() as sandbox:
        sandbox.state.install(json.loads(default_export_path().read_text(encoding="utf-8")))
        yield sandbox


@pytest.fixture
def rest(soar):
    """resilient's client for ``soar``, with one try per request (no retry of its own)."""
    return soar.rest_client()


@pytest.fixture(params=["checked", "ignored"])
def row_versions(soar, request):
    """Both positions of the sandbox's unknown: whether SOAR checks a row PUT's version."""
    before = soar.state.row_versions
    soar.state.row_versions = request.param
    yield request.param
    soar.state.row_versions = before
