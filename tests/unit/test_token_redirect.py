"""The Slack token goes only to slack_api_url: a redirect elsewhere is followed without it.

slack_sdk's urllib transport follows redirects with every header of the first request, Authorization
included; two HTTP servers on 127.0.0.1 show where the token goes."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fn_slack.lib.errors import SlackUnreachableError
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient

TOKEN = "xoxb-redirect-test-0001"


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, redirect_to: str | None = None, status: int = 302) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.redirect_to = redirect_to
        self.status = status
        self.seen: list[tuple[str, str, str | None]] = []   # (method, path, Authorization)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        server: Recorder = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        server.seen.append((self.command, self.path, self.headers.get("Authorization")))
        if server.redirect_to:
            self.send_response(server.status)
            self.send_header("Location", server.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        authed = self.headers.get("Authorization") == f"Bearer {TOKEN}"
        body = json.dumps({"ok": True, "team": "t", "user_id": "U1", "channel": {"id": "C1", "name": "general"}}
                          if authed else {"ok": False, "error": "not_authed"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def servers():
    started = []

    def start(redirect_to: str | None = None, status: int = 302) -> Recorder:
        server = Recorder(redirect_to, status)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("status", "call"), [
    # urllib would re-send a POST that meets 301/302/303 as a GET to the new address, token included
    (301, lambda slack: slack.auth_test()),
    (302, lambda slack: slack.auth_test()),
    (303, lambda slack: slack.auth_test()),
    (307, lambda slack: slack.auth_test()),
    (308, lambda slack: slack.auth_test()),
    (302, lambda slack: slack.channel_info("C1")),
])
def test_a_redirect_to_another_host_never_carries_the_token(servers, status, call):
    elsewhere = servers()
    configured = servers(redirect_to=elsewhere.base_url, status=status)
    slack = SlackClient(SlackSettings(token=TOKEN, api_url=configured.base_url + "/api/", timeout=5,
                                     max_rate_limit_wait=0))

    with pytest.raises(SlackUnreachableError) as err:
        call(slack)

    assert err.value.status == status
    assert "with a redirect" in str(err.value) and "slack_api_url" in str(err.value)
    assert [auth for _, _, auth in configured.seen] == [f"Bearer {TOKEN}"]
    assert elsewhere.seen == [], "the redirect is not followed at all"


def test_without_a_redirect_the_token_still_reaches_slack_api_url(servers):
    configured = servers()
    slack = SlackClient(SlackSettings(token=TOKEN, api_url=configured.base_url + "/api/", timeout=5))

    assert slack.auth_test()["team"] == "t"
    assert configured.seen == [("POST", "/api/auth.test", f"Bearer {TOKEN}")]


def test_a_configured_proxy_carries_slack_calls_even_after_calls_without_one(servers):
    """Slack calls share one urllib opener per TLS context and proxy: a proxy setting gets its own, never the one
    made earlier for direct calls."""
    direct = servers()
    assert SlackClient(SlackSettings(token=TOKEN, api_url=direct.base_url + "/api/", timeout=5)).auth_test()
    proxy = servers()
    # Nothing listens on port 9: only the proxy can answer.
    proxied = SlackClient(SlackSettings(token=TOKEN, api_url="http://127.0.0.1:9/api/", timeout=5,
                                        proxy=proxy.base_url))

    assert proxied.auth_test()["team"] == "t"
    assert proxy.seen == [("POST", "http://127.0.0.1:9/api/auth.test", f"Bearer {TOKEN}")]
    assert len(direct.seen) == 1
