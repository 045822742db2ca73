"""Block Kit validation as Slack does it for messages: the block and element types a message may hold and the
published limits, with each problem named by a JSON pointer into the request.

Slack refuses a message whose blocks break a rule with ``{"ok": false, "error": "invalid_blocks", "errors":
[...], "response_metadata": {"messages": ["[ERROR] ... [json-pointer:/blocks/0/text/text]"]}}``; the sandbox
answers the same shape. Limits (Slack's Block Kit reference, one page per block and element, and the
composition objects page): a message at most 50 blocks; ``block_id`` and ``action_id`` at most 255
characters; a section's text 3,000 characters, its fields at most 10 of 2,000 each, and either text or
fields; a header's plain text 150; an actions block 1 to 25 elements; a context block 1 to 10 elements
(images and text objects); a button's text (plain text) 75, its value 2,000 and its url 3,000, its style
``primary`` or ``danger``; an image's url 3,000 and its alt text 2,000; a markdown block's text 12,000; a text
object's text at least one character; an input block's label 2,000.
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50
MAX_ID = 255
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ALT_TEXT = 2000
MAX_MARKDOWN_TEXT = 12000
MAX_LABEL = 2000
TEXT_TYPES = ("plain_text", "mrkdwn")
BUTTON_STYLES = ("primary", "danger")
# Interactive elements (Block Kit reference, "Block elements"); images are elements only of sections and contexts.
INTERACTIVE_ELEMENTS = frozenset({
    "button", "checkboxes", "datepicker", "datetimepicker", "email_text_input", "external_select",
    "multi_static_select", "multi_external_select", "multi_users_select", "multi_conversations_select",
    "multi_channels_select", "number_input", "overflow", "plain_text_input", "radio_buttons", "rich_text_input",
    "static_select", "users_select", "conversations_select", "channels_select", "timepicker", "url_text_input",
    "workflow_button", "file_input", "feedback_buttons", "icon_button",
})


class _Check:
    """Collects the problems of one blocks array, each as ``"<what> [json-pointer:<where>]"``."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, pointer: str, what: str) -> None:
        self.errors.append(f"{what} [json-pointer:{pointer}]")

    def string(self, node: dict, key: str, pointer: str, *, maximum: int, required: bool = False) -> None:
        value = node.get(key)
        if value is None:
            if required:
                self.fail(f"{pointer}/{key}", "missing required field")
            return
        if not isinstance(value, str):
            self.fail(f"{pointer}/{key}", "must be a string")
        elif len(value) > maximum:
            self.fail(f"{pointer}/{key}", f"must be less than {maximum + 1} characters")

    def text(self, node: Any, pointer: str, *, maximum: int, plain_only: bool = False) -> None:
        """A text composition object: ``plain_text`` or ``mrkdwn`` with 1 to ``maximum`` characters."""
        if not isinstance(node, dict):
            self.fail(pointer, "must be a text object")
            return
        kind = node.get("type")
        allowed = ("plain_text",) if plain_only else TEXT_TYPES
        if kind not in allowed:
            self.fail(f"{pointer}/type", f"must be one of {', '.join(allowed)}")
        value = node.get("text")
        if not isinstance(value, str):
            self.fail(f"{pointer}/text", "missing required field")
        elif not value:
            self.fail(f"{pointer}/text", "must be more than 0 characters")
        elif len(value) > maximum:
            self.fail(f"{pointer}/text", f"must be less than {maximum + 1} characters")

    def items(self, node: dict, key: str, pointer: str, *, minimum: int, maximum: int) -> list:
        value = node.get(key)
        if not isinstance(value, list):
            self.fail(f"{pointer}/{key}", "must be an array" if value is not None else "missing required field")
            return []
        if len(value) < minimum:
            self.fail(f"{pointer}/{key}", f"must provide at least {minimum} items")
        elif len(value) > maximum:
            self.fail(f"{pointer}/{key}", f"no more than {maximum} items allowed")
        return value

    # ----- elements ------------------------------------------------------------------------------------------
    def element(self, node: Any, pointer: str, *, images: bool) -> None:
        if not isinstance(node, dict):
            self.fail(pointer, "must be an object")
            return
        kind = node.get("type")
        if kind == "image" and images:
            self.image(node, pointer, block=False)
            return
        if kind not in INTERACTIVE_ELEMENTS:
            self.fail(f"{pointer}/type", f"unsupported type: {kind}")
            return
        self.string(node, "action_id", pointer, maximum=MAX_ID)
        if kind == "button":
            self.text(node.get("text"), f"{pointer}/text", maximum=MAX_BUTTON_TEXT, plain_only=True)
            self.string(node, "value", pointer, maximum=MAX_BUTTON_VALUE)
            self.string(node, "url", pointer, maximum=MAX_URL)
            if "style" in node and node["style"] not in BUTTON_STYLES:
                self.fail(f"{pointer}/style", f"must be one of {', '.join(BUTTON_STYLES)}")

    def image(self, node: dict, pointer: str, *, block: bool) -> None:
        if node.get("image_url") is None and node.get("slack_file") is None:
            self.fail(f"{pointer}/image_url", "missing required field")
        self.string(node, "image_url", pointer, maximum=MAX_URL)
        self.string(node, "alt_text", pointer, maximum=MAX_ALT_TEXT, required=True)
        if block and "title" in node:
            self.text(node["title"], f"{pointer}/title", maximum=MAX_ALT_TEXT, plain_only=True)

    # ----- blocks --------------------------------------------------------------------------------------------
    def block(self, node: Any, pointer: str) -> None:
        if not isinstance(node, dict):
            self.fail(pointer, "must be an object")
            return
        self.string(node, "block_id", pointer, maximum=MAX_ID)
        kind = node.get("type")
        check = BLOCKS.get(kind) if isinstance(kind, str) else None
        if check is None:
            self.fail(f"{pointer}/type", f"unsupported type: {kind}" if kind is not None else "missing required field")
            return
        check(self, node, pointer)

    def section(self, node: dict, pointer: str) -> None:
        if node.get("text") is None and node.get("fields") is None:
            self.fail(pointer, "must provide either text or fields")
        if node.get("text") is not None:
            self.text(node["text"], f"{pointer}/text", maximum=MAX_SECTION_TEXT)
        if node.get("fields") is not None:
            for i, field in enumerate(self.items(node, "fields", pointer, minimum=1, maximum=MAX_SECTION_FIELDS)):
                self.text(field, f"{pointer}/fields/{i}", maximum=MAX_FIELD_TEXT)
        if node.get("accessory") is not None:
            self.element(node["accessory"], f"{pointer}/accessory", images=True)

    def header(self, node: dict, pointer: str) -> None:
        self.text(node.get("text"), f"{pointer}/text", maximum=MAX_HEADER_TEXT, plain_only=True)

    def actions(self, node: dict, pointer: str) -> None:
        for i, element in enumerate(self.items(node, "elements", pointer, minimum=1, maximum=MAX_ACTIONS_ELEMENTS)):
            self.element(element, f"{pointer}/elements/{i}", images=False)

    def context(self, node: dict, pointer: str) -> None:
        for i, element in enumerate(self.items(node, "elements", pointer, minimum=1, maximum=MAX_CONTEXT_ELEMENTS)):
            where = f"{pointer}/elements/{i}"
            if isinstance(element, dict) and element.get("type") == "image":
                self.image(element, where, block=False)
            else:
                self.text(element, where, maximum=MAX_SECTION_TEXT)

    def divider(self, node: dict, pointer: str) -> None:
        return None

    def image_block(self, node: dict, pointer: str) -> None:
        self.image(node, pointer, block=True)

    def markdown(self, node: dict, pointer: str) -> None:
        self.string(node, "text", pointer, maximum=MAX_MARKDOWN_TEXT, required=True)

    def input(self, node: dict, pointer: str) -> None:
        self.text(node.get("label"), f"{pointer}/label", maximum=MAX_LABEL, plain_only=True)
        element = node.get("element")
        if element is None:
            self.fail(f"{pointer}/element", "missing required field")
        else:
            self.element(element, f"{pointer}/element", images=False)

    def loose(self, node: dict, pointer: str) -> None:
        """Blocks whose inner shape the sandbox does not check (rich text as Slack's clients write it, files,
        videos, tables)."""
        return None


BLOCKS = {
    "section": _Check.section, "header": _Check.header, "actions": _Check.actions, "context": _Check.context,
    "divider": _Check.divider, "image": _Check.image_block, "markdown": _Check.markdown, "input": _Check.input,
    "rich_text": _Check.loose, "file": _Check.loose, "video": _Check.loose, "table": _Check.loose,
}


def problems(blocks: list, pointer: str = "/blocks") -> list[str]:
    """Every problem of a message's blocks array (empty: valid), each naming its JSON pointer."""
    check = _Check()
    if len(blocks) > MAX_BLOCKS:
        check.fail(pointer, f"no more than {MAX_BLOCKS} items allowed")
    for i, block in enumerate(blocks):
        check.block(block, f"{pointer}/{i}")
    return check.errors


def attachment_problems(attachments: list) -> list[str]:
    """Problems of the blocks inside legacy attachments (``/attachments/<i>/blocks/...``)."""
    found: list[str] = []
    for i, att in enumerate(attachments):
        if isinstance(att, dict) and isinstance(att.get("blocks"), list):
            found.extend(problems(att["blocks"], f"/attachments/{i}/blocks"))
    return found


__all__ = ["MAX_BLOCKS", "attachment_problems", "problems"]
