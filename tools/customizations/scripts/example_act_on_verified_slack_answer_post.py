# ruff: noqa: F821
# Example: Act on a verified Slack answer (local script after the function step).
# Reads the answer only from the function's result, never from the row: the function failed before this script
# when the row was changed outside fn_slack. Put the step that acts on the answer (block a domain, disable an
# account) after this one, reading the same result.
content = results.content if results and results.success else None
if content and content.verified is True and content.status == "answered":
    who = content.answered_by or "someone"
    if content.answered_by_id:
        who = f"{who} ({content.answered_by_id})"
    incident.addNote(helper.createPlainText(f"Verified Slack answer: {content.answer} by {who}"))
