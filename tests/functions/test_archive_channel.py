"""slack_archive_channel through resilient-circuits, against the Slack sandbox over HTTP (behavior §3.5, §6)."""

import re

import pytest
from slack_sdk import WebClient

from fn_slack.components import funct_slack_archive_channel
from tests.functions.conftest import INCIDENT, TASK
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.functions.soar_org import ATTACHMENT_UPLOAD

config_data = make_config()
FN = "slack_archive_channel"
NOTICE = "This channel has been set to be archived from SOAR."


def link(soar, slack, name, task_id=None):
    channel_id = slack.channel(name)["id"]
    soar.add_row(INCIDENT, {"slack_db_res_id": f"RES-{INCIDENT}" + (f"-{task_id}" if task_id else ""),
                            "slack_db_channel": name, "slack_db_channel_type": "Public",
                            "slack_db_channel_id": channel_id, "slack_db_permalink": "", "slack_db_time": 1})
    return channel_id


def use_template_file(circuits_app, monkeypatch, path) -> None:
    """Set [fn_slack] template_file of the running archive component, as app.config would."""
    pending, found = [circuits_app.manager], []
    while pending:
        component = pending.pop()
        if isinstance(component, funct_slack_archive_channel.FunctionComponent):
            found.append(component)
        pending.extend(component.components)
    [component] = found
    monkeypatch.setitem(component.app_configs, "template_file", str(path))


# A template in the style fn_slack 1.x/2.x shipped: rendered once per message with the original's variables.
ORIGINAL_STYLE_TEMPLATE = """\
{%- if is_msg_parent -%}
    {{- number }} - {{ username }} POSTED ON {{ msg_time }}:{{ '\\n' -}}
    {%- if msg_pretext -%}{{- msg_pretext }}{{ '\\n' -}}{%- endif -%}
    {%- if msg_text -%}{{- msg_text }}{{ '\\n' -}}{%- endif -%}
    {%- if file_name -%}{{- file_name }}{{ '\\n' -}}{%- endif -%}
    {%- if file_permalink -%}{{- file_permalink }}{{ '\\n' -}}{%- endif %}{{ '\\n' -}}
    {%- if reply_count > 0 -%}{{- reply_count }} REPLIES:{{ '\\n' -}}{% endif -%}
{%- else -%}
    {{- '\\t' }}{{ number }} - {{ username }} POSTED A REPLY ON {{ msg_time }}:{{ '\\n' -}}
    {%- if msg_text -%}{{- '\\t' }}{{ msg_text }}{{ '\\n' -}}{%- endif -%}
    {%- if file_name -%}{{- '\\t' }}{{ file_name }}{{ '\\n' -}}{%- endif -%}
    {%- if file_permalink -%}{{- '\\t' }}{{ file_permalink }}{{ '\\n' -}}{% endif %}{{ '\\n' -}}
{%- endif -%}"""


def archive(circuits_app, **inputs):
    inputs.setdefault("incident_id", INCIDENT)
    return run_function(circuits_app, FN, inputs)


