"""Slack history → the archive export text (behavior.md §6), streamed through the Jinja2 template."""

import calendar
import io
import tracemalloc
from datetime import datetime

import pytest

from fn_slack.lib.errors import ConfigError
from fn_slack.lib.history_export import (
    PER_MESSAGE,
    STREAMED,
    ExportMessage,
    load_template,
    message_author,
    message_body,
    message_files,
    message_parts,
    write_history,
)

# behavior.md §6, byte for byte.
SPEC_EXPORT = (
    "1 - SOAR POSTED ON 2026-11-01 14:41:54:\n"
    "This channel has been set to be archived from SOAR.\n"
    "\n"
    "2 - Alice POSTED ON 2026-11-01 14:41:20:\n"
    "I'll take a look asap.\n"
    "\n"
    "3 - SOAR POSTED ON 2026-11-01 14:35:13:\n"
    "Please review\n"
    "*Incident ID*: 2103\n"
    "\n"
    "2 REPLIES:\n"
    "\t4 - Bob POSTED A REPLY ON 2026-11-01 14:41:25:\n"
    "\tI'll take a look asap.\n"
    "\n"
    "\t5 - Carol POSTED A REPLY ON 2026-11-01 14:41:34:\n"
    "\tFile name report.pdf\n"
    "\tFile url https://files.slack.com/...\n"
    "\n"
)

USERS = {"U0ALICE": "Alice", "U0BOB": "Bob", "U0CAROL": "Carol"}


def ts(utc: str, micro: str = "000100") -> str:
    """Slack's ts for a UTC time written as in the export."""
    return f"{calendar.timegm(datetime.strptime(utc, '%Y-%m-%d %H:%M:%S').timetuple())}.{micro}"


def author_name(msg: dict) -> str:
    """How the archive function names authors: bots by username, users by display name, else ""."""
    return message_author(msg, lambda user_id: USERS.get(user_id, ""))


def soar_post(when: str, text: str, **extra) -> dict:
    return {"type": "message", "subtype": "bot_message", "bot_id": "B0SOAR", "username": "SOAR",
            "text": text, "ts": ts(when), **extra}


def user_post(user: str, when: str, text: str, **extra) -> dict:
    return {"type": "message", "user": user, "text": text, "ts": ts(when), **extra}


def spec_channel() -> list[tuple[dict, list[dict]]]:
    """The conversation of behavior.md §6 as conversations.history/replies return it."""
    parent_ts = ts("2026-11-01 14:35:13")
    incident_post = soar_post(
        "2026-11-01 14:35:13", "Please review", thread_ts=parent_ts, reply_count=2, reply_users_count=2,
        latest_reply=ts("2026-11-01 14:41:34"),
        attachments=[{"pretext": "Please review", "title": "SOAR Incident", "text": "*Incident ID*: 2103",
                      "title_link": "https://soar.example.com/#incidents/2103", "color": "36a64f",
                      "fallback": "SOAR Incident", "mrkdwn_in": ["text", "pretext"]}])
    replies = [
        user_post("U0BOB", "2026-11-01 14:41:25", "I'll take a look asap.", thread_ts=parent_ts),
        user_post("U0CAROL", "2026-11-01 14:41:34", "", thread_ts=parent_ts, upload=True,
                  files=[{"id": "F1", "name": "report.pdf", "title": "report.pdf",
                          "permalink": "https://files.slack.com/..."}]),
    ]
    return [
        (soar_post("2026-11-01 14:41:54", "This channel has been set to be archived from SOAR."), []),
        (user_post("U0ALICE", "2026-11-01 14:41:20", "I'll take a look asap."), []),
        (incident_post, replies),
    ]


def export(threads, template_text=None, **kwargs) -> tuple[str, int]:
    out = io.StringIO()
    count = write_history(out, threads, author_name, template_text, **kwargs)
    return out.getvalue(), count


# ------------------------------------------------------------------------------------------ the format

def test_builtin_template_writes_exactly_the_specified_export():
    text, count = export(spec_channel())
    assert text == SPEC_EXPORT
    assert count == 5


def test_export_of_an_empty_channel_is_empty():
    assert export([]) == ("", 0)


