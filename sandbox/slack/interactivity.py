"""Interactivity for the Slack sandbox: a person clicks a button of a Block Kit message (a sandbox endpoint
mimics the click), Slack sends the app a ``block_actions`` payload over Socket Mode with a ``response_url``,
and the app answers through that URL.

Facts followed (Slack's "Handling user interaction" guide and the block_actions payload reference): the
payload carries ``type: block_actions``, the ``user`` who clicked, the ``container``/``channel``/``message``,
``actions[]`` (``action_id``, ``block_id``, ``value``, ``type``, ``action_ts``), a ``trigger_id`` and a
``response_url`` that accepts up to 5 JSON posts within 30 minutes; a post may ``replace_original``,
``delete_original``, or be ``response_type: ephemeral`` (seen only by the clicker, the default) or ``in_channel``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .api import SlackError, check_blocks
from .workspace import ts_str

if TYPE_CHECKING:
    from .server import SlackSandbox

RESPONSE_URL_USES = 5
RESPONSE_URL_LIFETIME = 30 * 60


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json; charset=utf-8")


def buttons_of(blocks: list[dict]) -> list[tuple[str, dict]]:
    """Every (block_id, element) of an actions block (buttons) in a message."""
    found = []
    for block in blocks or []:
        if block.get("type") == "actions":
            for element in block.get("elements") or []:
                found.append((block.get("block_id", ""), element))
    return found


class Interactions:
    """Clicks and the answers sent to their response URLs."""

    def __init__(self, sandbox: SlackSandbox) -> None:
        self._sb = sandbox
        self._lock = threading.Lock()
        self._urls: dict[str, dict] = {}
        self.responses: list[dict] = []  # every post to a response URL: {"url_id", "user", "channel", "body"}

    def reset(self) -> None:
        with self._lock:
            self._urls.clear()
            self.responses = []

    def responses_for(self, user: str | None = None) -> list[dict]:
        with self._lock:
            return [r for r in self.responses if user is None or r["user"] == user]

    def new_response_url(self, user: str, channel: str, message_ts: str, *, ephemeral: bool = False) -> str:
        """A response URL's id for what a person did in a channel (on a message, or "" for a slash command);
        ``ephemeral``: the message is one only this person sees (its original is that ephemeral message)."""
        url_id = uuid.uuid4().hex
        with self._lock:
            self._urls[url_id] = {"uses": 0, "expires": time.time() + RESPONSE_URL_LIFETIME, "user": user,
                                  "channel": channel, "message_ts": message_ts, "ephemeral": ephemeral}
        return url_id

    def response_url(self, url_id: str) -> str:
        """The URL the app posts its answers to."""
        return f"http://127.0.0.1:{self._sb.port}/_sandbox/interact/response/{url_id}"

    # ----- the click ---------------------------------------------------------------------------------------
    def click(self, token: str, channel: str, message_ts: str, action_id: str, value: str | None = None) -> dict:
        """Click the button ``action_id`` of a message as the owner of a user token; returns the envelope id
        (or a Slack-like error). A person can only click in a channel they can see."""
        sb = self._sb
        with sb._lock:  # noqa: SLF001 - the sandbox's own lock
            ws = sb._ws  # noqa: SLF001
            tok = ws.tokens.get(token)
            if tok is None or tok.revoked or tok.kind != "user":
                return {"ok": False, "error": "invalid_auth"}
            user = ws.users[tok.user_id]
            ch = ws.find_channel(channel)
            if ch is None or (ch.is_private and user.id not in ch.members):
                return {"ok": False, "error": "channel_not_found"}
            msg = ch.by_ts.get(message_ts)
            if msg is None:
                return {"ok": False, "error": "message_not_found"}
            match = [(bid, el) for bid, el in buttons_of(msg.get("blocks") or []) if el.get("action_id") == action_id]
            if not match:
                return {"ok": False, "error": "action_not_found"}
            block_id, element = match[0]
            url_id = self.new_response_url(user.id, ch.id, message_ts)
            app_id = ws.users[ws.bot_user_id].app_id or "A0SANDBOX"
            payload = {
                "type": "block_actions",
                "user": {"id": user.id, "username": user.name, "name": user.name, "team_id": ws.team_id},
                "api_app_id": app_id, "token": "sandbox-verification-token",
                "container": {"type": "message", "message_ts": message_ts, "channel_id": ch.id,
                              "is_ephemeral": False},
                "trigger_id": f"{int(time.time())}.{uuid.uuid4().int % 10 ** 12}.{uuid.uuid4().hex[:32]}",
                "team": {"id": ws.team_id, "domain": ws.team_domain},
                "enterprise": None, "is_enterprise_install": False,
                "channel": {"id": ch.id, "name": ch.name},
                "message": json.loads(json.dumps(msg)),
                "state": {"values": {}},
                "response_url": self.response_url(url_id),
                "actions": [{"action_id": action_id, "block_id": block_id,
                             "value": value if value is not None else element.get("value", ""),
                             "type": element.get("type", "button"), "text": element.get("text"),
                             "action_ts": ts_str(time.time_ns() // 1000)}],
            }
        envelope_id = sb.socket_mode.publish("interactive", payload)
        return {"ok": True, "envelope_id": envelope_id}

    # ----- HTTP ----------------------------------------------------------------------------------------------
    def respond(self, request: Request, rest: str) -> Response:
        if rest == "click" and request.method == "POST":
            body = request.get_json(silent=True) or dict(request.form.items())
            answer = self.click(str(body.get("token") or ""), str(body.get("channel") or ""),
                                str(body.get("message_ts") or ""), str(body.get("action_id") or ""),
                                body.get("value"))
            return _json(answer)
        if rest.startswith("response/") and request.method == "POST":
            return self._response_url(request, rest[len("response/"):])
        return Response("Not Found", status=404, mimetype="text/plain")

    def _response_url(self, request: Request, url_id: str) -> Response:  # noqa: PLR0911 - one exit per answer
        """A post to a click's response URL, as Slack's "Handling user interaction" guide describes it:
        ``delete_original`` deletes the clicked message; ``replace_original`` replaces the whole message with the
        post (its text, blocks and attachments: what the post leaves out is gone, so the old buttons go);
        otherwise a new message, ``response_type: ephemeral`` (the default) seen only by the clicker,
        ``in_channel`` posted in the channel (in ``thread_ts``'s thread when given). Blocks are checked as
        chat.postMessage checks them (``invalid_blocks``, HTTP 400)."""
        body = request.get_json(silent=True)
        with self._lock:
            entry = self._urls.get(url_id)
            if entry is None or entry["expires"] < time.time() or entry["uses"] >= RESPONSE_URL_USES:
                return _json({"ok": False, "error": "expired_url"}, status=404)
            if not isinstance(body, dict):
                return _json({"ok": False, "error": "invalid_payload"}, status=400)
        problem = self._invalid(body)
        if problem is not None:
            return _json(problem, status=400)
        with self._lock:
            entry["uses"] += 1
            self.responses.append({"url_id": url_id, "user": entry["user"], "channel": entry["channel"],
                                   "message_ts": entry["message_ts"], "body": body})
        sb = self._sb
        with sb._lock:  # noqa: SLF001 - the sandbox's own lock
            ws = sb._ws  # noqa: SLF001
            ch = ws.find_channel(entry["channel"])
            if ch is None:
                return _json({"ok": False, "error": "channel_not_found"}, status=404)
            msg = ch.by_ts.get(entry["message_ts"])
            text = str(body.get("text") or "")
            blocks = body.get("blocks") or []
            attachments = body.get("attachments") or []
            if entry.get("ephemeral") and (body.get("delete_original") or body.get("replace_original")):
                return self._ephemeral_original(entry, body, text, blocks)
            if body.get("delete_original"):
                if msg is not None:
                    ws.delete_message(ch, entry["message_ts"])
            elif body.get("replace_original"):
                if msg is None:
                    return _json({"ok": False, "error": "message_not_found"}, status=404)
                ws.edit_message(ch, entry["message_ts"], text, ws.bot_user_id, blocks=blocks, attachments=attachments)
            elif body.get("response_type") == "in_channel":
                parent = ch.by_ts.get(str(body.get("thread_ts") or ""))
                ws.build_and_store(ch, ws.bot_user_id, text, thread_parent=parent, attachments=attachments or None,
                                   extra={"blocks": blocks} if blocks else None)
            else:
                ws.ephemerals.append({"channel": ch.id, "user": entry["user"], "text": text,
                                      "thread_ts": body.get("thread_ts"), "ts": ts_str(time.time_ns() // 1000),
                                      "blocks": blocks, "via": "response_url"})
        return _json({"ok": True})

    def _ephemeral_original(self, entry: dict, body: dict, text: str, blocks: list) -> Response:
        """Under the sandbox lock: a click on an ephemeral message answered with ``replace_original`` (its text
        and blocks replaced, seen by the clicker alone still) or ``delete_original`` (it goes). Slack lets a
        response URL do this to an ephemeral message; chat.update and chat.delete cannot reach one."""
        ephemerals = self._sb._ws.ephemerals  # noqa: SLF001 - the sandbox's own workspace
        found = [e for e in ephemerals if e["ts"] == entry["message_ts"] and e["user"] == entry["user"]
                 and e["channel"] == entry["channel"]]
        if not found:
            return _json({"ok": False, "error": "message_not_found"}, status=404)
        if body.get("delete_original"):
            ephemerals.remove(found[0])
        else:
            found[0].update({"text": text, "blocks": blocks, "replaced": True})
        return _json({"ok": True})

    def _invalid(self, body: dict) -> dict | None:
        """Slack's invalid_blocks answer for the post's blocks, or None when they pass."""
        blocks = body.get("blocks")
        if blocks is None:
            return None
        try:
            if not isinstance(blocks, list):
                raise SlackError("invalid_blocks")
            check_blocks(self._sb.realism, blocks)
        except SlackError as err:
            return {"ok": False, "error": err.error, **err.extra}
        return None


__all__ = ["Interactions", "buttons_of"]
