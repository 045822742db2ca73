"""Assertions about what Slack would do with a piece of message text."""

import re

# Something Slack would act on: a word-initial @channel/@here/@everyone (any case) with link_names=1.
_LIVE_MENTION = re.compile(r"(?<!\w)@(channel|here|everyone)", re.IGNORECASE)


def assert_inert(text: str) -> None:
    """Fail unless ``text`` can neither notify anyone nor carry a link when Slack renders it."""
    assert "<" not in text and ">" not in text, f"Slack control sequence left in {text!r}"
    assert not _LIVE_MENTION.search(text), f"live mention left in {text!r}"
