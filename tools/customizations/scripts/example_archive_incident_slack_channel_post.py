# ruff: noqa: F821
# Example: Archive Incident Slack Channel (post-processing).
# Records the archive as a note on the incident; the history file is already an incident attachment.


def html(text):
    """Escape text for a rich-text note."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


ARCHIVED = "Slack channel #{} has been archived. The conversation history has been saved as an attachment."
content = results.content
if results.success and content:
    incident.addNote(helper.createRichText(ARCHIVED.format(html(content.channel))))
else:
    reason = html(results.reason or "no reason given")
    incident.addNote(helper.createRichText(f"The Slack channel could not be archived: {reason}"))
