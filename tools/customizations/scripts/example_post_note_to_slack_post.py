# ruff: noqa: F821
# Example: Post Note to Slack (post-processing).
# Records the post as a note on the note's task, or on the incident for an incident note.


def html(text):
    """Escape text for a rich-text note."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


target = task if task else incident
content = results.content
if results.success and content:
    channel = "#" + html(content.channel)
    if content.url:
        channel = f'<a href="{html(content.url)}">{channel}</a>'
    target.addNote(helper.createRichText(f"Note was posted to Slack channel {channel}"))
else:
    reason = html(results.reason or "no reason given")
    target.addNote(helper.createRichText(f"Note could not be posted to Slack: {reason}"))