class TestArchiveChannel:
    def test_history_with_threads_and_files_is_saved_then_the_channel_archived(self, circuits_app, slack, soar):
        bot = slack.bot_user_id
        alice, bob = slack.user("alice")["id"], slack.user("bob")["id"]
        channel_id = slack.add_channel("inc-2095", members=[bot, alice, bob])
        parent = slack.add_message(channel_id, bot, "Please review", bot_username="SOAR")
        slack.add_message(channel_id, bob, "I'll take a look asap.", thread_ts=parent)
        slack.add_message(channel_id, alice, "Line one\nLine two", thread_ts=parent)
        slack.add_message(channel_id, alice, "Done.")
        link(soar, slack, "inc-2095")

        outcome = archive(circuits_app)

        [saved] = soar.saved_attachments(INCIDENT)
        assert saved["name"] == "Slack_channel_inc-2095_history.txt"
        text = saved["data"].decode("utf-8")
        assert text.startswith("1 - SOAR POSTED ON ")
        assert f":\n{NOTICE}\n\n2 - Alice POSTED ON " in text
        assert ":\nDone.\n\n3 - SOAR POSTED ON " in text
        assert ":\nPlease review\n\n2 REPLIES:\n\t4 - Bob POSTED A REPLY ON " in text
        assert ":\n\tI'll take a look asap.\n\n\t5 - Alice POSTED A REPLY ON " in text
        assert ":\n\tLine one\n\tLine two\n\n" in text
        assert slack.channel("inc-2095")["is_archived"] is True
        result = outcome.content
        assert result == {"channel": "inc-2095", "channel_id": channel_id, "attachment_id": saved["id"],
                          "attachment_name": "Slack_channel_inc-2095_history.txt", "message_count": 5}
        users_info = [c.params.get("user") for c in slack.calls_to("users.info")]
        assert sorted(users_info) == sorted(set(users_info))


    def test_task_channel_history_is_saved_on_the_task(self, circuits_app, slack, soar):
        slack.add_channel("task-7", members=[slack.bot_user_id])
        link(soar, slack, "task-7", task_id=TASK)

        outcome = archive(circuits_app, task_id=TASK)

        assert outcome.error is None
        assert [a["name"] for a in soar.saved_attachments(INCIDENT, TASK)] == ["Slack_channel_task-7_history.txt"]
        assert soar.saved_attachments(INCIDENT) == []


    def test_channel_id_input_is_archived_without_a_table_row(self, circuits_app, slack, soar):
        channel_id = slack.add_channel("by-id", members=[slack.bot_user_id])

        outcome = archive(circuits_app, slack_channel_id=channel_id)

        assert outcome.content["channel"] == "by-id"
        assert slack.channel("by-id")["is_archived"] is True


    def test_failed_soar_upload_leaves_the_channel_unarchived_and_says_why(self, circuits_app, slack, soar):
        slack.add_channel("inc-2095", members=[slack.bot_user_id])
        link(soar, slack, "inc-2095")
        failing = soar.fail_requests("POST", ATTACHMENT_UPLOAD, times=10)

        outcome = archive(circuits_app)

        assert "was NOT archived" in outcome.error and "#inc-2095" in outcome.error
        assert slack.channel("inc-2095")["is_archived"] is False
        assert slack.calls_to("conversations.archive") == []

        failing.remaining = 0
        rerun = archive(circuits_app)
        assert rerun.error is None
        assert slack.channel("inc-2095")["is_archived"] is True


    def test_already_archived_linked_channel_fails_saying_so(self, circuits_app, slack, soar):
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id])
        link(soar, slack, "inc-2095")
        WebClient(token=slack.default_token, base_url=slack.base_url).conversations_archive(channel=channel_id)

        outcome = archive(circuits_app)

        assert "#inc-2095 is already archived" in outcome.error
        assert soar.saved_attachments(INCIDENT) == []


    def test_nothing_linked_fails_asking_for_the_channel_id(self, circuits_app, slack, soar):
        outcome = archive(circuits_app)

        assert "No Slack channel is linked to this incident" in outcome.error
        assert "slack_channel_id" in outcome.error
        assert slack.calls == []


    def test_export_failure_midway_leaves_the_channel_unarchived(self, circuits_app, slack, soar):
        slack.add_channel("inc-2095", members=[slack.bot_user_id])
        link(soar, slack, "inc-2095")
        slack.faults.add("conversations.history", "http_status", times=50, status=500)

        outcome = archive(circuits_app)

        assert "conversations.history" in outcome.error
        assert slack.channel("inc-2095")["is_archived"] is False
        assert soar.saved_attachments(INCIDENT) == []

    def test_rerun_after_saving_but_before_archiving_saves_the_history_once(self, circuits_app, slack, soar):
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id])
        slack.add_message(channel_id, slack.user("alice")["id"], "evidence")
        link(soar, slack, "inc-2095")
        slack.faults.add("conversations.archive", "drop", times=100)
        first = archive(circuits_app)
        assert "conversations.archive" in first.error
        assert len(soar.saved_attachments(INCIDENT)) == 1
        slack.faults.clear()

        rerun = archive(circuits_app)

        assert rerun.error is None, rerun.error
        assert len(soar.saved_attachments(INCIDENT)) == 1
        assert rerun.content["attachment_id"] == soar.saved_attachments(INCIDENT)[0]["id"]
        assert [m["text"] for m in slack.messages(channel_id)].count(NOTICE) == 1
        assert slack.channel("inc-2095")["is_archived"] is True
        assert "Slack_channel_inc-2095_history.txt was already saved on the incident by an earlier run." \
            in rerun.statuses

    def test_template_written_for_the_original_exports_the_channel_then_archives_it(
            self, circuits_app, slack, soar, monkeypatch, tmp_path):
        path = tmp_path / "slack_export.jinja2"
        path.write_text(ORIGINAL_STYLE_TEMPLATE, encoding="utf-8")
        use_template_file(circuits_app, monkeypatch, path)
        bot, alice, bob = slack.bot_user_id, slack.user("alice")["id"], slack.user("bob")["id"]
        channel_id = slack.add_channel("inc-2095", members=[bot, alice, bob])
        parent = slack.add_message(channel_id, bot, "Please review", bot_username="SOAR")
        slack.add_message(channel_id, bob, "I'll take a look asap.", thread_ts=parent)
        slack.add_message(channel_id, alice, "Done.")
        link(soar, slack, "inc-2095")

        outcome = archive(circuits_app)

        assert outcome.error is None, outcome.error
        [saved] = soar.saved_attachments(INCIDENT)
        text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "<time>", saved["data"].decode("utf-8"))
        assert text == (f"1 - SOAR POSTED ON <time>:\n{NOTICE}\n\n"
                        "2 - Alice POSTED ON <time>:\nDone.\n\n"
                        "3 - SOAR POSTED ON <time>:\nPlease review\n\n1 REPLIES:\n"
                        "\t4 - Bob POSTED A REPLY ON <time>:\n\tI'll take a look asap.\n\n")
        assert outcome.content["message_count"] == 4
        assert slack.channel("inc-2095")["is_archived"] is True

    @pytest.mark.parametrize("broken, culprit", [
        (ORIGINAL_STYLE_TEMPLATE.replace("{{ msg_text }}", "{{ msg_txt }}"), "'msg_txt'"),
        ("{% for m in messages %}{{ m.number }} {{ m.athor }}\n{% endfor %}", "'athor'"),
    ], ids=["unknown-variable", "unknown-attribute"])
    def test_template_that_cannot_render_leaves_the_channel_as_it_was_and_says_why(
            self, circuits_app, slack, soar, monkeypatch, tmp_path, broken, culprit):
        path = tmp_path / "slack_export.jinja2"
        path.write_text(broken, encoding="utf-8")
        use_template_file(circuits_app, monkeypatch, path)
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id])
        slack.add_message(channel_id, slack.user("alice")["id"], "evidence")
        link(soar, slack, "inc-2095")

        outcome = archive(circuits_app)

        assert f"[fn_slack] template_file '{path}'" in outcome.error and culprit in outcome.error
        assert slack.channel("inc-2095")["is_archived"] is False
        assert soar.saved_attachments(INCIDENT) == []
        # Found before the archive touched the channel: no "set to be archived" notice went out.
        assert [m["text"] for m in slack.messages(channel_id)] == ["evidence"]

