"""`make screenshots`: every picture in doc/screenshots/ retaken from the running product, through the browser.

Starts what `make try` starts (both sandboxes, `resilient-circuits run` with the Socket Mode listener, the demo
incident), then plays the demo's story in headless Chromium as a person would — the SOAR sandbox's incident page
and the Slack sandbox's channel view, clicked — and pictures each page on the way. Next to the pictures it
writes doc/screenshots/pages.json: for each picture, a SHA-256 of the page as the code draws it (its DOM and
styles, with what varies from run to run — ports, Slack ids and ts, times, SOAR object numbers — replaced), so
that tests/browser/test_pictures_fresh.py can tell when the committed pictures are older than the code.

Usage (from the repository root):

    make screenshots                        # the same as the next line, in the project's .venv
    python tools/screenshots.py             # writes doc/screenshots/*.png and pages.json
    python tools/screenshots.py --out DIR   # somewhere else

Needs Chromium (Debian: ``apt-get install -y chromium``, or ``make chromium``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the sandbox package lives in the repository, not in site-packages

from playwright.sync_api import Browser, Page  # noqa: E402

from tools.browser_pages import (  # noqa: E402
    SlackView,
    SoarPage,
    chromium_browser,
    content_hash,
    drawn,
    find_chromium,
    new_page,
    normalise,
    submit,
)

if TYPE_CHECKING:
    from sandbox.try_it import TryStack

OUT = ROOT / "doc" / "screenshots"
PAGES_FILE = "pages.json"
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")

# The demo's story (the names and words of `make demo`).
POST_INCIDENT = "Example: Post Incident to Slack"
POST_TASK = "Example: Post Task to Slack"
ASK_QUESTION = "Example: Ask a Question in Slack"
ARCHIVE_TASK = "Example: Archive Task Slack Channel"
KEEP_IN_STEP = "Example: Keep Slack Channel in Step"
POST_TEXT = "New phishing incident, please join"
TASK_TEXT = "Please reset these passwords today"
ALICE_REPLY = "I'll take a look asap."
BOB_MESSAGE = "Blocked the sender domain on the gateway."
CAROL_MESSAGE = "All 3 passwords reset."
QUESTION = "Block invoices-example.net for good?"
ANSWER = "Yes"
VERIFIED_NOTE = "Verified Slack answer: Yes by Alice Adams"
SEND_TO_SOAR = "Send to SOAR"
STATUS_COMMAND = "/soar status"
DECLARE_CALLBACK = "declare_incident"


@dataclass(frozen=True)
class Picture:
    """One picture: its file name, what it shows, and the hash of the page as the code draws it."""

    name: str
    shows: str
    sha256: str
    drawn: str = field(repr=False, compare=False)  # the normalised page text the hash is of


@dataclass
class Pictures:
    """The pictures of one run of the story; with ``out`` set, each is also written there as a PNG."""

    out: Path | None
    names: dict[int, str]
    taken: list[Picture] = field(default_factory=list)

    def take(self, page: Page, name: str, shows: str, selector: str | None = None) -> None:
        """Picture ``page`` (or its part ``selector``) as ``name``."""
        assert name not in {p.name for p in self.taken}, f"{name} pictured twice"
        text = normalise(drawn(page, selector), self.names)
        self.taken.append(Picture(name, shows, content_hash(text), text))
        if self.out is not None:
            target = self.out / name
            if selector:
                page.locator(selector).first.screenshot(path=str(target))
            else:
                page.screenshot(path=str(target), full_page=True)

    def write_drawn(self, folder: Path) -> None:
        """Each picture's page as the hash sees it (``<name>.txt``): to see what changed between two runs."""
        folder.mkdir(parents=True, exist_ok=True)
        for picture in self.taken:
            (folder / f"{picture.name}.txt").write_text(picture.drawn, encoding="utf-8")

    def as_json(self) -> dict:
        return {"about": "Written by make screenshots, checked by tests/browser/test_pictures_fresh.py: for each "
                         "picture, the SHA-256 of its page as the code draws it (DOM and styles, with ports, ids, "
                         "ts and times replaced). A test failing on it means: run make screenshots.",
                "pictures": {p.name: {"shows": p.shows, "sha256": p.sha256} for p in self.taken}}


