"""Seed a demo Slack sandbox through fn_slack's own code and screenshot its HTML view with headless Chromium.

Usage (from the repository root):

    make screenshots                            # the same as the next line, in the project's .venv
    python tools/screenshots.py                 # writes doc/screenshots/slack-sandbox-*.png
    python tools/screenshots.py --out DIR       # somewhere else
    python tools/screenshots.py --serve         # seed, print the page URLs and serve until Ctrl-C

Needs Chromium (Debian: ``apt-get install chromium``) unless --serve is given. This is a documentation tool,
not part of ``make test``; but what it posts in fn_slack's name is: every message and file of the seeding is
recorded (:class:`SeededPost`), and tests/functions/test_screenshot_seeding.py posts the same slack_text through
the real slack_post_message / slack_post_attachment functions and fails when the two differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the sandbox package lives in the repository, not in site-packages

from slack_sdk import WebClient  # noqa: E402

from fn_slack.lib.message_format import render_message  # noqa: E402
from fn_slack.lib.messages import ARCHIVE_NOTICE as NOTICE  # noqa: E402
from fn_slack.lib.settings import SlackSettings, soar_link_builder  # noqa: E402
from fn_slack.lib.slack_client import SlackClient  # noqa: E402
from fn_slack.lib.slack_uploads import SlackUploads  # noqa: E402
from fn_slack.lib.slack_vocabulary import Channel  # noqa: E402
from sandbox.slack import SlackSandbox  # noqa: E402

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_TIMEOUT = 90
SOAR_OPTS = {"resilient": {"host": "soar.example.com", "port": 443}}
SOAR_ORG_ID = 201
INCIDENT_ID = 2095
TASK_ID = 7
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")

WORKSPACE = {
    "team": {"id": "T0ACMESOC1", "name": "acme-soc", "domain": "acme-soc"},
    "bot": {"name": "fn_slack", "real_name": "SOAR"},
    "users": [
        {"name": "alice", "email": "alice@acme.example", "real_name": "Alice Adams", "display_name": "Alice"},
        {"name": "bob", "email": "bob@acme.example", "real_name": "Bob Brown", "display_name": "Bob (IR)"},
        {"name": "carol", "email": "carol@acme.example", "real_name": "Carol Clark", "display_name": "Carol"},
    ],
    "channels": [
        {"name": "general", "is_general": True, "members": ["alice", "bob", "carol"],
         "purpose": "Company-wide announcements"},
        {"name": "soc-leads", "is_private": True, "members": ["alice", "carol"],
         "purpose": "Shift hand-over for the SOC leads"},
    ],
}


@dataclass(frozen=True)
class SeededPost:
    """One thing the seeding posted in fn_slack's name, as a function call would have been asked to."""

    channel_id: str
    ts: str
    slack_text: str
    file_name: str | None = None  # a file upload (slack_post_attachment of an artifact's file) ...
    file_data: bytes | None = None  # ... with these bytes


# What slack_post_attachment titles an artifact's file (funct_slack_post_attachment).
ARTIFACT_FILE_TITLE = "Incident ID {incident_id} Artifact Attachment: {name}"


@dataclass(frozen=True)
class Shot:
    """One screenshot: the file name, the page path and the window height that fits the page."""

    name: str
    path: str
    height: int


def find_chromium(explicit: str | None) -> str | None:
    if explicit:
        return explicit if Path(explicit).exists() or shutil.which(explicit) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _hours_ago_ms(hours: float) -> int:
    return int((time.time() - hours * 3600) * 1000)


