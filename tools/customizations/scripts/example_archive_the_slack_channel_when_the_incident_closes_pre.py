# ruff: noqa: F821
# Example: Archive the Slack channel when the incident closes (function step, pre-processing).
# Runs when the incident's status changes to Closed: the channel linked to the incident is exported (a channel
# kept in step gets the closing summary first), the export saved on the incident, then the channel archived.
inputs.incident_id = incident.id