def test_unknown_author_leaves_the_name_out_like_the_seed():
    text, _ = export([({"type": "message", "text": "hello", "ts": ts("2026-11-01 14:41:20")}, [])])
    assert text == "1 - POSTED ON 2026-11-01 14:41:20:\nhello\n\n"


def test_every_line_of_a_multi_line_reply_is_indented_with_a_tab():
    parent = user_post("U0ALICE", "2026-11-01 10:00:00", "parent line 1\nparent line 2", reply_count=1)
    parent["thread_ts"] = parent["ts"]
    reply = user_post("U0BOB", "2026-11-01 10:05:00", "first\n\nthird\r\nfourth", thread_ts=parent["ts"])
    text, count = export([(parent, [reply])])
    assert text == ("1 - Alice POSTED ON 2026-11-01 10:00:00:\n"
                    "parent line 1\nparent line 2\n"
                    "\n"
                    "1 REPLIES:\n"
                    "\t2 - Bob POSTED A REPLY ON 2026-11-01 10:05:00:\n"
                    "\tfirst\n\t\n\tthird\n\tfourth\n"
                    "\n")
    assert count == 2


def test_numbering_runs_through_parents_and_replies_across_threads():
    first = user_post("U0ALICE", "2026-11-02 09:00:00", "newest", reply_count=1)
    second = user_post("U0BOB", "2026-11-01 09:00:00", "older", reply_count=2)
    threads = [
        (first, [user_post("U0BOB", "2026-11-02 09:01:00", "r1")]),
        (user_post("U0CAROL", "2026-11-01 12:00:00", "plain"), []),
        (second, [user_post("U0ALICE", "2026-11-01 09:01:00", "r2"),
                  user_post("U0CAROL", "2026-11-01 09:02:00", "r3")]),
    ]
    text, count = export(threads)
    headers = [line.strip() for line in text.splitlines() if " POSTED " in line]
    assert headers == [
        "1 - Alice POSTED ON 2026-11-02 09:00:00:",
        "2 - Bob POSTED A REPLY ON 2026-11-02 09:01:00:",
        "3 - Carol POSTED ON 2026-11-01 12:00:00:",
        "4 - Bob POSTED ON 2026-11-01 09:00:00:",
        "5 - Alice POSTED A REPLY ON 2026-11-01 09:01:00:",
        "6 - Carol POSTED A REPLY ON 2026-11-01 09:02:00:",
    ]
    assert count == 6


def test_message_with_text_and_files_lists_the_text_then_each_file():
    msg = user_post("U0ALICE", "2026-11-01 10:00:00", "logs attached", files=[
        {"name": "a.log", "permalink": "https://files.slack.com/files-pri/T1-F1/a.log"},
        {"name": "b.pcap", "permalink": "https://files.slack.com/files-pri/T1-F2/b.pcap"},
    ])
    text, _ = export([(msg, [])])
    assert text == ("1 - Alice POSTED ON 2026-11-01 10:00:00:\n"
                    "logs attached\n"
                    "File name a.log\nFile url https://files.slack.com/files-pri/T1-F1/a.log\n"
                    "File name b.pcap\nFile url https://files.slack.com/files-pri/T1-F2/b.pcap\n"
                    "\n")


def test_slack_escapes_are_shown_as_the_characters_people_typed():
    text, _ = export([(user_post("U0ALICE", "2026-11-01 10:00:00", "a &lt; b &amp;&amp; c &gt; d"), [])])
    assert "a < b && c > d\n" in text


def test_non_ascii_text_is_exported_unchanged():
    text, _ = export([(user_post("U0ALICE", "2026-11-01 10:00:00", "Ünïcödé — 日本語 🚨"), [])])
    assert "Ünïcödé — 日本語 🚨\n" in text


def test_replies_passed_with_their_parent_first_do_not_repeat_the_parent():
    parent = user_post("U0ALICE", "2026-11-01 10:00:00", "question", reply_count=1)
    parent["thread_ts"] = parent["ts"]
    replies = [dict(parent), user_post("U0BOB", "2026-11-01 10:01:00", "answer", thread_ts=parent["ts"])]
    text, count = export([(parent, replies)])
    assert count == 2 and text.count("question") == 1 and "1 REPLIES:" in text