def seed(sb: SlackSandbox, posted: list[SeededPost] | None = None) -> dict[str, str]:
    """Fill the sandbox the way fn_slack would during an incident; returns channel ids by role.

    fn_slack's messages are rendered and posted by the code the functions use; each is added to ``posted``."""
    posted = [] if posted is None else posted
    settings = SlackSettings.from_app_configs({"api_token": sb.default_token, "slack_api_url": sb.base_url})
    slack = SlackClient(settings)
    uploads = SlackUploads(slack, share_wait=5)
    link = soar_link_builder(SOAR_OPTS, SOAR_ORG_ID)
    people = {name: sb.user(name)["id"] for name in ("alice", "bob", "carol")}
    for name, uid in people.items():
        sb.add_token(f"xoxp-demo-{name}", ["chat:write", "channels:history", "groups:history"], kind="user",
                     user_id=uid)

    def person(name: str) -> WebClient:
        return WebClient(token=f"xoxp-demo-{name}", base_url=sb.base_url, timeout=10)

    def post_container(channel: Channel, container: dict) -> str:
        slack_text = json.dumps(container, ensure_ascii=False)
        message = render_message(slack_text, link)
        ts = slack.post_message(channel, message.text, attachments=message.attachments,
                                username=settings.username).ts
        posted.append(SeededPost(channel.id, ts, slack_text))
        return ts

    def upload_artifact_file(channel: Channel, data: bytes, name: str, comment: str) -> None:
        title = ARTIFACT_FILE_TITLE.format(incident_id=INCIDENT_ID, name=name)
        uploaded = uploads.upload_file(channel, data, name, title, initial_comment=comment)
        posted.append(SeededPost(channel.id, uploaded.share_ts or "", comment, file_name=name, file_data=data))

    general = sb.channel("general")["id"]
    person("carol").chat_postMessage(channel=general, text="Reminder: the quarterly phishing drill starts "
                                                           "on Monday. Questions go to <#" + general + ">.")

    # An older incident whose channel was archived from SOAR, as slack_archive_channel does it.
    old = slack.create_channel("incident-2071", is_private=False)
    slack.invite_by_email(old, ["bob@acme.example"])
    post_container(old, {
        "Additional Text": {"type": "string", "data": "Closing this one, the scan was authorised."},
        "Resilient URL": {"type": "incident", "data": 2071},
        "Type of data": {"type": "string", "data": "Incident"},
        "Incident name": {"type": "string", "data": "Port scan from 10.20.0.15"},
        "Severity": {"type": "string", "data": "Low"},
    })
    slack.post_message(old, NOTICE, username=settings.username)
    slack.archive(old)

    # The incident channel: created and populated by the example workflows.
    channel = slack.create_channel(f"incident-{INCIDENT_ID}", is_private=False)
    slack.invite_by_email(channel, ["alice@acme.example", "bob@acme.example"])
    incident_ts = post_container(channel, {
        "Additional Text": {"type": "string",
                            "data": f"Please have a look <@{people['alice']}>, the mail reached 14 mailboxes."},
        "Resilient URL": {"type": "incident", "data": INCIDENT_ID},
        "Type of data": {"type": "string", "data": "Incident"},
        "Incident ID": {"type": "number", "data": INCIDENT_ID},
        "Incident name": {"type": "string", "data": "Phishing: \"Invoice overdue\" <billing@examp1e.com>"},
        "Description": {"type": "richtext", "data": (
            "<p>User reported a <b>phishing</b> e-mail with a macro attachment. "
            "See the <a href=\"https://wiki.acme.example/ir/phishing\">phishing playbook</a>.</p>"
            "<p>The attachment was opened on <i>WS-0231</i>.</p>")},
        "Incident Types": {"type": "string", "data": "Phishing, Malware"},
        "NIST Attack Vectors": {"type": "string", "data": "E-mail"},
        "Confirmed": {"type": "boolean", "data": True},
        "Date Created": {"type": "datetime", "data": _hours_ago_ms(2.5)},
        "Date Discovered": {"type": "datetime", "data": _hours_ago_ms(3)},
        "Severity": {"type": "string", "data": "High"},
    })
    person("alice").chat_postMessage(channel=channel.id, thread_ts=incident_ts,
                                     text="On it. Blocking the sender domain at the gateway now.")
    person("bob").chat_postMessage(channel=channel.id, thread_ts=incident_ts,
                                   text="WS-0231 is isolated. Pulling a memory image, ETA _30 min_.")
    post_container(channel, {
        "Additional Text": {"type": "string", "data": ""},
        "Resilient URL": {"type": "incident", "data": INCIDENT_ID},
        "Type of data": {"type": "string", "data": "Artifact"},
        "Type": {"type": "string", "data": "URL"},
        "Value": {"type": "string", "data": "https://examp1e-billing.com/invoice?id=8812&ref=mail"},
        "Description": {"type": "richtext", "data": "<p>Link in the mail body; resolves to 185.220.101.4</p>"},
        "Created": {"type": "datetime", "data": _hours_ago_ms(1)},
    })
    report = (b"timestamp,host,process,action\n"
              b"2026-11-27T09:12:44Z,WS-0231,WINWORD.EXE,spawned powershell.exe\n"
              b"2026-11-27T09:12:45Z,WS-0231,powershell.exe,connect 185.220.101.4:443\n")
    upload_artifact_file(channel, report, "edr-timeline.csv", "EDR timeline of WS-0231, from the incident in SOAR.")
    person("alice").chat_postMessage(channel=channel.id, text=(
        "Sender domain blocked. `examp1e-billing.com` added to the *deny list*; "
        "no further deliveries since <!date^" + str(int(time.time()) - 1200) + "^{date_num} {time_secs}|earlier>."))

    # The task channel of one of the incident's tasks.
    task = slack.create_channel(f"incident-{INCIDENT_ID}-task-{TASK_ID}", is_private=True)
    slack.invite_by_email(task, ["bob@acme.example"])
    post_container(task, {
        "Additional Text": {"type": "string", "data": f"<@{people['bob']}> this one is yours."},
        "Resilient URL": {"type": "incident", "data": f"{INCIDENT_ID}?task_id={TASK_ID}"},
        "Type of data": {"type": "string", "data": "Task"},
        "Task name": {"type": "string", "data": "Collect memory image of WS-0231"},
        "Instructions": {"type": "richtext", "data": "<ol><li>Isolate the host</li><li>Run the collector</li></ol>"},
        "Due date": {"type": "datetime", "data": _hours_ago_ms(-4)},
    })
    return {"incident": channel.id, "task": task.id, "archived": old.id, "general": general}


