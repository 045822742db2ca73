"""The two sandbox pages as a person uses them in a real browser: the SOAR sandbox's incident page and the Slack
sandbox's channel view, driven by headless Chromium through Playwright.

Only the page hooks the pages promise are used (data-* attributes and form field names: the page contract in
sandbox/soar/README.md and sandbox/slack/README.md); what a step does is what a person's click does. Used by
tests/browser (the clicks, the freshness of the pictures) and tools/screenshots.py (the pictures).

Playwright drives the system's Chromium (Debian: ``apt-get install -y chromium``, or ``make chromium``); it never
downloads a browser of its own."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

# How long one step may take before it fails: an action runs a workflow through resilient-circuits, a mirrored
# message waits for the Socket Mode listener; CI machines are slow and shared.
STEP_TIMEOUT_MS = 60_000
# How long each look at a page waits before the page is loaded again (pages that do not refresh themselves).
LOOK_MS = 1_000
VIEWPORT = {"width": 1280, "height": 900}


def find_chromium() -> str | None:
    """The system's Chromium, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def chromium_browser(executable: str) -> Iterator[Browser]:
    """One headless Chromium for a session (``--no-sandbox``: it refuses to start as root with its sandbox)."""
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


def new_page(browser: Browser) -> Page:
    """A fresh browser tab of its own (own cookies: the Slack view's person), the size the pictures have."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context.new_page()


def submit(page: Page, button: Locator) -> None:
    """Click a button that submits its form, and wait for the page the server answers with."""
    with page.expect_navigation(wait_until="load"):
        button.click()


def reload_until_visible(page: Page, locator: Locator, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Wait until ``locator`` shows on a page that does not refresh itself: look for a second, load it again."""
    looks = max(1, timeout_ms // LOOK_MS)
    for _ in range(looks - 1):
        try:
            expect(locator.first).to_be_visible(timeout=LOOK_MS)
            return
        except AssertionError:
            page.reload(wait_until="load")
    expect(locator.first).to_be_visible(timeout=LOOK_MS)


@dataclass(frozen=True)
class Action:
    """One click's record on the SOAR page: its id and how it ended, with its status messages and result."""

    action_id: str
    state: str
    status_messages: list[str]
    result: str

    def __str__(self) -> str:
        lines = [f"action {self.action_id}: {self.state}"] + [f"  {m}" for m in self.status_messages]
        return "\n".join(lines + ([f"  result: {self.result}"] if self.result else []))


class SoarPage:
    """The SOAR sandbox's incident page in one tab: menu items and playbooks clicked with their activation forms,
    and what the incident holds (notes, data tables) read back."""

    def __init__(self, page: Page, incident_url: str) -> None:
        self.page = page
        self.incident_url = incident_url

    def open(self) -> Page:
        self.page.goto(self.incident_url, wait_until="load")
        return self.page

    def section(self, name: str) -> Locator:
        return self.page.locator(f'section[data-section="{name}"]')

    def task(self, name: str) -> Locator:
        """A task of the incident by its name."""
        return self.section("tasks").locator("[data-task-id]").filter(has_text=name).first

    def first_task(self) -> Locator:
        return self.section("tasks").locator("[data-task-id]").first

    def click_menu_item(self, rule: str, fields: dict[str, str | bool | None] | None = None,
                        within: Locator | None = None, on_form: Callable[[Page], None] | None = None) -> Action:
        """Click the menu item ``rule`` (on the incident, or on the object ``within``), fill its activation form
        with ``fields`` (api name → value; booleans and None for the yes/no/blank selects; ``on_form`` sees the
        filled form) and wait for the action to finish."""
        return self._run(f'button[data-menu-item="{rule}"]', fields, within, on_form)

    def run_playbook(self, playbook: str, fields: dict[str, str | bool | None] | None = None,
                     within: Locator | None = None, on_form: Callable[[Page], None] | None = None) -> Action:
        return self._run(f'button[data-playbook="{playbook}"]', fields, within, on_form)

    def _run(self, button: str, fields: dict[str, str | bool | None] | None, within: Locator | None,
             on_form: Callable[[Page], None] | None) -> Action:
        self.open()
        before = set(self._action_ids())
        scope = within if within is not None else self.section("actions")
        submit(self.page, scope.locator(button))
        form = self.page.locator("form[data-activation]")
        if fields or form.count():
            self._fill(form, fields or {})
            if on_form is not None:
                on_form(self.page)
            submit(self.page, form.locator("button[type=submit]"))
        answer = f"{self.page.url}: {' '.join(self.page.locator('main').all_inner_texts())[:500]}"
        new = [a for a in self._action_ids() if a not in before]
        if not new:  # the answer was an action page elsewhere: the incident page lists the click
            self.open()
            new = [a for a in self._action_ids() if a not in before]
        assert len(new) == 1, f"one new action expected, found {new}; the page answered {answer}"
        return self.wait_for_action(new[0])

    def _fill(self, form: Locator, fields: dict[str, str | bool | None]) -> None:
        expect(form).to_be_visible()
        for name, value in fields.items():
            field = form.locator(f'[name="{name}"]')
            tag = field.evaluate("element => element.tagName.toLowerCase()")
            if tag == "select":
                _choose(field, value)
            else:
                field.fill("" if value is None else str(value))

    def _action_ids(self) -> list[str]:
        return self.page.locator("[data-action-id]").evaluate_all(
            "elements => elements.map(element => element.getAttribute('data-action-id'))")

    def wait_for_action(self, action_id: str) -> Action:
        """Wait until the click ``action_id`` is no longer running (its page refreshes itself meanwhile)."""
        element = self.page.locator(f'[data-action-id="{action_id}"]')
        expect(element).not_to_have_attribute("data-state", "running", timeout=STEP_TIMEOUT_MS)
        result = element.locator("pre[data-result]")
        return Action(action_id, element.get_attribute("data-state") or "",
                      [m.strip() for m in element.locator("li[data-status-message]").all_inner_texts()],
                      result.first.inner_text() if result.count() else "")

    def wait_until_idle(self) -> Page:
        """The incident page once no click on it is running (automatic playbooks included)."""
        self.open()
        expect(self.page.locator('[data-action-id][data-state="running"]')).to_have_count(0)
        return self.page

    def note(self, text: str) -> Locator:
        return self.section("notes").locator("article[data-note-id]").filter(has_text=text)

    def wait_for_note(self, text: str) -> Locator:
        """The incident's note holding ``text``, waited for (notes mirrored from Slack arrive on their own)."""
        self.open()
        reload_until_visible(self.page, self.note(text))
        return self.note(text).first

    def rows(self, table: str) -> Locator:
        return self.section("tables").locator(f'table[data-table="{table}"] tr[data-row-id]')

    def cell(self, row: Locator, column: str) -> Locator:
        return row.locator(f'td[data-column="{column}"]')

    def wait_for_row(self, table: str, column: str, value: str) -> Locator:
        """The row of the data table ``table`` whose ``column`` shows ``value``, waited for."""
        self.open()
        row = self.rows(table).filter(has=self.page.locator(f'td[data-column="{column}"]', has_text=value))
        reload_until_visible(self.page, row)
        return row.first


def _choose(select: Locator, value: str | bool | None) -> None:
    """Pick a yes/no/blank select's option by its value or its label, whichever the page uses."""
    if value is None:
        wanted = [""]
    elif isinstance(value, bool):
        wanted = ["yes", "Yes", "true", "True"] if value else ["no", "No", "false", "False"]
    else:
        wanted = [value]
    options = select.locator("option").evaluate_all(
        "options => options.map(option => [option.value, option.textContent.trim()])")
    for choice in wanted:
        for option_value, label in options:
            if choice in (option_value, label):
                select.select_option(value=option_value)
                return
    raise AssertionError(f"the select {select} offers no option {wanted[0]!r}: {options}")


def _open_menu(menu: Locator) -> None:
    """Open a menu drawn as ``<details>`` (a click on its summary), unless it is open already."""
    if menu.get_attribute("open") is None:
        menu.locator("summary").first.click()
    expect(menu).to_have_attribute("open", "")


class SlackView:
    """The Slack sandbox's channel view in one tab, as a chosen person (the view's person picker, ``?as=``)."""

    def __init__(self, page: Page, view_url: str) -> None:
        self.page = page
        self.view_url = view_url.rstrip("/") + "/"

    def open_channel(self, channel: str, person: str) -> Page:
        """The channel page (by id or name) as ``person``."""
        self.page.goto(f"{self.view_url}channels/{channel}?as={person}", wait_until="load")
        expect(self.page.locator("[data-current-person]").first).to_contain_text(person, ignore_case=True)
        return self.page

    def open_index(self, person: str) -> Page:
        self.page.goto(f"{self.view_url}?as={person}", wait_until="load")
        return self.page

    def message(self, text: str) -> Locator:
        """The channel's message (or reply) holding ``text``: its innermost ``div.msg``."""
        return self.page.locator("div.msg").filter(has_text=text).filter(
            has_not=self.page.locator("div.msg").filter(has_text=text)).first

    def post(self, text: str) -> Locator:
        compose = self.page.locator("form[data-compose]")
        compose.locator('textarea[name="text"]').fill(text)
        submit(self.page, compose.locator("button[type=submit]"))
        self.expect_no_error()
        expect(self.message(text)).to_be_visible()
        return self.message(text)

    def reply(self, parent: Locator, text: str) -> Locator:
        """Reply in the thread of the message ``parent``."""
        ts = parent.get_attribute("data-ts")
        form = self.page.locator(f'form[data-reply="{ts}"]')
        form.locator('textarea[name="text"]').fill(text)
        submit(self.page, form.locator("button[type=submit]"))
        self.expect_no_error()
        reply = self.page.locator(f'[data-thread-ts="{ts}"]').filter(has_text=text)
        expect(reply.first).to_be_visible()
        return reply.first

    def click_button(self, message: Locator, label: str) -> None:
        """Click the Block Kit button ``label`` of ``message`` as the current person."""
        submit(self.page, message.locator("button[data-action-id]").filter(has_text=label).first)
        self.expect_no_error()

    def wait_for_answered(self, ts: str, answer: str) -> Locator:
        """The question ``ts`` once fn_slack has replaced its buttons with the answer."""
        answered = self.page.locator(f'div.msg[data-ts="{ts}"]:not(:has(button[data-action-id]))').filter(
            has_text=answer)
        reload_until_visible(self.page, answered)
        return answered.first

    def message_shortcut(self, message: Locator, name: str) -> None:
        """Pick the app's message shortcut ``name`` from the menu of ``message`` (its "⋯")."""
        menu = message.locator("details[data-message-menu]").first
        _open_menu(menu)
        submit(self.page, menu.locator("button[data-message-shortcut]").filter(has_text=name).first)
        self.expect_no_error()

    def open_shortcuts(self) -> Locator:
        """The composer's shortcuts menu (Slack's lightning bolt), opened."""
        menu = self.page.locator("details[data-shortcuts-menu]")
        _open_menu(menu)
        return menu

    def command(self, line: str) -> None:
        """Type a slash command (``/soar status``) in the composer and send it."""
        compose = self.page.locator("form[data-compose]")
        compose.locator('textarea[name="text"]').fill(line)
        submit(self.page, compose.locator("button[type=submit]"))
        self.expect_no_error()

    def wait_for_ephemeral(self, text: str) -> Locator:
        """The app's message only the current person sees holding ``text``, waited for."""
        answer = self.page.locator("[data-ephemeral]").filter(has_text=text)
        reload_until_visible(self.page, answer)
        return answer.first

    def modal(self) -> Locator:
        """The modal the app opened for the current person, waited for."""
        modal = self.page.locator("[data-modal]")
        reload_until_visible(self.page, modal)
        return modal.first

    def fill_modal(self, fields: dict[str, str]) -> None:
        """Fill the modal's inputs by their labels: text typed, a select's option chosen by its label."""
        for label, value in fields.items():
            block = self.modal().locator(".input-block").filter(has=self.page.locator("label", has_text=label))
            field = block.locator("input, textarea, select").first
            if field.evaluate("element => element.tagName.toLowerCase()") == "select":
                field.select_option(label=value)
            else:
                field.fill(value)

    def submit_modal(self) -> None:
        submit(self.page, self.modal().locator("[data-modal-submit]"))
        self.expect_no_error()

    def close_modal(self) -> None:
        submit(self.page, self.modal().locator("[data-modal-close]"))
        self.expect_no_error()

    def expect_no_error(self) -> None:
        errors = self.page.locator("[data-error]")
        assert not errors.count(), f"the Slack view refused: {errors.all_inner_texts()}"


# ----- what a page draws, as text and as a hash ---------------------------------------------------------------

# The page (or one part of it) as the code draws it: every element's tag, classes and attributes, every text, and
# the page's style rules; form tokens left out. Runs in the page.
_DRAWN_JS = """
(root) => {
  const lines = [];
  const walk = (node, depth) => {
    const pad = ' '.repeat(depth);
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.textContent.replace(/\\s+/g, ' ').trim();
      if (text) lines.push(pad + '"' + text + '"');
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const tag = node.tagName.toLowerCase();
    if (tag === 'script') return;
    const attrs = [];
    const secret = (node.getAttribute('name') || '') === 'csrf';
    for (const attr of Array.from(node.attributes).sort((a, b) => a.name.localeCompare(b.name))) {
      attrs.push(attr.name + '=' + JSON.stringify(secret && attr.name === 'value' ? '<csrf>' : attr.value));
    }
    if (['input', 'textarea', 'select'].includes(tag) && !secret) attrs.push('current=' + JSON.stringify(node.value));
    lines.push(pad + '<' + tag + (attrs.length ? ' ' + attrs.join(' ') : '') + '>');
    if (tag === 'style') return;
    for (const child of node.childNodes) walk(child, depth + 1);
  };
  walk(root, 0);
  const rules = [];
  for (const sheet of Array.from(document.styleSheets)) {
    try { for (const rule of Array.from(sheet.cssRules)) rules.push(rule.cssText); }
    catch (e) { rules.push('unreadable stylesheet ' + sheet.href); }
  }
  return lines.join('\\n') + '\\n/* styles */\\n' + rules.join('\\n');
}
"""

# What differs from one run to the next although the code draws the same page; each becomes a placeholder.
_VARYING: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\]):\d+"), "<host>"),
    (re.compile(r"\b\d{9,10}\.\d{1,12}\.[0-9a-f]{32}\b"), "<trigger-id>"),              # Slack trigger ids
    (re.compile(r"\baction/\d{5}…[0-9a-f]{6}\b"), "action/<trigger-id>"),              # ... cut to their ends
    (re.compile(r"\b\d{9,10}\.\d{6}\b"), "<ts>"),                                   # Slack message ts
    (re.compile(r"(?<!\d)\d{16}(?!\d)"), "<ts>"),                                    # ts without its dot (links)
    (re.compile(r"\b1\d{12}\b"), "<epoch-ms>"),                                     # SOAR times
    (re.compile(r"\b1\d{9}\b"), "<epoch>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"), "<time>"),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AP]M)?(?:\s?UTC)?", re.IGNORECASE), "<time>"),
    (re.compile(r"\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? )?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov"
                r"|Dec)[a-z]* \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?"), "<date>"),
    (re.compile(r"\b[ABCDFGSUV][A-Z0-9]{10}\b"), "<slack-id>"),                     # channel, user, file, view ids
    (re.compile(r"\bBk[A-Za-z0-9]{8,}\b"), "<bookmark-id>"),                          # Slack bookmark ids
    (re.compile(r"(?<=…)[0-9a-f]{4,12}\b"), "<hex>"),                               # a digest cut to its end
    (re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds?|minutes?|min)\b(?: ago)?"), "<duration>"),
    (re.compile(r'"execution_time_ms": \d+'), '"execution_time_ms": <ms>'),           # a result's metrics
    (re.compile(r'"host": "[^"]*"'), '"host": "<host>"'),
    (re.compile(rf"\b{re.escape(socket.gethostname())}:\d+\b"), "<server>"),        # an integration server
    (re.compile(r"\bv1\.[A-Za-z0-9_.=-]+…[A-Za-z0-9_.=-]+"), "<seal>"),              # a seal cut to its ends
    (re.compile(r"\bv1\.[A-Za-z0-9_.=-]+"), "<seal>"),                              # fn_slack's row seals
    (re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12,64}\b"), "<hex>"),    # tokens, question ids
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
]


