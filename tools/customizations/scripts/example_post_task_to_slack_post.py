# ruff: noqa: F821
# Example: Post Task to Slack (post-processing).
# Records the post as a note on the task, with a link to the message in Slack.


def html(text):
    """Escape text for a rich-text note."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


content = results.content
if results.success and content:
    channel = "#" + html(content.channel)
    if content.url:
        channel = f'<a href="{html(content.url)}">{channel}</a>'
    task.addNote(helper.createRichText(f"Task was posted to Slack channel {channel}"))
else:
    reason = html(results.reason or "no reason given")
    task.addNote(helper.createRichText(f"Task could not be posted to Slack: {reason}"))