def test_reply_also_sent_to_channel_is_exported_once_inside_its_thread():
    parent = user_post("U0ALICE", "2026-11-01 10:00:00", "question", reply_count=1)
    parent["thread_ts"] = parent["ts"]
    broadcast = user_post("U0BOB", "2026-11-01 10:01:00", "answer", thread_ts=parent["ts"],
                          subtype="thread_broadcast")
    text, count = export([(broadcast, []), (parent, [broadcast])])
    assert count == 2
    assert text.count("answer") == 1
    assert text.startswith("1 - Alice POSTED ON")


# ------------------------------------------------------------------------------------------ message parts

def test_message_text_above_its_attachment_is_exported_once():
    posted = {"text": "Please review", "attachments": [{"title": "SOAR Incident", "text": "*Incident ID*: 2103",
                                                        "fallback": "SOAR Incident"}]}
    assert message_body(posted) == "Please review\n*Incident ID*: 2103"


def test_notification_text_that_repeats_the_title_is_not_exported():
    posted = {"text": "SOAR Incident", "attachments": [{"title": "SOAR Incident", "text": "*Incident ID*: 2103",
                                                        "fallback": "SOAR Incident"}]}
    assert message_body(posted) == "*Incident ID*: 2103"


def test_attachment_message_body_is_pretext_and_text_of_each_attachment():
    # As the original app posted: no message text, everything in the attachments.
    msg = {"text": "", "attachments": [
        {"pretext": "Please review", "text": "*Incident ID*: 2103"},
        {"pretext": "", "text": "*Severity*: High", "title": "ignored"},
        {"fallback": "nothing shown"},
    ]}
    assert message_body(msg) == "Please review\n*Incident ID*: 2103\n*Severity*: High"


def test_link_previews_do_not_replace_the_message_text():
    msg = {"text": "see <https://ex.com>", "attachments": [
        {"from_url": "https://ex.com", "original_url": "https://ex.com", "title": "Example", "text": "A site"}]}
    assert message_body(msg) == "see https://ex.com"


def test_plain_message_body_is_its_text():
    assert message_body({"text": "hello\r\nworld"}) == "hello\nworld"
    assert message_body({}) == ""


def test_files_without_permalink_still_show_their_name():
    assert message_files({"files": [{"name": "x.txt"}, {"title": "shot.png", "url_private": "https://f/p"},
                                    "junk"]}) == [("x.txt", ""), ("shot.png", "https://f/p")]


def test_bot_messages_are_named_by_their_username_in_the_export():
    text, _ = export([({"bot_id": "B9", "username": "Alerts", "subtype": "bot_message", "text": "boom",
                        "ts": ts("2026-11-01 10:00:00")}, [])])
    assert text.startswith("1 - Alerts POSTED ON 2026-11-01 10:00:00:\nboom\n")


def test_export_message_exposes_utc_time_and_reply_count():
    msg = ExportMessage(author="A", ts="1793544114.000100", text="t", files=[],
                        replies=[ExportMessage("B", "1793544115.0", "r", [])])
    assert (msg.time, msg.reply_count) == ("2026-11-01 14:41:54", 1)
    assert ExportMessage("A", "", "t", []).time == ""


# ------------------------------------------------------------------------------------------ templates

def test_builtin_template_documents_the_variables_for_admins():
    text = load_template(None)
    for variable in ("messages", "number", "author", "time", "text", "files", "reply_count", "replies",
                     "tab_indent"):
        assert variable in text


def test_custom_template_replaces_the_builtin_one(tmp_path):
    path = tmp_path / "export.jinja2"
    path.write_text(
        "Channel #{{ channel }}\n"
        "{% for m in messages %}\n"
        "[{{ m.time }}] {{ m.author or '?' }}: {{ m.text }}\n"
        "{% for name, url in m.files %}\n"
        "  file {{ name }} <{{ url }}>\n"
        "{% endfor %}\n"
        "{% for r in m.replies %}\n"
        "{% filter tab_indent %}\n"
        "{{ r.number }}/{{ m.reply_count }} {{ r.author }}: {{ r.text }}\n"
        "{% endfilter %}\n"
        "{% endfor %}\n"
        "{% endfor %}\n", encoding="utf-8")
    text, count = export(spec_channel(), load_template(str(path)), extra={"channel": "soar-2103"})
    assert text == ("Channel #soar-2103\n"
                    "[2026-11-01 14:41:54] SOAR: This channel has been set to be archived from SOAR.\n"
                    "[2026-11-01 14:41:20] Alice: I'll take a look asap.\n"
                    "[2026-11-01 14:35:13] SOAR: Please review\n*Incident ID*: 2103\n"
                    "\t4/2 Bob: I'll take a look asap.\n"
                    "\t5/2 Carol: \n")
    assert "file" not in text  # only the reply has a file, and this template lists only parents' files
    assert count == 5


