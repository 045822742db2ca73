# ruff: noqa: F821
# Example: Post Incident to Slack (pre-processing).
# Sends the incident's main fields as the slack_text JSON container: each key is the label shown in
# Slack, each value says how the function formats it. json.dumps does all the escaping, so quotes,
# newlines, HTML and non-ASCII text in the incident cannot break the container. Add, remove or reorder
# lines freely; "Additional Text", "Resilient URL" and "Type of data" are the reserved keys.
import json


def rich_text(value):
    """Return the HTML of a rich-text field, which SOAR gives as an object, a string or None."""
    if value is None:
        return ""
    content = getattr(value, "content", None)
    return content if content is not None else str(value)


def joined(values):
    """Return a list of names (incident types, attack vectors) as one comma-separated string."""
    return ", ".join(str(value) for value in values) if values else ""


container = {
    "Additional Text": {"type": "string", "data": rule.properties.rule_slack_text or ""},
    "Resilient URL": {"type": "incident", "data": incident.id},
    "Type of data": {"type": "string", "data": "Incident"},
    "Incident ID": {"type": "number", "data": incident.id},
    "Incident name": {"type": "string", "data": incident.name},
    "Description": {"type": "richtext", "data": rich_text(incident.description)},
    "Incident Types": {"type": "string", "data": joined(incident.incident_type_ids)},
    "NIST Attack Vectors": {"type": "string", "data": joined(incident.nist_attack_vectors)},
    "Confirmed": {"type": "boolean", "data": incident.confirmed},
    "Date Created": {"type": "datetime", "data": incident.create_date},
    "Date Occurred": {"type": "datetime", "data": incident.start_date},
    "Date Discovered": {"type": "datetime", "data": incident.discovered_date},
    "Severity": {"type": "string", "data": incident.severity_code},
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
