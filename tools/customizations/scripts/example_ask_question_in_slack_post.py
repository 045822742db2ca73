# ruff: noqa: F821
# Example: Ask a Question in Slack (post-processing).
# Notes on the incident that the question was asked, with a link to it in Slack and its id.


def html(text):
    """Escape text for a rich-text note."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


content = results.content
if results.success and content:
    where = "#" + html(content.channel)
    if content.url:
        where = f'<a href="{html(content.url)}">{where}</a>'
    incident.addNote(helper.createRichText(
        f"Question {html(content.question_id)} asked in Slack ({where}); the answer will be noted here and in "
        f"the Slack Questions data table."))
else:
    reason = html(results.reason or "no reason given")
    incident.addNote(helper.createRichText(f"The question could not be asked in Slack: {reason}"))
