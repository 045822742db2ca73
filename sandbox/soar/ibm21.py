# ruff: noqa: E501 - one transcribed record per line reads best against the spec tables
"""IBM fn_slack 2.1.0's customization identities, transcribed from the project's spec
``shared/spec/ibm-2.1-identities.md`` (itself read from IBM's shipped ``export.res``).

Identifiers only (names, UUIDs, types); no IBM script text. The SOAR sandbox builds the "IBM fn_slack 2.1
installed" org from them (:mod:`sandbox.soar.ibm21_org`), and tests compare fn_slack's export with them.
"""

from __future__ import annotations

DESTINATION = {"programmatic_name": "slack", "name": "slack", "uuid": "611f10f7-1b7d-49c5-8692-3b838156d42b"}

# function name: (display name, uuid, [(input name, field uuid, input type, required), ...] in view order)
FUNCTIONS: dict[str, tuple[str, str, list[tuple[str, str, str, bool]]]] = {
    "slack_archive_channel": ("Archive Slack Channel", "8f3a9d1d-8182-4c5b-b422-cfeee33de0dc", [
        ("incident_id", "3f35f1a9-f5d6-440a-a825-66a340aeaefe", "number", True),
        ("slack_channel_id", "9846df31-5b76-4299-b12b-17e0c6551791", "text", False),
        ("task_id", "958f0953-8b6f-4472-b786-b9ae4351ddfe", "number", False),
    ]),
    "slack_post_attachment": ("Post attachment to Slack", "5fed4dd5-9ccc-492a-90e1-4f17e6a5c5c8", [
        ("slack_channel", "9caadb86-3cb1-44f8-81f4-4da30e68a106", "text", False),
        ("slack_is_channel_private", "cc231126-4f49-4237-998b-d9570664d662", "boolean", False),
        ("slack_participant_emails", "ae82a20a-d6ae-4f77-98d8-1388dfa4b2f7", "text", False),
        ("slack_text", "85d20b77-734f-4930-9c4b-b5f8d98c581c", "text", True),
        ("slack_channel_id", "9846df31-5b76-4299-b12b-17e0c6551791", "text", False),
        ("incident_id", "3f35f1a9-f5d6-440a-a825-66a340aeaefe", "number", True),
        ("task_id", "958f0953-8b6f-4472-b786-b9ae4351ddfe", "number", False),
        ("artifact_id", "d63d16a1-c5bd-4015-9850-05316b22564c", "number", False),
        ("attachment_id", "9997e04c-bdbe-4f7c-9b87-2bc0390826fe", "number", False),
    ]),
    "slack_post_message": ("Post message to Slack", "ded2826c-6528-4a26-b2c8-0cf215dce3c3", [
        ("slack_channel", "9caadb86-3cb1-44f8-81f4-4da30e68a106", "text", False),
        ("slack_is_channel_private", "cc231126-4f49-4237-998b-d9570664d662", "boolean", False),
        ("slack_participant_emails", "ae82a20a-d6ae-4f77-98d8-1388dfa4b2f7", "text", False),
        ("slack_text", "85d20b77-734f-4930-9c4b-b5f8d98c581c", "text", True),
        ("slack_mrkdwn", "2388be49-283f-4b77-bbeb-86a2ee1dcf08", "boolean", False),
        ("slack_as_user", "48e593f4-3cc4-4f3e-a809-38e5fed70f20", "boolean", False),
        ("slack_channel_id", "9846df31-5b76-4299-b12b-17e0c6551791", "text", False),
        ("slack_username", "74365ed2-635a-446a-ba39-65b264b7ad54", "text", False),
        ("incident_id", "3f35f1a9-f5d6-440a-a825-66a340aeaefe", "number", True),
        ("task_id", "958f0953-8b6f-4472-b786-b9ae4351ddfe", "number", False),
    ]),
}

