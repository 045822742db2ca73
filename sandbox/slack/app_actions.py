"""People acting on an app from Slack, for the Slack sandbox: slash commands, message shortcuts, global
shortcuts, and the modals an app opens with ``views.open`` and a person submits (``view_submission``).

Facts followed (each with its source in README.md): a slash command reaches a Socket Mode app as a
``slash_commands`` envelope whose payload holds the fields Slack documents for the command request
(``token``, ``team_id``, ``team_domain``, ``channel_id``, ``channel_name``, ``user_id``, ``user_name``,
``command``, ``text``, ``api_app_id``, ``is_enterprise_install``, ``response_url``, ``trigger_id``); a command
the app did not register is not sent (Slack tells the person it is not a valid command). Shortcuts arrive as
``interactive`` envelopes: ``message_action`` (``callback_id``, ``message``, ``message_ts``, ``channel``,
``user``, ``team``, ``trigger_id``, ``response_url``) for a message shortcut, ``shortcut`` (``callback_id``,
``user``, ``team``, ``trigger_id``, no response URL) for a global one. Like a click, each is sent once and the
person sees an error when no ack comes within 3 seconds. A ``trigger_id`` opens one modal, within 3 seconds
(``expired_trigger_id`` after, ``invalid_trigger_id`` for one already used or never issued). The person fills
the modal's input blocks and submits it: a ``view_submission`` (``view.state.values``, ``view.callback_id``,
``view.private_metadata``); an ack whose payload is ``{"response_action": "errors", "errors": {block_id:
text}}`` keeps the modal open with the errors shown under the blocks; any other ack closes it. The person
closes a modal with its close button; Slack tells the app (``view_closed``, ``is_cleared: false``) only when the
view asked for it with ``notify_on_close``. The app's commands and shortcuts are those its manifest registers
(``features.slash_commands``, ``features.shortcuts``): the page offers those and no others. A button of an
ephemeral message (one only the person sees, as an app's answer through a response URL) is clicked like any
other, but the ``block_actions`` payload says so (``container.is_ephemeral`` true, ``container.message_ts``
the ephemeral's ts, no ``message``: Slack keeps no copy of an ephemeral message); its ``response_url`` may
replace or delete that ephemeral message, which no Web API method can reach.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .interactivity import buttons_of
from .workspace import ts_str

if TYPE_CHECKING:
    from .server import SlackSandbox

DEFAULT_COMMANDS = ("/soar",)
# The shortcuts fn_slack's manifest registers (features.shortcuts): what a message's menu and the shortcuts menu
# (Slack's lightning bolt) offer on the page. tests/customizations/test_docs.py compares them with the manifest.
DEFAULT_SHORTCUTS: tuple[dict[str, str], ...] = (
    {"name": "Send to SOAR", "type": "message", "callback_id": "send_to_soar",
     "description": "Add this message to the channel's SOAR incident as a note"},
    {"name": "Declare incident", "type": "global", "callback_id": "declare_incident",
     "description": "Create a SOAR incident and its Slack channel"},
)
TRIGGER_LIFETIME = 3.0


class Refused(Exception):
    """What Slack answers a person instead of sending the app anything: an error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def new_trigger_id() -> str:
    """A trigger id as Slack shapes them (``<seconds>.<number>.<hex>``)."""
    return f"{int(time.time())}.{uuid.uuid4().int % 10 ** 12}.{uuid.uuid4().hex[:32]}"


