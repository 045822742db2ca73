# ruff: noqa: F821
# Example: Keep Slack Channel in Step (pre-processing).
# Turns keeping in step on for the incident's linked channel (its first post to Slack made the link) and brings
# the channel's topic, bookmark and pinned summary in step at once. From then on the automatic playbook
# "Example: Slack channel follows the incident" keeps them in step on every change of severity, phase, owner or
# status.
inputs.incident_id = incident.id
inputs.slack_sync_start = True
