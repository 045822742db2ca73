"""The forms of the sandbox's pages, as HTML: the person picker, what a chosen person may do on a channel page
(post, reply, edit, delete, click) and the notice of the last action. Their handlers are in html_actions.py."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .html_common import NOBODY, PREFIX, channel_href, esc, slack_unescape

if TYPE_CHECKING:
    from .html_actions import Viewer


def hidden_fields(**fields: str) -> str:
    return "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in fields.items())


class Forms:
    """The forms a chosen person gets on a channel page; each posts to /_sandbox/actions/<op> with the
    sandbox's CSRF token, the channel and the person (the handlers are in html_actions.py)."""

    def __init__(self, viewer: Viewer, channel_id: str) -> None:
        self.viewer = viewer
        self.channel_id = channel_id

    def _open(self, op: str, hook: str, css: str, **fields: str) -> str:
        person = self.viewer.person["name"] if self.viewer.person else NOBODY
        return (f'<form method="post" action="{PREFIX}/actions/{op}" class="{css}" {hook}>'
                + hidden_fields(csrf=self.viewer.csrf, channel=self.channel_id, **{"as": person}, **fields))

    def compose(self, label: str) -> str:
        """The message box at the bottom; ``label`` is the conversation as shown ("#general", "Alice, Bob"). A
        line starting with "/" runs a slash command, as in Slack; the shortcuts menu sits beside it."""
        return ('<div class="composer">' + self.shortcuts_menu() + self._open("post", "data-compose", "compose")
                + f'<textarea name="text" rows="3" placeholder="Message {esc(label)}"></textarea>'
                  '<button type="submit" class="send">Send</button></form></div>')

    def reply(self, ts: str) -> str:
        return (self._open("reply", f'data-reply="{esc(ts)}"', "reply-form", thread_ts=ts)
                + '<textarea name="text" rows="1" placeholder="Reply…"></textarea>'
                  '<button type="submit">Reply</button></form>')

    def edit_and_delete(self, ts: str, text: str) -> str:
        return ('<div class="own">'
                + self._open("edit", f'data-edit="{esc(ts)}"', "edit-form", ts=ts)
                + f'<textarea name="text" rows="1">{esc(slack_unescape(text))}</textarea>'
                  '<button type="submit">Save edit</button></form>'
                + self._open("delete", f'data-delete="{esc(ts)}"', "delete-form", ts=ts)
                + '<button type="submit" class="danger">Delete</button></form></div>')

    def click(self, ts: str, buttons: str) -> str:
        return self._open("click", "data-click", "actions", ts=ts) + buttons + "</form>"

    def message_menu(self, ts: str) -> str:
        """A message's menu (Slack's "More actions", then "More message shortcuts…"): the app's message
        shortcuts, each a button that sends it for this message. Nothing when the app registered none."""
        shortcuts = self.viewer.message_shortcuts
        if not shortcuts:
            return ""
        items = "".join(
            f'<button type="submit" name="callback_id" value="{esc(s["callback_id"])}" '
            f'data-message-shortcut="{esc(s["callback_id"])}" title="{esc(s.get("description", ""))}">'
            f'{esc(s["name"])}<span class="app-name">{esc(self.viewer.app_name)}</span></button>'
            for s in shortcuts)
        return (f'<details class="msg-menu" data-message-menu="{esc(ts)}"><summary title="More actions">⋯</summary>'
                + self._open("message_shortcut", "", "menu", ts=ts)
                + f'<div class="menu-head">Message shortcuts</div>{items}</form></details>')

    def shortcuts_menu(self) -> str:
        """The composer's shortcuts menu (Slack's lightning bolt): the app's global shortcuts."""
        shortcuts = self.viewer.global_shortcuts
        if shortcuts:
            items = "".join(
                f'<button type="submit" name="callback_id" value="{esc(s["callback_id"])}" '
                f'data-global-shortcut="{esc(s["callback_id"])}" title="{esc(s.get("description", ""))}">'
                f'{esc(s["name"])}<span class="app-name">{esc(self.viewer.app_name)}</span></button>'
                for s in shortcuts)
        else:
            items = '<div class="menu-empty">The app has no global shortcuts.</div>'
        return ('<details class="shortcuts-menu" data-shortcuts-menu><summary title="Shortcuts">⚡</summary>'
                + self._open("shortcut", "", "menu")
                + f'<div class="menu-head">Shortcuts</div>{items}</form></details>')