# fields[] of the export: (export_key, text, uuid, input_type, type_id, required)
FIELDS: list[tuple[str, str, str, str, int, bool]] = [
    ("__function/slack_text", "slack_text", "85d20b77-734f-4930-9c4b-b5f8d98c581c", "text", 11, True),
    ("__function/task_id", "task_id", "958f0953-8b6f-4472-b786-b9ae4351ddfe", "number", 11, False),
    ("__function/slack_channel_id", "slack_channel_id", "9846df31-5b76-4299-b12b-17e0c6551791", "text", 11, False),
    ("__function/attachment_id", "attachment_id", "9997e04c-bdbe-4f7c-9b87-2bc0390826fe", "number", 11, False),
    ("__function/slack_channel", "slack_channel", "9caadb86-3cb1-44f8-81f4-4da30e68a106", "text", 11, False),
    ("__function/slack_participant_emails", "slack_participant_emails", "ae82a20a-d6ae-4f77-98d8-1388dfa4b2f7", "text", 11, False),
    ("__function/slack_is_channel_private", "slack_is_channel_private", "cc231126-4f49-4237-998b-d9570664d662", "boolean", 11, False),
    ("__function/artifact_id", "artifact_id", "d63d16a1-c5bd-4015-9850-05316b22564c", "number", 11, False),
    ("__function/slack_mrkdwn", "slack_mrkdwn", "2388be49-283f-4b77-bbeb-86a2ee1dcf08", "boolean", 11, False),
    ("__function/incident_id", "incident_id", "3f35f1a9-f5d6-440a-a825-66a340aeaefe", "number", 11, True),
    ("__function/slack_as_user", "slack_as_user", "48e593f4-3cc4-4f3e-a809-38e5fed70f20", "boolean", 11, False),
    ("__function/slack_username", "slack_username", "74365ed2-635a-446a-ba39-65b264b7ad54", "text", 11, False),
    ("actioninvocation/rule_slack_participant_emails", "Slack users emails", "b2df44e2-5ae6-43ae-b86c-9c5f475f9c79", "text", 6, False),
    ("actioninvocation/rule_slack_channel", "Slack channel name", "24df3e1c-2c28-4e7d-ac28-4fea0a3877a2", "text", 6, False),
    ("actioninvocation/rule_slack_text", "Additional text", "2f0fcad3-79f1-410b-b7f0-6a6fa0ee3947", "text", 6, False),
    ("actioninvocation/rule_slack_is_channel_private", "Slack is channel private", "3b1a6628-5ef0-495c-955e-10c3e5f9f4e2", "boolean", 6, False),
    ("actioninvocation/slack_channel_id", "Slack Channel ID", "7cbbbfdf-f1a0-4e32-9e5c-632a1835de1e", "text", 6, False),
    ("incident/internal_customizations_field", "Customizations Field (internal)", "bfeec2d4-3770-11e8-ad39-4a0004044aa1", "text", 0, False),
]

FILE_ARTIFACT_TYPES = ["RFC 822 Email Message File", "Email Attachment", "Log File", "Other File",
                       "X509 Certificate File"]

# rule name: (uuid, object_type, artifact.type condition method or None, view item field names, workflow)
RULES: dict[str, tuple[str, str, str | None, list[str], str]] = {
    "Example: Archive Incident Slack Channel": ("1835248d-cb58-45c6-8bb6-e30be25fe5e3", "incident", None, ["slack_channel_id"],
        "archive_slack_channel"),
    "Example: Archive Task Slack Channel": ("0ce98ccf-197d-45ed-9543-8a9d59f0e767", "task", None, ["slack_channel_id"],
        "slack_example_archive_slack_channel__task"),
    "Example: Post Artifact Attachment to Slack": ("0a8570be-c6ba-4f1d-83a1-67bd95647975", "artifact", "in", ["rule_slack_channel", "rule_slack_is_channel_private", "slack_channel_id", "rule_slack_participant_emails", "rule_slack_text"],
        "example_post_attachment_to_slack__artifact"),
    "Example: Post Artifact to Slack": ("dfd73b22-4438-46ea-9e01-888edc0174e7", "artifact", "not_in", ["rule_slack_channel", "rule_slack_is_channel_private", "rule_slack_participant_emails", "rule_slack_text", "slack_channel_id"],
        "slack_example_post_message_to_slack__artifact"),
    "Example: Post Incident / Task Attachment to Slack": ("4bd47712-bc92-405d-9367-39affe544b91", "attachment", None, ["rule_slack_channel", "rule_slack_is_channel_private", "slack_channel_id", "rule_slack_participant_emails", "rule_slack_text"],
        "slack_example_post_attachment_to_slack"),
    "Example: Post Incident to Slack": ("c915619e-ca11-4fb1-ba9d-a2d9439c92f2", "incident", None, ["rule_slack_channel", "rule_slack_is_channel_private", "slack_channel_id", "rule_slack_participant_emails", "rule_slack_text"],
        "create_slack_message"),
    "Example: Post Note to Slack": ("ac5066e7-2644-48e3-9ecb-85ec2c16bb6d", "note", None, ["rule_slack_channel", "rule_slack_is_channel_private", "slack_channel_id", "rule_slack_participant_emails", "rule_slack_text"],
        "create_slack_reply"),
    "Example: Post Task to Slack": ("154221cd-f1c1-4c6c-b4d2-61ff709e23fb", "task", None, ["rule_slack_channel", "rule_slack_is_channel_private", "slack_channel_id", "rule_slack_participant_emails", "rule_slack_text"],
        "slack_example_post_message_to_slack__task"),
}