def test_missing_template_file_is_a_config_error_naming_the_key_and_path(tmp_path):
    path = tmp_path / "nope.jinja2"
    with pytest.raises(ConfigError) as err:
        load_template(str(path))
    assert "template_file" in str(err.value) and str(path) in str(err.value)
    assert "No such file" in str(err.value)


def test_template_with_a_syntax_error_is_a_config_error_with_the_line(tmp_path):
    path = tmp_path / "broken.jinja2"
    path.write_text("ok\n{% for m in messages %}\n{{ m.text }\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_template(str(path))
    message = str(err.value)
    assert "template_file" in message and str(path) in message and "line 3" in message


def test_template_that_is_not_text_is_a_config_error(tmp_path):
    path = tmp_path / "binary.jinja2"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ConfigError, match="template_file"):
        load_template(str(path))


def test_template_using_an_unknown_variable_fails_the_export_instead_of_dropping_text():
    with pytest.raises(ConfigError, match="template_file.*'body'"):
        export(spec_channel(), "{% for m in messages %}{{ m.body }}{% endfor %}")


# ------------------------------------------------------------------------- templates written for 1.x/2.x

# A template written the way fn_slack 1.x/2.x shipped its own: rendered once per message with the original's
# variables, whitespace controlled by hand ({%- -%} and explicit '\n'), no trim_blocks.
ORIGINAL_STYLE_TEMPLATE = """\
{%- if is_msg_parent -%}
    {{- number }} - {{ username }} POSTED ON {{ msg_time }}:{{ '\\n' -}}
    {%- if msg_pretext -%}
        {{- msg_pretext }}{{ '\\n' -}}
    {%- endif -%}
    {%- if msg_text -%}
        {{- msg_text }}{{ '\\n' -}}
    {%- endif -%}
    {%- if file_name -%}
        {{- file_name }}{{ '\\n' -}}
    {%- endif -%}
    {%- if file_permalink -%}
        {{- file_permalink }}{{ '\\n' -}}
    {%- endif %}{{ '\\n' -}}
    {%- if reply_count > 0 -%}
        {{- reply_count }} REPLIES:{{ '\\n' -}}
    {% endif -%}
{%- else -%}
    {{- '\\t' }}{{ number }} - {{ username }} POSTED A REPLY ON {{ msg_time }}:{{ '\\n' -}}
    {%- if msg_text -%}
        {{- '\\t' }}{{ msg_text }}{{ '\\n' -}}
    {%- endif -%}
    {%- if file_name -%}
        {{- '\\t' }}{{ file_name }}{{ '\\n' -}}
    {%- endif -%}
    {%- if file_permalink -%}
        {{- '\\t' }}{{ file_permalink }}{{ '\\n' -}}
    {% endif %}{{ '\\n' -}}
{%- endif -%}"""

# What that template makes of behavior.md's channel: the original's layout (file lines without labels).
ORIGINAL_STYLE_EXPORT = (
    "1 - SOAR POSTED ON 2026-11-01 14:41:54:\n"
    "This channel has been set to be archived from SOAR.\n"
    "\n"
    "2 - Alice POSTED ON 2026-11-01 14:41:20:\n"
    "I'll take a look asap.\n"
    "\n"
    "3 - SOAR POSTED ON 2026-11-01 14:35:13:\n"
    "Please review\n"
    "*Incident ID*: 2103\n"
    "\n"
    "2 REPLIES:\n"
    "\t4 - Bob POSTED A REPLY ON 2026-11-01 14:41:25:\n"
    "\tI'll take a look asap.\n"
    "\n"
    "\t5 - Carol POSTED A REPLY ON 2026-11-01 14:41:34:\n"
    "\treport.pdf\n"
    "\thttps://files.slack.com/...\n"
    "\n"
)


