"""slack_post_message through resilient-circuits, against the Slack sandbox over HTTP (behavior §3.1–§3.3)."""

import html
import json
import logging
import re
import threading

import pytest
from slack_sdk import WebClient

from fn_slack.lib.soar import links as conversations_table
from sandbox.slack.html_view import render_channel, slack_unescape
from tests.functions.conftest import INCIDENT, TASK
from tests.functions.harness import config_data as make_config
from tests.functions.harness import run_function
from tests.functions.soar_org import soar_sandbox

config_data = make_config()
FN = "slack_post_message"
BOT_SCOPES = ["channels:read", "groups:read", "channels:manage", "groups:write", "chat:write", "chat:write.public",
              "chat:write.customize", "users:read", "users:read.email", "files:write", "files:read",
              "channels:history", "groups:history", "channels:join"]


# Every Slack method that changes the workspace and that a post could send.
SLACK_WRITES = {"conversations.create", "conversations.invite", "conversations.join", "chat.postMessage",
                "files.getUploadURLExternal", "files.completeUploadExternal", "chat.update"}


def post(circuits_app, **inputs):
    inputs.setdefault("incident_id", INCIDENT)
    return run_function(circuits_app, FN, inputs)


def reader_sees(stored_text):
    """The characters a Slack reader sees for stored message text (entities decoded, zero-width spaces unseen)."""
    return slack_unescape(stored_text).replace("\u200b", "")


def disguised_links(page_html):
    """Links on a sandbox channel page whose shown text is not their own address."""
    anchors = re.findall(r'<a href="(https?://[^"]*)"[^>]*>(.*?)</a>', page_html)
    return [(href, shown) for href, shown in anchors if html.unescape(shown) != html.unescape(href)]


def only_message(slack, channel_name):
    messages = slack.messages(slack.channel(channel_name)["id"])
    assert len(messages) == 1, messages
    return messages[0]


def methods(slack):
    return [call.method for call in slack.calls]


