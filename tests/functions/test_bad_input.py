"""The bad-input catalogue: each refused input gets its exact message, and nothing changes in Slack or SOAR."""

import json

import pytest

from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from tests.functions.conftest import INCIDENT, TASK
from tests.functions.harness import TOKEN, run_function
from tests.functions.harness import config_data as make_config

config_data = make_config()

POST = "slack_post_message"
UPLOAD = "slack_post_attachment"
ARCHIVE = "slack_archive_channel"
RULE = "Slack channel names use lowercase letters, digits, '-' and '_', at most 80 characters; fix slack_channel"
READ_ONLY = {"conversations.list", "conversations.info", "users.lookupByEmail", "auth.test"}
CREATE = {"slack_is_channel_private": False, "slack_text": "x"}
OTHER_TASK = 8   # a task of incident 3000


def container(**entries):
    return json.dumps({label: {"type": t, "data": d} for label, (t, d) in entries.items()})


CASES = [
    # --- channel names
    ("capitals", POST, {"slack_channel": "Incident-2095", **CREATE},
     f"slack_channel 'Incident-2095' has capital letters. {RULE} (e.g. 'incident-2095')."),
    ("spaces", POST, {"slack_channel": "incident 2095", **CREATE},
     f"slack_channel 'incident 2095' has characters Slack does not allow (' '). {RULE}."),
    ("81 characters", POST, {"slack_channel": "a" * 81, **CREATE},
     f"slack_channel '{'a' * 20}…' has 81 characters. {RULE}."),
    ("only punctuation", POST, {"slack_channel": "-_-", **CREATE},
     f"slack_channel '-_-' is only punctuation: give at least one letter or digit. {RULE}."),
    ("unicode", POST, {"slack_channel": "vorfall-ä", **CREATE},
     f"slack_channel 'vorfall-ä' has characters Slack does not allow ('ä'). {RULE}."),
    ("dot", POST, {"slack_channel": "inc.2095", **CREATE},
     f"slack_channel 'inc.2095' has characters Slack does not allow ('.'). {RULE}."),
    ("emoji", POST, {"slack_channel": "fire-🔥", **CREATE},
     f"slack_channel 'fire-🔥' has characters Slack does not allow ('🔥'). {RULE}."),
    ("bad name on upload", UPLOAD, {"slack_channel": "Files", "attachment_id": 1},
     f"slack_channel 'Files' has capital letters. {RULE} (e.g. 'files')."),
    ("lone hash", POST, {"slack_channel": "#", "slack_text": "x"},
     "slack_channel '#' has no name after the '#': give the channel's name (e.g. #incident-2095), or leave "
     "slack_channel empty to use the linked channel."),
    ("lone hash with a link", POST, {"slack_channel": " # ", "slack_text": "x", "LINKED": "general"},
     "slack_channel '#' has no name after the '#': give the channel's name (e.g. #incident-2095), or leave "
     "slack_channel empty to use the linked channel."),
    ("channel id typed as a name", POST, {"slack_channel": "C0123ABCD", **CREATE},
     "slack_channel 'C0123ABCD' is a Slack channel ID, not a channel name: use slack_channel_id for IDs (and leave "
     "slack_channel empty)."),
    ("private channel id typed as a name on upload", UPLOAD, {"slack_channel": "#G01ABCDEFG", "attachment_id": 1},
     "slack_channel 'G01ABCDEFG' is a Slack channel ID, not a channel name: use slack_channel_id for IDs (and leave "
     "slack_channel empty)."),
    # --- channel ids
    ("channel id is a name", POST, {"slack_channel_id": "general", "slack_text": "x"},
     "slack_channel_id 'general' is not a Slack channel ID: it looks like C0123ABCD (in Slack: channel details → "
     "About → Channel ID). Leave it empty to use slack_channel."),
    ("channel id lowercase", ARCHIVE, {"slack_channel_id": "c0123abcd"},
     "slack_channel_id 'c0123abcd' is not a Slack channel ID: it looks like C0123ABCD (in Slack: channel details → "
     "About → Channel ID). Leave it empty to use slack_channel."),
    # --- ids
    ("incident id missing", POST, {"incident_id": None, "slack_channel": "general", "slack_text": "x"},
     "incident_id is required: the workflow must pass the incident's id."),
    ("incident id negative", POST, {"incident_id": -5, "slack_channel": "general", "slack_text": "x"},
     "incident_id must be a positive SOAR id, got -5."),
    ("incident id text", ARCHIVE, {"incident_id": "twenty"},
     "incident_id must be a SOAR id (a whole number), got 'twenty'."),
    ("task id zero", POST, {"task_id": 0, "slack_channel": "general", "slack_text": "x"},
     "task_id must be a positive SOAR id, got 0."),
    ("archive incident id missing", ARCHIVE, {"incident_id": None},
     "incident_id is required: the workflow must pass the incident's id."),
    ("artifact id negative", UPLOAD, {"artifact_id": -1, "slack_channel": "general"},
     "artifact_id must be a positive SOAR id, got -1."),
    ("attachment id text", UPLOAD, {"attachment_id": "abc", "slack_channel": "general"},
     "attachment_id must be a SOAR id (a whole number), got 'abc'."),
    ("no file given", UPLOAD, {"slack_channel": "general"},
     "Give artifact_id (an artifact with a file) or attachment_id (an incident or task attachment): "
     "slack_post_attachment needs one of them."),
    ("attachment of another incident", UPLOAD, {"attachment_id": "OTHER_INCIDENT_ATTACHMENT",
                                                "slack_channel": "general"},
     "SOAR has no attachment {id} on incident 2095: check incident_id, task_id, artifact_id and attachment_id."),
    ("unknown artifact", UPLOAD, {"artifact_id": 99999, "slack_channel": "general"},
     "SOAR has no artifact 99999 in incident 2095: check incident_id, task_id, artifact_id and attachment_id."),
    ("artifact without a file", UPLOAD, {"artifact_id": "IP_ARTIFACT", "slack_channel": "general"},
     "Artifact {id} (IP Address) holds no file: use 'Example: Post Artifact to Slack' to post its value, "
     "or give another artifact_id."),
    ("malware sample", UPLOAD, {"artifact_id": "MALWARE_ARTIFACT", "slack_channel": "general"},
     "Artifact {id} is a Malware Sample: fn_slack does not upload malware samples to Slack unless "
     "[fn_slack] allow_malware_samples = true."),
    ("task attachment of another incident", UPLOAD, {"task_id": "OTHER_TASK", "attachment_id": "OTHER_TASK_FILE",
                                                     "slack_channel": "general"},
     "Task 8 belongs to incident 3000, not to incident 2095: check incident_id, task_id, artifact_id and "
     "attachment_id."),
    ("post for a task of another incident", POST, {"task_id": "OTHER_TASK", "slack_channel": "general",
                                                   "slack_text": "x"},
     "Task 8 belongs to incident 3000, not to incident 2095: check incident_id, task_id, artifact_id and "
     "attachment_id."),
    ("archive for a task of another incident", ARCHIVE, {"task_id": "OTHER_TASK"},
     "Task 8 belongs to incident 3000, not to incident 2095: check incident_id, task_id, artifact_id and "
     "attachment_id."),
    ("artifact with a task of another incident", UPLOAD, {"task_id": "OTHER_TASK", "artifact_id": "LOG_ARTIFACT",
                                                          "slack_channel": "general"},
     "Task 8 belongs to incident 3000, not to incident 2095: check incident_id, task_id, artifact_id and "
     "attachment_id."),
    ("unknown task", UPLOAD, {"task_id": 99999, "attachment_id": 1, "slack_channel": "general"},
     "SOAR has no task 99999: check incident_id, task_id, artifact_id and attachment_id."),
    # --- flags
    ("private flag not boolean", POST, {"slack_channel": "new-room", "slack_is_channel_private": "maybe",
                                        "slack_text": "x"},
     "slack_is_channel_private must be true or false, got 'maybe'."),
    ("mrkdwn not boolean", POST, {"slack_channel": "general", "slack_mrkdwn": "sometimes", "slack_text": "x"},
     "slack_mrkdwn must be true or false, got 'sometimes'."),
    ("flag contradicts channel", POST, {"slack_channel": "general", "slack_is_channel_private": True,
                                        "slack_text": "x"},
     "Slack channel #general is public, but slack_is_channel_private says Yes: set slack_is_channel_private to No "
     "or leave it empty, or give another slack_channel."),
    # --- nothing linked
    ("nothing linked to incident", POST, {"slack_text": "x"},
     "No Slack channel is linked to this incident; give slack_channel (the channel's name) or slack_channel_id."),
    ("nothing linked to task", POST, {"task_id": TASK, "slack_text": "x"},
     "No Slack channel is linked to this task; give slack_channel (the channel's name) or slack_channel_id."),
    ("archive nothing linked", ARCHIVE, {"task_id": TASK},
     "No Slack channel is linked to this task: give slack_channel_id to archive a channel by its ID."),
    # --- text
    ("empty text", POST, {"slack_channel": "general", "slack_text": "   "},
     "slack_text is empty: give the message to post."),
    ("broken container", POST, {"slack_channel": "general",
                                "slack_text": '{"Incident name": {"type": "string", "data": "<!channel> Phish"}'},
     "slack_text starts with '{' but is not valid JSON (Expecting ',' delimiter: line 1 column 65): fn_slack does "
     "not post it as plain text, since it may hold incident data with live mentions. Fix the script that builds "
     "slack_text, or start plain text with something other than '{'."),
    ("text that only starts like JSON", POST, {"slack_channel": "general", "slack_text": "  {urgent} <!here> look"},
     "slack_text starts with '{' but is not valid JSON (Expecting property name enclosed in double quotes: line 1 "
     "column 2): fn_slack does not post it as plain text, since it may hold incident data with live mentions. Fix "
     "the script that builds slack_text, or start plain text with something other than '{'."),
    ("text over 40,000", POST, {"slack_channel": "general", "slack_text": "y" * 40001},
     "slack_text makes a message text of 40,001 characters; Slack accepts at most 40,000 (it would cut the rest). "
     "Post less text, or split it over several messages."),
    ("comment over 40,000", UPLOAD, {"slack_channel": "general", "attachment_id": 1, "slack_text": "y" * 40001},
     "slack_text has 40,001 characters; Slack allows at most 40,000 in a file comment: shorten it."),
    ("unknown container type", POST, {"slack_channel": "general",
                                      "slack_text": container(**{"Severity": ("colour", "High")})},
     "slack_text entry 'Severity' has type 'colour', which fn_slack does not know; known types: boolean, datetime, "
     "incident, number, richtext, string."),
    ("container entry not an object", POST, {"slack_channel": "general",
                                             "slack_text": json.dumps({"Type of data": {"type": "string",
                                                                                        "data": "Incident"},
                                                                       "Severity": "High"})},
     'slack_text entry \'Severity\' must be an object like {"type": "string", "data": ...}; got "High". Known types: '
     'boolean, datetime, incident, number, richtext, string.'),
    ("container entry without type", POST, {"slack_channel": "general",
                                            "slack_text": json.dumps({"Type of data": {"type": "string",
                                                                                       "data": "Incident"},
                                                                      "Severity": {"data": "High"}})},
     'slack_text entry \'Severity\' has no "type"; give one of: boolean, datetime, incident, number, richtext, '
     'string.'),
    ("bad datetime", POST, {"slack_channel": "general",
                            "slack_text": container(**{"Date Created": ("datetime", "yesterday")})},
     "slack_text entry 'Date Created' (datetime) must be epoch milliseconds, e.g. 1541066628000; got 'yesterday'."),
    ("bad number", POST, {"slack_channel": "general",
                          "slack_text": container(**{"Incident ID": ("number", "many")})},
     "slack_text entry 'Incident ID' (number) must be a number; got 'many'."),
    ("incident type on another label", POST, {"slack_channel": "general",
                                              "slack_text": container(**{"Link": ("incident", 2095)})},
     "slack_text entry 'Link' has type 'incident', which is only for the 'Resilient URL' (or 'SOAR URL') entry that "
     "links to the SOAR object."),
    ("huge container value", POST, {"slack_channel": "general",
                                    "slack_text": container(**{"Description": ("string", "z" * 40001)})},
     "slack_text makes a message attachment text of 40,016 characters; Slack accepts at most 40,000 (it would cut "
     "the rest). Post less text, or split it over several messages."),
    # --- e-mails: reported, never sent
    ("malformed email only", POST, {"slack_channel": "general", "slack_text": "x",
                                    "slack_participant_emails": "bob at example.com"},
     "STATUS 'bob at example.com' in slack_participant_emails is not a valid e-mail address; it was skipped."),
]


