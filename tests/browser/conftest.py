"""Real-browser fixtures: one headless Chromium (the system's, driven by Playwright) for the session, and what
`make try` starts (TryStack: both sandboxes, a real `resilient-circuits run`, the demo incident) per module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tools.browser_pages import chromium_browser, find_chromium

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no chromium binary on PATH: the browser tests need Debian's Chromium (make chromium; "
                    "CI installs it)")
    with chromium_browser(chromium) as launched:
        yield launched


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator:
    """`make try`'s stack, the demo incident seeded (started after the browser: no Chromium, no stack)."""
    from sandbox.try_it import TryStack  # noqa: PLC0415 - only when a browser test runs

    saved = {name: os.environ.pop(name) for name in _PROXY_VARS if name in os.environ}
    try:
        with TryStack(tmp_path_factory.mktemp("try")) as started:
            yield started
    finally:
        os.environ.update(saved)
