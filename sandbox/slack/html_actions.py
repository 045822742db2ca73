"""The sandbox page's forms: act as a person (post, reply in a thread, edit, delete, click a button).

Every action goes through the path a test or a Slack client takes, never a second implementation: messages
through the Web API over HTTP with the person's user token (so the call log, rate limits, faults, Slack's
errors and the Socket Mode events the app receives are those of an API call), clicks through
``SlackSandbox.interactions.click`` (the ``block_actions`` payload the app receives). The page only picks the
person, checks the request came from the page itself (a per-sandbox CSRF token, a same-origin ``Origin``)
and shows Slack's answer: a refusal is kept as a notice that the channel page shows after the redirect.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .html_common import NOBODY, PREFIX, channel_href, slack_escape

if TYPE_CHECKING:
    from .server import SlackSandbox

ACTIONS = f"{PREFIX}/actions/"
PERSON_COOKIE = "slack_sandbox_as"
API_TIMEOUT = 30.0
MAX_NOTICES = 200
MAX_TEXT_FIELD = 100_000  # what a form may carry; Slack's own limits (40,000 characters) apply after
_NOTICE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# op -> (Web API method, form fields passed on): what each form does as the chosen person.
_API_OPS = {
    "post": ("chat.postMessage", ("channel", "text")),
    "reply": ("chat.postMessage", ("channel", "text", "thread_ts")),
    "edit": ("chat.update", ("channel", "ts", "text")),
    "delete": ("chat.delete", ("channel", "ts")),
}
OPS = (*_API_OPS, "click")


@dataclass
class Viewer:
    """Who looks at a page and what the page may offer them: the person picker's choices, the current person
    (None is nobody), the form token, a notice from the last action and the ephemeral messages they got."""

    people: list[dict]
    person: dict | None
    csrf: str
    notice: dict | None = None
    ephemerals: list[dict] = field(default_factory=list)

    @property
    def person_id(self) -> str | None:
        return self.person["id"] if self.person else None


class PageActions:
    """The form handlers of one sandbox: its CSRF token, the chosen person and the notices of refusals."""

    def __init__(self, sandbox: SlackSandbox) -> None:
        self._sb = sandbox
        self.csrf = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        self._notices: OrderedDict[str, dict] = OrderedDict()

    def reset(self) -> None:
        with self._lock:
            self._notices.clear()

    # ----- who is looking -------------------------------------------------------------------------------------
    def viewer(self, request: Request, channel_id: str | None = None) -> tuple[Viewer, str | None]:
        """The viewer of a GET, and the person name to keep in the cookie when ``?as=`` chose one."""
        people = self._sb.people()
        chosen = request.args.get("as")
        keep = None
        if chosen is not None and (chosen == NOBODY or any(p["name"] == chosen for p in people)):
            keep = chosen
        name = keep if keep is not None else request.cookies.get(PERSON_COOKIE)
        person = next((p for p in people if p["name"] == name), None)
        notice = None
        notice_id = request.args.get("notice", "")
        if _NOTICE_RE.match(notice_id):
            with self._lock:
                notice = self._notices.get(notice_id)
        ephemerals = []
        if person is not None and channel_id is not None:
            ephemerals = [e for e in self._sb.ephemerals if e["user"] == person["id"] and e["channel"] == channel_id]
        return Viewer(people, person, self.csrf, notice, ephemerals), keep

    @staticmethod
    def keep_person(response: Response, name: str) -> None:
        """Keep the chosen person (a name, or nobody) in a cookie for the sandbox's pages."""
        response.set_cookie(PERSON_COOKIE, name, path=PREFIX, httponly=True, samesite="Strict")

    # ----- POST /_sandbox/actions/<op> ---------------------------------------------------------------------------
    def respond(self, request: Request) -> Response:
        op = request.path[len(ACTIONS):]
        if op not in OPS:
            return _plain("Not Found", 404)
        if request.method != "POST":
            response = _plain("Method Not Allowed: the sandbox's actions take a POST from its pages", 405)
            response.headers["Allow"] = "POST"
            return response
        refusal = self._forged(request)
        if refusal is not None:
            return _plain(refusal, 403)
        form = request.form
        channel = form.get("channel", "")
        if not channel:
            return _plain("Bad Request: the form names no channel", 400)
        if any(len(value) > MAX_TEXT_FIELD for value in form.values()):
            return _plain("Payload Too Large: a form field is over 100,000 characters", 413)
        people = self._sb.people()
        name = form.get("as") or request.cookies.get(PERSON_COOKIE) or NOBODY
        person = next((p for p in people if p["name"] == name), None)
        token = self._sb.user_token(person["name"]) if person else ""
        if op == "click":
            answer = self._sb.interactions.click(token, channel, form.get("ts", ""), form.get("action_id", ""))
        else:
            method, fields = _API_OPS[op]
            params = {k: form.get(k, "") for k in fields}
            if "text" in params:   # typed, as a person types in Slack's client
                params["text"] = slack_escape(params["text"])
            answer = self._call_api(method, token, params)
        location = channel_href(channel)
        if not answer.get("ok") or op == "click":
            # A refusal, or a click: the app answers it later, so the page says where the click went.
            location += "?notice=" + self._remember(op, person, answer, form.get("action_id", ""))
        elif op != "delete":
            stamp = answer.get("ts") or form.get("ts", "")
            location += f"#m{stamp.replace('.', '')}" if stamp else ""
        return Response(status=303, headers={"Location": location})

    def _forged(self, request: Request) -> str | None:
        """Why a POST is refused as not coming from this sandbox's own page, or None."""
        sent = request.form.get("csrf", "")
        if not sent or not hmac.compare_digest(sent.encode(), self.csrf.encode()):
            return "Forbidden: missing or wrong CSRF token (reload the page and try again)"
        origin = request.headers.get("Origin")
        if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
            return "Forbidden: the form was sent from another site"
        return None

    def _remember(self, op: str, person: dict | None, answer: dict, action_id: str) -> str:
        notice_id = secrets.token_urlsafe(12)
        notice = {"op": op, "person": person["name"] if person else NOBODY, "ok": bool(answer.get("ok")),
                  "error": str(answer.get("error")), "needed": answer.get("needed"), "errors": answer.get("errors"),
                  "action_id": action_id, "envelope_id": answer.get("envelope_id")}
        with self._lock:
            self._notices[notice_id] = notice
            while len(self._notices) > MAX_NOTICES:
                self._notices.popitem(last=False)
        return notice_id

    def _call_api(self, method: str, token: str, params: dict) -> dict:
        """One Web API call over HTTP to this sandbox, as a Slack client makes it; Slack's answer as a dict.
        A failure without a Slack answer (an HTTP error page, a dropped connection) becomes an error code."""
        body = urllib.parse.urlencode({k: v for k, v in params.items() if v != ""}).encode("utf-8")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"{self._sb.base_url}{method}", data=body, headers=headers, method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never via a proxy
        try:
            with opener.open(request, timeout=API_TIMEOUT) as response:
                return _slack_answer(response.read(), response.status)
        except urllib.error.HTTPError as err:
            return _slack_answer(err.read(), err.code)
        except (urllib.error.URLError, OSError):
            return {"ok": False, "error": "connection_failed"}


def _slack_answer(raw: bytes, status: int) -> dict:
    try:
        answer: Any = json.loads(raw)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and "ok" in answer:
        return answer
    return {"ok": False, "error": f"http_{status}"}


def _plain(text: str, status: int) -> Response:
    response = Response(text + "\n", status=status, mimetype="text/plain")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = ["ACTIONS", "NOBODY", "OPS", "PERSON_COOKIE", "PageActions", "Viewer"]
