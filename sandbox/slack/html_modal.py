"""The modal an app opened for the person looking (``views.open``), drawn over the channel page as Slack draws
it: its title, its blocks (input blocks with their labels, hints, "(optional)" and the error Slack or the app
put under them), its submit and close buttons. Submit and close post to /_sandbox/actions/ (html_actions.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .html_common import NOBODY, PREFIX, esc

# Slack's client, when a required input of a modal is left blank: the modal stays open, nothing is sent.
REQUIRED_ERROR = "Please complete this required field."
DEFAULT_SUBMIT, DEFAULT_CLOSE = "Submit", "Cancel"   # the labels Slack shows when the view names none


def input_fields(view: dict) -> list[tuple[str, str, str, dict]]:
    """The modal's input blocks as (form field name, block_id, action_id, element), in order. The form names
    its fields by position, so that ids holding any character never reach an attribute name."""
    fields = []
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input":
            element = block.get("element") if isinstance(block.get("element"), dict) else {}
            fields.append((f"input{len(fields)}", str(block.get("block_id") or ""),
                           str(element.get("action_id") or ""), element))
    return fields


def blank_required(view: dict, values: dict[str, dict[str, Any]]) -> dict[str, str]:
    """{block_id: Slack's error} for each required input left blank in ``values``."""
    errors = {}
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and not block.get("optional"):
            element = block.get("element") if isinstance(block.get("element"), dict) else {}
            given = (values.get(str(block.get("block_id") or "")) or {}).get(str(element.get("action_id") or ""))
            if given is None or str(given).strip() == "":
                errors[str(block.get("block_id") or "")] = REQUIRED_ERROR
    return errors


class Modal:
    """One open modal of the person, as HTML; ``blocks`` draws the non-input blocks as the channel page does,
    ``text`` a plain_text or mrkdwn object."""

    def __init__(self, csrf: str, person: str | None, channel_id: str, blocks: Callable[[list], str],
                 text: Callable[[Any], str]) -> None:
        self.csrf = csrf
        self.person = person or NOBODY
        self.channel_id = channel_id
        self.blocks = blocks
        self.text = text

    def _hidden(self, **fields: str) -> str:
        every = {"csrf": self.csrf, "channel": self.channel_id, "as": self.person, **fields}
        return "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in every.items())

    def render(self, entry: dict, draft: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> str:
        """The modal ``entry`` (``{"id", "view", "errors"}``): ``draft`` are the values the person typed before a
        refused submit (by form field name), ``errors`` Slack's own errors (by block_id) over the app's."""
        view = entry.get("view") or {}
        view_id = str(entry.get("id") or "")
        shown_errors = {**(entry.get("errors") or {}), **(errors or {})}
        names = {block_id: (name, action_id, element) for name, block_id, action_id, element in input_fields(view)}
        body = []
        for block in view.get("blocks") or []:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "input":
                block_id = str(block.get("block_id") or "")
                name, _, element = names[block_id]
                value = (draft or {}).get(name)
                body.append(self._input(block, name, element, value, shown_errors.get(block_id)))
            else:
                body.append(self.blocks([block]))
        has_inputs = bool(names)
        submit = view.get("submit")
        close = view.get("close")
        close_label = self.text(close) if close else esc(DEFAULT_CLOSE)
        form_id = f"modal-{view_id}"
        buttons = (f'<form method="post" action="{PREFIX}/actions/close_view" data-modal-close-form>'
                   f'{self._hidden(view_id=view_id)}<button type="submit" data-modal-close>{close_label}</button>'
                   '</form>')
        if submit or has_inputs:
            label = self.text(submit) if submit else esc(DEFAULT_SUBMIT)
            buttons += (f'<button type="submit" form="{esc(form_id)}" class="btn primary" data-modal-submit>'
                        f'{label}</button>')
        title = self.text(view.get("title"))
        return (f'<div class="modal-backdrop"><section class="modal" role="dialog" aria-modal="true" '
                f'aria-label="{esc((view.get("title") or {}).get("text", ""))}" data-modal="{esc(view_id)}" '
                f'data-callback-id="{esc(view.get("callback_id") or "")}">'
                f'<header class="modal-head"><h2 data-modal-title>{title}</h2></header>'
                f'<form method="post" action="{PREFIX}/actions/submit_view" id="{esc(form_id)}" data-modal-form>'
                f'{self._hidden(view_id=view_id)}<div class="modal-body">{"".join(body)}</div></form>'
                f'<footer class="modal-foot">{buttons}</footer></section></div>')

    def _input(self, block: dict, name: str, element: dict, value: str | None, error: str | None) -> str:
        label = self.text(block.get("label"))
        optional = '<span class="optional">(optional)</span>' if block.get("optional") else ""
        kind = element.get("type")
        placeholder = esc((element.get("placeholder") or {}).get("text", "")) if isinstance(
            element.get("placeholder"), dict) else ""
        invalid = ' aria-invalid="true"' if error else ""
        if kind == "static_select":
            chosen = value if value is not None else ((element.get("initial_option") or {}).get("value"))
            options = [f'<option value="">{placeholder or "Select an item"}</option>']
            for option in element.get("options") or []:
                if isinstance(option, dict):
                    selected = " selected" if option.get("value") == chosen else ""
                    options.append(f'<option value="{esc(option.get("value", ""))}"{selected}>'
                                   f'{self.text(option.get("text"))}</option>')
            field = f'<select name="{esc(name)}" id="{esc(name)}"{invalid}>{"".join(options)}</select>'
        elif kind == "plain_text_input":
            text = value if value is not None else str(element.get("initial_value") or "")
            if element.get("multiline"):
                field = (f'<textarea name="{esc(name)}" id="{esc(name)}" rows="4" placeholder="{placeholder}"'
                         f'{invalid}>{esc(text)}</textarea>')
            else:
                field = (f'<input type="text" name="{esc(name)}" id="{esc(name)}" value="{esc(text)}" '
                         f'placeholder="{placeholder}"{invalid}>')
        else:
            field = f'<span class="element">[{esc(kind or "element")}]</span>'
        hint = f'<div class="hint-text">{self.text(block.get("hint"))}</div>' if block.get("hint") else ""
        shown_error = f'<div class="input-error" role="alert" data-input-error>{esc(error)}</div>' if error else ""
        return (f'<div class="input-block" data-block-id="{esc(block.get("block_id") or "")}">'
                f'<label for="{esc(name)}">{label} {optional}</label>{field}{shown_error}{hint}</div>')


__all__ = ["DEFAULT_CLOSE", "DEFAULT_SUBMIT", "REQUIRED_ERROR", "Modal", "blank_required", "input_fields"]
