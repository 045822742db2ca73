# ruff: noqa: F821
# Example: Post Incident to Slack (post-processing).
# Records the post as a note on the incident, with a link to the message in Slack.


def html(text):
    """Escape text for a rich-text note."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


content = results.content
if results.success and content:
    channel = "#" + html(content.channel)
    if content.url:
        channel = f'<a href="{html(content.url)}">{channel}</a>'
    incident.addNote(helper.createRichText(f"Incident was posted to Slack channel {channel}"))
else:
    reason = html(results.reason or "no reason given")
    incident.addNote(helper.createRichText(f"Incident could not be posted to Slack: {reason}"))