# workflow programmatic name: (name, uuid, object_type, function)
WORKFLOWS: dict[str, tuple[str, str, str, str]] = {
    "archive_slack_channel": ("Example: Archive Incident Slack Channel", "390425c1-1ce6-4f31-a522-372c19ba2370", "incident", "slack_archive_channel"),
    "slack_example_post_message_to_slack__task": ("Example: Post Task to Slack", "eba8f270-2d03-4da8-a812-2c8783742454", "task", "slack_post_message"),
    "create_slack_message": ("Example: Post Incident to Slack", "8df6f333-4423-4e9d-9554-dceacd311cba", "incident", "slack_post_message"),
    "slack_example_post_attachment_to_slack": ("Example: Post Incident / Task Attachment to Slack", "dc4c831c-a444-4aac-aa1c-c74899ef9a50", "attachment", "slack_post_attachment"),
    "create_slack_reply": ("Example: Post Note to Slack", "d9edaa38-20df-4c0e-a017-9fe721368025", "note", "slack_post_message"),
    "example_post_attachment_to_slack__artifact": ("Example: Post Artifact Attachment to Slack", "27254f22-8ebb-4790-a557-0a83cb802196", "artifact", "slack_post_attachment"),
    "slack_example_post_message_to_slack__artifact": ("Example: Post Artifact to Slack", "b3846e02-e1f9-420e-86ac-5bf0b8f95a9f", "artifact", "slack_post_message"),
    "slack_example_archive_slack_channel__task": ("Example: Archive Task Slack Channel", "fcc94828-cb91-4781-b706-f3a6ae01e805", "task", "slack_archive_channel"),
}

TABLE = {"type_name": "slack_conversations_db", "display_name": "Slack Conversations", "uuid": "e2036bf3-61ea-4752-8d6f-2b4ea262bb1b"}
# column name: (order, text, uuid, input_type, rich_text)
TABLE_COLUMNS: dict[str, tuple[int, str, str, str, bool]] = {
    "slack_db_time": (0, "Time", "656a7daf-b64a-4559-987d-b789d0ec4c4b", "datetimepicker", False),
    "slack_db_res_id": (1, "Resilient ID", "ce3c9a1e-2800-47da-a5b9-c37825790943", "text", False),
    "slack_db_channel": (2, "Slack channel name", "df0165d4-6367-4914-b80c-c8877b20c011", "text", False),
    "slack_db_channel_type": (3, "Slack channel type", "ce4c8399-09e3-481a-976f-b076c98965f7", "text", False),
    "slack_db_permalink": (4, "Slack URL", "2f95366b-dd32-4035-8811-549646c0af5c", "textarea", True),
}