class TestNothingLost:
    """A message written before the archive took effect is in a saved export (behavior §3.5 step 4)."""

    def test_a_message_written_during_the_final_read_is_saved_before_archiving(self, circuits_app, slack, soar):
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, slack.user("alice")["id"]])
        slack.add_message(channel_id, slack.user("alice")["id"], "first finding")
        link(soar, slack, "inc-2095")
        # The notice check and the export read the history first; Alice writes as the final read arrives.
        slack.faults.add("conversations.history", "delay", delay=0, times=2)
        slack.faults.add("conversations.history", "delay", delay=0.2, on_fire=lambda: slack.add_message(
            channel_id, slack.user("alice")["id"], "wait, one more log line"))

        outcome = archive(circuits_app)

        assert outcome.error is None, outcome.error
        assert slack.channel("inc-2095")["is_archived"] is True
        saved = soar.saved_attachments(INCIDENT)
        assert "wait, one more log line" in saved[-1]["data"].decode("utf-8")
        assert outcome.content["attachment_id"] == saved[-1]["id"]
        assert "Messages were written in #inc-2095 while its history was being saved: saving it again." \
            in outcome.statuses

    def test_when_the_save_of_a_late_message_fails_the_channel_is_not_archived(self, circuits_app, slack, soar):
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, slack.user("alice")["id"]])
        link(soar, slack, "inc-2095")

        def write_then_break_soar() -> None:
            slack.add_message(channel_id, slack.user("alice")["id"], "one more thing")
            soar.fail_requests("POST", ATTACHMENT_UPLOAD, times=10)

        arrival = soar.on_arrival("POST", ATTACHMENT_UPLOAD, write_then_break_soar)

        outcome = archive(circuits_app)

        assert arrival.done.is_set()
        assert "Slack channel #inc-2095 was NOT archived, so nothing is lost: run the action again." in outcome.error
        assert slack.channel("inc-2095")["is_archived"] is False
        assert slack.calls_to("conversations.archive") == []
        assert "one more thing" in [m["text"] for m in slack.messages(channel_id)]

    def test_a_message_written_after_the_export_is_saved_before_archiving(self, circuits_app, slack, soar):
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, slack.user("alice")["id"]])
        link(soar, slack, "inc-2095")
        # Alice writes while the first export is being saved in SOAR.
        arrival = soar.on_arrival("POST", ATTACHMENT_UPLOAD,
                                  lambda: slack.add_message(channel_id, slack.user("alice")["id"], "late line"))

        outcome = archive(circuits_app)

        assert arrival.done.is_set()
        assert outcome.error is None, outcome.error
        assert "Messages were written in #inc-2095 while its history was being saved: saving it again." in \
            outcome.statuses
        assert "late line" in soar.saved_attachments(INCIDENT)[-1]["data"].decode("utf-8")
        assert slack.channel("inc-2095")["is_archived"] is True

    def test_a_reply_written_between_a_failed_archive_and_the_rerun_is_saved(self, circuits_app, slack, soar):
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, slack.user("bob")["id"]])
        link(soar, slack, "inc-2095")
        slack.faults.add("conversations.archive", "drop", times=100)
        assert "conversations.archive" in archive(circuits_app).error
        slack.faults.clear()
        notice = next(m for m in slack.messages(channel_id) if m["text"] == NOTICE)
        slack.add_message(channel_id, slack.user("bob")["id"], "wait, don't archive yet", thread_ts=notice["ts"])

        rerun = archive(circuits_app)

        assert rerun.error is None, rerun.error
        assert slack.channel("inc-2095")["is_archived"] is True
        newest = soar.saved_attachments(INCIDENT)[-1]["data"].decode("utf-8")
        assert "wait, don't archive yet" in newest
        assert [m["text"] for m in slack.messages(channel_id)].count(NOTICE) == 1

    def test_a_rerun_reuses_its_notice_when_only_slack_wrote_after_it(self, circuits_app, slack, soar):
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id])
        link(soar, slack, "inc-2095")
        slack.faults.add("conversations.archive", "drop", times=100)
        assert "conversations.archive" in archive(circuits_app).error
        slack.faults.clear()
        slack.add_member(channel_id, slack.user("bob")["id"])   # Slack notes the join in the channel

        rerun = archive(circuits_app)

        assert rerun.error is None, rerun.error
        assert [m["text"] for m in slack.messages(channel_id)].count(NOTICE) == 1
        assert len(soar.saved_attachments(INCIDENT)) == 1
        assert slack.channel("inc-2095")["is_archived"] is True

    def test_general_is_refused_before_the_notice_and_the_export(self, circuits_app, slack, soar):
        link(soar, slack, "general")
        before = slack.messages(slack.channel("general")["id"])

        outcome = archive(circuits_app)

        assert ("Slack never archives #general, the workspace's general channel: nothing was posted or saved. Give "
                "slack_channel_id of another channel, or link another channel to archive.") in outcome.error
        assert slack.messages(slack.channel("general")["id"]) == before
        assert soar.saved_attachments(INCIDENT) == []


