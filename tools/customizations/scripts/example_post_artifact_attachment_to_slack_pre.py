# ruff: noqa: F821
# Example: Post Artifact Attachment to Slack (pre-processing).
# Uploads the artifact's file; the menu item's additional text becomes the comment shown with the file.
# The rule shows this item only for file artifact types (never Malware Sample), and the function refuses
# Malware Samples too unless app.config allows them.
import json

inputs.incident_id = incident.id
inputs.artifact_id = artifact.id
# The additional text is the analyst's own words: sent as the container's "Additional Text", its mentions
# notify. (A plain slack_text is posted inert, since workflows often paste incident data into it.)
if rule.properties.rule_slack_text:
    inputs.slack_text = json.dumps({"Additional Text": {"type": "string", "data": rule.properties.rule_slack_text}})

# The menu item's values; empty ones are left out.
if rule.properties.rule_slack_channel:
    inputs.slack_channel = rule.properties.rule_slack_channel
if rule.properties.rule_slack_is_channel_private is not None:
    inputs.slack_is_channel_private = rule.properties.rule_slack_is_channel_private
if rule.properties.rule_slack_participant_emails:
    inputs.slack_participant_emails = rule.properties.rule_slack_participant_emails
if rule.properties.slack_channel_id:
    inputs.slack_channel_id = rule.properties.slack_channel_id