class TestChannelResolution:
    def test_first_post_to_a_new_name_creates_the_channel_and_links_it(self, circuits_app, slack, soar):
        outcome = post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="Hello")

        channel = slack.channel("inc-2095")
        assert channel is not None and channel["is_private"] is False
        assert only_message(slack, "inc-2095")["text"] == "Hello"
        result = outcome.content
        assert result["channel"] == "inc-2095"
        assert result["channel_id"] == channel["id"]
        assert result["url"].startswith(f"https://sandbox.slack.com/archives/{channel['id']}/p")
        assert result["ts"] and result["linked"] is True and result["channel_created"] is True
        assert "Channel #inc-2095 was created in your workspace (public)." in outcome.statuses
        [row] = soar.rows_of(INCIDENT)
        assert row["slack_db_res_id"] == "RES-2095"
        assert row["slack_db_channel"] == "inc-2095"
        assert row["slack_db_channel_type"] == "Public"
        assert row["slack_db_channel_id"] == channel["id"]
        assert row["slack_db_permalink"] == f'<a href="{result["url"]}">Link</a>'

    def test_post_to_the_linked_channel_takes_two_slack_calls(self, circuits_app, slack, soar):
        post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=True, slack_text="first")
        slack.clear_calls()

        outcome = post(circuits_app, slack_text="second")

        assert methods(slack) == ["chat.postMessage", "chat.getPermalink"]
        assert outcome.content["channel"] == "inc-2095"
        assert outcome.content["channel_type"] == "Private"
        assert [m["text"] for m in slack.messages(slack.channel("inc-2095")["id"])] == ["first", "second"]
        assert len(soar.rows_of(INCIDENT)) == 1

    def test_task_posts_link_their_own_row(self, circuits_app, slack, soar):
        post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="incident")
        post(circuits_app, task_id=TASK, slack_channel="task-7", slack_is_channel_private=False, slack_text="task")

        outcome = post(circuits_app, task_id=TASK, slack_text="again")

        assert outcome.content["channel"] == "task-7"
        keys = [row["slack_db_res_id"] for row in soar.rows_of(INCIDENT)]
        assert keys == ["RES-2095", "RES-2095-7"]

    def test_existing_channel_found_by_name_is_used_without_creating(self, circuits_app, slack, soar):
        outcome = post(circuits_app, slack_channel="#general", slack_text="to general")

        assert "conversations.create" not in methods(slack)
        assert only_message(slack, "general")["text"] == "to general"
        assert outcome.content["channel_created"] is False
        assert soar.rows_of(INCIDENT)[0]["slack_db_channel"] == "general"

    def test_new_channel_without_the_private_flag_is_refused_before_any_slack_write(self, circuits_app, slack, soar):
        outcome = post(circuits_app, slack_channel="brand-new", slack_participant_emails="alice@example.com",
                       slack_text="x")

        assert "slack_is_channel_private is empty" in outcome.error
        assert "set slack_is_channel_private to Yes (private) or No (public)" in outcome.error
        assert slack.channel("brand-new") is None
        assert not set(methods(slack)) & SLACK_WRITES, methods(slack)
        assert soar.rows_of(INCIDENT) == [] and [call.method for call in soar.calls if call.method != "GET"] == []

    def test_existing_channel_found_by_name_with_an_empty_flag_is_used(self, circuits_app, slack, soar):
        slack.add_channel("war-room", members=[slack.bot_user_id])

        outcome = post(circuits_app, slack_channel="war-room", slack_is_channel_private="", slack_text="here")

        assert only_message(slack, "war-room")["text"] == "here"
        assert outcome.content["channel_created"] is False
        assert "conversations.create" not in methods(slack)
        assert soar.rows_of(INCIDENT)[0]["slack_db_channel"] == "war-room"

    def test_linked_channel_named_again_with_an_empty_flag_is_used(self, circuits_app, slack, soar):
        post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=True, slack_text="first")
        slack.clear_calls()

        outcome = post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=None, slack_text="second")

        assert outcome.content["channel"] == "inc-2095" and outcome.content["channel_type"] == "Private"
        assert [m["text"] for m in slack.messages(slack.channel("inc-2095")["id"])] == ["first", "second"]
        assert "conversations.create" not in methods(slack)

    def test_no_channel_and_nothing_linked_fails_asking_for_slack_channel(self, circuits_app, slack, soar):
        outcome = post(circuits_app, slack_text="x")

        assert "No Slack channel is linked to this incident; give slack_channel" in outcome.error
        assert methods(slack) == []

    def test_channel_id_wins_over_name_and_link(self, circuits_app, slack, soar):
        other = slack.add_channel("other", members=[slack.bot_user_id])
        outcome = post(circuits_app, slack_channel_id=other, slack_channel="ignored-name", slack_text="by id")

        assert outcome.content["channel"] == "other"
        assert only_message(slack, "other")["text"] == "by id"
        assert slack.channel("ignored-name") is None

    def test_named_channel_other_than_the_linked_one_is_used_and_said(self, circuits_app, slack, soar):
        post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="linked")

        outcome = post(circuits_app, slack_channel="general", slack_text="elsewhere")

        assert outcome.content["channel"] == "general"
        assert any("#inc-2095, was not used" in s for s in outcome.statuses)
        assert [row["slack_db_channel"] for row in soar.rows_of(INCIDENT)] == ["inc-2095"]

    def test_private_flag_that_contradicts_the_channel_fails_naming_the_input(self, circuits_app, slack, soar):
        outcome = post(circuits_app, slack_channel="general", slack_is_channel_private=True, slack_text="x")

        assert "#general is public" in outcome.error
        assert "set slack_is_channel_private to No" in outcome.error
        assert slack.messages(slack.channel("general")["id"]) == []

    def test_archived_linked_channel_fails_with_the_channel_name(self, circuits_app, slack, soar):
        post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="before")
        WebClient(token=slack.default_token, base_url=slack.base_url).conversations_archive(
            channel=slack.channel("inc-2095")["id"])

        outcome = post(circuits_app, slack_text="after")

        assert "#inc-2095 is archived" in outcome.error
        assert "give another slack_channel" in outcome.error

    def test_private_channel_the_app_cannot_see_explains_the_invitation(self, circuits_app, slack, soar):
        alice = slack.user("alice")["id"]
        slack.add_channel("secret-room", is_private=True, members=[alice])

        outcome = post(circuits_app, slack_channel="secret-room", slack_is_channel_private=True, slack_text="x")

        assert "#secret-room is taken by a channel the Slack app cannot see" in outcome.error
        assert "Invite the app" in outcome.error
        assert slack.messages(slack.channel("secret-room")["id"]) == []

    def test_row_of_the_original_app_without_channel_id_gets_the_id_filled(self, circuits_app, slack, soar):
        general = slack.channel("general")["id"]
        soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "general",
                                "slack_db_channel_type": "Public", "slack_db_permalink": "", "slack_db_time": 1})

        outcome = post(circuits_app, slack_text="old row")

        assert outcome.content["channel_id"] == general
        assert soar.rows_of(INCIDENT)[0]["slack_db_channel_id"] == general
        slack.clear_calls()
        post(circuits_app, slack_text="now by id")
        assert methods(slack) == ["chat.postMessage", "chat.getPermalink"]

    def test_bad_channel_name_fails_before_any_call(self, circuits_app, slack, soar):
        outcome = post(circuits_app, slack_channel="Incident 2095", slack_is_channel_private=False, slack_text="x")

        assert "slack_channel 'Incident 2095'" in outcome.error
        assert "lowercase letters, digits, '-' and '_', at most 80 characters" in outcome.error
        assert methods(slack) == []

    def test_two_first_posts_at_once_make_one_channel_and_one_row(self, circuits_app, slack, soar):
        outcomes = []

        def fire():
            outcomes.append(post(circuits_app, slack_channel="race-room", slack_is_channel_private=False,
                                 slack_text="racing"))

        threads = [threading.Thread(target=fire) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert all(o.error is None for o in outcomes), outcomes
        assert len([c for c in methods(slack) if c == "conversations.create"]) == 1
        assert len(soar.rows_of(INCIDENT)) == 1
        assert len(slack.messages(slack.channel("race-room")["id"])) == 2


class TestInvites:
    def test_known_unknown_duplicate_and_malformed_emails(self, circuits_app, slack, soar):
        outcome = post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="x",
                       slack_participant_emails="alice@example.com, nobody@example.com,, not-an-email, "
                                                "ALICE@example.com , bob@example.com")

        members = slack.channel("inc-2095")["members"]
        assert slack.user("alice")["id"] in members and slack.user("bob")["id"] in members
        assert "User nobody@example.com is not a member of your workspace." in outcome.statuses
        assert any("'not-an-email'" in s and "not a valid e-mail" in s for s in outcome.statuses)
        assert "2 users invited to #inc-2095: alice@example.com, bob@example.com." in outcome.statuses
        lookups = [c.params.get("email") for c in slack.calls_to("users.lookupByEmail")]
        assert sorted(lookups) == ["alice@example.com", "bob@example.com", "nobody@example.com"]
        assert len(slack.calls_to("conversations.invite")) == 1

    def test_members_found_once_are_not_looked_up_again_but_unknown_emails_are(self, circuits_app, slack, soar):
        emails = "alice@example.com, nobody@example.com"
        post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="x",
             slack_participant_emails=emails)
        slack.clear_calls()

        outcome = post(circuits_app, slack_text="y", slack_participant_emails=emails)

        assert [c.params.get("email") for c in slack.calls_to("users.lookupByEmail")] == ["nobody@example.com"]
        assert "Already in #inc-2095: alice@example.com." in outcome.statuses

    def test_users_already_in_the_channel_are_not_an_error(self, circuits_app, slack, soar):
        post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="x",
             slack_participant_emails="alice@example.com")

        outcome = post(circuits_app, slack_text="y", slack_participant_emails="alice@example.com")

        assert outcome.error is None
        assert "Already in #inc-2095: alice@example.com." in outcome.statuses


