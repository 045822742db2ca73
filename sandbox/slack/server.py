"""The sandbox Slack HTTP server on 127.0.0.1 and its in-process handle for tests (SlackSandbox)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import api, app_actions, html_actions, html_view, interactivity, tls
from .limits import Faults, RateLimiter, retry_after_header
from .realism import Realism, make_realism
from .socket_mode import SocketModeHub, event_payload
from .workspace import (
    DEFAULT_TOKEN,
    SYSTEM_SUBTYPES,
    USER_TOKEN_PREFIX,
    Channel,
    Workspace,
    WorkspaceError,
    mask_token,
    refresh_thread,
    ts_str,
)

JSON_TYPE = "application/json; charset=utf-8"
# What an edge proxy in front of Slack answers when the API behind it fails: a page, not JSON.
HTML_ERROR_PAGE = ("<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n"
                   "<body><h1>{status} {reason}</h1><p>The server encountered a temporary error and could not "
                   "complete your request.</p></body></html>\n")


@dataclass(frozen=True)
class Call:
    """One request the sandbox answered (or refused), as the call log keeps it."""

    method: str
    params: dict
    token: str | None
    http_status: int
    ok: bool
    error: str | None
    time: float

    def to_json(self) -> dict:
        data = asdict(self)
        data["token"] = mask_token(self.token) if self.token else None
        return data


@dataclass(frozen=True)
class _Stamp:
    """When a request arrived and which workspace it belongs to: a request still running across reset()
    must neither touch the fresh workspace nor appear in the fresh call log."""

    time: float
    generation: int
    ws: Workspace


class _QuietHandler(WSGIRequestHandler):
    """Request handler that keeps stdout/stderr free of per-request log lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - werkzeug's signature
        if type == "error":
            super().log(type, message, *args)