def take(chromium: str, url: str, target: Path, height: int) -> None:
    """Screenshot one page; raises RuntimeError with Chromium's own words when it fails."""
    with tempfile.TemporaryDirectory(prefix="fn-slack-chromium-") as profile:
        command = [chromium, "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size=1280,{height}",
                   f"--screenshot={target}", url]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(2, "--no-sandbox")  # Chromium refuses to start as root with its sandbox on
        if target.exists():
            target.unlink()
        result = subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT,  # noqa: S603
                                check=False)
    if result.returncode != 0 or not target.exists():
        raise RuntimeError(f"Chromium could not screenshot {url} (exit {result.returncode}):\n{result.stderr[-2000:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "doc" / "screenshots"), help="folder for the PNG files")
    parser.add_argument("--chromium", help="path of the Chromium (or Chrome) binary")
    parser.add_argument("--serve", action="store_true", help="seed and serve the pages until Ctrl-C; no screenshots")
    args = parser.parse_args(argv)

    chromium = None
    if not args.serve:
        chromium = find_chromium(args.chromium)
        if chromium is None:
            print("Chromium not found" + (f" at {args.chromium}" if args.chromium else " on PATH") +
                  ". Install it (Debian/Ubuntu: apt-get update && apt-get install -y chromium) or pass "
                  "--chromium /path/to/chromium.", file=sys.stderr)
            return 2

    for name in _PROXY_VARS:  # slack_sdk ignores NO_PROXY: 127.0.0.1 traffic must not go to a proxy
        os.environ.pop(name, None)
    with SlackSandbox(WORKSPACE) as sb:
        ids = seed(sb)
        base = f"http://127.0.0.1:{sb.port}/_sandbox"
        shots = [
            Shot("slack-sandbox-channels.png", "/", 420),
            Shot("slack-sandbox-incident-channel.png", f"/channels/{ids['incident']}", 1000),
            Shot("slack-sandbox-task-channel.png", f"/channels/{ids['task']}", 420),
            Shot("slack-sandbox-archived-channel.png", f"/channels/{ids['archived']}", 440),
        ]
        if args.serve:
            print(f"Slack sandbox pages: {base}/  (Ctrl-C stops)")
            for shot in shots:
                print(f"  {base}{shot.path}")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            target = out / shot.name
            try:
                take(chromium, base + shot.path, target, shot.height)
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as err:
                print(f"Screenshot {shot.name} failed: {err}", file=sys.stderr)
                return 1
            print(f"{target} ({target.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
