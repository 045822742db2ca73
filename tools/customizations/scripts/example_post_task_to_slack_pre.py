# ruff: noqa: F821
# Example: Post Task to Slack (pre-processing).
# Sends the task as the slack_text JSON container (see "Example: Post Incident to Slack" for its
# shape). task_id makes the function use, and link, the task's own channel.
import json

STATUS = {"O": "Open", "C": "Closed"}

container = {
    "Additional Text": {"type": "string", "data": rule.properties.rule_slack_text or ""},
    "Resilient URL": {"type": "incident", "data": f"{incident.id}?task_id={task.id}"},
    "Type of data": {"type": "string", "data": "Task"},
    "Incident ID": {"type": "number", "data": incident.id},
    "Task Name": {"type": "string", "data": task.name},
    "Task Status": {"type": "string", "data": STATUS.get(task.status, task.status)},
    "Task Owner": {"type": "string", "data": task.owner_id},
    "Task Due Date": {"type": "datetime", "data": task.due_date},
}

inputs.incident_id = incident.id
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
