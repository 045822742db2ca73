# ruff: noqa: F821
# Example: Keep Slack Channel in Step (post-processing).
# Notes on the incident that its channel now follows it, or why it could not.


def html(text):
    """Escape text for a rich-text note."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


content = results.content
if results.success and content and content.synced:
    incident.addNote(helper.createRichText(
        f"Slack channel #{html(content.channel)} now follows this incident: its topic, bookmark and pinned "
        f"summary change with severity, phase, owner and status."))
else:
    reason = html(results.reason or "no reason given")
    incident.addNote(helper.createRichText(f"The Slack channel could not be kept in step: {reason}"))