def play(stack: TryStack, browser: Browser, out: Path | None = None,
         log: Callable[[str], None] = lambda _line: None) -> Pictures:
    """The demo's story, clicked in the browser, with a picture at each step (the same every run)."""
    slack = stack.slack
    incident = stack.incident_id
    pictures = Pictures(out, {incident: "incident"})
    soar = SoarPage(new_page(browser), stack.soar_page_url)
    view = SlackView(new_page(browser), stack.slack_view_url)
    email = {name: slack.user(name)["profile"]["email"] for name in ("alice", "bob", "carol")}
    incident_channel, task_channel = f"inc-{incident}-phishing", f"inc-{incident}-password-resets"

    pictures.take(soar.open(), "soar-incident.png",
                  "The demo incident on the SOAR sandbox's page: tasks, notes, artifacts, attachments, menu items")
    action = soar.click_menu_item(
        POST_INCIDENT, {"rule_slack_channel": incident_channel, "rule_slack_is_channel_private": False,
                        "rule_slack_participant_emails": f"{email['alice']}, {email['bob']}",
                        "rule_slack_text": POST_TEXT},
        on_form=lambda page: pictures.take(page, "soar-post-incident-form.png",
                                           f"The activation form of {POST_INCIDENT}, filled in",
                                           "form[data-activation]"))
    _succeeded(action, POST_INCIDENT, log)
    action = soar.click_menu_item(
        POST_TASK, {"rule_slack_channel": task_channel, "rule_slack_is_channel_private": True,
                    "rule_slack_participant_emails": email["carol"], "rule_slack_text": TASK_TEXT},
        within=soar.first_task())
    _succeeded(action, POST_TASK, log)

    view.open_channel(incident_channel, "alice")
    view.reply(view.message(POST_TEXT), ALICE_REPLY)
    view.open_channel(incident_channel, "bob")
    view.post(BOB_MESSAGE)
    pictures.take(view.page, "slack-incident-channel.png",
                  "The incident channel in the Slack sandbox's view: fn_slack's post, Alice's thread reply, Bob")
    view.open_channel(task_channel, "carol")
    view.post(CAROL_MESSAGE)
    pictures.take(view.page, "slack-task-channel.png", "The task's private channel, as Carol sees it")
    log("people wrote in Slack")

    soar.wait_for_note(ALICE_REPLY)
    soar.wait_for_note(BOB_MESSAGE)
    pictures.take(soar.page, "soar-mirrored-notes.png",
                  "The incident's notes on the SOAR page: what Alice and Bob wrote in Slack, mirrored",
                  'section[data-section="notes"]')

    act_from_slack(stack, view, incident_channel, pictures, log)
    keep_in_step(soar, view, incident_channel, pictures, log)

    action = soar.click_menu_item(ASK_QUESTION, {"rule_slack_question": QUESTION, "rule_slack_question_options":
                                                 "Yes|No", "rule_slack_participant_emails": email["alice"]})
    _succeeded(action, ASK_QUESTION, log)
    view.open_channel(incident_channel, "alice")
    question = view.message(QUESTION)
    pictures.take(view.page, "slack-question.png", "The question in Slack with its buttons, as Alice (asked) sees it",
                  f'div.msg[data-ts="{question.get_attribute("data-ts")}"]')
    ts = question.get_attribute("data-ts")
    view.click_button(question, ANSWER)
    view.wait_for_answered(ts, ANSWER)
    pictures.take(view.page, "slack-question-answered.png", "The question after Alice clicked Yes",
                  f'div.msg[data-ts="{ts}"]')
    log("Alice answered the question")

    row = soar.wait_for_row("slack_questions_db", "slack_q_status", "answered")
    assert soar.cell(row, "slack_q_answer").inner_text().strip() == ANSWER
    soar.wait_for_note(VERIFIED_NOTE)   # SOAR's automatic playbook on the answered row, then nothing running
    soar.wait_until_idle()
    pictures.take(soar.page, "soar-question-answered.png",
                  "The incident's data tables on the SOAR page: the question's row, answered by Alice",
                  'section[data-section="tables"]')

    action = soar.click_menu_item(ARCHIVE_TASK, {}, within=soar.first_task())
    _succeeded(action, ARCHIVE_TASK, log)
    view.open_channel(task_channel, "carol")
    pictures.take(view.page, "slack-archived-channel.png",
                  "The task channel after Example: Archive Task Slack Channel")
    pictures.take(view.open_index("alice"), "slack-channels.png", "The Slack sandbox's channel list")
    pictures.take(soar.wait_until_idle(), "soar-incident-after.png",
                  "The incident on the SOAR page at the end: every click's status messages and result, the notes, "
                  "the data tables")
    return pictures