def person_picker(viewer: Viewer, here: str) -> str:
    """Who you are: the person picker (a GET form; the choice is kept in a cookie)."""
    current = viewer.person["name"] if viewer.person else NOBODY
    options = []
    for person in viewer.people:
        label = person["shown"] + (" (guest)" if person.get("is_restricted") else "")
        selected = " selected" if person["name"] == current else ""
        options.append(f'<option value="{esc(person["name"])}"{selected}>{esc(label)}</option>')
    options.append(f'<option value="{NOBODY}"{" selected" if current == NOBODY else ""}>nobody</option>')
    shown = (f'{esc(viewer.person["shown"])} <span class="handle">@{esc(viewer.person["name"])}</span>'
             if viewer.person else "nobody")
    return (f'<div class="you">You are <span data-current-person="{esc(current)}">{shown}</span></div>'
            f'<form class="person" method="get" action="{esc(here)}" data-person>'
            f'<select name="as" aria-label="Act as">{"".join(options)}</select>'
            '<button type="submit">Switch</button></form>')


# What a refused action's error code means, for the person who clicked (Slack's method pages).
_ERROR_HINTS = {
    "not_in_channel": "you are not a member of this channel",
    "channel_not_found": "this channel does not exist for you (a private channel you are not in)",
    "is_archived": "the channel is archived: nobody can post in it",
    "cant_update_message": "only the author can edit a message",
    "cant_delete_message": "only the author can delete a message",
    "message_not_found": "the message is gone",
    "no_text": "there is nothing to send",
    "not_authed": "choose a person first",
    "invalid_auth": "choose a person first",
    "restricted_action": "a workspace setting keeps you from posting here",
    "user_is_restricted": "guests may not do this",
    "msg_too_long": "the message is too long",
    "ratelimited": "too many calls: wait and try again",
    "rate_limited": "too many messages in this channel: wait and try again",
    "action_not_found": "the message no longer has this button",
    "thread_not_found": "the thread is gone",
    "view_not_found": "the modal is already closed",
    "invalid_option": "pick one of the menu's options",
    "app_did_not_answer": "the app did not answer within 3 seconds (Slack keeps the modal open and shows an error)",
}
_OP_METHODS = {"post": "chat.postMessage", "reply": "chat.postMessage (reply)", "edit": "chat.update",
               "delete": "chat.delete", "click": "a button click", "command": "the slash command",
               "message_shortcut": "the message shortcut", "shortcut": "the shortcut",
               "submit_view": "the modal's submit", "close_view": "closing the modal"}
# op -> (what the person did, the payload the app got): the notice after an action sent to the app.
_SENT = {"click": ("clicked", "block_actions"), "command": ("ran", "slash_commands"),
         "message_shortcut": ("picked the message shortcut", "message_action"),
         "shortcut": ("picked the shortcut", "shortcut")}


def not_a_valid_command(command: str) -> str:
    """What Slack's client says when a message starts with "/" but names no command the workspace has."""
    return (f"{command} is not a valid command. In Slack, all messages that start with the \"/\" character are "
            "interpreted as commands.")


def notice_banner(notice: dict, channel_id: str) -> str:
    """The refusal of the last action, shown as Slack's error code; or where a click, a command or a shortcut
    went."""
    op = notice.get("op")
    if notice.get("ok"):
        if op not in _SENT:
            return ""
        did, payload = _SENT[op]
        return (f'<div class="info" data-notice>{esc(notice.get("person"))} {did} '
                f'<code>{esc(notice.get("action_id"))}</code>: the app got it as <code>{payload}</code> '
                f'(envelope <code>{esc(notice.get("envelope_id"))}</code>). '
                f'<a href="{esc(channel_href(channel_id))}">Reload</a> to see its answer.</div>')
    code = str(notice.get("error"))
    if code == "not_a_valid_command":
        return (f'<div class="error" role="alert" data-error="{esc(code)}">'
                f'{esc(not_a_valid_command(str(notice.get("action_id"))))}</div>')
    hint = _ERROR_HINTS.get(code, "")
    extra = []
    if notice.get("needed"):
        extra.append(f'needed <code>{esc(notice["needed"])}</code>')
    for problem in (notice.get("errors") or [])[:5]:
        extra.append(esc(problem if isinstance(problem, str) else json.dumps(problem)))
    return (f'<div class="error" role="alert">{esc(_OP_METHODS.get(op, op))} as '
            f'{esc(notice.get("person"))} was refused: <code data-error="{esc(code)}">{esc(code)}</code>'
            f'{" — " + esc(hint) if hint else ""}{"; " + "; ".join(extra) if extra else ""}</div>')


__all__ = ["Forms", "not_a_valid_command", "notice_banner", "person_picker"]
