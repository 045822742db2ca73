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
        """The message box at the bottom; ``label`` is the conversation as shown ("#general", "Alice, Bob")."""
        return (self._open("post", "data-compose", "compose")
                + f'<textarea name="text" rows="3" placeholder="Message {esc(label)}"></textarea>'
                  '<button type="submit" class="send">Send</button></form>')

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
}
_OP_METHODS = {"post": "chat.postMessage", "reply": "chat.postMessage (reply)", "edit": "chat.update",
               "delete": "chat.delete", "click": "a button click"}


def notice_banner(notice: dict, channel_id: str) -> str:
    """The refusal of the last action, shown as Slack's error code; or where a click went."""
    if notice.get("ok"):
        return (f'<div class="info" data-notice>{esc(notice.get("person"))} clicked '
                f'<code>{esc(notice.get("action_id"))}</code>: the app got it as <code>block_actions</code> '
                f'(envelope <code>{esc(notice.get("envelope_id"))}</code>). '
                f'<a href="{esc(channel_href(channel_id))}">Reload</a> to see its answer.</div>')
    code = str(notice.get("error"))
    hint = _ERROR_HINTS.get(code, "")
    extra = []
    if notice.get("needed"):
        extra.append(f'needed <code>{esc(notice["needed"])}</code>')
    for problem in (notice.get("errors") or [])[:5]:
        extra.append(esc(problem if isinstance(problem, str) else json.dumps(problem)))
    return (f'<div class="error" role="alert">{esc(_OP_METHODS.get(notice.get("op"), notice.get("op")))} as '
            f'{esc(notice.get("person"))} was refused: <code data-error="{esc(code)}">{esc(code)}</code>'
            f'{" — " + esc(hint) if hint else ""}{"; " + "; ".join(extra) if extra else ""}</div>')


__all__ = ["Forms", "notice_banner", "person_picker"]
