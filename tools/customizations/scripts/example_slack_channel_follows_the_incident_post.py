# ruff: noqa: F821
# Example: Slack channel follows the incident (local script after the function step).
# Keeps the incident quiet when all went well (the channel shows the change); notes a failure, such as a
# channel archived in Slack, so that someone looks.
if not results or not results.success:
    reason = (results.reason if results else None) or "no reason given"
    incident.addNote(helper.createPlainText(f"The Slack channel could not follow this incident: {reason}"))
