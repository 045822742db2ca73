"""`make demo`, part 4: the incident channel that runs itself, and people acting on SOAR from Slack.

The demo incident's channel is turned on to follow the incident (*Example: Keep Slack Channel in Step*); a
severity change in SOAR starts the automatic playbook that rewrites the topic and the pinned summary, once; Bob,
a member of the incident in SOAR, asks for its status with ``/soar status`` and sends Alice's message to SOAR with
the *Send to SOAR* shortcut; Carol (not a member) and Gina (a guest of the workspace) are refused. Closing the
incident archives the channel after its closing summary, with the export saved on the incident; reopening it
links a new channel. Every check is one line of the demo's report, like the other parts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.demo import Demo

KEEP_IN_STEP = "Example: Keep Slack Channel in Step"
FOLLOWS = "Example: Slack channel follows the incident"
CLOSES = "Example: Archive the Slack channel when the incident closes"
NOTICE = "This channel has been set to be archived from SOAR."
SLACK_WRITES = ("conversations.setTopic", "bookmarks.add", "bookmarks.edit", "chat.postMessage", "chat.update",
                "pins.add", "pins.remove", "conversations.archive", "conversations.create", "conversations.invite")
ACTION_NOTE = "acting as the SOAR user"


def wait(predicate: Any, timeout: float = 60.0) -> Any:
    """The predicate's first true value within ``timeout`` seconds, else its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(0.05)
        value = predicate()
    return value


