# ruff: noqa: F821
# Example: Post Incident / Task Attachment to Slack (post-processing).
# Records the upload as a note on the attachment's task, or on the incident.


def html(text):
    """Escape text for a rich-text note."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


target = task if task else incident
name = html(attachment.name)
content = results.content
if results.success and content:
    channel = "#" + html(content.channel)
    if content.url:
        channel = f'<a href="{html(content.url)}">{channel}</a>'
    target.addNote(helper.createRichText(f"Attachment {name} was posted to Slack channel {channel}"))
else:
    reason = html(results.reason or "no reason given")
    target.addNote(helper.createRichText(f"Attachment {name} could not be posted to Slack: {reason}"))