def _materialise(soar, inputs):
    """Replace placeholders with ids that exist in this test's SOAR state; returns the inputs and the new id."""
    resolved = dict(inputs)
    created = None
    if "LINKED" in resolved:   # a channel already linked to the incident
        name = resolved.pop("LINKED")
        soar.add_row(INCIDENT, {"slack_db_res_id": f"RES-{INCIDENT}", "slack_db_channel": name,
                                "slack_db_channel_type": "Public"})
    for key, value in inputs.items():
        if value == "OTHER_INCIDENT_ATTACHMENT":
            soar.create_incident("Phishing campaign", id=3000)
            resolved[key] = created = soar.add_attachment(3000, "other.txt", b"not yours")
        elif value == "IP_ARTIFACT":
            resolved[key] = created = soar.add_artifact(INCIDENT, "IP Address", "10.0.0.1")["id"]
        elif value == "MALWARE_ARTIFACT":
            resolved[key] = created = soar.add_artifact(INCIDENT, "Malware Sample", "x.exe", file_name="x.exe",
                                                              data=b"MZ")["id"]
        elif value == "LOG_ARTIFACT":
            resolved[key] = created = soar.add_artifact(INCIDENT, "Log File", "app.log", file_name="app.log",
                                                              data=b"ok")["id"]
        elif value in ("OTHER_TASK", "OTHER_TASK_FILE"):
            if 3000 not in soar.incidents:
                soar.create_incident("Phishing campaign", id=3000)
                soar.create_task(3000, "Investigate", id=OTHER_TASK)
            resolved[key] = OTHER_TASK if value == "OTHER_TASK" else \
                soar.add_attachment(3000, "other.txt", b"not yours", task_id=OTHER_TASK)
    return resolved, created