class AppActions:
    """Slash commands, shortcuts and modal submissions, made as a person (a user token) and sent to the app
    over Socket Mode. Answers carry the envelope id, or Slack's error for what the person tried."""

    def __init__(self, sandbox: SlackSandbox) -> None:
        self._sb = sandbox
        self.commands: set[str] = set(DEFAULT_COMMANDS)   # the slash commands the app registered (manifest)
        self.shortcuts: list[dict[str, str]] = [dict(s) for s in DEFAULT_SHORTCUTS]   # and its shortcuts
        self.ephemeral_click_message = False   # a switch: a click on an ephemeral carries a copy of it (README)

    def reset(self) -> None:
        self.commands = set(DEFAULT_COMMANDS)
        self.shortcuts = [dict(s) for s in DEFAULT_SHORTCUTS]
        self.ephemeral_click_message = False

    def shortcuts_of(self, kind: str) -> list[dict[str, str]]:
        """The app's registered shortcuts of one type (``message`` or ``global``), in the manifest's order."""
        return [dict(s) for s in self.shortcuts if s.get("type") == kind]

    def _person(self, token: str) -> Any:
        """Under the sandbox lock: the active person owning a user token, or None."""
        ws = self._sb._ws  # noqa: SLF001 - the sandbox's own workspace
        tok = ws.tokens.get(token)
        if tok is None or tok.revoked or tok.kind != "user":
            return None
        user = ws.users.get(tok.user_id)
        return None if user is None or user.deleted else user

    def _user_fields(self, user: Any) -> dict:
        ws = self._sb._ws  # noqa: SLF001
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id or ws.team_id}

    def _trigger(self, user_id: str) -> str:
        """Under the sandbox lock: issue a trigger id for what this person just did."""
        trigger_id = new_trigger_id()
        self._sb._ws.triggers[trigger_id] = {"user": user_id, "issued": time.monotonic(), "used": False}  # noqa: SLF001
        return trigger_id

    def _visible_channel(self, user: Any, channel: str) -> Any:
        """Under the sandbox lock: the channel as the person sees it; ``channel_not_found`` when they cannot."""
        ws = self._sb._ws  # noqa: SLF001
        ch = ws.find_channel(channel)
        if ch is None or (ch.is_private and user.id not in ch.members):
            raise Refused("channel_not_found")
        return ch

    def _open_view(self, user: Any, view_id: str) -> dict:
        """Under the sandbox lock: the person's open modal ``view_id``; ``view_not_found`` for any other."""
        view = self._sb._ws.views.get(view_id)  # noqa: SLF001
        if view is None or not view["open"] or view["user"] != user.id:
            raise Refused("view_not_found")
        return view

    def _act(self, token: str, build: Callable[[Any, Any], tuple[str, dict] | None]) -> dict:
        """What a person does, in one step: as the person owning ``token`` and under the sandbox lock,
        ``build(ws, user)`` makes what Slack sends the app (an envelope type and its payload; None: nothing) or
        raises ``Refused`` with Slack's error for what the person tried; the payload then goes to the app over
        Socket Mode. Answers the envelope id (and the payload's trigger id), or the error."""
        sb = self._sb
        try:
            with sb._lock:  # noqa: SLF001 - the sandbox's own lock
                user = self._person(token)
                if user is None:
                    raise Refused("invalid_auth")
                sent = build(sb._ws, user)  # noqa: SLF001
        except Refused as refused:
            return {"ok": False, "error": refused.error}
        if sent is None:
            return {"ok": True, "envelope_id": None}
        kind, payload = sent
        answer = {"ok": True, "envelope_id": sb.socket_mode.publish(kind, payload)}
        if payload.get("trigger_id") and payload.get("type") != "view_submission":
            answer["trigger_id"] = payload["trigger_id"]
        return answer

    # ----- slash commands --------------------------------------------------------------------------------
    def slash_command(self, token: str, channel: str, command: str, text: str = "") -> dict:
        """The person types ``command text`` in ``channel``."""
        sb = self._sb

        def build(ws: Any, user: Any) -> tuple[str, dict]:
            if command not in self.commands:
                raise Refused("not_a_valid_command")
            ch = self._visible_channel(user, channel)
            url_id = sb.interactions.new_response_url(user.id, ch.id, "")
            return "slash_commands", {
                "token": "sandbox-verification-token", "team_id": ws.team_id, "team_domain": ws.team_domain,
                "channel_id": ch.id, "channel_name": ch.name, "user_id": user.id, "user_name": user.name,
                "command": command, "text": text, "api_app_id": ws.users[ws.bot_user_id].app_id or "A0SANDBOX",
                "is_enterprise_install": "false", "response_url": sb.interactions.response_url(url_id),
                "trigger_id": self._trigger(user.id),
            }

        return self._act(token, build)

    def message_shortcut(self, token: str, channel: str, message_ts: str, callback_id: str) -> dict:
        """The person picks the shortcut ``callback_id`` from a message's menu."""
        sb = self._sb

        def build(ws: Any, user: Any) -> tuple[str, dict]:
            ch = self._visible_channel(user, channel)
            msg = ch.by_ts.get(message_ts)
            if msg is None:
                raise Refused("message_not_found")
            url_id = sb.interactions.new_response_url(user.id, ch.id, message_ts)
            return "interactive", {
                "type": "message_action", "token": "sandbox-verification-token",
                "action_ts": ts_str(time.time_ns() // 1000),
                "team": {"id": ws.team_id, "domain": ws.team_domain}, "user": self._user_fields(user),
                "channel": {"id": ch.id, "name": ch.name}, "is_enterprise_install": False, "enterprise": None,
                "callback_id": callback_id, "trigger_id": self._trigger(user.id), "message_ts": message_ts,
                "message": json.loads(json.dumps(msg)), "response_url": sb.interactions.response_url(url_id),
            }

        return self._act(token, build)

    def global_shortcut(self, token: str, callback_id: str) -> dict:
        """The person picks the global shortcut ``callback_id`` (from the shortcuts menu or search)."""
        def build(ws: Any, user: Any) -> tuple[str, dict]:
            return "interactive", {
                "type": "shortcut", "token": "sandbox-verification-token",
                "action_ts": ts_str(time.time_ns() // 1000),
                "team": {"id": ws.team_id, "domain": ws.team_domain}, "user": self._user_fields(user),
                "is_enterprise_install": False, "enterprise": None, "callback_id": callback_id,
                "trigger_id": self._trigger(user.id),
            }

        return self._act(token, build)

    def click_ephemeral(self, token: str, channel: str, ephemeral_ts: str, action_id: str,
                        value: str | None = None) -> dict:
        """The person clicks the button ``action_id`` of an ephemeral message they see in ``channel`` (its ts as
        the sandbox's ``ephemerals`` list it). ``value`` replaces the button's value, as a crafted request
        would: a person cannot change it in Slack."""
        sb = self._sb

        def build(ws: Any, user: Any) -> tuple[str, dict]:
            ch = self._visible_channel(user, channel)
            shown = [e for e in ws.ephemerals if e["channel"] == ch.id and e["user"] == user.id
                     and e["ts"] == ephemeral_ts]
            if not shown:
                raise Refused("message_not_found")
            match = [(bid, el) for bid, el in buttons_of(shown[0].get("blocks") or [])
                     if el.get("action_id") == action_id]
            if not match:
                raise Refused("action_not_found")
            block_id, element = match[0]
            url_id = sb.interactions.new_response_url(user.id, ch.id, ephemeral_ts, ephemeral=True)
            payload = {
                "type": "block_actions", "user": self._user_fields(user),
                "api_app_id": ws.users[ws.bot_user_id].app_id or "A0SANDBOX", "token": "sandbox-verification-token",
                "container": {"type": "message", "message_ts": ephemeral_ts, "channel_id": ch.id,
                              "is_ephemeral": True},
                "trigger_id": self._trigger(user.id), "team": {"id": ws.team_id, "domain": ws.team_domain},
                "enterprise": None, "is_enterprise_install": False, "channel": {"id": ch.id, "name": ch.name},
                "state": {"values": {}}, "response_url": sb.interactions.response_url(url_id),
                "actions": [{"action_id": action_id, "block_id": block_id,
                             "value": value if value is not None else element.get("value", ""),
                             "type": element.get("type", "button"), "text": element.get("text"),
                             "action_ts": ts_str(time.time_ns() // 1000)}],
            }
            if self.ephemeral_click_message:
                payload["message"] = {"type": "message", "user": ws.bot_user_id, "ts": ephemeral_ts,
                                      "text": shown[0].get("text") or "", "blocks": shown[0].get("blocks") or []}
            return "interactive", payload

        return self._act(token, build)

    def open_views(self, user: str | None = None) -> list[dict]:
        """The modals open now (for one person's Slack ID, or everyone's), each with its ``id``."""
        with self._sb._lock:  # noqa: SLF001
            views = self._sb._ws.views.items()  # noqa: SLF001
            return [{**json.loads(json.dumps(v)), "id": view_id} for view_id, v in views
                    if v["open"] and (user is None or v["user"] == user)]

    def submit_view(self, token: str, view_id: str, values: dict[str, dict[str, Any]]) -> dict:
        """The person submits the modal ``view_id`` with ``values`` ({block_id: {action_id: value}}); a value
        is a string (plain_text_input), or for a select the option's value. Answers the envelope id."""
        submitted: list[dict] = []

        def build(ws: Any, user: Any) -> tuple[str, dict]:
            view = self._open_view(user, view_id)
            state = self._state(view["view"], values)
            if isinstance(state, str):
                raise Refused(state)
            submitted.append(view)
            shown = {**view["view"], "id": view_id, "team_id": ws.team_id, "state": {"values": state},
                     "hash": uuid.uuid4().hex[:20], "app_id": ws.users[ws.bot_user_id].app_id or "A0SANDBOX",
                     "bot_id": ws.users[ws.bot_user_id].bot_id}
            return "interactive", {
                "type": "view_submission", "team": {"id": ws.team_id, "domain": ws.team_domain},
                "user": self._user_fields(user), "api_app_id": shown["app_id"],
                "token": "sandbox-verification-token", "trigger_id": self._trigger(user.id), "view": shown,
                "response_urls": [], "is_enterprise_install": False, "enterprise": None,
            }

        answer = self._act(token, build)
        if answer["ok"]:
            with self._sb._lock:  # noqa: SLF001
                submitted[0]["submissions"].append(answer["envelope_id"])
        return answer

    def close_view(self, token: str, view_id: str) -> dict:
        """The person closes the modal ``view_id`` (its close button). Slack sends the app a ``view_closed``
        only when the view set ``notify_on_close``; the answer carries that envelope's id, else None."""
        def build(ws: Any, user: Any) -> tuple[str, dict] | None:
            view = self._open_view(user, view_id)
            view["open"] = False
            if not view["view"].get("notify_on_close"):
                return None
            app_id = ws.users[ws.bot_user_id].app_id or "A0SANDBOX"
            return "interactive", {
                "type": "view_closed", "team": {"id": ws.team_id, "domain": ws.team_domain},
                "user": self._user_fields(user), "api_app_id": app_id, "token": "sandbox-verification-token",
                "view": {**view["view"], "id": view_id, "team_id": ws.team_id, "app_id": app_id,
                         "state": {"values": {}}},
                "is_cleared": False, "is_enterprise_install": False, "enterprise": None,
            }

        return self._act(token, build)

    def submission_result(self, view_id: str, envelope_id: str, timeout: float = 10.0) -> dict:
        """What the person sees after submitting: ``{"closed": bool, "errors": {...}}`` once the app acked (the
        modal closes unless the ack says ``response_action: errors``), ``{"timeout": True}`` when it did not."""
        hub = self._sb.socket_mode
        if not hub.wait_acked(envelope_id, timeout=timeout):
            return {"timeout": True}
        answer = hub.ack_payloads.get(envelope_id) or {}
        with self._sb._lock:  # noqa: SLF001
            view = self._sb._ws.views[view_id]  # noqa: SLF001
            if answer.get("response_action") == "errors":
                view["errors"] = dict(answer.get("errors") or {})
                return {"closed": False, "errors": view["errors"]}
            view["open"] = False
            return {"closed": True, "errors": {}}

    @staticmethod
    def _state(view: dict, values: dict[str, dict[str, Any]]) -> dict | str:
        """``view.state.values`` for the submitted values, as Slack builds it from the modal's input blocks; an
        error code when a required input is empty (Slack does not send the submission then)."""
        state: dict[str, dict] = {}
        for block in view.get("blocks") or []:
            if block.get("type") != "input":
                continue
            element = block.get("element") or {}
            block_id, action_id = str(block.get("block_id") or ""), str(element.get("action_id") or "")
            given = (values.get(block_id) or {}).get(action_id)
            if (given is None or given == "") and not block.get("optional"):
                return "required_input_missing"
            kind = element.get("type")
            if kind == "static_select":
                options = {o.get("value"): o for o in element.get("options") or []}
                if given is not None and given not in options:
                    return "invalid_option"
                state[block_id] = {action_id: {"type": kind, "selected_option": options.get(given)}}
            else:
                state[block_id] = {action_id: {"type": kind, "value": given}}
        return state

    # ----- HTTP ------------------------------------------------------------------------------------------
    def respond(self, request: Request, rest: str) -> Response:  # noqa: PLR0911 - one exit per route
        """``POST /_sandbox/act/{command,message_shortcut,click_ephemeral,shortcut,submit}`` with JSON or a
        form."""
        if request.method != "POST":
            return Response("Not Found", status=404, mimetype="text/plain")
        body = request.get_json(silent=True) or dict(request.form.items())
        token = str(body.get("token") or "")
        if rest == "command":
            return _json(self.slash_command(token, str(body.get("channel") or ""), str(body.get("command") or ""),
                                            str(body.get("text") or "")))
        if rest == "message_shortcut":
            return _json(self.message_shortcut(token, str(body.get("channel") or ""),
                                               str(body.get("message_ts") or ""), str(body.get("callback_id") or "")))
        if rest == "click_ephemeral":
            value = body.get("value")
            return _json(self.click_ephemeral(token, str(body.get("channel") or ""), str(body.get("ts") or ""),
                                              str(body.get("action_id") or ""),
                                              None if value is None else str(value)))
        if rest == "shortcut":
            return _json(self.global_shortcut(token, str(body.get("callback_id") or "")))
        if rest == "submit":
            values = body.get("values")
            if isinstance(values, str):
                values = json.loads(values or "{}")
            return _json(self.submit_view(token, str(body.get("view_id") or ""), values or {}))
        return Response("Not Found", status=404, mimetype="text/plain")


__all__ = ["DEFAULT_COMMANDS", "DEFAULT_SHORTCUTS", "TRIGGER_LIFETIME", "AppActions", "new_trigger_id"]
