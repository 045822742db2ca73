# ruff: noqa: F821
# Example: Slack channel follows the incident (function step, pre-processing).
# Runs when the incident's severity, phase, owner or status changes. Without slack_sync_start the function
# writes only to a channel someone turned on with "Example: Keep Slack Channel in Step"; other incidents cost
# no Slack call. Nothing changed that the channel shows: no Slack write.
inputs.incident_id = incident.id