class Lifecycle:
    """Part 4 of the demo, run on the demo's incident and its incident channel."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.slack, self.soar, self.driver = demo.slack, demo.soar, demo.driver
        self.inc = demo.ids["incident"]
        self.channel = self.slack.channel(demo.channels["incident"])["id"]

    # ---------------------------------------------------------------- helpers
    def _writes_since(self, mark: int) -> dict[str, int]:
        counted: dict[str, int] = {}
        for call in self.slack.calls[mark:]:
            if call.method in SLACK_WRITES:
                counted[call.method] = counted.get(call.method, 0) + 1
        return counted

    def _runs(self, count: int, timeout: float = 90.0) -> list:
        runs = []
        deadline = time.monotonic() + timeout
        while len(runs) < count and time.monotonic() < deadline:
            runs += self.driver.wait_for_automatic_runs(timeout=max(1.0, deadline - time.monotonic()))
        self.driver.automatic_runs.clear()
        for run in runs:
            self.demo.detail("\n" + run.report())
        return runs

    def _ephemerals(self, person: str) -> list[str]:
        uid = self.slack.user(person)["id"]
        return [e["text"] for e in self.slack.ephemerals if e["user"] == uid and e["channel"] == self.channel]

    def _answer(self, person: str, before: int) -> str:
        said = wait(lambda: self._ephemerals(person)[before:])
        return said[0] if said else ""

    def _action_notes(self) -> list[str]:
        return [n["text"] for n in self.soar.state.notes_of(self.inc) if ACTION_NOTE in n["text"]]

    # ---------------------------------------------------------------- the channel follows the incident
    def follow(self) -> None:
        demo, slack = self.demo, self.slack
        result = demo.click(KEEP_IN_STEP, "Keep Slack Channel in Step: topic, bookmark and pinned summary",
                            properties={})
        topic = slack.channel(self.channel)["topic"]
        demo.check("the channel's topic shows severity, phase/status and owner; a bookmark and one pinned summary "
                   "link back to the incident",
                   result.completed and result.content.get("written") == ["topic", "bookmark", "summary"]
                   and topic.startswith("High · ") and len(self._pinned()) == 1, result.error or topic)

        self.driver.watch_incidents()
        self.driver.automatic_runs.clear()
        mark = len(slack.calls)
        self.driver.edit_incident(self.inc, {"severity_code": "Medium"})
        runs = self._runs(1)
        writes = self._writes_since(mark)
        calls = len(slack.calls) - mark
        demo.out(f"  >> An analyst lowers the severity to Medium in SOAR: {calls} Slack calls, "
                 f"{sum(writes.values())} of them writes {writes}")
        demo.check("SOAR started 'Example: Slack channel follows the incident': the topic and the pinned summary "
                   "changed once, in place (one setTopic, one chat.update, no new post)",
                   len(runs) == 1 and runs[0].completed
                   and writes == {"conversations.setTopic": 1, "chat.update": 1}
                   and slack.channel(self.channel)["topic"].startswith("Medium · ") and len(self._pinned()) == 1,
                   "; ".join(r.error or "" for r in runs) + f" {writes}")

    def _add_artifact(self, before: int) -> None:
        """Bob clicks the button that adds the domain the message names as an artifact."""
        demo, slack, state = self.demo, self.slack, self.soar.state
        bob = slack.user("bob")["id"]
        shown = [e for e in slack.ephemerals if e["user"] == bob and e["channel"] == self.channel][before:]
        buttons = [el for e in shown[:1] for block in e.get("blocks") or [] if block["type"] == "actions"
                   for el in block["elements"]]
        offered = [b["text"]["text"] for b in buttons]
        domain = [b for b in buttons if b["text"]["text"] == "Add invoices-example.org as DNS Name"]
        if domain:
            slack.actions.click_ephemeral(slack.user_token("bob"), self.channel, shown[0]["ts"],
                                          domain[0]["action_id"])
        answer = wait(lambda: [e["text"] for e in slack.ephemerals if e.get("ts") == shown[0]["ts"]
                               and e["text"].startswith(":pushpin:")] if shown else [])
        demo.out(f"  >> Its answer offers {', '.join(offered) or 'nothing'}; Bob clicks the domain's button")
        artifacts = [(a["type"], a["value"]) for a in state.artifacts.values() if a["inc_id"] == self.inc]
        demo.check("the domain the message names became an artifact of the incident (DNS Name), once, with the "
                   "action's note", bool(answer) and artifacts.count(("DNS Name", "invoices-example.org")) == 1
                   and len(self._action_notes()) >= 2, f"{offered} {answer} {artifacts}")

    def _pinned(self) -> list[dict]:
        return [m for m in self.slack.messages(self.channel) if m.get("pinned_to")]

    # ---------------------------------------------------------------- people act from Slack
    def act(self) -> None:
        demo, slack, state = self.demo, self.slack, self.soar.state
        state.set_members(self.inc, ["bob@example.com"], owner="alice@example.com")
        slack.add_member(self.channel, "gina")
        bob = slack.user_token("bob")

        before = len(self._ephemerals("bob"))
        slack.actions.slash_command(bob, self.channel, "/soar", "status")
        status = self._answer("bob", before)
        first = status.splitlines()[0] if status else "-"
        demo.out(f"  >> Bob, a member of the incident in SOAR: /soar status  →  (to Bob alone) {first}")
        demo.check("/soar status answered Bob alone with the incident's name, severity and open tasks",
                   "Phishing campaign against Finance" in status and "Medium" in status, status)

        posted = slack.add_message(self.channel, "alice", "Second wave from invoices-example.org, same macro.")
        notes = len(self._action_notes())
        before = len(self._ephemerals("bob"))
        slack.actions.message_shortcut(bob, self.channel, posted, "send_to_soar")
        sent = self._answer("bob", before)
        noted = wait(lambda: self._action_notes()[notes:])
        demo.out(f"  >> Bob: Send to SOAR on Alice's message  →  {sent}")
        demo.check("Send to SOAR made Alice's message a note naming Bob, the SOAR user he acted as and the "
                   "message's author", bool(noted) and "Bob Brown &lt;bob@example.com&gt;" in noted[0]
                   and "Second wave" in noted[0] and "Alice Adams" in noted[0], sent)

        self._add_artifact(before)

        refused = {}
        for person, words in (("carol", "note Carol was here"), ("gina", "note guest words")):
            before = len(self._ephemerals(person))
            slack.actions.slash_command(slack.user_token(person), self.channel, "/soar", words)
            refused[person] = self._answer(person, before)
            demo.detail(f"  {person.title()}: /soar {words}  →  {refused[person]}")
        demo.out("  >> Carol, not a member of the incident in SOAR, and Gina, a guest: /soar note ...")
        time.sleep(0.5)
        demo.check("Carol (not a member of the incident in SOAR) and Gina (a guest) were refused, each told why, "
                   "and nothing was written", refused["carol"].startswith(":no_entry:")
                   and "guests" in refused["gina"] and len(self._action_notes()) == notes + 2,
                   str(refused))


    # ---------------------------------------------------------------- Declare incident
    def declare(self) -> None:
        demo, slack, state = self.demo, self.slack, self.soar.state
        bob, token = slack.user("bob")["id"], slack.user_token("bob")
        slack.actions.global_shortcut(token, "declare_incident")
        views = wait(lambda: slack.actions.open_views(bob))
        name = "Ransomware on file server fs-02"
        sent = slack.actions.submit_view(token, views[0]["id"], {
            "declare_name": {"name": name}, "declare_severity": {"severity": "High"},
            "declare_description": {"description": "Files renamed *.locked since 09:40"}}) if views else {}
        closed = sent.get("ok") and slack.actions.submission_result(views[0]["id"], sent["envelope_id"], timeout=30)

        def declared() -> list[dict]:
            found = [i for i in state.query_incidents([])["data"] if i["name"] == name]
            return found if found and any("declared this incident" in str(n["text"])
                                          for n in state.notes_of(found[0]["id"])) else []

        found = wait(declared)
        channel = slack.channel(f"inc-{found[0]['id']}-ransomware-on-file-server-fs-02") if found else None
        demo.out(f"  >> Bob, anywhere in Slack: the shortcut Declare incident, a modal (name, severity, description)"
                 f"  →  incident {found[0]['id'] if found else '-'}, #{channel['name'] if channel else '-'}")
        demo.check("Declare incident created the SOAR incident (High, owned by Bob's SOAR user) and its private "
                   "channel with Bob in it, linked two-way, and noted who declared it",
                   bool(closed) and closed.get("closed") and bool(found) and found[0]["severity_code"] == "High"
                   and found[0]["owner_id"] == "bob@example.com" and channel is not None and channel["is_private"]
                   and bob in channel["members"]
                   and [r.get("slack_db_channel_id") for r in state.rows_of(found[0]["id"])] == [channel["id"]],
                   str(closed) + str(found[:1]))

    # ---------------------------------------------------------------- the incident closes, and reopens
    def close(self) -> None:
        demo, slack, state = self.demo, self.slack, self.soar.state
        name = demo.channels["incident"]
        mark = len(slack.calls)
        self.driver.edit_incident(self.inc, {"plan_status": "C", "resolution_id": "Resolved",
                                             "resolution_summary": "<p>Sender blocked, passwords reset.</p>"})
        runs = {run.rule: run for run in self._runs(2)}
        demo.out(f"  >> An analyst closes the incident in SOAR: {len(runs)} automatic playbooks, "
                 f"{len(slack.calls) - mark} Slack calls")
        export = f"Slack_channel_{name}_history.txt"
        saved = [a for a in state.attachments_of(self.inc) if a["name"] == export]
        text = state.attachment_files[saved[0]["id"]].decode("utf-8", "replace") if saved else ""
        summaries = [m for m in slack.messages(self.channel) if str(m.get("text", "")).startswith(NOTICE)]
        demo.check("the channel was archived with the incident, after its closing summary (status, resolution, "
                   "owner, tasks) was posted once",
                   CLOSES in runs and runs[CLOSES].completed and slack.channel(self.channel)["is_archived"]
                   and len(summaries) == 1 and "Resolution: Resolved" in summaries[0]["text"],
                   "; ".join(r.error or "" for r in runs.values()))
        demo.check("the export saved on the incident holds the closing summary, the thread reply indented under "
                   "its parent and the messages people sent to SOAR",
                   "Status: Closed" in text and "\tI'll take a look asap." in text and "Second wave" in text,
                   text[-600:])

    def reopen(self) -> None:
        demo, slack, state = self.demo, self.slack, self.soar.state
        old = demo.channels["incident"]
        mark = len(slack.calls)
        self.driver.edit_incident(self.inc, {"plan_status": "A"})
        runs = self._runs(1)
        new = slack.channel(f"{old}-2")
        demo.out(f"  >> An analyst reopens it: {len(slack.calls) - mark} Slack calls; Slack apps cannot unarchive, "
                 f"so #{old}-2 is linked")
        said = [m["text"] for m in slack.messages(new["id"]) if "reopened" in str(m.get("text"))] if new else []
        members = {slack.user(m)["name"] for m in new["members"] if slack.user(m)} if new else set()
        rows = [r for r in state.rows_of(self.inc) if r.get("slack_db_res_id") == f"RES-{self.inc}"]
        demo.check("the reopened incident got a new channel with its owner and member invited, saying the old one is "
                   "archived and where its conversation is; the link and the topic follow",
                   len(runs) == 1 and runs[0].completed and new is not None and not new["is_archived"]
                   and {"alice", "bob"} <= members and len(said) == 1 and f"|{old}> is archived" in said[0]
                   and [r.get("slack_db_channel") for r in rows] == [f"{old}-2"]
                   and new["topic"].startswith("Medium · "),
                   "; ".join(r.error or "" for r in runs) + f" {said} {members}")
        self.driver.stop_watching_incidents()


__all__ = ["Lifecycle"]
