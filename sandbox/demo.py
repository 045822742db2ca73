"""`make demo`: fn_slack end to end - both sandboxes, the real resilient-circuits CLI, every example menu item,
each result checked and reported as an analyst would see it.

By default it prints what it checks, one line each; --verbose adds every step of every click and what Slack and
SOAR hold at the end; --keep leaves the sandboxes running to look at and to try resilient-circuits against.
The work directory (app.config, logs) is removed at the end unless --keep or --workdir is given."""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup

from sandbox.demo_lifecycle import Lifecycle, wait
from sandbox.slack import SlackSandbox
from sandbox.slack.socket_mode import APP_TOKEN
from sandbox.soar import SoarSandbox
from sandbox.soar.__main__ import wait_for_stop_signal
from sandbox.soar.circuits import CircuitsProcess, run_cli, write_app_config
from sandbox.soar.driver import ClickResult, SoarDriver
from sandbox.soar.edit_export import edit_pre_script
from sandbox.soar.scripting import default_export_path

QUEUE = "actions.201.slack"
POST_INCIDENT = "Example: Post Incident to Slack"
POST_TASK = "Example: Post Task to Slack"
POST_NOTE = "Example: Post Note to Slack"
POST_ARTIFACT = "Example: Post Artifact to Slack"
POST_ATTACHMENT = "Example: Post Incident / Task Attachment to Slack"
POST_ARTIFACT_FILE = "Example: Post Artifact Attachment to Slack"
ARCHIVE_TASK = "Example: Archive Task Slack Channel"
ARCHIVE_NOTICE = "This channel has been set to be archived from SOAR."
PLAYBOOK_POST_INCIDENT = "example_post_incident_to_slack_pb"
ASK_QUESTION = "Example: Ask a Question in Slack"
MIRROR_LINE = ("\n# Two-way channel: what people write in the linked channel becomes incident notes.\n"
               "inputs.slack_mirror = True\n")

WIDTH = 100


@dataclass
class Check:
    """One thing that must have happened, as a user would notice it."""

    what: str
    ok: bool
    detail: str = ""


def heading(title: str) -> str:
    """One line: a blank line's worth of rule before the part's title, so the plain demo fits a screen."""
    return f"{'=' * 3} {title} {'=' * max(3, WIDTH - len(title) - 5)}"


def strip_html(markup: str) -> str:
    return " ".join(BeautifulSoup(markup or "", "html.parser").get_text(" ").split())


