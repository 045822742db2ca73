# ruff: noqa: F821
# Example: Archive the Slack channel when the incident closes (local script after the function step).
# Records the archive as a note on the incident (the conversation is already an incident attachment), or why
# the channel could not be archived, so that someone looks.


def html(text):
    """Escape text for a rich-text note."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


content = results.content
if results.success and content:
    incident.addNote(helper.createRichText(
        f"The incident was closed: Slack channel #{html(content.channel)} was archived, and its conversation saved "
        f"as {html(content.attachment_name)}."))
else:
    reason = html(results.reason or "no reason given")
    incident.addNote(helper.createRichText(f"The Slack channel could not be archived with the incident: {reason}"))