def write_template(tmp_path, text: str, name: str = "slack_export.jinja2") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_template_written_for_the_original_is_rendered_once_per_message_in_export_order(tmp_path):
    template = load_template(write_template(tmp_path, ORIGINAL_STYLE_TEMPLATE))
    assert template.kind == PER_MESSAGE
    text, count = export(spec_channel(), template)
    assert text == ORIGINAL_STYLE_EXPORT
    assert count == 5


def test_original_variables_hold_each_message_as_the_original_gave_them(tmp_path):
    # Like the original, each message's rendering loses its final newline: the template writes its own.
    shown = ("{{ number }}|{{ is_msg_parent }}|{{ username }}|{{ msg_time }}|{{ msg_pretext }}|{{ msg_text }}|"
             "{{ file_name }}|{{ file_permalink }}|{{ reply_count }}|{{ channel }}{{ '\\n' }}\n")
    parent_ts = ts("2026-11-01 09:00:00")
    files = [{"name": "a.txt", "permalink": "https://f/a"}, {"name": "b.txt", "permalink": "https://f/b"}]
    threads = [
        (user_post("U0ALICE", "2026-11-01 10:00:00", "plain"), []),
        (soar_post("2026-11-01 09:00:00", "Look", thread_ts=parent_ts, reply_count=1,
                   attachments=[{"title": "SOAR Task", "pretext": "", "text": "*Task*: Triage"}]),
         [user_post("U0BOB", "2026-11-01 09:05:00", "", thread_ts=parent_ts, files=files)]),
    ]
    text, count = export(threads, load_template(write_template(tmp_path, shown)), extra={"channel": "inc-1"})
    assert text == (
        "1|True|Alice|2026-11-01 10:00:00||plain|||0|inc-1\n"
        "2|True|SOAR|2026-11-01 09:00:00|Look|*Task*: Triage|||1|inc-1\n"
        # A message with several files lists each, one a line (the original showed only the first).
        "3|False|Bob|2026-11-01 09:05:00|||a.txt\nb.txt|https://f/a\nhttps://f/b|0|inc-1\n")
    assert count == 3


def test_message_parts_split_the_body_into_pretext_and_text():
    posted = {"text": "Hey <@U0BOB>", "attachments": [{"title": "SOAR Incident", "pretext": "Heads up",
                                                         "text": "*Incident ID*: 7 &amp; more"}]}
    assert message_parts(posted, USERS.get) == ("Hey @Bob\nHeads up", "*Incident ID*: 7 & more")
    assert message_parts({"text": "just text"}) == ("", "just text")
    # With one attachment, the parts together are the body the built-in template shows.
    assert "\n".join(message_parts(posted, USERS.get)) == message_body(posted, USERS.get)


def test_template_of_this_version_and_builtin_one_are_rendered_once_for_the_channel(tmp_path):
    assert load_template(None).kind == STREAMED
    assert load_template(write_template(tmp_path, "{% for m in messages %}{{ m.text }}\n{% endfor %}")).kind \
        == STREAMED


def test_original_style_template_keeps_resilient_lib_filters_and_its_own_whitespace(tmp_path):
    # The original rendered with resilient-lib's environment: its filters exist and no block trimming applies.
    template = "{% if is_msg_parent %}\n{{ msg_text|json }}\n{% endif %}\n"
    text, _ = export(spec_channel()[:1], load_template(write_template(tmp_path, template)))
    assert text == '\n"This channel has been set to be archived from SOAR."\n'


def test_original_style_template_is_written_while_the_history_is_read():
    threads_total = 300

    read = [0]

    def history():
        for i in range(threads_total):
            read[0] += 1
            yield user_post("U0ALICE", "2026-11-01 10:00:00", f"message {i}"), []

    out = RecordingOut(lambda: read[0])
    assert write_history(out, history(), author_name, "{{ number }}: {{ msg_text }}\n") == threads_total
    read_at_write = [progress for progress, _ in out.writes]
    assert read_at_write[0] == 1
    assert len(set(read_at_write)) == threads_total