def drawn(page: Page, selector: str | None = None) -> str:
    """The page, or its part ``selector``, as the code draws it (DOM structure, attributes, text, styles)."""
    root = page.locator(selector).first if selector else page.locator("body")
    return root.evaluate(_DRAWN_JS)


_OBJECT_ID = re.compile(r'data-[a-z-]*id="(\d{3,})"')


def normalise(text: str, names: dict[int, str] | None = None) -> str:
    """``text`` with what varies from run to run replaced by placeholders: ports, Slack ts and ids, times,
    durations and tokens; the SOAR numbers in ``names`` (number → name, e.g. the incident's) by their name, and
    every other SOAR object number a page's ``data-*-id`` attributes carry by its order of first appearance (a
    mirrored message's bookkeeping takes numbers from the same counter as the objects shown)."""
    for pattern, placeholder in _VARYING:
        text = pattern.sub(placeholder, text)
    named = dict(names or {})
    for found in _OBJECT_ID.finditer(text):
        number = int(found.group(1))
        if number not in named:
            named[number] = f"id-{len(named) + 1}"
    for number, name in sorted(named.items(), key=lambda item: -len(str(item[0]))):
        text = re.sub(rf"(?<![\d.]){number}(?!\d)", f"<{name}>", text)
    return text


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
