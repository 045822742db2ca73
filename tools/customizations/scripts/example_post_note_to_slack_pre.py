# ruff: noqa: F821
# Example: Post Note to Slack (pre-processing).
# Sends the note as the slack_text JSON container (see "Example: Post Incident to Slack" for its
# shape). A note on a task goes to the task's channel, any other note to the incident's.
import json


def rich_text(value):
    """Return the HTML of a rich-text field, which SOAR gives as an object, a string or None."""
    if value is None:
        return ""
    content = getattr(value, "content", None)
    return content if content is not None else str(value)


if task:
    soar_url = f"{incident.id}?task_id={task.id}"
    kind = "Task Note"
else:
    soar_url = incident.id
    kind = "Incident Note"

container = {
    "Additional Text": {"type": "string", "data": rule.properties.rule_slack_text or ""},
    "Resilient URL": {"type": "incident", "data": soar_url},
    "Type of data": {"type": "string", "data": kind},
    "Incident ID": {"type": "number", "data": incident.id},
    "Task": {"type": "string", "data": task.name if task else ""},
    "Note": {"type": "richtext", "data": rich_text(note.text)},
}

inputs.incident_id = incident.id
if task:
    inputs.task_id = task.id
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