@pytest.mark.parametrize("template_text", [None, ORIGINAL_STYLE_TEMPLATE], ids=["built-in", "original-style"])
def test_memory_stays_flat_whatever_the_channel_size(template_text):
    class Sink:
        def write(self, chunk: str) -> int:
            return len(chunk)

    def history(threads: int):
        for i in range(threads):
            parent_ts = ts("2026-11-01 10:00:00", f"{i:06d}")
            yield (user_post("U0ALICE", "2026-11-01 10:00:00", f"message {i} " + "x" * 300, thread_ts=parent_ts,
                             reply_count=2),
                   (user_post("U0BOB", "2026-11-01 10:00:01", f"reply {j} " + "y" * 300, thread_ts=parent_ts)
                    for j in range(2)))

    def peak(threads: int) -> int:
        tracemalloc.start()
        try:
            assert write_history(Sink(), history(threads), author_name, template_text) == threads * 3
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(200), peak(2000)
    # Ten times the messages (about 2 MB of export) need no more memory than a few messages' worth.
    assert large < small + 64 * 1024, (small, large)


def test_unknown_variable_fails_when_the_template_is_loaded_naming_file_and_variable(tmp_path):
    # The typo sits in the reply branch, which a channel without threads would never reach.
    broken = ORIGINAL_STYLE_TEMPLATE.replace("{{- '\\t' }}{{ msg_text }}", "{{- '\\t' }}{{ msg_txt }}")
    path = write_template(tmp_path, broken)
    with pytest.raises(ConfigError) as err:
        load_template(path)
    message = str(err.value)
    assert f"[fn_slack] template_file '{path}'" in message
    assert "'msg_txt'" in message and "'msg_text'" in message  # names the culprit and what is available


def test_template_failing_to_render_fails_when_loaded_naming_file_variable_and_line(tmp_path):
    path = write_template(tmp_path, "{{ number }}\n{{ msg_text.wording }}\n")
    with pytest.raises(ConfigError) as err:
        load_template(path)
    message = str(err.value)
    assert f"[fn_slack] template_file '{path}'" in message
    assert "'wording'" in message and "line 2" in message


def test_template_mixing_both_kinds_is_refused(tmp_path):
    path = write_template(tmp_path, "{% for m in messages %}{{ username }}{% endfor %}")
    with pytest.raises(ConfigError, match=r"template_file .*mixes 'messages'.*'username'"):
        load_template(path)


def test_render_failure_on_real_data_names_the_file_and_stops_the_export(tmp_path):
    # Fine on the sample it is tried with, but a message from an unknown author has no name to slice.
    path = write_template(tmp_path, "{{ number }} {{ username[0] }}\n")
    template = load_template(path)
    threads = [(user_post("U0ALICE", "2026-11-01 10:00:00", "a"), []),
               (user_post("U0NOBODY", "2026-11-01 10:00:01", "b"), [])]
    out = io.StringIO()
    with pytest.raises(ConfigError) as err:
        write_history(out, threads, author_name, template)
    assert f"[fn_slack] template_file '{path}'" in str(err.value) and "line 1" in str(err.value)


# ------------------------------------------------------------------------------------------ streaming

class RecordingOut(io.StringIO):
    """An output stream that notes, at each write, how far the input had been read."""

    def __init__(self, progress):
        super().__init__()
        self.progress = progress
        self.writes: list[tuple[object, str]] = []

    def write(self, chunk: str) -> int:
        self.writes.append((self.progress(), chunk))
        return super().write(chunk)


def test_export_is_written_while_the_history_is_still_being_read():
    threads_total = 500
    read = [0]

    def history():
        for i in range(threads_total):
            read[0] += 1
            yield user_post("U0ALICE", "2026-11-01 10:00:00", f"message {i}"), []

    out = RecordingOut(lambda: read[0])
    assert write_history(out, history(), author_name) == threads_total
    read_at_write = [progress for progress, _ in out.writes]
    assert read_at_write[0] <= 2  # the first message goes out before the rest of the history is fetched
    # Reading and writing alternate all the way through, so memory does not grow with the channel.
    assert len(set(read_at_write)) >= threads_total - 1
    assert out.getvalue().count("POSTED ON") == threads_total


