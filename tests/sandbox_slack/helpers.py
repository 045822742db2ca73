"""Small helpers shared by the Slack sandbox tests."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse


def slack_error(call: Callable[..., Any], **kwargs: Any) -> SlackResponse:
    """Call a WebClient method that must fail with a Slack error (HTTP 200, ok false); return the response."""
    with pytest.raises(SlackApiError) as info:
        call(**kwargs)
    assert info.value.response.status_code == 200
    assert info.value.response["ok"] is False
    return info.value.response


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the test looks at the 303 itself, then follows it


class Browser:
    """One person's browser: keeps the sandbox's cookie, submits forms with what the page put in them."""

    def __init__(self, sb: Any) -> None:
        self.base = f"http://127.0.0.1:{sb.port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                  urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def open(self, path: str, data: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        # A browser names the page's origin on every form post (the page's Referrer-Policy lets it).
        headers = {"Origin": self.base, **(headers or {})} if data is not None else headers or {}
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def get(self, path: str) -> BeautifulSoup:
        status, headers, body = self.open(path)
        assert status == 200, body[:300]
        assert "form-action 'self'" in headers["Content-Security-Policy"]
        assert "script-src" not in headers["Content-Security-Policy"]
        # Under "no-referrer" Chromium sends "Origin: null" with the forms, which the sandbox refuses.
        assert headers["Referrer-Policy"] == "same-origin"
        return BeautifulSoup(body.decode("utf-8"), "html.parser")

    def submit(self, form: Tag, button: Tag | None = None, **values: str) -> BeautifulSoup:
        """Send a form as a browser does (its inputs, textareas and the clicked button), expect Slack's page
        back through a 303, and return the page it leads to."""
        fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
        fields.update({t["name"]: t.get_text() for t in form.select("textarea[name]")})
        if button is not None and button.has_attr("name"):
            fields[button["name"]] = button["value"]
        fields.update(values)
        assert form["method"] == "post"
        status, headers, body = self.open(form["action"], fields)
        assert status == 303, body[:300]
        return self.get(headers["Location"])


def error_of(soup: BeautifulSoup) -> str | None:
    shown = soup.select_one("[data-error]")
    return shown["data-error"] if shown is not None else None
