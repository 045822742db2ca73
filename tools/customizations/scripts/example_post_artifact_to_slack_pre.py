# ruff: noqa: F821
# Example: Post Artifact to Slack (pre-processing).
# Sends the artifact as the slack_text JSON container (see "Example: Post Incident to Slack" for its
# shape). The rule shows this item only for artifacts that do not hold a file.
import json

creator = artifact.creator
if creator is not None and getattr(creator, "display_name", None):
    created_by = creator.display_name
else:
    created_by = artifact.creator_id

container = {
    "Additional Text": {"type": "string", "data": rule.properties.rule_slack_text or ""},
    "Resilient URL": {"type": "incident", "data": incident.id},
    "Type of data": {"type": "string", "data": "Artifact"},
    "Incident ID": {"type": "number", "data": incident.id},
    "Artifact Type": {"type": "string", "data": artifact.type},
    "Artifact Value": {"type": "string", "data": artifact.value},
    "Artifact Created By": {"type": "string", "data": created_by},
    "Artifact Created on": {"type": "datetime", "data": artifact.created},
}

inputs.incident_id = incident.id
inputs.slack_text = json.dumps(container, ensure_ascii=False)
inputs.slack_mrkdwn = True
inputs.slack_as_user = False

# The menu item's values win over the defaults above; empty ones are left out.
if rule.properties.rule_slack_channel:
    inputs.slack_channel = rule.properties.rule_slack_channel
if rule.properties.rule_slack_is_channel_private is not None:
    inputs.slack_is_channel_private = rule.properties.rule_slack_is_channel_private
if rule.properties.rule_slack_participant_emails:
    inputs.slack_participant_emails = rule.properties.rule_slack_participant_emails
if rule.properties.slack_channel_id:
    inputs.slack_channel_id = rule.properties.slack_channel_id