class SlackSandbox:
    """A local Slack Web API on 127.0.0.1 that slack_sdk's WebClient talks to over real HTTP."""

    def __init__(self, workspace: dict | str | os.PathLike | None = None, *, port: int = 0, latency_ms: float = 0,
                 rate_limits: bool = False, time_scale: float = 1.0, non_marketplace: bool = False,
                 share_delay: float = 0.0, realism: Realism | str | dict | None = None,
                 upload_port: int = 0, upload_tls: bool = False, post_limit_answer: str = "http_429") -> None:
        self._workspace_spec = workspace
        self._settings = {"latency_ms": latency_ms, "rate_limits": rate_limits, "time_scale": time_scale,
                          "non_marketplace": non_marketplace, "share_delay": share_delay,
                          "realism": make_realism(realism), "post_limit_answer": post_limit_answer}
        self._port = port
        self._upload_port = upload_port
        self.upload_tls = upload_tls
        self.upload_ca_file: str | None = None  # the upload host's self-signed certificate (PEM) with TLS
        self._tls_dir: str | None = None
        self._upload_server: BaseWSGIServer | None = None
        self._upload_thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._ws = Workspace(workspace)
        self._calls: list[Call] = []
        self._generation = 0
        self.faults = Faults()
        self._limiter = RateLimiter()
        self._apply_settings()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        # Socket Mode: the WebSocket side (started with the server) and the interactivity state.
        self.socket_mode = SocketModeHub(lambda: self._ws.users[self._ws.bot_user_id].app_id or "A0SANDBOX")
        self.interactions = interactivity.Interactions(self)
        self.actions = app_actions.AppActions(self)   # slash commands, shortcuts, modal submissions
        # The page's forms (post, reply, edit, delete, click as a person): CSRF token and notices, per sandbox.
        self.page_actions = html_actions.PageActions(self)
        self._ws.on_event = self._on_workspace_event

    def _apply_settings(self) -> None:
        s = self._settings
        self.latency_ms = s["latency_ms"]
        self.non_marketplace = s["non_marketplace"]
        self.share_delay = s["share_delay"]
        self._limiter.configure(s["rate_limits"], s["time_scale"], s["post_limit_answer"])
        self._ws.realism = make_realism(s["realism"])

    # ----- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> SlackSandbox:
        if self._server is not None:
            return self
        self._server = make_server("127.0.0.1", self._port, self._wsgi, threaded=True,
                                   request_handler=_QuietHandler)
        self._port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-sandbox", daemon=True)
        self._thread.start()
        self.socket_mode.start()
        # Slack's upload URL is on another host than the API; here another port (with its own certificate).
        ssl_context = None
        if self.upload_tls:
            self._tls_dir, self.upload_ca_file, ssl_context = tls.self_signed_context()
        self._upload_server = make_server("127.0.0.1", self._upload_port, self._upload_wsgi, threaded=True,
                                          request_handler=_QuietHandler, ssl_context=ssl_context)
        self._upload_port = self._upload_server.server_port
        self._upload_thread = threading.Thread(target=self._upload_server.serve_forever,
                                               name="slack-sandbox-upload", daemon=True)
        self._upload_thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.socket_mode.stop()
        for server, thread in ((self._server, self._thread), (self._upload_server, self._upload_thread)):
            if server is not None:
                server.shutdown()
                server.server_close()
            if thread is not None:
                thread.join(timeout=5)
        self._server = self._upload_server = None
        self._thread = self._upload_thread = None
        if self._tls_dir:
            tls.remove(self._tls_dir)
            self._tls_dir = self.upload_ca_file = None

    def __enter__(self) -> SlackSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/api/"

    @property
    def upload_base_url(self) -> str:
        """Where upload URLs point: the separate upload host (https with upload_tls)."""
        scheme = "https" if self.upload_tls else "http"
        return f"{scheme}://127.0.0.1:{self._upload_port}/" if self._upload_server is not None else ""

    def user_token(self, name: str) -> str:
        """A person's user token: ``xoxp-sandbox-<name>`` in the default workspace (alice, bob, carol and the
        guest gina), else the first active user token a workspace file gives that person."""
        with self._lock:
            ws = self._ws
            token = USER_TOKEN_PREFIX + name
            if token in ws.tokens:
                return token
            user = ws.find_user(name)
            for tok in ws.tokens.values():
                if user is not None and tok.kind == "user" and tok.user_id == user.id and not tok.revoked:
                    return tok.token
        raise WorkspaceError(f"no user token for {name!r} in this workspace")

    def people(self) -> list[dict]:
        """The people the sandbox can act as (its page's person picker): every active person with an active
        user token, in the order they joined: ``{"id", "name", "shown", "is_restricted"}``."""
        with self._lock:
            ws = self._ws
            holders = {t.user_id for t in ws.tokens.values() if t.kind == "user" and not t.revoked}
            return [{"id": u.id, "name": u.name, "shown": u.display_name or u.real_name or u.name,
                     "is_restricted": u.is_restricted}
                    for u in ws.users.values() if u.id in holders and not (u.deleted or u.is_bot)]

    def reset(self, workspace: dict | str | os.PathLike | None = None) -> None:
        """Fresh workspace (the given one, else the one the sandbox started with); logs, faults, limits cleared."""
        spec = workspace if workspace is not None else self._workspace_spec
        fresh = Workspace(spec)
        with self._lock:
            self._ws = fresh
            self._ws.on_event = self._on_workspace_event
            self._generation += 1
            self._calls = []
            self.faults.clear()
            self._apply_settings()
            self.interactions.reset()
            self.actions.reset()
            self.page_actions.reset()
        self.socket_mode.reset()

    # ----- settings --------------------------------------------------------------------------------------
    def set_rate_limits(self, enabled: bool, time_scale: float = 1.0, post_limit_answer: str | None = None,
                        retry_after_fractions: bool = True) -> None:
        """Switch Slack's tier limits on or off; windows are 60 s * time_scale. ``post_limit_answer``
        ("http_429" or "ok_false") says how chat.postMessage's per-channel pace refuses. Below real speed
        Retry-After is the scaled wait in fractions of a second; ``retry_after_fractions=False`` rounds it
        down to whole seconds (for clients that read only whole seconds)."""
        self._limiter.configure(enabled, time_scale, post_limit_answer or self._limiter.post_limit_answer,
                                retry_after_fractions)

    @property
    def realism(self) -> Realism:
        """The realism switches in force (see realism.py); change them with set_realism()."""
        with self._lock:
            return self._ws.realism

    def set_realism(self, value: Realism | str | dict | None = None, **changes: Any) -> Realism:
        """Replace the realism switches ("real", "tidy", a dict or a Realism) and/or change some by name.
        reset() goes back to the constructor's."""
        with self._lock:
            base = make_realism(value) if value is not None else self._ws.realism
            self._ws.realism = base.changed(**changes)
            return self._ws.realism

    @property
    def rate_limits(self) -> bool:
        return self._limiter.enabled

    @property
    def time_scale(self) -> float:
        return self._limiter.time_scale

    # ----- inspection ------------------------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls = []

    @property
    def notifications(self) -> list[dict]:
        with self._lock:
            api.flush_due_shares(self._ws)
            return [dict(n) for n in self._ws.notifications]

    @property
    def ephemerals(self) -> list[dict]:
        """chat.postEphemeral messages: {"channel", "user", "text", "thread_ts", "ts"} (never in history)."""
        with self._lock:
            return [dict(e) for e in self._ws.ephemerals]

    @property
    def bot_user_id(self) -> str:
        return self._ws.bot_user_id

    @property
    def bot_id(self) -> str:
        return self._ws.users[self._ws.bot_user_id].bot_id or ""

    @property
    def default_token(self) -> str:
        return DEFAULT_TOKEN

    @property
    def team_id(self) -> str:
        return self._ws.team_id

    def channel(self, name_or_id: str) -> dict | None:
        with self._lock:
            ch = self._ws.find_channel(name_or_id)
            return _channel_snapshot(ch) if ch else None

    def messages(self, channel_id: str, *, system: bool = False) -> list[dict]:
        """Top-level messages oldest first, each with its thread under "replies" (broadcast copies skipped).
        Messages Slack writes itself (channel_join, topic/purpose/name changes) only with ``system=True``;
        conversations.history always returns them."""
        with self._lock:
            api.flush_due_shares(self._ws)
            ch = self._ws.find_channel(channel_id)
            if ch is None:
                raise WorkspaceError(f"unknown channel {channel_id!r}")
            messages = _channel_messages(ch)
            return messages if system else [m for m in messages if m.get("subtype") not in SYSTEM_SUBTYPES]

    def user(self, ref: str) -> dict | None:
        with self._lock:
            user = self._ws.find_user(ref)
            return self._ws.user_obj(user) if user else None

    def file(self, file_id: str) -> dict | None:
        """The file object as files.info would show it to its uploader, plus the uploaded bytes under "data"."""
        with self._lock:
            api.flush_due_shares(self._ws)
            rec = self._ws.files.get(file_id)
            if rec is None:
                return None
            return {**self._ws.file_obj(rec), "data": rec.data, "completed": rec.completed,
                    "declared_length": rec.length}

    # ----- arranging -------------------------------------------------------------------------------------
    def add_user(self, name: str, email: str, real_name: str | None = None, display_name: str | None = None,
                 **kinds: Any) -> str:
        """Add a person; ``kinds`` may say is_admin, deleted, is_restricted, is_ultra_restricted, team_id (another
        team's user) or invite_error (an error conversations.invite always answers for them)."""
        with self._lock:
            return self._ws.add_user(name, email, real_name=real_name, display_name=display_name, **kinds)

    def set_user_names(self, ref: str, *, real_name: str | None = None, display_name: str | None = None) -> None:
        """Change a person's names as they (or an admin) would in their profile (users.profile.set); users.info
        shows the new names and a new ``updated`` time."""
        with self._lock:
            user = self._ws.users[self._ws.resolve_user(ref)]
            user.real_name = user.real_name if real_name is None else real_name
            user.display_name = user.display_name if display_name is None else display_name
            user.updated = int(time.time())

    def deactivate_user(self, ref: str) -> None:
        with self._lock:
            self._ws.users[self._ws.resolve_user(ref)].deleted = True

    def add_member(self, channel_id: str, user: str, *, inviter: str | None = None) -> None:
        """Put someone in a channel as Slack would (with its channel_join message when join_messages is on)."""
        with self._lock:
            ch = self._find(channel_id)
            self._ws.add_member(ch, self._ws.resolve_user(user),
                                inviter=self._ws.resolve_user(inviter) if inviter else None)

    def restrict_channel(self, channel_id: str, *, posting: str | None = None, archiving: str | None = None,
                         inviting: str | None = None) -> None:
        """Admin restrictions on one channel, each the error Slack answers (None lifts it): posting
        (chat.postMessage answers "restricted_action" or "posting_to_channel_denied", uploads always
        posting_to_channel_denied), archiving ("restricted_action" or "cant_archive_required"), inviting
        ("restricted_action")."""
        wanted = {"posting": posting, "archiving": archiving, "inviting": inviting}
        for action, error in wanted.items():
            if error is not None and error not in api.RESTRICTION_ACTIONS[action]:
                raise WorkspaceError(f"{action} restriction must be one of {api.RESTRICTION_ACTIONS[action]}")
        with self._lock:
            ch = self._find(channel_id)
            for action, error in wanted.items():
                if error is None:
                    ch.restrictions.pop(action, None)
                else:
                    ch.restrictions[action] = error

    def set_topic(self, channel_id: str, user: str, topic: str) -> str:
        with self._lock:
            return self._ws.set_topic(self._find(channel_id), self._ws.resolve_user(user), topic)

    def set_purpose(self, channel_id: str, user: str, purpose: str) -> str:
        with self._lock:
            return self._ws.set_purpose(self._find(channel_id), self._ws.resolve_user(user), purpose)

    def rename_channel(self, channel_id: str, user: str, name: str) -> str:
        with self._lock:
            if name in self._ws.names:
                raise WorkspaceError(f"channel name {name!r} is taken")
            return self._ws.rename_channel(self._find(channel_id), self._ws.resolve_user(user), name)

    def edit_message(self, channel_id: str, ts: str, text: str, *, editor: str | None = None) -> None:
        """Edit a message as its author would: new text and an ``edited`` stamp."""
        with self._lock:
            ch = self._find(channel_id)
            if ts not in ch.by_ts:
                raise WorkspaceError(f"no message {ts} in {ch.id}")
            self._ws.edit_message(ch, ts, text, self._ws.resolve_user(editor) if editor else None)

    def delete_message(self, channel_id: str, ts: str) -> None:
        """Delete a message: a thread parent with replies leaves a tombstone, anything else goes."""
        with self._lock:
            ch = self._find(channel_id)
            if ts not in ch.by_ts:
                raise WorkspaceError(f"no message {ts} in {ch.id}")
            self._ws.delete_message(ch, ts)

    def delete_file(self, file_id: str) -> None:
        """Delete a file: messages keep {"id", "mode": "tombstone"}, files.info answers file_deleted."""
        self._file_mode(file_id, "tombstone")

    def hide_file(self, file_id: str) -> None:
        """Hide a file as a free plan's storage limit does: messages keep {"id", "mode": "hidden_by_limit"}."""
        self._file_mode(file_id, "hidden_by_limit")

    def _file_mode(self, file_id: str, mode: str) -> None:
        with self._lock:
            api.flush_due_shares(self._ws)
            rec = self._ws.files.get(file_id)
            if rec is None:
                raise WorkspaceError(f"unknown file {file_id!r}")
            self._ws.set_file_mode(rec, mode)

    def _find(self, channel_id: str) -> Channel:
        ch = self._ws.find_channel(channel_id)
        if ch is None:
            raise WorkspaceError(f"unknown channel {channel_id!r}")
        return ch

    def add_channel(self, name: str, *, is_private: bool = False, members: Iterable[str] = (),
                    archived: bool = False, creator: str | None = None) -> str:
        """Create a channel directly (no name rules); members and creator are ids, names or e-mails."""
        with self._lock:
            return self._ws.add_channel(name, is_private=is_private, members=list(members), archived=archived,
                                        creator=creator)

    def add_message(self, channel_id: str, user_id: str | None, text: str, *, thread_ts: str | None = None,
                    files: list[dict] | None = None, attachments: list[dict] | None = None,
                    bot_username: str | None = None) -> str:
        """Post a message as someone; files are dicts {"name", "title"?, "content" (str or bytes)}."""
        with self._lock:
            ws = self._ws
            api.flush_due_shares(ws)
            ch = ws.find_channel(channel_id)
            if ch is None:
                raise WorkspaceError(f"unknown channel {channel_id!r}")
            uid = ws.resolve_user(user_id) if user_id else ws.bot_user_id
            parent = None
            if thread_ts:
                parent = ch.by_ts.get(thread_ts)
                if parent is None:
                    raise WorkspaceError(f"no message {thread_ts} in {ch.id}")
            recs = []
            for f in files or []:
                content = f.get("content", b"")
                data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
                recs.append(ws.make_file(uid, f.get("name", "file.txt"), f.get("title"), data))
            ts = ws.build_and_store(ch, uid, text, thread_parent=parent, attachments=attachments, files=recs,
                                    bot_username=bot_username)
            api.record_notification(ws, ch, ts, link_names=False)
            return ts

    def add_token(self, token: str, scopes: Iterable[str], *, kind: str = "bot", user_id: str | None = None) -> None:
        with self._lock:
            self._ws.add_token(token, list(scopes), kind=kind, user_id=user_id)

    def revoke_token(self, token: str) -> None:
        with self._lock:
            self._ws.tokens[token].revoked = True

    def remove_member(self, channel_id: str, user_id: str) -> None:
        with self._lock:
            ch = self._ws.find_channel(channel_id)
            if ch is None:
                raise WorkspaceError(f"unknown channel {channel_id!r}")
            ch.members.pop(self._ws.resolve_user(user_id), None)

    def seed_channels(self, n: int, prefix: str = "chan", *, is_private: bool = False,
                      members: Iterable[str] = ()) -> list[str]:
        """Add n channels named prefix-00001... (skipping taken names) quickly, for big-workspace benchmarks."""
        with self._lock:
            ws = self._ws
            member_ids = [ws.resolve_user(m) for m in members]
            ids: list[str] = []
            i = 0
            while len(ids) < n:
                i += 1
                name = f"{prefix}-{i:05d}"
                if name in ws.names:
                    continue
                ids.append(ws.add_channel(name, is_private=is_private, members=member_ids))
            return ids

    def seed_history(self, channel_id: str, messages: int, threads: int = 0, replies_per_thread: int = 3,
                     files: int = 0) -> list[str]:
        """Append `messages` top-level messages (one second apart, ending about now), `threads` of them with
        `replies_per_thread` replies and `files` of them carrying a small file; returns the top-level ts."""
        if not 0 <= replies_per_thread < 1000:
            raise WorkspaceError("replies_per_thread must be below 1000")
        if threads > messages or files > messages:
            raise WorkspaceError("threads and files cannot exceed messages")
        with self._lock:
            ws = self._ws
            ch = ws.find_channel(channel_id)
            if ch is None:
                raise WorkspaceError(f"unknown channel {channel_id!r}")
            posters = [u.id for u in ws.users.values() if not u.is_bot and not u.deleted] or [ws.bot_user_id]
            step = 1_000_000
            now_us = time.time_ns() // 1000
            base = max(ch.last_us + 1, now_us - messages * step)
            thread_every = messages // threads if threads else 0
            file_every = messages // files if files else 0
            made_threads = made_files = 0
            out: list[str] = []
            for i in range(messages):
                us = base + i * step
                ts = ts_str(us)
                uid = posters[i % len(posters)]
                msg: dict[str, Any] = {"type": "message", "text": f"Message {i + 1}", "user": uid, "ts": ts}
                if file_every and i % file_every == 0 and made_files < files:
                    made_files += 1
                    rec = ws.make_file(uid, f"seed-{i + 1}.txt", None, f"seeded file {i + 1}\n".encode())
                    ws.record_share(rec, ch, ts, None)
                    msg.update({"files": [ws.file_obj(rec)], "upload": True, "display_as_bot": False})
                ch.ts_keys.append(us)
                ch.messages.append(msg)
                ch.by_ts[ts] = msg
                out.append(ts)
                if thread_every and i % thread_every == 0 and made_threads < threads and replies_per_thread:
                    made_threads += 1
                    replies = []
                    for j in range(replies_per_thread):
                        rts = ts_str(us + (j + 1) * 1000)
                        reply = {"type": "message", "text": f"Reply {j + 1} to message {i + 1}",
                                 "user": posters[(i + j + 1) % len(posters)], "ts": rts, "thread_ts": ts,
                                 "parent_user_id": uid}
                        ch.by_ts[rts] = reply
                        replies.append(reply)
                    ch.replies[ts] = replies
                    refresh_thread(msg, replies)
            if messages:
                ch.last_us = max(ch.last_us, base + (messages - 1) * step + 999_999)
            return out

    # ----- state ---------------------------------------------------------------------------------------------
    def state_json(self) -> dict:
        """The whole workspace as JSON-ready data; token strings appear masked only."""
        with self._lock:
            ws = self._ws
            api.flush_due_shares(ws)
            channels = []
            for cid in ws.channel_order:
                ch = ws.channels[cid]
                channels.append({**_channel_snapshot(ch), "messages": _channel_messages(ch)})
            return {
                "team": {"id": ws.team_id, "name": ws.team_name, "domain": ws.team_domain, "url": ws.team_url},
                "bot": {"user_id": ws.bot_user_id, "bot_id": ws.users[ws.bot_user_id].bot_id,
                        "app_id": ws.users[ws.bot_user_id].app_id, "name": ws.users[ws.bot_user_id].name},
                "users": [ws.user_obj(u) for u in ws.users.values()],
                "usergroups": [{"id": g.id, "handle": g.handle, "users": list(g.users)}
                               for g in ws.usergroups.values()],
                "channels": channels,
                # The app's direct messages and group DMs (conversations.open), in the order they were opened.
                "direct_messages": [{**_channel_snapshot(ch), "is_im": ch.is_im, "is_mpim": ch.is_mpim,
                                     "messages": _channel_messages(ch)}
                                    for ch in ws.channels.values() if ch.is_im or ch.is_mpim],
                "files": [{"id": f.id, "name": f.name, "title": f.title, "user": f.user,
                           "declared_length": f.length, "size": len(f.data) if f.data is not None else None,
                           "completed": f.completed, "mode": f.mode, "shares": f.shares}
                          for f in ws.files.values()],
                "tokens": [{"token": mask_token(t.token), "kind": t.kind, "user_id": t.user_id,
                            "scopes": list(t.scopes), "revoked": t.revoked} for t in ws.tokens.values()],
                "settings": {"latency_ms": self.latency_ms, "rate_limits": self.rate_limits,
                             "time_scale": self.time_scale, "non_marketplace": self.non_marketplace,
                             "share_delay": None if self.share_delay == api.NEVER else self.share_delay,
                             "upload_base_url": self.upload_base_url, "upload_tls": self.upload_tls,
                             "post_limit_answer": self._limiter.post_limit_answer,
                             "realism": ws.realism.to_json()},
            }

    # ----- HTTP ------------------------------------------------------------------------------------------
    def _wsgi(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        path = request.path
        if path == "/api/apps.connections.open":
            response = self._connections_open(request)
        elif path.startswith("/api/"):
            response = self._api(request, path[len("/api/"):], environ)
        elif path.startswith(html_actions.ACTIONS):
            response = self.page_actions.respond(request)
        elif path.startswith("/_sandbox/interact/"):
            response = self.interactions.respond(request, path[len("/_sandbox/interact/"):])
        elif path.startswith("/_sandbox/act/"):
            response = self.actions.respond(request, path[len("/_sandbox/act/"):])
        elif path.startswith("/upload/") and request.method == "POST":
            response = self._upload(request, path[len("/upload/"):], environ)
        elif path == "/_sandbox/state":
            response = _json_response(self.state_json())
        elif path == "/_sandbox/calls":
            response = _json_response([c.to_json() for c in self.calls])
        elif path == "/_sandbox" or path.startswith("/_sandbox/"):
            response = html_view.respond(self, request)
        else:
            response = Response("Not Found", status=404, mimetype="text/plain")
        return response(environ, start_response)

    def _connections_open(self, request: Request) -> Response:
        """apps.connections.open: an app-level token gets a one-time WebSocket URL (Socket Mode)."""
        stamp = self._stamp()
        try:
            _, body_token = _read_params(request)
        except api.SlackError:
            body_token = None
        token = _bearer(request) or body_token
        fault = self.faults.take("apps.connections.open")
        if fault is not None:
            faulted = self._apply_fault(fault, stamp, "apps.connections.open", {}, token, request.environ)
            if faulted is not None:
                return faulted
        wait = self._limiter.check("apps.connections.open", token or "")
        if wait is not None:  # Tier 1 (apps.connections.open method page)
            body = {"ok": False, "error": "ratelimited"}
            self._record(stamp, "apps.connections.open", {}, token, 429, body)
            response = _json_response(body, status=429)
            response.headers["Retry-After"] = retry_after_header(wait, self.time_scale, self._limiter.fractions)
            response.headers["X-Sandbox-Retry-After-Seconds"] = f"{wait:.3f}"
            return response
        body = self.socket_mode.open_connection(token)
        self._record(stamp, "apps.connections.open", {}, token, 200, body)
        return _json_response(body)

    # ----- Socket Mode events ------------------------------------------------------------------------------
    def _on_workspace_event(self, kind: str, ch: Channel, msg: dict, previous: dict | None) -> None:
        """A message was stored, edited or deleted (under the lock): the events_api envelope Slack would send
        to an app subscribed to message.channels/groups/im, which it only gets where its bot is a member."""
        ws = self._ws
        if ws.bot_user_id not in ch.members:
            return
        channel_type = "im" if ch.is_im else "mpim" if ch.is_mpim else "group" if ch.is_private else "channel"
        now_ts = ts_str(time.time_ns() // 1000)
        keep = ws.realism.event_metadata  # metadata reaches apps by message_metadata_* events (see Realism)
        if kind == "message":
            event = api.message_event(msg, ch.id, channel_type, ws.team_id, with_metadata=keep)
        elif kind == "message_changed":
            event = {"type": "message", "subtype": "message_changed", "hidden": True, "channel": ch.id,
                     "message": api.copy_message(msg, with_metadata=keep),
                     "previous_message": api.copy_message(previous or {}, with_metadata=keep),
                     "event_ts": now_ts, "ts": now_ts, "channel_type": channel_type}
        else:
            event = {"type": "message", "subtype": "message_deleted", "hidden": True, "channel": ch.id,
                     "deleted_ts": msg["ts"], "previous_message": api.copy_message(msg, with_metadata=keep),
                     "event_ts": now_ts,
                     "ts": now_ts, "channel_type": channel_type}
        app_id = ws.users[ws.bot_user_id].app_id or "A0SANDBOX"
        self.socket_mode.publish("events_api", event_payload(event, team_id=ws.team_id, app_id=app_id,
                                                             bot_user_id=ws.bot_user_id))

    def _upload_wsgi(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith("/upload/") and request.method == "POST":
            response = self._upload(request, request.path[len("/upload/"):], environ)
        else:
            response = Response("Not Found", status=404, mimetype="text/plain")
        return response(environ, start_response)

    def _stamp(self) -> _Stamp:
        with self._lock:
            return _Stamp(time.time(), self._generation, self._ws)

    def _record(self, stamp: _Stamp, method: str, params: dict, token: str | None, status: int,  # noqa: PLR0917
                body: dict | None) -> None:
        ok = bool(body and body.get("ok"))
        error = None if ok or body is None else body.get("error")
        with self._lock:
            if stamp.generation == self._generation:
                self._calls.append(Call(method, params, token, status, ok, error, stamp.time))

    def _fault_response(self, stamp: _Stamp, method: str, params: dict, token: str | None,
                        environ: dict) -> Response | None:
        """Apply the next scripted fault for this call; None means answer normally."""
        fault = self.faults.take(method)
        if fault is None:
            return None
        return self._apply_fault(fault, stamp, method, params, token, environ)

    def _apply_fault(self, fault: Any, stamp: _Stamp, method: str, params: dict,  # noqa: PLR0917
                     token: str | None, environ: dict) -> Response | None:
        if fault.on_fire is not None:
            fault.on_fire()
        if fault.kind == "delay":
            time.sleep(fault.delay)
            return None
        if fault.kind == "drop":
            self._record(stamp, method, params, token, 0, None)
            _drop_connection(environ)
        if fault.kind == "ratelimit":
            body = {"ok": False, "error": "ratelimited"}
            self._record(stamp, method, params, token, 429, body)
            response = _json_response(body, status=429)
            response.headers["Retry-After"] = str(int(fault.retry_after))
            response.headers["X-Sandbox-Retry-After-Seconds"] = f"{float(fault.retry_after):.3f}"
            return response
        if fault.kind == "http_status":
            body = {"ok": False, "error": fault.error or "internal_error"}
            self._record(stamp, method, params, token, fault.status, body)
            if fault.body == "html":
                return _html_error(fault.status)
            return _json_response(body, status=fault.status)
        body = {"ok": False, "error": fault.error or "internal_error"}
        self._record(stamp, method, params, token, 200, body)
        return _json_response(body)

    def _api(self, request: Request, method: str, environ: dict) -> Response:
        stamp = self._stamp()
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000.0)
        try:
            values, body_token = _read_params(request)
        except api.SlackError as exc:
            body = {"ok": False, "error": exc.error}
            self._record(stamp, method, {}, None, 200, body)
            return _json_response(body)
        token = _bearer(request) or body_token
        params = {k: v for k, v in values.items() if k != "token"}
        fault = self.faults.take(method)
        after_commit = fault if fault is not None and fault.kind == "after_commit" else None
        if fault is not None and after_commit is None:
            faulted = self._apply_fault(fault, stamp, method, params, token, environ)
            if faulted is not None:
                return faulted
        if after_commit is not None and after_commit.on_fire is not None:
            after_commit.on_fire()
        if after_commit is not None and after_commit.then == "late":
            _hold(after_commit.delay)
        if api.is_retired(method):
            body = {"ok": False, "error": "method_deprecated"}
        elif method not in api.METHODS:
            body = {"ok": False, "error": "unknown_method", "req_method": method}
        else:
            channel = values.get("channel") if method == "chat.postMessage" else None
            wait, post_pace = self._limiter.decide(method, token or "", channel=str(channel) if channel else None,
                                                   non_marketplace=self.non_marketplace)
            if wait is not None and post_pace and self._limiter.post_limit_answer == "ok_false":
                # chat.postMessage's own refusal: HTTP 200 with the rate_limited error, no Retry-After.
                body = {"ok": False, "error": "rate_limited"}
                self._record(stamp, method, params, token, 200, body)
                return _json_response(body)
            if wait is not None:
                body = {"ok": False, "error": "ratelimited"}
                self._record(stamp, method, params, token, 429, body)
                response = _json_response(body, status=429)
                response.headers["Retry-After"] = retry_after_header(wait, self.time_scale, self._limiter.fractions)
                response.headers["X-Sandbox-Retry-After-Seconds"] = f"{wait:.3f}"
                return response
            body = self._dispatch(stamp.ws, method, values, token, request.host_url)
        if after_commit is not None:
            return self._after_commit(after_commit, stamp, method, params, token, environ, body)
        self._record(stamp, method, params, token, 200, body)
        return _json_response(body)

    def _after_commit(self, fault: Any, stamp: _Stamp, method: str, params: dict,  # noqa: PLR0917
                      token: str | None, environ: dict, body: dict) -> Response:
        """The call has taken effect; now fail the way ``fault.then`` says."""
        if fault.then == "drop":
            self._record(stamp, method, params, token, 0, body)
            _drop_connection(environ)
        if fault.then == "timeout":
            time.sleep(fault.delay)  # the client has given up by now; the answer goes nowhere
            self._record(stamp, method, params, token, 200, body)
            return _json_response(body)
        if fault.then == "late":   # held before it took effect (see _hold); the client is gone by now
            self._record(stamp, method, params, token, 200, body)
            return _json_response(body)
        self._record(stamp, method, params, token, fault.status, body)
        if fault.body == "html":
            return _html_error(fault.status)
        return _json_response({"ok": False, "error": fault.error or "internal_error"}, status=fault.status)

    def _dispatch(self, ws: Workspace, method: str, values: dict, token: str | None, host_url: str) -> dict:
        with self._lock:
            api.flush_due_shares(ws)
            try:
                if not token:
                    raise api.SlackError("not_authed")
                tok = ws.tokens.get(token)
                if tok is None:
                    raise api.SlackError("invalid_auth")
                if tok.revoked:
                    raise api.SlackError("token_revoked")
                user = ws.users[tok.user_id]
                if user.deleted:
                    raise api.SlackError("account_inactive")
                ctx = api.Context(ws, tok, user, api.Params(values), host_url, float(self.share_delay),
                                  bool(self.non_marketplace), ws.realism, self.upload_base_url)
                result = api.METHODS[method](ctx)
            except api.SlackError as exc:
                return {"ok": False, "error": exc.error, **exc.extra}
            # Encode now, under the lock, so later changes cannot race the response.
            return json.loads(json.dumps({"ok": True, **result}))

    def _upload(self, request: Request, file_id: str, environ: dict) -> Response:
        stamp = self._stamp()
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000.0)
        fault = self.faults.take("upload")
        after_commit = fault if fault is not None and fault.kind == "after_commit" else None
        if fault is not None and after_commit is None:
            faulted = self._apply_fault(fault, stamp, "upload", {"file_id": file_id}, None, environ)
            if faulted is not None:
                return faulted
        if after_commit is not None and after_commit.then == "late":
            _hold(after_commit.delay)
        if request.mimetype == "multipart/form-data":
            parts = list(request.files.values())
            data = parts[0].read() if parts else (request.form.get("file") or "").encode("utf-8")
        else:
            data = request.get_data(cache=False)
        params = {"file_id": file_id, "length": len(data)}
        with self._lock:
            rec = stamp.ws.files.get(file_id)
            if rec is None or rec.completed:
                self._record(stamp, "upload", params, None, 404, {"ok": False, "error": "file_not_found"})
                return Response("Not Found", status=404, mimetype="text/plain")
            rec.data = data
        if after_commit is not None:
            return self._after_commit(after_commit, stamp, "upload", params, None, environ, {"ok": True})
        self._record(stamp, "upload", params, None, 200, {"ok": True})
        return Response(f"OK - {len(data)}", status=200, mimetype="text/plain")


def _json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type=JSON_TYPE)