class SlackText:
    """Slack message text as the Slack client shows it: links, mentions and date tokens resolved."""

    _TOKEN = re.compile(r"<([^<>\n]+)>")

    def __init__(self, slack: SlackSandbox) -> None:
        self.slack = slack

    def __call__(self, text: str | None) -> str:
        return html.unescape(self._TOKEN.sub(lambda m: self._token(m.group(1)), text or ""))

    def _token(self, token: str) -> str:
        target, _, label = token.partition("|")
        if target.startswith("!date^"):
            return label or target
        if target.startswith("@"):
            user = self.slack.user(target[1:])
            return "@" + (user.get("display_name") or user.get("name") if user else target[1:])
        if target.startswith("#"):
            channel = self.slack.channel(target[1:])
            return "#" + (channel["name"] if channel else label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return f"{label} <{target}>" if label and label != target else target


class Demo:
    """Runs the whole scenario; every expectation becomes a Check, and the report is printed as it goes."""

    def __init__(self, workdir: Path, out: Any = print, verbose: bool = False) -> None:
        self.workdir = workdir
        self.out = out
        self.verbose = verbose
        self.checks: list[Check] = []
        self.slack: SlackSandbox | None = None
        self.soar: SoarSandbox | None = None
        self.run_process: CircuitsProcess | None = None
        self.driver: SoarDriver | None = None
        self.ids: dict[str, Any] = {}
        self.channels: dict[str, str] = {}

    # ---------------------------------------------------------------- bookkeeping
    def check(self, what: str, ok: Any, detail: str = "") -> bool:
        self.checks.append(Check(what, bool(ok), detail))
        mark = "ok  " if ok else "FAIL"
        self.out(f"    [{mark}] {what}" + (f" - {detail}" if detail and not ok else ""))
        return bool(ok)

    def detail(self, text: str) -> None:
        """Print only with --verbose: the steps behind the checks."""
        if self.verbose:
            self.out(text)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    # ---------------------------------------------------------------- life cycle
    def start(self) -> None:
        self.out(heading("1. Sandboxes and resilient-circuits"))
        self.slack = SlackSandbox().start()
        self.soar = SoarSandbox().start()
        self.driver = SoarDriver(self.soar, timeout=90)
        self.out(f"  Slack sandbox  {self.slack.base_url}  (channel view {self._slack_view_url()})")
        self.out(f"  {self.soar.describe()}")
        self.config = write_app_config(self.workdir, self.soar, self.slack.base_url,
                                       fn_slack={"app_token": APP_TOKEN})
        self.detail(f"  app.config     {self.config}")

        customize = run_cli(self.config, "customize", "-y", "-l", "fn_slack")
        self.detail(f"\n  $ resilient-circuits customize -y -l fn_slack    (exit {customize.returncode}, "
                    f"{customize.elapsed:.1f} s)")
        self.detail(textwrap.indent(_tail(customize.output, 6), "    | "))
        shipped = json.loads(default_export_path().read_text(encoding="utf-8"))
        functions, rules = len(shipped["functions"]), len(shipped["actions"])
        self.check(f"customize imported the slack destination, {functions} functions, {rules} rules and the 3 data "
                   "tables",
                   customize.returncode == 0 and len(self.soar.state.functions) == functions
                   and len(self.soar.state.rules) == rules
                   and {"slack_conversations_db", "slack_messages_db", "slack_questions_db"}
                   <= set(self.soar.state.tables),
                   customize.output[-500:])
        # An administrator turns two-way channels on for the Post Incident workflow: one line in its script.
        self.soar.state.install(_export_with_mirroring())

        selftest = run_cli(self.config, "selftest", "-l", "fn_slack")
        self.detail(f"\n  $ resilient-circuits selftest -l fn_slack    (exit {selftest.returncode}, "
                    f"{selftest.elapsed:.1f} s)")
        self.detail(textwrap.indent(_grep(selftest.output, ("selftest:", "fn_slack")), "    | "))
        self.check("selftest passes with the sandbox bot token", selftest.returncode == 0, selftest.output[-500:])

        self.run_process = CircuitsProcess(self.config, name="run").start()
        subscribed = self.soar.broker.wait_for_consumers(QUEUE, 1, timeout=90)
        self.detail(f"\n  $ resilient-circuits run    (pid {self.run_process.pid}, log {self.run_process.log_path})")
        self.check(f"resilient-circuits run subscribed to {QUEUE}", subscribed, self.run_process.log()[-1500:])
        self.check("its Slack Socket Mode listener connected (app_token set)",
                   self.slack.socket_mode.wait_for_connections(1, timeout=60), self.run_process.log()[-1500:])

    def stop_circuits(self) -> None:
        if self.run_process is not None:
            self.run_process.stop()

    def stop(self) -> None:
        self.stop_circuits()
        if self.soar is not None:
            self.soar.stop()
        if self.slack is not None:
            self.slack.stop()

    def _slack_view_url(self) -> str:
        return self.slack.base_url.replace("/api/", "/_sandbox/")

    # ---------------------------------------------------------------- the incident
    def create_incident(self) -> None:
        self.out(heading("2. The demo incident"))
        now_ms = int(time.time() * 1000)
        incident = self.soar.create_incident(
            "Phishing campaign against Finance",
            "<p>Twelve users in <b>Finance</b> received invoices with a macro. See "
            "<a href='https://intranet.example.com/tickets/4711'>ticket 4711</a>.</p>",
            severity_code="High", confirmed=True, incident_type_ids=["Phishing", "Malware"],
            nist_attack_vectors=["E-mail"], discovered_date=now_ms - 3_600_000, start_date=now_ms - 7_200_000)
        task = self.soar.create_task(incident["id"], "Reset the passwords of affected users",
                                     due_date=now_ms + 86_400_000, owner_id="carol@example.com")
        note = self.soar.add_note(incident["id"], "<p>Mail gateway blocked <b>3</b> more copies. "
                                                  "Sender domain: <i>invoices-example.net</i></p>")
        ip = self.soar.add_artifact(incident["id"], "IP Address", "203.0.113.7", "Sending mail server")
        log = self.soar.add_artifact(incident["id"], "Log File", "mail-gateway.log", "Gateway log excerpt",
                                     file_name="mail-gateway.log", content_type="text/plain",
                                     data=b"2026-11-27T09:12:01Z reject from=billing@invoices-example.net\n")
        malware = self.soar.add_artifact(incident["id"], "Malware Sample", "invoice.xlsm", "The macro document",
                                         file_name="invoice.xlsm", data=b"PK\x03\x04 macro payload")
        mail = self.soar.add_attachment(incident["id"], "reported-mail.eml",
                                        b"From: billing@invoices-example.net\nSubject: Invoice 2026-118\n\n"
                                        b"See attached",
                                        content_type="message/rfc822")
        users = self.soar.add_attachment(incident["id"], "affected-users.csv", b"user\nann\nbert\ncarl\n",
                                         content_type="text/csv", task_id=task["id"])
        self.ids = {"incident": incident["id"], "task": task["id"], "note": note["id"], "ip": ip["id"],
                    "log": log["id"], "malware": malware["id"], "mail": mail["id"], "users": users["id"]}
        inc = incident["id"]
        self.channels = {"incident": f"inc-{inc}-phishing", "task": f"inc-{inc}-password-resets"}
        self.out(f"  Incident {inc} \"{incident['name']}\" (High, confirmed)")
        self.out(f"  Task {task['id']} \"{task['name']}\"")
        self.detail(f"  Note {note['id']}: {strip_html(note['text'])}")
        self.detail(f"  Artifacts: IP Address 203.0.113.7 ({ip['id']}), Log File mail-gateway.log ({log['id']}), "
                    f"Malware Sample invoice.xlsm ({malware['id']})")
        self.detail(f"  Attachments: reported-mail.eml on the incident ({mail['id']}), "
                    f"affected-users.csv on the task ({users['id']})")
        if not self.verbose:
            self.out("  with a note, 3 artifacts (an IP address, a log file, a malware sample) and 2 attachments")

    # ---------------------------------------------------------------- the clicks
    def click(self, rule: str, what: str, **kwargs: Any) -> ClickResult:
        result = self.driver.click(rule, incident_id=self.ids["incident"], **kwargs)
        self.out(f"\n  >> {what}" if self.verbose else f"  >> {what}")
        self.detail(textwrap.indent(result.report(), "     "))
        return result

    def run_playbook(self, playbook: str, what: str, **kwargs: Any) -> ClickResult:
        result = self.driver.run_playbook(playbook, incident_id=self.ids["incident"], **kwargs)
        self.out(f"\n  >> {what}" if self.verbose else f"  >> {what}")
        self.detail(textwrap.indent(result.report(), "     "))
        return result

    @staticmethod
    def dialog(channel: str | None = None, text: str | None = None, emails: str | None = None,
               private: bool | None = None) -> dict:
        return {"rule_slack_channel": channel, "rule_slack_text": text, "rule_slack_participant_emails": emails,
                "rule_slack_is_channel_private": private}

    def post_incident(self) -> None:
        """The first click: the incident's channel is created, people invited, the analyst's mention notifies."""
        names, slack, state, inc = self.channels, self.slack, self.soar.state, self.ids["incident"]
        alice = slack.user("alice")["id"]
        # A mention as Slack writes it: <@user id>. (<@alice> would show as typed and notify nobody.)
        result = self.click(POST_INCIDENT, "Post Incident to Slack: new public channel, invite Alice and Bob",
                            properties=self.dialog(names["incident"], f"New phishing incident, <@{alice}> please join",
                                                   "alice@example.com, bob@example.com, dave@example.com", False))
        channel = slack.channel(names["incident"])
        self.check("the incident channel was created, public, with Alice and Bob invited",
                   result.completed and channel and not channel["is_private"]
                   and {alice, slack.user("bob")["id"]} <= set(channel["members"]),
                   result.error or "")
        self.check("the Additional Text's mention notified Alice",
                   result.completed and any(n["channel"] == channel["id"] and n["ts"] == result.content.get("ts")
                                            and alice in n["users"] for n in slack.notifications),
                   str(slack.notifications[-3:]))
        self.check("an unknown e-mail is a status message, not a failure",
                   any("dave@example.com" in s for s in result.status_messages))
        self.check("the incident is linked to the channel in slack_conversations_db",
                   [r.get("slack_db_res_id") for r in state.rows_of(inc)] == [f"RES-{inc}"])

    def click_everything(self) -> None:
        self.out(heading("3. Clicking every example menu item"))
        ids, names, slack, state = self.ids, self.channels, self.slack, self.soar.state
        inc, task = ids["incident"], ids["task"]
        self.post_incident()

        unchosen = f"{names['incident']}-unchosen"
        rows = len(state.rows_of(inc))
        result = self.click(POST_INCIDENT, "Post Incident to Slack to a new channel, 'Slack is channel private' left "
                            "empty", properties=self.dialog(unchosen, "Anyone may read this", "alice@example.com"))
        self.check("nothing is created, posted or linked: the error asks to set slack_is_channel_private Yes or No",
                   not result.completed and "slack_is_channel_private" in (result.error or "")
                   and "Yes (private) or No (public)" in (result.error or "") and slack.channel(unchosen) is None
                   and len(state.rows_of(inc)) == rows, result.error or "")

        result = self.click(POST_TASK, "Post Task to Slack: new private channel for the task, invite Carol",
                            task_id=task, properties=self.dialog(names["task"], "Please reset these passwords today",
                                                                 "carol@example.com", True))
        channel = slack.channel(names["task"])
        self.check("the task channel was created private and linked as RES-<incident>-<task>",
                   result.completed and channel and channel["is_private"]
                   and f"RES-{inc}-{task}" in [r.get("slack_db_res_id") for r in state.rows_of(inc)],
                   result.error or "")

        result = self.click(POST_NOTE, "Post Note to Slack: no channel given, so the incident's linked channel",
                            object_id=ids["note"], properties=self.dialog(text="Update from the mail team"))
        self.check("the note went to the incident channel", result.completed
                   and result.content.get("channel") == names["incident"], result.error or "")

        result = self.run_playbook(PLAYBOOK_POST_INCIDENT, "Playbook Example: Post Incident to Slack (PB), "
                                   "started from the incident's Actions: no channel given, so the linked one",
                                   inputs={"rule_slack_text": "Status: mail blocked, passwords next"})
        self.check("the playbook posted the incident to its linked channel and noted it on the incident",
                   result.completed and result.content.get("channel") == names["incident"]
                   and any("was posted to Slack channel" in strip_html(n["text"]) for n in result.notes),
                   result.error or "")

        result = self.click(POST_ARTIFACT, "Post Artifact to Slack: the sending server's IP address",
                            object_id=ids["ip"], properties=self.dialog(text="Block this at the firewall"))
        self.check("the IP address artifact went to the incident channel", result.completed, result.error or "")

        result = self.click(POST_ARTIFACT_FILE, "Post Artifact Attachment to Slack: the gateway log file",
                            object_id=ids["log"], properties=self.dialog(text="Gateway log"))
        self.check("the log file was uploaded to the incident channel", result.completed
                   and _file_names(slack, names["incident"]) == ["mail-gateway.log"], result.error or "")

        uploads = len(slack.calls_to("files.getUploadURLExternal"))
        result = self.click(POST_ARTIFACT_FILE, "Post Artifact Attachment to Slack on the Malware Sample",
                            object_id=ids["malware"], properties=self.dialog(text="the sample"))
        self.check("the menu item is not shown on a Malware Sample (rule condition)",
                   not result.shown and result.message_id is None)
        result = self.click(POST_ARTIFACT_FILE, "...and the same workflow started anyway (say, by another rule)",
                            object_id=ids["malware"], properties=self.dialog(text="the sample"),
                            enforce_conditions=False)
        self.check("the function refuses the Malware Sample and uploads nothing",
                   not result.completed and "Malware Sample" in (result.error or "")
                   and len(slack.calls_to("files.getUploadURLExternal")) == uploads, result.error or "")

        result = self.click(POST_ATTACHMENT, "Post Incident Attachment to Slack: the reported mail",
                            object_id=ids["mail"], properties=self.dialog(text="The mail as reported"))
        self.check("the incident attachment was uploaded to the incident channel", result.completed
                   and "reported-mail.eml" in _file_names(slack, names["incident"]), result.error or "")
        result = self.click(POST_ATTACHMENT, "Post Task Attachment to Slack: goes to the task's linked channel",
                            object_id=ids["users"], properties=self.dialog(text="Who to reset"))
        self.check("the task attachment was uploaded to the task channel", result.completed
                   and "affected-users.csv" in _file_names(slack, names["task"]), result.error or "")

        # People answer in Slack before the channels are archived: a thread reply and a channel message.
        incident_channel = slack.channel(names["incident"])["id"]
        first = slack.messages(incident_channel)[0]
        slack.add_message(incident_channel, "alice", "I'll take a look asap.", thread_ts=first["ts"])
        slack.add_message(incident_channel, "bob", "Blocked the sender domain on the gateway.")
        slack.add_message(slack.channel(names["task"])["id"], "carol", "All 3 passwords reset.")
        self.two_way(inc, incident_channel)

        result = self.click(ARCHIVE_TASK, "Archive Task Slack Channel", task_id=task, properties={})
        saved = state.attachments_of(inc, task)
        history = [a for a in saved if a["name"] == f"Slack_channel_{names['task']}_history.txt"]
        self.check("the task channel's history was saved on the task, then the channel archived",
                   result.completed and history and slack.channel(names["task"])["is_archived"], result.error or "")
        self.check("the task channel export holds the notice and Carol's message",
                   history and _history_has(state, history[0], [ARCHIVE_NOTICE, "All 3 passwords reset."]))

    def post_processing_notes(self) -> None:
        """Every post and archive of part 3 left its note (the incident's archive is part 4's close)."""
        inc, task, state = self.ids["incident"], self.ids["task"], self.soar.state
        notes = [strip_html(n["text"]) for n in state.notes_of(inc)] + \
                [strip_html(n["text"]) for n in state.notes_of(inc, task)]
        self.check("post-processing added a note for every post and archive",
                   sum("was posted to Slack channel" in n for n in notes) == 8
                   and sum("has been archived" in n for n in notes) == 1
                   and sum("The incident was closed: Slack channel" in n for n in notes) == 1, "; ".join(notes))

    def lifecycle(self) -> None:
        """Part 4: the incident channel follows the incident; people act on it from Slack."""
        self.out(heading("4. The incident channel that runs itself"))
        part = Lifecycle(self)
        part.follow()
        part.act()
        part.close()
        part.reopen()
        part.declare()

    def two_way(self, inc: int, channel: str) -> None:
        """The round trip: people's messages became incident notes; a question answered by a click."""
        state, slack = self.soar.state, self.slack
        self.out("  Two-way: the incident channel mirrors (slack_mirror); people wrote in it")
        mirrored = wait(lambda: len([n for n in state.notes_of(inc) if "slack-event " in n["text"]]) >= 2)
        notes = [strip_html(n["text"]) for n in state.notes_of(inc) if "slack-event " in n["text"]]
        self.check("Alice's thread reply and Bob's message became incident notes, fn_slack's own posts did not; "
                   "each note names its author by real name, e-mail and Slack ID (users.info)",
                   mirrored and len(notes) == 2
                   and any("Alice Adams <alice@example.com> (U" in n and "replied in a thread" in n for n in notes)
                   and any("Bob Brown <bob@example.com> (U" in n and "Blocked the sender domain" in n
                           for n in notes), "; ".join(notes))
        for note in notes:
            self.detail(f"    note: {note.split(' at ')[0]}")
        self.driver.watch_rows()   # SOAR starts automatic playbooks when a data table row changes
        result = self.click(ASK_QUESTION, "Ask a Question in Slack: may Alice block the sender domain for good?",
                            properties={"rule_slack_question": "Block invoices-example.net for good?",
                                        "rule_slack_question_options": "Yes|No",
                                        "rule_slack_participant_emails": "alice@example.com"})
        content = result.content if result.completed else {}
        self.check("the question was asked in the incident channel with Yes/No buttons, only Alice may answer",
                   result.completed and content.get("channel") == self.channels["incident"]
                   and content.get("allowed_user_ids") == [slack.user("alice")["id"]], result.error or "")
        if not result.completed:
            return
        message = next(m for m in slack.messages(channel) if m["ts"] == content["ts"])
        yes = next(e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e["value"] == "Yes")
        self.out("  Bob, who was not asked, clicks Yes first")
        bob = slack.user("bob")["id"]
        refused = slack.interactions.click(slack.user_token("bob"), channel, content["ts"], yes)

        def refusal_noted() -> list[str]:
            return [strip_html(n["text"]) for n in state.notes_of(inc) if "answer refused" in n["text"]]

        told = wait(lambda: [r for r in slack.interactions.responses_for(bob)
                              if r["body"].get("response_type") == "ephemeral"] and refusal_noted())
        self.check("Bob's answer was refused: he was told in Slack, the question stays open, a note records it",
                   bool(refused.get("ok")) and told
                   and state.rows_of(inc, "slack_questions_db")[0].get("slack_q_status") == "open",
                   "; ".join(refusal_noted()))
        for note in refusal_noted():
            self.detail(f"    note: {note.split('; not recorded')[0]}")
        self.out("  Alice clicks Yes in Slack")
        clicked = slack.interactions.click(slack.user_token("alice"), channel, content["ts"], yes)
        acked = clicked.get("ok") and slack.socket_mode.wait_acked(clicked["envelope_id"], timeout=60)

        def answered() -> bool:   # the click is acknowledged at once; the answer is recorded right after
            rows = state.rows_of(inc, "slack_questions_db")
            return ([(r.get("slack_q_status"), r.get("slack_q_answer"), r.get("slack_q_answered_by")) for r in rows]
                    == [("answered", "Yes", "Alice Adams")]
                    and any("Alice Adams <alice@example.com> (U" in strip_html(n["text"])
                            and "answered the question" in strip_html(n["text"]) for n in state.notes_of(inc)))

        deadline = time.monotonic() + 60
        while acked and not answered() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.check("the answer reached SOAR: the question's row says answered, Yes, by Alice, and a note says so",
                   bool(acked) and answered(), str(state.rows_of(inc, "slack_questions_db")))
        runs = self.driver.wait_for_automatic_runs(timeout=90)
        self.driver.stop_watching_rows()
        verified = [strip_html(n["text"]) for n in state.notes_of(inc) if "Verified Slack answer" in n["text"]]
        for run in runs:
            self.detail(textwrap.indent(run.report(), "    "))
        self.check("SOAR started 'Example: Act on a verified Slack answer': Read a verified Slack answer found the "
                   "row's seal intact, and the playbook noted the answer from the function's result",
                   len(runs) == 1 and runs[0].completed and verified == ["Verified Slack answer: Yes by Alice Adams"
                                                                          f" ({slack.user('alice')['id']})"],
                   "; ".join(verified) or "; ".join(r.error or "" for r in runs))
        for note in verified:
            self.detail(f"    note: {note}")

    # ---------------------------------------------------------------- the report
    def report(self) -> None:
        if not self.verbose:
            return
        self.out(heading("5. Slack, as the channels show it"))
        render = SlackText(self.slack)
        for channel in self.slack.state_json()["channels"]:
            if not channel["messages"]:
                continue
            flags = ["private" if channel["is_private"] else "public"] + (["archived"] if channel["is_archived"]
                                                                          else [])
            members = ", ".join(self.slack.user(m)["name"] for m in channel["members"] if self.slack.user(m))
            self.out(f"\n  #{channel['name']}  ({', '.join(flags)}; members: {members})")
            for message in self.slack.messages(channel["id"]):
                self._print_message(message, render, "    ")
                for reply in message.get("replies") or []:
                    self._print_message(reply, render, "        | ")

        self.out(heading("6. SOAR: data table slack_conversations_db"))
        for row in self.soar.state.rows_of(self.ids["incident"]):
            when = datetime.fromtimestamp((row.get("slack_db_time") or 0) / 1000, UTC).strftime("%H:%M:%S")
            self.out(f"  {row.get('slack_db_res_id', ''):<18} #{row.get('slack_db_channel', ''):<28} "
                     f"{row.get('slack_db_channel_type', ''):<8} {row.get('slack_db_channel_id', ''):<13} {when}  "
                     f"{_href(row.get('slack_db_permalink'))}")

        self.out(heading("7. SOAR: notes"))
        inc, task = self.ids["incident"], self.ids["task"]
        state = self.soar.state
        for label, notes in (("incident", state.notes_of(inc)), ("task", state.notes_of(inc, task))):
            for note in notes:
                self.out(f"  [{label}] {strip_html(note['text'])}")

        self.out(heading("8. SOAR: exported channel histories"))
        for attachment in self.soar.state.attachments_of(inc) + self.soar.state.attachments_of(inc, task):
            if attachment["name"].endswith("_history.txt"):
                where = "task" if attachment["task_id"] else "incident"
                self.out(f"\n  {attachment['name']} (on the {where}, {attachment['size']} bytes)")
                text = self.soar.state.attachment_files[attachment["id"]].decode("utf-8", "replace")
                self.out(textwrap.indent(text.rstrip("\n"), "    | ", lambda _line: True))

    def _print_message(self, message: dict, render: SlackText, indent: str) -> None:
        when = datetime.fromtimestamp(float(message["ts"]), UTC).strftime("%H:%M:%S")
        author = message.get("username") or message.get("bot_username")
        if not author and message.get("user"):
            user = self.slack.user(message["user"])
            author = (user.get("display_name") or user.get("real_name") or user.get("name")) if user else None
        self.out(f"{indent}{author or 'app'}  {when}")
        for line in render(message.get("text")).splitlines():
            self.out(f"{indent}  {line}")
        for attachment in message.get("attachments") or []:
            bar = "▌"
            title = render(attachment.get("title"))
            link = attachment.get("title_link")
            self.out(f"{indent}  {bar} {title}" + (f"  <{link}>" if link else ""))
            for line in render(attachment.get("text")).splitlines():
                self.out(f"{indent}  {bar} {line}")
        for file in message.get("files") or []:
            self.out(f"{indent}  [file] {file.get('name')} - {render(file.get('title'))} ({file.get('size')} bytes)")

    def summary(self) -> None:
        good = sum(c.ok for c in self.checks)
        self.out(heading("Result"))
        for check in self.checks:
            if not check.ok:
                self.out(f"  FAILED: {check.what}\n{textwrap.indent(check.detail[-1500:], '      ')}")
        verdict = "every step did what it should" if self.passed else "some steps did NOT do what they should"
        self.out(f"  Checks: {good} of {len(self.checks)} passed - {verdict}.")


def _export_with_mirroring() -> dict:
    """fn_slack's export with ``inputs.slack_mirror = True`` added to Example: Post Incident to Slack's script."""
    export = json.loads(default_export_path().read_text(encoding="utf-8"))
    return edit_pre_script(export, "create_slack_message", lambda text: text + MIRROR_LINE)


def _file_names(slack: SlackSandbox, channel_name: str) -> list[str]:
    channel = slack.channel(channel_name)
    if channel is None:
        return []
    return [f["name"] for m in slack.messages(channel["id"]) for f in m.get("files") or []]


def _history_has(state: Any, attachment: dict, needles: list[str]) -> bool:
    text = state.attachment_files[attachment["id"]].decode("utf-8", "replace")
    return all(needle in text for needle in needles)


def _href(markup: Any) -> str:
    match = re.search(r"href=['\"]([^'\"]+)", str(markup or ""))
    return match.group(1) if match else str(markup or "")


def _tail(text: str, lines: int) -> str:
    return "\n".join(line for line in text.strip().splitlines()[-lines:])


def _grep(text: str, needles: tuple[str, ...]) -> str:
    found = [line for line in text.splitlines() if any(n in line for n in needles)]
    return "\n".join(found[-8:]) or _tail(text, 8)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true",
                        help="leave the sandboxes running until Ctrl-C, print how to use them, keep the work directory")
    parser.add_argument("--verbose", action="store_true",
                        help="print every step of every click, and the channels, table, notes and exports at the end")
    parser.add_argument("--workdir", help="where app.config and the logs go, kept afterwards (default: a temporary "
                                          "directory, removed at the end unless --keep)")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="fn-slack-demo-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    keep_workdir = args.keep or args.workdir is not None
    demo = Demo(workdir, verbose=args.verbose)
    started = time.monotonic()
    try:
        demo.start()
        if demo.passed:
            demo.create_incident()
            demo.click_everything()
            demo.lifecycle()
            demo.post_processing_notes()
            demo.report()
    except Exception as exc:  # noqa: BLE001 - the demo reports any failure and still stops what it started
        demo.check("the demo ran to the end", False, f"{type(exc).__name__}: {exc}")
    finally:
        demo.summary()
        print(f"  Took {time.monotonic() - started:.0f} s." + (
            "" if args.verbose else " Every step, and what Slack and SOAR hold now: make demo ARGS=--verbose"))
        if not args.keep:
            print("  To click it yourself in a browser: make try")
        if args.keep and demo.soar is not None and demo.slack is not None:
            demo.stop_circuits()
            _keep_running(demo)
        demo.stop()
        if keep_workdir:
            print(f"  Work directory (app.config, logs): {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            if not demo.passed:
                print("  The work directory (app.config, logs) was removed: make demo ARGS=--keep keeps it.")
    return 0 if demo.passed else 1


def keep_instructions(demo: Demo) -> list[str]:
    """What --keep prints: where the sandboxes are, and the commands that use them."""
    config = demo.workdir / "app.config"
    circuits = Path(sys.executable).parent / "resilient-circuits"
    with_config = f"APP_CONFIG_FILE={config} {_relative(circuits)}"
    return [
        heading("Sandboxes left running (Ctrl-C stops them)"),
        f"  SOAR page of the demo incident        {demo.soar.ui_url}incidents/{demo.ids['incident']}"
        if demo.ids else f"  SOAR page                             {demo.soar.ui_url}",
        f"  Slack channels, as Slack shows them   {demo._slack_view_url()}",
        f"  Slack Web API                         {demo.slack.base_url}",
        f"  SOAR state (JSON)                     {demo.soar.rest_url}_sandbox/state",
        f"  SOAR REST, STOMP                      {demo.soar.rest_url}, {demo.soar.host}:{demo.soar.stomp_port}",
        f"  app.config                            {config}",
        "",
        "  The demo's own resilient-circuits has stopped. From another terminal in this directory:",
        f"    {with_config} selftest -l fn_slack",
        f"    {with_config} run",
    ]


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _keep_running(demo: Demo) -> None:
    print("\n".join(keep_instructions(demo)), flush=True)
    wait_for_stop_signal()


if __name__ == "__main__":
    sys.exit(main())