def test_thread_replies_are_fetched_only_when_their_thread_is_reached():
    fetched: list[str] = []

    def replies(name):
        fetched.append(name)
        yield user_post("U0BOB", "2026-11-01 10:01:00", f"reply to {name}")

    def history():
        for name in ("a", "b", "c"):
            yield user_post("U0ALICE", "2026-11-01 10:00:00", name, reply_count=1), replies(name)

    out = RecordingOut(lambda: list(fetched))
    write_history(out, history(), author_name)
    fetched_when_reply_a_written = next(progress for progress, chunk in out.writes if "reply to a" in chunk)
    assert "c" not in fetched_when_reply_a_written
    assert fetched == ["a", "b", "c"]


def test_date_tokens_read_as_their_utc_fallback_text():
    posted = {"text": "", "attachments": [{"text": "*Date Created*: <!date^1541066628^{date_num} {time_secs}|"
                                                   "2018-11-01 10:03:48>"}]}
    assert message_body(posted) == "*Date Created*: 2018-11-01 10:03:48"


class TestReadableExport:
    """Messages Slack writes itself, mentions, links, edits and gone files read as words (issue: nothing raw)."""

    def test_system_messages_read_as_words_with_names(self):
        threads = [
            ({"type": "message", "subtype": "channel_name", "user": "U0CAROL", "old_name": "inc-1", "name": "inc-1-x",
              "text": "<@U0CAROL> has renamed the channel", "ts": ts("2026-11-01 10:00:04")}, []),
            ({"type": "message", "subtype": "channel_purpose", "user": "U0BOB", "purpose": "Phishing <@U0ALICE>",
              "text": "<@U0BOB> set the channel description", "ts": ts("2026-11-01 10:00:03")}, []),
            ({"type": "message", "subtype": "channel_topic", "user": "U0BOB", "topic": "Wave &amp; more",
              "text": "<@U0BOB> set the channel topic: Wave &amp; more", "ts": ts("2026-11-01 10:00:02")}, []),
            ({"type": "message", "subtype": "channel_join", "user": "U0ALICE", "inviter": "U0BOB",
              "text": "<@U0ALICE> has joined the channel", "ts": ts("2026-11-01 10:00:01")}, []),
        ]
        text, _ = export(threads)

        assert "Alice joined the channel\n" in text
        assert "Bob set the channel topic: Wave & more\n" in text
        assert "Bob set the channel description: Phishing @Alice\n" in text
        assert 'Carol renamed the channel from "inc-1" to "inc-1-x"\n' in text
        assert "<@" not in text

    def test_mentions_links_and_edits(self):
        msg = {"user": "U0ALICE", "ts": ts("2026-11-01 10:00:00"), "edited": {"user": "U0ALICE", "ts": "1.2"},
               "text": "cc <@U0BOB> <!here> <#C123|ops> <!subteam^S1|@secops> <mailto:a@b.test|a@b.test> "
                       "<https://evil.test/x|https://bank.example> <https://ex.com|ex.com docs> &lt;tag&gt;"}

        body = message_body(msg, USERS.get)

        assert body == ("cc @Bob @here #ops @secops a@b.test https://bank.example (https://evil.test/x) "
                        "ex.com docs (https://ex.com) <tag> (edited)")

    def test_a_deleted_parent_and_gone_files_say_so(self):
        parent_ts = ts("2026-11-01 10:00:00")
        tombstone = {"type": "message", "subtype": "tombstone", "user": "USLACKBOT", "hidden": True,
                     "text": "This message was deleted.", "ts": parent_ts, "thread_ts": parent_ts, "reply_count": 1}
        reply = {"user": "U0BOB", "ts": ts("2026-11-01 10:01:00"), "thread_ts": parent_ts, "text": "files",
                 "files": [{"id": "F1", "mode": "tombstone"}, {"id": "F2", "mode": "hidden_by_limit"}]}

        text, _ = export([(tombstone, [reply])])

        assert text.startswith("1 - POSTED ON 2026-11-01 10:00:00:\n(This message was deleted.)\n")
        assert "\tFile name (deleted file)\n\tFile name (file hidden by the workspace's plan limits)\n" in text
        assert "File url \n" not in text and "File url\n" not in text