class TestSlackEjectsTheApp:
    """Slack takes the app's bot out of a channel it archives and writes a channel_archive message (sandbox
    realism archive_ejects_app): the run reads nothing afterwards and never fails once the channel is archived."""

    def test_archive_reads_nothing_after_conversations_archive(self, circuits_app, slack, soar):
        alice = slack.user("alice")["id"]
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, alice])
        parent = slack.add_message(channel_id, alice, "evidence")
        slack.add_message(channel_id, alice, "context", thread_ts=parent)
        link(soar, slack, "inc-2095")

        outcome = archive(circuits_app)

        assert outcome.error is None, outcome.error
        assert slack.channel("inc-2095")["is_archived"] is True
        assert slack.bot_user_id not in slack.channel("inc-2095")["members"]
        methods = [c.method for c in slack.calls]
        assert methods[-1] == "conversations.archive", methods
        assert outcome.statuses[-1] == "Slack channel #inc-2095 was archived."

    def test_slack_s_system_messages_do_not_make_the_archive_export_twice(self, circuits_app, slack, soar):
        alice, bob = slack.user("alice")["id"], slack.user("bob")["id"]
        channel_id = slack.add_channel("inc-2095", members=[slack.bot_user_id, alice])
        slack.add_message(channel_id, alice, "evidence")
        link(soar, slack, "inc-2095")

        def slack_writes_system_messages() -> None:
            slack.add_member(channel_id, bob)
            slack.set_topic(channel_id, alice, "closing")

        # Bob joins and the topic changes while the export is being saved: Slack notes both in the channel.
        arrival = soar.on_arrival("POST", ATTACHMENT_UPLOAD, slack_writes_system_messages)

        outcome = archive(circuits_app)

        assert arrival.done.is_set()
        assert outcome.error is None, outcome.error
        assert len(soar.saved_attachments(INCIDENT)) == 1
        assert not any("while its history was being saved" in s for s in outcome.statuses), outcome.statuses
        assert [c.method for c in slack.calls].count("conversations.history") == 3   # notice, export, final read
        assert slack.channel("inc-2095")["is_archived"] is True

    @pytest.mark.parametrize("visible", [False, True], ids=["private-gone-for-the-app", "private-still-described"])
    def test_a_lost_answer_to_archiving_a_private_channel_is_known_to_have_taken_effect(self, circuits_app, slack,
                                                                                       soar, visible):
        """Whether the app still sees a private channel it was archived out of is undocumented; either way the
        run ends as archived, having saved the history once."""
        slack.set_realism(archived_private_visible=visible)
        alice = slack.user("alice")["id"]
        channel_id = slack.add_channel("secret-2095", is_private=True, members=[slack.bot_user_id, alice])
        slack.add_message(channel_id, alice, "private evidence")
        soar.add_row(INCIDENT, {"slack_db_res_id": f"RES-{INCIDENT}", "slack_db_channel": "secret-2095",
                                "slack_db_channel_type": "Private", "slack_db_channel_id": channel_id})
        slack.faults.add("conversations.archive", "after_commit", then="drop")

        outcome = archive(circuits_app)

        assert outcome.error is None, outcome.error
        assert slack.channel("secret-2095")["is_archived"] is True
        assert len(slack.calls_to("conversations.archive")) == 1
        assert [a["name"] for a in soar.saved_attachments(INCIDENT)] == ["Slack_channel_secret-2095_history.txt"]
        assert "private evidence" in soar.saved_attachments(INCIDENT)[0]["data"].decode("utf-8")


