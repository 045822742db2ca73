"""The sandbox page's forms: act as a person (post, reply in a thread, edit, delete, click a button, run a slash
command, pick a message or global shortcut, submit or close a modal the app opened).

Every action goes through the path a test or a Slack client takes, never a second implementation: messages
through the Web API over HTTP with the person's user token (so the call log, rate limits, faults, Slack's
errors and the Socket Mode events the app receives are those of an API call), clicks through
``SlackSandbox.interactions.click`` (the ``block_actions`` payload the app receives), commands, shortcuts and
modals through ``SlackSandbox.actions`` (app_actions.py: the payloads the app receives). The page only picks the
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
from .html_modal import blank_required, input_fields

if TYPE_CHECKING:
    from .server import SlackSandbox

ACTIONS = f"{PREFIX}/actions/"
PERSON_COOKIE = "slack_sandbox_as"
API_TIMEOUT = 30.0
MAX_NOTICES = 200
SUBMIT_ACK_SECONDS = 3.0  # how long Slack's client waits for the app's ack of a modal's submit
MAX_TEXT_FIELD = 100_000  # what a form may carry; Slack's own limits (40,000 characters) apply after
_NOTICE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# op -> (Web API method, form fields passed on): what each form does as the chosen person.
_API_OPS = {
    "post": ("chat.postMessage", ("channel", "text")),
    "reply": ("chat.postMessage", ("channel", "text", "thread_ts")),
    "edit": ("chat.update", ("channel", "ts", "text")),
    "delete": ("chat.delete", ("channel", "ts")),
}
# ops handed to the app through SlackSandbox.interactions / .actions rather than the Web API.
_APP_OPS = ("click", "command", "message_shortcut", "shortcut", "submit_view", "close_view")
OPS = (*_API_OPS, *_APP_OPS)
_COMMAND_RE = re.compile(r"^(/\S+)(?:\s+(.*))?$", re.DOTALL)


@dataclass
class Viewer:
    """Who looks at a page and what the page may offer them: the person picker's choices, the current person
    (None is nobody), the form token, a notice from the last action and the ephemeral messages they got."""

    people: list[dict]
    person: dict | None
    csrf: str
    notice: dict | None = None
    ephemerals: list[dict] = field(default_factory=list)
    views: list[dict] = field(default_factory=list)   # the modals open for the person ({"id", "view", "errors"})
    message_shortcuts: list[dict] = field(default_factory=list)   # the app's shortcuts, as its manifest has them
    global_shortcuts: list[dict] = field(default_factory=list)
    app_name: str = ""

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
        ephemerals, views = [], []
        if person is not None and channel_id is not None:
            ephemerals = [e for e in self._sb.ephemerals if e["user"] == person["id"] and e["channel"] == channel_id]
            views = self._open_views(person["id"])
        actions = self._sb.actions
        return Viewer(people, person, self.csrf, notice, ephemerals, views, actions.shortcuts_of("message"),
                      actions.shortcuts_of("global"), self._app_name()), keep

    def _app_name(self) -> str:
        """The app's name as Slack shows it beside its shortcuts (its bot user's name)."""
        with self._sb._lock:  # noqa: SLF001 - the sandbox's own lock
            ws = self._sb._ws  # noqa: SLF001
            bot = ws.users.get(ws.bot_user_id)
            return (bot.display_name or bot.real_name or bot.name) if bot is not None else "app"

    def _open_views(self, user_id: str) -> list[dict]:
        """The person's open modals with their ids, oldest first (the page draws the newest, on top)."""
        with self._sb._lock:  # noqa: SLF001 - the sandbox's own lock
            return [{"id": view_id, "view": json.loads(json.dumps(v["view"])), "errors": dict(v.get("errors") or {})}
                    for view_id, v in self._sb._ws.views.items()  # noqa: SLF001
                    if v["open"] and v["user"] == user_id]

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
        refused = self._bad_form(request)
        if refused is not None:
            return refused
        form = request.form
        channel = form.get("channel", "")
        people = self._sb.people()
        name = form.get("as") or request.cookies.get(PERSON_COOKIE) or NOBODY
        person = next((p for p in people if p["name"] == name), None)
        token = self._sb.user_token(person["name"]) if person else ""
        if op == "post" and form.get("text", "").startswith("/"):
            op = "command"   # Slack's composer: a line starting with "/" is a slash command, never a message
        if op in _APP_OPS:
            return self._app_op(op, form, channel, person, token)
        return self._api_op(op, form, channel, person, token)

    def _api_op(self, op: str, form: Any, channel: str, person: dict | None, token: str) -> Response:
        """A message posted, replied, edited or deleted through the Web API as the person."""
        method, fields = _API_OPS[op]
        params = {k: form.get(k, "") for k in fields}
        if "text" in params:   # typed, as a person types in Slack's client
            params["text"] = slack_escape(params["text"])
        answer = self._call_api(method, token, params)
        location = channel_href(channel)
        if not answer.get("ok"):
            location += "?notice=" + self._remember(op, person, answer)
        elif op != "delete":
            stamp = answer.get("ts") or form.get("ts", "")
            location += f"#m{stamp.replace('.', '')}" if stamp else ""
        return Response(status=303, headers={"Location": location})

    def _app_op(self, op: str, form: Any, channel: str, person: dict | None, token: str) -> Response:
        """What the person does that Slack hands to the app (a click, a command, a shortcut, a modal's submit
        or close); the channel page then says where it went, or shows the modal with its errors."""
        actions = self._sb.actions
        what = form.get("action_id", "") or form.get("callback_id", "")
        extra: dict = {}
        if op == "click":
            answer = self._sb.interactions.click(token, channel, form.get("ts", ""), form.get("action_id", ""))
        elif op == "command":
            match = _COMMAND_RE.match(form.get("text", "").strip())
            command, text = (match.group(1), (match.group(2) or "").strip()) if match else ("/", "")
            what = f"{command} {text}".strip()
            answer = actions.slash_command(token, channel, command, text)
            if answer.get("error") == "not_a_valid_command":
                what = command
        elif op == "message_shortcut":
            answer = actions.message_shortcut(token, channel, form.get("ts", ""), form.get("callback_id", ""))
            what = self._shortcut_name(form.get("callback_id", ""))
        elif op == "shortcut":
            answer = actions.global_shortcut(token, form.get("callback_id", ""))
            what = self._shortcut_name(form.get("callback_id", ""))
        elif op == "close_view":
            answer = actions.close_view(token, form.get("view_id", ""))
        else:
            answer, extra = self._submit_view(token, form, person)
        location = channel_href(channel)
        if op in ("click", "command", "message_shortcut", "shortcut") or not answer.get("ok") or extra:
            location += "?notice=" + self._remember(op, person, answer, what, extra)
        return Response(status=303, headers={"Location": location})

    def _shortcut_name(self, callback_id: str) -> str:
        names = {s["callback_id"]: s["name"] for s in self._sb.actions.shortcuts}
        return names.get(callback_id, callback_id)

    def _submit_view(self, token: str, form: Any, person: dict | None) -> tuple[dict, dict]:
        """Submit a modal with the values typed: blank required inputs are Slack's own error (nothing is sent);
        else the app gets its view_submission and its ack decides (closed, or errors under the inputs). The
        second part is what the page keeps for the modal: the values typed and Slack's errors."""
        view_id = form.get("view_id", "")
        mine = self._open_views(person["id"]) if person is not None else []
        entry = next((v for v in mine if v["id"] == view_id), None)
        if entry is None:
            return {"ok": False, "error": "view_not_found"}, {}
        draft: dict[str, str] = {}
        values: dict[str, dict[str, Any]] = {}
        for name, block_id, action_id, _ in input_fields(entry["view"]):
            draft[name] = form.get(name, "")
            values.setdefault(block_id, {})[action_id] = draft[name] or None
        missing = blank_required(entry["view"], values)
        if missing:
            return {"ok": True}, {"view_id": view_id, "draft": draft, "view_errors": missing}
        answer = self._sb.actions.submit_view(token, view_id, values)
        if not answer.get("ok"):
            return answer, {"view_id": view_id, "draft": draft}
        result = self._sb.actions.submission_result(view_id, answer["envelope_id"], timeout=SUBMIT_ACK_SECONDS)
        if result.get("timeout"):
            return {"ok": False, "error": "app_did_not_answer"}, {"view_id": view_id, "draft": draft}
        if not result.get("closed"):
            return answer, {"view_id": view_id, "draft": draft}
        return answer, {}

    def _bad_form(self, request: Request) -> Response | None:
        """The answer to a form refused before anything is done (forged, no channel, too large), or None."""
        refusal = self._forged(request)
        if refusal is not None:
            return _plain(refusal, 403)
        if not request.form.get("channel", ""):
            return _plain("Bad Request: the form names no channel", 400)
        if any(len(value) > MAX_TEXT_FIELD for value in request.form.values()):
            return _plain("Payload Too Large: a form field is over 100,000 characters", 413)
        return None

    def _forged(self, request: Request) -> str | None:
        """Why a POST is refused as not coming from this sandbox's own page, or None."""
        sent = request.form.get("csrf", "")
        if not sent or not hmac.compare_digest(sent.encode(), self.csrf.encode()):
            return "Forbidden: missing or wrong CSRF token (reload the page and try again)"
        origin = request.headers.get("Origin")
        if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
            return "Forbidden: the form was sent from another site"
        return None

    def _remember(self, op: str, person: dict | None, answer: dict, action_id: str = "",
                  extra: dict | None = None) -> str:
        notice_id = secrets.token_urlsafe(12)
        notice = {"op": op, "person": person["name"] if person else NOBODY, "ok": bool(answer.get("ok")),
                  "error": str(answer.get("error")), "needed": answer.get("needed"), "errors": answer.get("errors"),
                  "action_id": action_id, "envelope_id": answer.get("envelope_id"), **(extra or {})}
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