def act_from_slack(stack: TryStack, view: SlackView, channel: str, pictures: Pictures,
                   log: Callable[[str], None]) -> None:
    """Bob, a member of the incident in SOAR (make try makes him one), sends Alice's reply to SOAR from its menu
    and asks for the status."""
    slack, incident = stack.slack, stack.incident_id
    view.open_channel(channel, "bob")
    reply = view.message(ALICE_REPLY)
    reply.locator("details[data-message-menu] summary").first.click()   # the menu, open for the picture
    pictures.take(view.page, "slack-send-to-soar-menu.png",
                  f"A message's menu in Slack offering the app's shortcut {SEND_TO_SOAR}, as Bob sees it")
    view.message_shortcut(reply, SEND_TO_SOAR)
    view.wait_for_ephemeral(f"Sent to incident {incident} as a note")
    view.command(STATUS_COMMAND)
    status = view.wait_for_ephemeral(stack.soar.state.incident(incident)["name"])
    pictures.take(view.page, "slack-soar-status.png", f"The answer to {STATUS_COMMAND}, which only Bob sees",
                  f'div.eph[data-ts="{status.get_attribute("data-ts")}"]')
    log(f"Bob used {SEND_TO_SOAR} and {STATUS_COMMAND}")
    declare = [s for s in slack.actions.shortcuts_of("global") if s["callback_id"] == DECLARE_CALLBACK]
    if declare:   # the app's global shortcut that opens a modal, once its manifest registers it
        menu = view.open_shortcuts()
        submit(view.page, menu.locator(f'button[data-global-shortcut="{DECLARE_CALLBACK}"]'))
        view.modal()
        pictures.take(view.page, "slack-declare-incident-modal.png",
                      f"The modal of the shortcut {declare[0]['name']}, as Bob sees it", "section[data-modal]")
        view.close_modal()


def keep_in_step(soar: SoarPage, view: SlackView, channel: str, pictures: Pictures,
                 log: Callable[[str], None]) -> None:
    """The incident's menu item turns keeping in step on: the channel shows the topic, bookmark and summary."""
    _succeeded(soar.click_menu_item(KEEP_IN_STEP, {}), KEEP_IN_STEP, log)
    view.open_channel(channel, "alice")
    pictures.take(view.page, "slack-channel-in-step.png",
                  f"The incident channel after {KEEP_IN_STEP}: the topic, the bookmark to the incident and the "
                  "pinned summary")


def _succeeded(action: object, what: str, log: Callable[[str], None]) -> None:
    assert getattr(action, "state", None) == "succeeded", f"{what} did not succeed:\n{action}"
    log(f"{what}: succeeded")


def write(pictures: Pictures, staged: Path, out: Path) -> None:
    """Move the pictures of ``staged`` into ``out``, remove the pictures no longer taken, write pages.json."""
    out.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in pictures.taken}
    for old in out.glob("*.png"):
        if old.name not in names:
            old.unlink()
            print(f"removed {old} (no longer taken)")
    for picture in pictures.taken:
        shutil.move(str(staged / picture.name), out / picture.name)
        print(f"{out / picture.name} ({(out / picture.name).stat().st_size // 1024} KB)")
    (out / PAGES_FILE).write_text(json.dumps(pictures.as_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{out / PAGES_FILE}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(OUT), help="folder for the PNG files and pages.json")
    parser.add_argument("--drawn", help="also write each page as its hash sees it to this folder (<picture>.txt)")
    parser.add_argument("--chromium", help="path of the Chromium binary (default: chromium on PATH)")
    args = parser.parse_args(argv)

    chromium = (args.chromium if Path(args.chromium).exists() else shutil.which(args.chromium)) if args.chromium \
        else find_chromium()
    if chromium is None:
        print("Chromium not found" + (f" at {args.chromium}" if args.chromium else " on PATH") +
              ". Install it (Debian/Ubuntu: make chromium, or apt-get update && apt-get install -y chromium) or "
              "pass --chromium /path/to/chromium.", file=sys.stderr)
        return 2
    for name in _PROXY_VARS:  # slack_sdk ignores NO_PROXY: 127.0.0.1 traffic must not go to a proxy
        os.environ.pop(name, None)
    from sandbox.try_it import TryStack  # noqa: PLC0415 - starts make try's stack: loaded only when needed

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fn-slack-screenshots-") as work:
        staged = Path(work) / "pictures"
        staged.mkdir()
        (Path(work) / "stack").mkdir()
        with TryStack(Path(work) / "stack") as stack, chromium_browser(chromium) as browser:
            print(f"make try's stack is up ({time.monotonic() - started:.0f} s); playing the demo in Chromium")
            pictures = play(stack, browser, staged, log=lambda line: print(f"  {line}"))
        write(pictures, staged, Path(args.out))
        if args.drawn:
            pictures.write_drawn(Path(args.drawn))
    print(f"{len(pictures.taken)} pictures in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