class TestAppLosesTheChannel:
    def test_the_app_removed_while_the_history_is_exported_says_so_and_nothing_is_archived(self, circuits_app,
                                                                                           slack, soar):
        alice = slack.user("alice")["id"]
        channel_id = slack.add_channel("secret-2095", is_private=True, members=[slack.bot_user_id, alice])
        parent = slack.add_message(channel_id, alice, "question")
        slack.add_message(channel_id, alice, "answer", thread_ts=parent)
        soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "secret-2095",
                                "slack_db_channel_type": "Private", "slack_db_channel_id": channel_id})
        slack.faults.add("conversations.replies", "slack_error", error="not_in_channel")

        outcome = archive(circuits_app)

        assert ("The Slack app lost access to #secret-2095 while its history was being exported (it was removed "
                "from the channel): nothing was saved or archived. Invite the app back (/invite @app in Slack) and "
                "run the action again.") in outcome.error
        assert soar.saved_attachments(INCIDENT) == []
        assert slack.channel("secret-2095")["is_archived"] is False

    def test_a_linked_channel_the_app_cannot_see_is_not_blamed_on_slack_channel_id(self, circuits_app, slack, soar):
        soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "vanished",
                                "slack_db_channel_type": "Private", "slack_db_channel_id": "C0GONE12345"})

        outcome = archive(circuits_app)

        assert "The Slack app cannot see #vanished, the channel linked in RES-2095" in outcome.error
        assert "slack_channel_id" not in outcome.error