PLAYBOOKS: dict[str, dict] = {
    "example_archive_incident_slack_channel_pb": {
        "display_name": "Example: Archive Incident Slack Channel (PB)", "uuid": "f64c0ae6-cf29-4ca9-82cb-12804c304a58",
        "object_type": "incident", "condition": None, "function": "slack_archive_channel",
        "result_name": "results", "fields_type_uuid": "dcf1fff6-1f8b-4cf7-86f2-454cbd70404f",
        "tag_uuid": "37f6a781-1a51-43f7-a7a3-1dd89306009c",
        "script": ("Archive Slack Channel Post-Process Script", "9ad279d3-f265-497e-ba74-747e7a7f138b",
                   "example_archive_incident_slack_channel_pb_archive_slack_channel_post_process_script"),
        # activation fields in view order: (name, text, uuid, input_type)
        "fields": [
            ("slack_channel_id", "Slack Channel ID", "ed6eedab-21b3-47f9-8ed8-b8cf399af97e", "text"),
        ],
    },
    "example_archive_task_slack_channel_pb": {
        "display_name": "Example: Archive Task Slack Channel (PB)", "uuid": "ec053ff0-3316-4e30-8498-e03efad45d95",
        "object_type": "task", "condition": None, "function": "slack_archive_channel",
        "result_name": "slack_info", "fields_type_uuid": "d14dcee7-b9ef-45c3-bd91-32e0d76021cc",
        "tag_uuid": "ded14058-2fbd-4fbb-87a3-6b546fb97f8c",
        "script": ("Archive Slack Channel Post-Process Script", "69011e0f-54ff-47f7-9319-2b36730df65e",
                   "example_archive_task_slack_channel_pb_archive_slack_channel_post_process_script"),
        # activation fields in view order: (name, text, uuid, input_type)
        "fields": [
            ("slack_channel_id", "Slack Channel ID", "53c08b62-5149-4e43-a0b5-fb5e32a6889b", "text"),
        ],
    },
    "example_post_artifact_attachment_to_slack_pb": {
        "display_name": "Example: Post Artifact Attachment to Slack (PB)", "uuid": "edbbfb37-f3a9-4993-8000-dc3c9f1630af",
        "object_type": "artifact", "condition": "in", "function": "slack_post_attachment",
        "result_name": "slack_info", "fields_type_uuid": "57f1afdf-59e4-429f-8c0a-591c190e54b4",
        "tag_uuid": "80e4182e-171f-410a-ab03-2c7fe8c96791",
        "script": ("Post attachment to Slack Post-Process Script", "b1a156b3-b2bd-41b0-a3e7-fadca2232386",
                   "example_post_artifact_attachment_to_slack_pb_post_attachment_to_slack_post_process_script"),
        # activation fields in view order: (name, text, uuid, input_type)
        "fields": [
            ("rule_slack_channel", "Slack channel name", "5a8cd4ee-212b-42bf-bf05-9bd569bbc291", "text"),
            ("rule_slack_is_channel_private", "Slack is channel private", "769edc9e-777a-4252-85df-5930b9cf873d", "boolean"),
            ("slack_channel_id", "Slack Channel ID", "1c9c244f-6c8e-4789-976a-2a06aa15ba4c", "text"),
            ("rule_slack_participant_emails", "Slack users emails", "37472dd2-3596-4c5b-b6a8-7383b85be8da", "text"),
            ("rule_slack_text", "Additional text", "015d9760-6f73-474d-8043-fa564bf95408", "text"),
        ],
    },
    "example_post_artifact_to_slack_pb": {
        "display_name": "Example: Post Artifact to Slack (PB)", "uuid": "983c792d-6396-4caa-afbd-15db8d91dbb9",
        "object_type": "artifact", "condition": "not_in", "function": "slack_post_message",
        "result_name": "user_info", "fields_type_uuid": "514a4e78-f359-45be-890e-f7b870ea383d",
        "tag_uuid": "added629-9037-45c7-9e37-132c719cbf61",
        "script": ("Post message to Slack", "078d6518-62bb-47a8-b91e-9a72ec34878b",
                   "example_post_artifact_to_slack_pb_post_message_to_slack"),
        # activation fields in view order: (name, text, uuid, input_type)
        "fields": [
            ("rule_slack_channel", "Slack channel name", "1d3847d0-b639-46b6-8fd8-7dd81464475d", "text"),
            ("rule_slack_is_channel_private", "Slack is channel private", "9c743954-4f87-412a-a21c-64d39c872d44", "boolean"),
            ("rule_slack_participant_emails", "Slack users emails", "c1cc0f48-b7fc-4b15-8d21-a09f6c0fb5cc", "text"),
            ("rule_slack_text", "Additional text", "b803b5f7-b789-49b7-b9bb-14598e141594", "text"),
            ("slack_channel_id", "Slack Channel ID", "4c358baf-1d51-4713-a4fd-11b61e90cfdd", "text"),
        ],
    },
    "example_post_incident__task_attachment_to_slack_pb": {
        "display_name": "Example: Post Incident / Task Attachment to Slack (PB)", "uuid": "8cbc1fd1-6da8-4f58-aeb3-45783ff6c318",
        "object_type": "attachment", "condition": None, "function": "slack_post_attachment",
        "result_name": "slack_info", "fields_type_uuid": "7393a3a3-6e2d-4955-90f0-7966fc0a6f30",
        "tag_uuid": "e3305743-e52a-4104-89b3-03f7fe940440",
        "script": ("Post attachment to Slack Post-Process Script", "0157189b-8e2f-4d9e-a1b8-ca88d965def0",
                   "example_post_incident__task_attachment_to_slack_pb_post_attachment_to_slack_post_process_script"),
        # activation fields in view order: (name, text, uuid, input_type)
        "fields": [
            ("rule_slack_channel", "Slack channel name", "4021ae7b-3ba0-49f8-a6bc-d6a80c6bfef0", "text"),
            ("rule_slack_is_channel_private", "Slack is channel private", "b593cc52-e1c0-426c-9440-61dced2d7dc5", "boolean"),
            ("slack_channel_id", "Slack Channel ID", "1ae882ee-09ae-4cf2-af4b-934f985fb6ac", "text"),
            ("rule_slack_participant_emails", "Slack users emails", "c4f14c34-d2ba-4f23-9f46-9dbc95801e09", "text"),
            ("rule_slack_text", "Additional text", "3d0143cc-e161-4277-9d1e-f221988045ee", "text"),
        ],
    },
    "example_post_incident_to_slack_pb": {
        "display_name": "Example: Post Incident to Slack (PB)", "uuid": "7e56abfb-53ba-49ca-9c67-f5a023b313e6",
        "object_type": "incident", "condition": None, "function": "slack_post_message",
        "result_name": "slack_info", "fields_type_uuid": "515ec18e-6c3f-4c1b-ba66-9a335ca72bdb",
        "tag_uuid": "34fa4bdb-fbcd-429f-88e7-ef5f48d61ccc",
        "script": ("Post message to Slack Post-Process Script", "0fe49f12-e387-405a-8771-4d7de5454034",
                   "example_post_incident_to_slack_pb_post_message_to_slack_post_process_script"),
        # activation fields in view order: (name, text, uuid, input_type)
        "fields": [
            ("rule_slack_channel", "Slack channel name", "4f0c6dfc-5afd-4e4e-85ab-012e109b6bca", "text"),
            ("rule_slack_is_channel_private", "Slack is channel private", "b7552e08-b4fb-4900-91fa-23dbe448b431", "boolean"),
            ("slack_channel_id", "Slack Channel ID", "16dfec53-9777-4ac5-aba2-f09e7f649ccf", "text"),
            ("rule_slack_participant_emails", "Slack users emails", "4cb7cf15-5053-43c8-9e15-e14ad14613d6", "text"),
            ("rule_slack_text", "Additional text", "19562da3-7f2e-41e2-bf42-6252619b8743", "text"),
        ],
    },
    "example_post_note_to_slack_pb": {
        "display_name": "Example: Post Note to Slack (PB)", "uuid": "75ed7c8c-78ef-4d6d-8208-9cfcfcff17b4",
        "object_type": "note", "condition": None, "function": "slack_post_message",
        "result_name": "slack_info", "fields_type_uuid": "ae06b9d7-1529-4300-8112-7ce9f6045614",
        "tag_uuid": "cf0964b8-5b71-4dc5-bccc-a5cddc5f1ee0",
        "script": ("Post Note to Slack Post-Process Script", "04af258b-e38c-41f8-8246-9d178bac1454",
                   "example_post_note_to_slack_pb_post_note_to_slack_post_process_script"),
        # activation fields in view order: (name, text, uuid, input_type)
        "fields": [
            ("rule_slack_channel", "Slack channel name", "3a7fe4bc-a145-4bed-8870-26d3be4bdee9", "text"),
            ("rule_slack_is_channel_private", "Slack is channel private", "c3549f01-5e65-4ad5-bf61-4a85bac91b15", "boolean"),
            ("slack_channel_id", "Slack Channel ID", "0fc5bf72-c0e1-4fc7-a79c-fc8d8323da66", "text"),
            ("rule_slack_participant_emails", "Slack users emails", "25ab3583-32ba-48e5-a57c-045060be9f72", "text"),
            ("rule_slack_text", "Additional text", "c693609c-3e59-4e0c-b45a-7ade7379b363", "text"),
        ],
    },
    "example_post_task_to_slack_pb": {
        "display_name": "Example: Post Task to Slack (PB)", "uuid": "2bcb265a-9fee-4659-be16-d90ffed74dda",
        "object_type": "task", "condition": None, "function": "slack_post_message",
        "result_name": "slack_info", "fields_type_uuid": "e8755cd9-18ab-4367-b279-762dd880181b",
        "tag_uuid": "746b16e4-f7f1-48a9-85e0-1847e5ea45e0",
        "script": ("Post Task to Slack Post-Process Script", "2974d37b-560f-4945-af74-ae486c74b1fd",
                   "example_post_task_to_slack_pb_post_task_to_slack_post_process_script"),
        # activation fields in view order: (name, text, uuid, input_type)
        "fields": [
            ("rule_slack_channel", "Slack channel name", "6e12e09d-86aa-4dd4-a60c-3bacb1a4b7e1", "text"),
            ("rule_slack_is_channel_private", "Slack is channel private", "8af203e0-1485-4cc1-81d5-ca571d350fe0", "boolean"),
            ("slack_channel_id", "Slack Channel ID", "89898279-318a-4d96-ab49-dd4b99593c6d", "text"),
            ("rule_slack_participant_emails", "Slack users emails", "43c57513-8fcd-4e73-91d3-8716c5290a18", "text"),
            ("rule_slack_text", "Additional text", "8174b60f-8935-4c69-9122-0da6bc0801b0", "text"),
        ],
    },
}
