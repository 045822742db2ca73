# ruff: noqa: F821
# Example: Ask a Question in Slack (pre-processing).
# Asks the menu item's question in the incident's Slack channel (the same channel choice as posting), or,
# with "Ask them directly", of the people named in "Slack users emails" in a direct message. Only those people
# may answer, or, with "Anyone in the channel may answer", any member of the channel. The function
# returns at once; the answer arrives through the Socket Mode listener as a note and in the Slack Questions
# data table; the playbook "Example: Act on a verified Slack answer" acts on it once fn_slack verified the row.
inputs.incident_id = incident.id
inputs.slack_question = rule.properties.rule_slack_question
inputs.slack_question_options = rule.properties.rule_slack_question_options or "Yes|No"
inputs.slack_question_free_text = False

# The menu item's values win over the defaults above; empty ones are left out.
if rule.properties.rule_slack_channel:
    inputs.slack_channel = rule.properties.rule_slack_channel
if rule.properties.rule_slack_is_channel_private is not None:
    inputs.slack_is_channel_private = rule.properties.rule_slack_is_channel_private
if rule.properties.slack_channel_id:
    inputs.slack_channel_id = rule.properties.slack_channel_id
if rule.properties.rule_slack_participant_emails:
    inputs.slack_participant_emails = rule.properties.rule_slack_participant_emails
if rule.properties.rule_slack_question_direct is not None:
    inputs.slack_question_direct = rule.properties.rule_slack_question_direct
if rule.properties.rule_slack_question_anyone is not None:
    inputs.slack_question_anyone = rule.properties.rule_slack_question_anyone
