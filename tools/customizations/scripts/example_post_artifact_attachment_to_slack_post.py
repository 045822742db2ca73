# ruff: noqa: F821
# Example: Post Artifact Attachment to Slack (post-processing).
# Records the upload as a note on the incident, with a link to the file in Slack.


def html(text):
    """Escape text for a rich-text note."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


name = "attachment " + html(artifact.value)
content = results.content
if results.success and content:
    channel = "#" + html(content.channel)
    if content.url:
        channel = f'<a href="{html(content.url)}">{channel}</a>'
    incident.addNote(helper.createRichText(f"Artifact {name} was posted to Slack channel {channel}"))
else:
    reason = html(results.reason or "no reason given")
    incident.addNote(helper.createRichText(f"Artifact {name} could not be posted to Slack: {reason}"))
