"""Note HTML as the SOAR page shows it: an allowlist sanitizer, as SOAR renders rich text.

Every tag and attribute that is not on the list is dropped (its text stays, escaped); the content of
``script``, ``style`` and similar elements is dropped whole; links keep only an ``http``/``https`` address;
every tag that is opened is closed, so a note cannot break the page around it."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urlsplit

ALLOWED_TAGS = frozenset({
    "a", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "s", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "u", "ul",
})
VOID_TAGS = frozenset({"br", "hr"})
# Elements whose content is not text a reader should see: dropped with everything inside them.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "embed", "noscript",
                                  "svg", "math", "textarea", "select", "title", "head"})
LINK_SCHEMES = ("http", "https")


def safe_link(url: str | None) -> str | None:
    """The address when it is an absolute http or https URL, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    return url


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping = 0   # depth inside an element dropped with its content

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.dropping += 1
            return
        if self.dropping or tag not in ALLOWED_TAGS:
            return
        if tag == "a":
            href = safe_link(dict(attrs).get("href"))
            self.out.append(f'<a href="{html.escape(href, quote=True)}" rel="noopener noreferrer nofollow">'
                            if href else "<a>")
        else:
            self.out.append(f"<{tag}>")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT or self.dropping or tag not in ALLOWED_TAGS:
            return
        if tag in VOID_TAGS:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping or tag not in self.open:
            return
        while self.open:   # close what was left open inside it, then the element itself
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def sanitize_note_html(markup: str | None) -> str:
    """Note HTML reduced to the allowed tags, with only http/https links and every other character escaped."""
    sanitizer = _Sanitizer()
    sanitizer.feed(markup or "")
    return sanitizer.result()