def _html_error(status: int) -> Response:
    reason = HTTP_STATUS_CODES.get(status, "Error")
    return Response(HTML_ERROR_PAGE.format(status=status, reason=reason), status=status,
                    content_type="text/html; charset=utf-8")


def _hold(seconds: float) -> None:
    """Keep a request waiting before it takes effect, as a slow Slack does: the write happens ``seconds`` after
    the request arrived, whether or not its client still waits. Each request has its own thread in the threaded
    server, so every other call is answered meanwhile."""
    threading.Event().wait(seconds)


def _drop_connection(environ: dict) -> None:
    """Close the client's connection without an answer."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    # werkzeug treats a ConnectionError from the app as a dropped connection and sends nothing.
    raise ConnectionAbortedError("sandbox fault: connection dropped")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _read_params(request: Request) -> tuple[dict, str | None]:
    """Arguments from the query string and the body; the token only counts from a form body."""
    values: dict[str, Any] = dict(request.args.items())
    values.pop("token", None)  # Slack refuses query-string tokens
    body_token = None
    if request.mimetype == "application/json":
        raw = request.get_data(cache=True)
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise api.SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise api.SlackError("json_not_object")
            body.pop("token", None)  # JSON bodies must authenticate with the Authorization header
            values.update(body)
    else:
        form = dict(request.form.items())
        body_token = form.pop("token", None)
        values.update(form)
    return values, body_token


def _channel_snapshot(ch: Channel) -> dict:
    return {"id": ch.id, "name": ch.name, "is_private": ch.is_private, "is_archived": ch.is_archived,
            "is_general": ch.is_general, "members": list(ch.members), "created": ch.created,
            "creator": ch.creator, "topic": ch.topic, "purpose": ch.purpose,
            "bookmarks": [dict(m) for m in ch.bookmarks], "pins": list(ch.pins)}


def _channel_messages(ch: Channel) -> list[dict]:
    out = []
    for msg in ch.messages:
        if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
            continue  # a reply broadcast to the channel: listed under its parent
        copy = api.copy_message(msg)
        copy["replies"] = [api.copy_message(r) for r in ch.replies.get(msg["ts"], [])]
        out.append(copy)
    return out


__all__ = ["Call", "SlackSandbox"]
