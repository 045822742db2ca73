# ruff: noqa: F821
# Example: Act on a verified Slack answer (function step, pre-processing).
# Runs when a row of the Slack Questions data table changes to Status "answered". Anyone who can edit the
# incident can set a row to "answered", so the row's cells are not trusted here: only the question's id is
# taken from it, and "Read a verified Slack answer" returns the answer only when the row holds what fn_slack
# wrote (its seal intact). A row changed outside fn_slack fails the function, and the playbook stops there.
inputs.incident_id = incident.id
inputs.slack_question_id = row.slack_q_id
