# ruff: noqa: F821
# Example: Archive Task Slack Channel (pre-processing).
# Archives the channel linked to the task, or the channel whose ID was typed in the menu item; the
# history is saved as an attachment of the task.
inputs.incident_id = incident.id
inputs.task_id = task.id
if rule.properties.slack_channel_id:
    inputs.slack_channel_id = rule.properties.slack_channel_id