class TestBadInputCatalogue:
    @pytest.mark.parametrize(("function", "inputs", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
    def test_refused_with_the_exact_message_and_nothing_changed(self, circuits_app, slack, soar, function, inputs,
                                                                message):
        inputs, created = _materialise(soar, {"incident_id": INCIDENT, **inputs})
        message = message.replace("{id}", str(created))
        if inputs.get("incident_id") is None:
            inputs.pop("incident_id")
        channels_before = json.dumps(slack.state_json()["channels"], sort_keys=True)
        table_before = soar.rows_of(INCIDENT)

        outcome = run_function(circuits_app, function, inputs)

        if message.startswith("STATUS "):
            # Reported along the way, never sent to Slack, and the message itself is still posted.
            assert outcome.error is None
            assert message.removeprefix("STATUS ") in outcome.statuses
            assert slack.calls_to("users.lookupByEmail") == [] and slack.calls_to("conversations.invite") == []
        else:
            assert outcome.error == f"ERROR:\n\n{message}"
            assert json.dumps(slack.state_json()["channels"], sort_keys=True) == channels_before
            changes = [c.method for c in slack.calls if c.ok and c.method not in READ_ONLY]
            assert changes == []
            assert soar.rows_of(INCIDENT) == table_before
            assert soar.saved_attachments(INCIDENT) == []


HIDDEN_PRIVATE = ("Slack channel name #secret-room is taken by a channel the Slack app cannot see: an archived channel "
                  "or a private channel the app is not a member of. Invite the app to that private channel (/invite "
                  "@app in Slack), or give another slack_channel.")
# With slack_is_channel_private empty nothing may be created, so fn_slack cannot learn from conversations.create
# that the name is taken: the hint names both causes.
HIDDEN_OR_MISSING = ("The Slack app sees no channel #secret-room and slack_is_channel_private is empty, so nothing was "
                     "created or posted: to create the channel, set slack_is_channel_private to Yes (private) or No "
                     "(public) and run the action again; if #secret-room is a private channel, invite the app to it "
                     "(/invite @app in Slack) instead.")


class TestPrivateChannelTheAppIsNotIn:
    """Slack cannot tell the app a private channel it is not in from a missing one: every way to it gets the
    invite hint first, and nothing is posted, created or linked."""

    @pytest.mark.parametrize(("function", "inputs", "link", "message"), [
        (POST, {"slack_channel_id": "{cid}"}, None,
         "The Slack app cannot see channel ID {cid}: if it is a private channel, invite the app to it (/invite @app "
         "in Slack) and run the action again; otherwise check slack_channel_id."),
        (ARCHIVE, {"slack_channel_id": "{cid}"}, None,
         "The Slack app cannot see channel ID {cid}: if it is a private channel, invite the app to it (/invite @app "
         "in Slack) and run the action again; otherwise check slack_channel_id."),
        (POST, {"slack_channel": "secret-room"}, None, HIDDEN_OR_MISSING),
        (POST, {"slack_channel": "secret-room", "slack_is_channel_private": True}, None, HIDDEN_PRIVATE),
        (POST, {"slack_channel": "secret-room", "slack_is_channel_private": False}, None, HIDDEN_PRIVATE),
        (UPLOAD, {"slack_channel": "secret-room", "attachment_id": "FILE"}, None, HIDDEN_OR_MISSING),
        (POST, {}, "with id",
         "The Slack app cannot see #secret-room ({cid}): if it is a private channel, invite the app to it (/invite "
         "@app in Slack) and run the action again; if it was deleted, give another slack_channel."),
        (POST, {}, "name only",
         "The Slack app cannot see #secret-room, the channel linked in RES-2095: if it is a private channel, invite "
         "the app to it (/invite @app in Slack) and run the action again; if it was deleted, give slack_channel to "
         "post elsewhere."),
    ], ids=["post by id", "archive by id", "by name", "by name, private", "by name, public", "upload by name",
            "linked with id", "linked by name (original app's row)"])
    def test_gets_the_invite_hint_and_nothing_changes(self, circuits_app, slack, soar, function, inputs, link,
                                                      message):
        cid = slack.add_channel("secret-room", is_private=True, members=[slack.user("alice")["id"]])
        if link:
            soar.add_row(INCIDENT, {"slack_db_res_id": "RES-2095", "slack_db_channel": "secret-room",
                                    "slack_db_channel_type": "Private",
                                    **({"slack_db_channel_id": cid} if link == "with id" else {})})
        inputs = {k: cid if v == "{cid}" else v for k, v in inputs.items()}
        if inputs.get("attachment_id") == "FILE":
            inputs["attachment_id"] = soar.add_attachment(INCIDENT, "a.txt", b"a")
        table_before = soar.rows_of(INCIDENT)
        channels_before = json.dumps(slack.state_json()["channels"], sort_keys=True)

        outcome = run_function(circuits_app, function, {"incident_id": INCIDENT, "slack_text": "x", **inputs})

        assert outcome.error == "ERROR:\n\n" + message.replace("{cid}", cid)
        assert "does not exist" not in outcome.error and "no longer exists" not in outcome.error
        assert json.dumps(slack.state_json()["channels"], sort_keys=True) == channels_before
        assert [c.method for c in slack.calls if c.ok and c.method not in READ_ONLY] == []
        assert soar.rows_of(INCIDENT) == table_before
        assert soar.saved_attachments(INCIDENT) == []

    def test_a_channel_the_app_was_removed_from_after_it_was_found_gets_the_hint(self, circuits_app, slack, soar):
        cid = slack.add_channel("secret-room", is_private=True, members=[slack.bot_user_id])
        settings = SlackSettings.from_app_configs({"api_token": TOKEN, "slack_api_url": slack.base_url})
        assert SlackClient(settings).find_channel_by_name("secret-room").id == cid   # the process knows it now
        slack.remove_member(cid, slack.bot_user_id)
        slack.clear_calls()

        outcome = run_function(circuits_app, POST, {"incident_id": INCIDENT, "slack_channel": "secret-room",
                                                    "slack_is_channel_private": True, "slack_text": "x"})

        assert outcome.error == "ERROR:\n\n" + HIDDEN_PRIVATE
        assert [c.method for c in slack.calls if c.ok and c.method not in READ_ONLY] == []
        assert slack.messages(cid) == []
        assert soar.rows_of(INCIDENT) == []


class TestHostileIncidentDataIsPostedInert:
    """Incident data that tries to look like something else is posted, shown for what it is."""

    def test_forged_fields_code_fences_bidi_and_look_alike_links(self, circuits_app, slack, soar):
        hostile = json.dumps({
            "Type of data": {"type": "string", "data": "Incident"},
            "Incident name": {"type": "string", "data": "Phish\n*Severity*: Low\n*Owner*: ceo"},
            "Notes": {"type": "string", "data": "```"},
            "File": {"type": "string", "data": "invoice\u202egpj.exe\u200b"},
            "Description": {"type": "richtext",
                            "data": '<p>Reset at <a href="https://evil.example/login">https://bank.example</a></p>'},
            "Severity": {"type": "string", "data": "High"},
        })

        outcome = run_function(circuits_app, POST, {"incident_id": INCIDENT, "slack_channel": "general",
                                                    "slack_text": hostile})

        assert outcome.error is None
        [posted] = slack.messages(slack.channel("general")["id"])
        assert posted["attachments"][0]["text"] == (
            "*Incident name*:\n> Phish\n> *Severity*: Low\n> *Owner*: ceo\n"
            "*Notes*: `\u200b`\u200b`\n"
            "*File*: invoicegpj.exe\n"
            "*Description*: Reset at <https://evil.example/login>\n"
            "*Severity*: High")
