"""Fixtures: one Slack sandbox per test session, reset before every test, and WebClients pointed at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from slack_sdk import WebClient

from sandbox.slack import SlackSandbox

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(scope="session")
def sandbox_session() -> Iterator[SlackSandbox]:
    # slack_sdk ignores NO_PROXY, so a proxy variable would send 127.0.0.1 traffic elsewhere.
    saved = {k: os.environ.pop(k) for k in _PROXY_VARS if k in os.environ}
    with SlackSandbox() as sb:
        yield sb
    os.environ.update(saved)


@pytest.fixture
def sb(sandbox_session: SlackSandbox) -> SlackSandbox:
    sandbox_session.reset()
    return sandbox_session


@pytest.fixture
def make_client(sb: SlackSandbox) -> Callable[..., WebClient]:
    def make(token: str | None = None, **kwargs: object) -> WebClient:
        kwargs.setdefault("timeout", 10)
        return WebClient(token=token or sb.default_token, base_url=sb.base_url, **kwargs)

    return make


@pytest.fixture
def client(make_client: Callable[..., WebClient]) -> WebClient:
    return make_client()


@pytest.fixture
def ids(sb: SlackSandbox) -> dict[str, str]:
    """User ids of the default workspace by name, plus #general's id."""
    return {"alice": sb.user("alice")["id"], "bob": sb.user("bob")["id"], "carol": sb.user("carol")["id"],
            "bot": sb.bot_user_id, "general": sb.channel("general")["id"]}