class TestMessageContent:
    def test_container_becomes_a_green_attachment_linking_to_soar(self, circuits_app, slack, soar):
        container = {
            "Additional Text": {"type": "string", "data": "Hey <@UCNC5K34J> check out #random"},
            "Resilient URL": {"type": "incident", "data": INCIDENT},
            "Type of data": {"type": "string", "data": "Incident"},
            "Incident ID": {"type": "number", "data": INCIDENT},
            "Incident name": {"type": "string", "data": "Phishing <b>\"quoted\"</b>"},
            "Confirmed": {"type": "boolean", "data": True},
        }
        post(circuits_app, slack_channel="general", slack_text=json.dumps(container))

        message = only_message(slack, "general")
        [attachment] = message["attachments"]
        assert message["text"] == "Hey <@UCNC5K34J> check out #random"
        assert "pretext" not in attachment
        assert attachment["title"] == "SOAR Incident"
        assert attachment["title_link"] == f"{soar_sandbox().rest_url}#incidents/{INCIDENT}?orgId=201"
        assert attachment["color"] == "#36a64f"
        assert "*Incident ID*: 2095" in attachment["text"]
        assert "*Incident name*: Phishing &lt;b&gt;\"quoted\"&lt;/b&gt;" in attachment["text"]
        assert "*Confirmed*: Yes" in attachment["text"]

    def test_container_with_a_raw_newline_in_a_string_is_posted_as_the_container(self, circuits_app, slack, soar):
        # As a workflow script makes it when it pastes a multi-line note between quotes.
        slack_text = ('{"Additional Text": {"type": "string", "data": "Line one\nLine two"},\n'
                      '"Type of data": {"type": "string", "data": "Note"},\n'
                      '"Note": {"type": "string", "data": "first\tsecond"}}')
        outcome = post(circuits_app, slack_channel="general", slack_text=slack_text)

        assert outcome.error is None, outcome.error
        message = only_message(slack, "general")
        assert message["text"] == "Line one\nLine two"
        [attachment] = message["attachments"]
        assert attachment["title"] == "SOAR Note"
        assert attachment["text"] == "*Note*: first\tsecond"

    def test_hostile_incident_data_notifies_nobody_and_links_nowhere(self, circuits_app, slack, soar):
        container = {
            "Type of data": {"type": "string", "data": "Incident"},
            "Incident name": {"type": "string", "data": "<!channel> @here @everyone <https://evil.example|click>"},
            "Description": {"type": "richtext", "data": "<p><!here> @channel &lt;!everyone&gt;</p>"},
        }
        post(circuits_app, slack_channel="general", slack_text=json.dumps(container))

        message = only_message(slack, "general")
        notified = [n for n in slack.notifications if n["ts"] == message["ts"]]
        assert all(not n["broadcast"] and not n["users"] and not n["usergroups"] for n in notified), notified
        text = message["attachments"][0]["text"]
        assert "<https://evil.example|click>" not in text
        assert "&lt;https://evil.example%7Cclick&gt;" in text   # "|" inside an address starts no label

    @pytest.mark.parametrize("as_json", [False, True], ids=["plain text", "JSON that is not the container"])
    def test_text_that_is_not_the_container_pings_nobody_and_links_nowhere(self, circuits_app, slack, soar,
                                                                           as_json):
        alice = slack.user("alice")["id"]
        hostile = (f"<!here> free gift <!channel> @here @everyone <@{alice}> <!subteam^S0ONCALL01|@oncall> @oncall "
                   f"<https://evil.example/login|Approve> bob@example.com")
        slack_text = json.dumps({"Incident name": hostile}) if as_json else hostile
        slack.reset({"usergroups": [{"id": "S0ONCALL01", "handle": "oncall", "users": ["alice", "bob"]}]})

        outcome = post(circuits_app, slack_channel="general", slack_text=slack_text)

        assert outcome.error is None, outcome.error
        message = only_message(slack, "general")
        assert [(n["broadcast"], n["users"], n["usergroups"]) for n in slack.notifications
                if n["ts"] == message["ts"]] == [([], [], [])]
        assert "<" not in message["text"]           # no control sequence survived Slack's rewriting
        # The words read as typed; the "|" inside the address is percent-encoded, so it starts no link label.
        assert reader_sees(message["text"]) == slack_text.replace("login|", "login%7C")
        page = render_channel(slack.state_json(), slack.channel("general")["id"])
        assert 'class="mention' not in page
        assert disguised_links(page) == []         # "Approve" links nowhere; an address shows as itself

    def test_a_container_of_additional_text_only_is_the_analysts_message_with_its_mentions(self, circuits_app,
                                                                                          slack, soar):
        bob = slack.user("bob")["id"]
        container = {"Additional Text": {"type": "string", "data": f"<@{bob}> please look, see #random"}}
        post(circuits_app, slack_channel="general", slack_text=json.dumps(container))

        message = only_message(slack, "general")
        assert message["text"] == f"<@{bob}> please look, see #random" and "attachments" not in message
        assert [n["users"] for n in slack.notifications if n["ts"] == message["ts"]] == [[bob]]

    def test_a_value_with_a_newline_cannot_forge_a_field_line(self, circuits_app, slack, soar):
        container = {"Type of data": {"type": "string", "data": "Incident"},
                     "Incident name": {"type": "string", "data": "Invoice\n*Severity*: Low"},
                     "Severity": {"type": "string", "data": "High"},
                     "Description": {"type": "richtext", "data": "<p>Two users</p><p>*Severity*: Low</p>"}}
        post(circuits_app, slack_channel="general", slack_text=json.dumps(container))

        text = only_message(slack, "general")["attachments"][0]["text"]
        assert [line for line in text.split("\n") if not line.startswith(">")] == \
            ["*Incident name*:", "*Severity*: High", "*Description*:"]
        assert "*Incident name*:\n> Invoice\n> *Severity*: Low" in text   # still there, inside its field

    def test_text_over_slacks_limit_fails_instead_of_being_cut(self, circuits_app, slack, soar):
        outcome = post(circuits_app, slack_channel="general", slack_text="x" * 40001)

        assert "slack_text" in outcome.error and "40,000" in outcome.error.replace("40000", "40,000")
        assert slack.messages(slack.channel("general")["id"]) == []

    def test_author_is_the_username_input_else_the_configured_one(self, circuits_app, slack, soar):
        post(circuits_app, slack_channel="general", slack_text="one", slack_username="Analyst Ann")
        post(circuits_app, slack_channel="general", slack_text="two")
        post(circuits_app, slack_channel="general", slack_text="three", slack_as_user=True,
             slack_username="ignored")

        posted = slack.calls_to("chat.postMessage")
        assert [c.params.get("username") for c in posted] == ["Analyst Ann", "SOAR", None]

    def test_mrkdwn_false_is_sent_to_slack(self, circuits_app, slack, soar):
        post(circuits_app, slack_channel="general", slack_text="*not bold*", slack_mrkdwn=False)

        [call] = slack.calls_to("chat.postMessage")
        assert call.params["mrkdwn"] in (False, "false", "0")
        assert call.params["parse"] == "none" and str(call.params["link_names"]) in ("1", "True", "true")

    # Slack ignores `username` without chat:write.customize silently: fn_slack reads it from the posted message.
    def test_username_without_the_customize_scope_posts_as_the_app_and_says_so(self, circuits_app, slack, soar):
        slack.add_token(slack.default_token, [s for s in BOT_SCOPES if s != "chat:write.customize"], kind="bot",
                        user_id=slack.bot_user_id)

        outcome = post(circuits_app, slack_channel="general", slack_text="hello", slack_username="Analyst Ann")

        assert outcome.error is None
        assert "username" not in only_message(slack, "general") or \
            only_message(slack, "general").get("username") != "Analyst Ann"
        assert any("chat:write.customize" in s for s in outcome.statuses)

    @pytest.mark.slack_tidy("username_without_scope")
    def test_username_refused_with_missing_scope_is_posted_as_the_app_and_said(self, circuits_app, slack, soar):
        """Older workspaces answered missing_scope instead of dropping the override."""
        slack.add_token(slack.default_token, [s for s in BOT_SCOPES if s != "chat:write.customize"], kind="bot",
                        user_id=slack.bot_user_id)

        outcome = post(circuits_app, slack_channel="general", slack_text="hello", slack_username="Analyst Ann")

        assert outcome.error is None
        assert only_message(slack, "general").get("username") != "Analyst Ann"
        assert any("chat:write.customize" in s for s in outcome.statuses)

    def test_username_honoured_is_not_reported_as_dropped(self, circuits_app, slack, soar):
        outcome = post(circuits_app, slack_channel="general", slack_text="hello", slack_username="Analyst Ann")

        assert only_message(slack, "general").get("username") == "Analyst Ann"
        assert not any("chat:write.customize" in s for s in outcome.statuses)


