# ruff: noqa: F821
# Example: Archive Incident Slack Channel (pre-processing).
# Archives the channel linked to the incident, or the channel whose ID was typed in the menu item.
inputs.incident_id = incident.id
if rule.properties.slack_channel_id:
    inputs.slack_channel_id = rule.properties.slack_channel_id