def _logged_text(record: logging.LogRecord) -> str:
    """A record's message; its format and every argument when resilient-circuits' redacting filter turned an
    argument into text the format cannot take (urllib3's "Starting new HTTPS connection (%d)")."""
    try:
        return record.getMessage()
    except TypeError:
        return " ".join([str(record.msg), *(str(arg) for arg in record.args or ())])


class TestPrivacy:
    def test_debug_logs_hold_neither_the_token_nor_workspace_e_mails(self, circuits_app, slack, soar, caplog):
        caplog.set_level(logging.DEBUG)

        outcome = post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="x",
                       slack_participant_emails="bob@example.com")

        assert outcome.error is None
        logged = "\n".join(_logged_text(record) for record in caplog.records)
        assert "Sending a request" not in logged and "Received the following response" not in logged
        assert slack.default_token not in logged
        assert slack.default_token not in json.dumps(outcome.result)


class TestFaults:
    def test_rate_limits_within_the_cap_are_waited_out(self, circuits_app, slack, soar):
        slack.faults.add("chat.postMessage", "ratelimit", times=2, retry_after=1)

        outcome = post(circuits_app, slack_channel="general", slack_text="patient")

        assert outcome.error is None
        assert len(slack.messages(slack.channel("general")["id"])) == 1

    def test_rate_limit_beyond_the_cap_fails_and_says_so(self, circuits_app, slack, soar):
        slack.faults.add("chat.postMessage", "ratelimit", times=1, retry_after=60)

        outcome = post(circuits_app, slack_channel="general", slack_text="impatient")

        assert "Slack rate-limited chat.postMessage" in outcome.error
        assert "max_rate_limit_wait" in outcome.error
        assert slack.messages(slack.channel("general")["id"]) == []

    def test_slack_server_errors_are_retried(self, circuits_app, slack, soar):
        slack.faults.add("chat.postMessage", "http_status", times=2, status=503)

        outcome = post(circuits_app, slack_channel="general", slack_text="eventually")

        assert outcome.error is None
        assert len(slack.messages(slack.channel("general")["id"])) == 1

    def test_persistent_server_errors_fail_clearly(self, circuits_app, slack, soar):
        slack.faults.add("chat.postMessage", "http_status", times=50, status=500)

        outcome = post(circuits_app, slack_channel="general", slack_text="never")

        assert "Slack failed to answer chat.postMessage (HTTP 500)" in outcome.error

    def test_revoked_token_is_reported_without_the_token(self, circuits_app, slack, soar):
        slack.revoke_token(slack.default_token)

        outcome = post(circuits_app, slack_channel="general", slack_text="x")

        assert "revoked" in outcome.error
        assert slack.default_token not in outcome.error
        assert all(slack.default_token not in s for s in outcome.statuses)



class TestLinkRace:
    def test_a_row_added_by_another_process_at_the_same_moment_wins_if_older(self, circuits_app, slack, soar,
                                                                            monkeypatch):
        """Another resilient-circuits process links the incident between our read and our write."""
        original = conversations_table.ConversationsTable.add_link

        def racing_add_link(table, task_id, *args, **kwargs):
            soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "general",
                                    "slack_db_channel_type": "Public",
                                    "slack_db_channel_id": slack.channel("general")["id"]})
            return original(table, task_id, *args, **kwargs)

        monkeypatch.setattr(conversations_table.ConversationsTable, "add_link", racing_add_link)

        outcome = post(circuits_app, slack_channel="inc-2095", slack_is_channel_private=False, slack_text="x")

        assert outcome.error is None
        assert [row["slack_db_channel"] for row in soar.rows_of(INCIDENT)] == ["general"]
        assert outcome.content["linked"] is False
