"""The ``[fn_slack]`` section that ``resilient-circuits config -c/-u`` writes into app.config."""


def config_section_data() -> str:
    """The app.config section for fn_slack, with every key explained."""
    return """[fn_slack]
# Slack token. A bot token (xoxb-...) of a Slack app created from the manifest that this package ships as
# fn_slack/data/slack-app-manifest.yml (`pip show -f fn_slack` shows where) is recommended; a user token
# (xoxp-...) also works. Use $ENV_VAR or ^keystore references to keep it out of this file.
api_token = xoxb-xxxx-your-token
# Author name of messages when the workflow gives no slack_username (needs the chat:write.customize scope)
username = SOAR
# Optional Jinja2 template that replaces the built-in export format of slack_archive_channel
#template_file = /path/to/history_export.jinja2
# Slack Web API base URL: https://slack.com/api/ (default) or GovSlack https://slack-gov.com/api/
#slack_api_url = https://slack.com/api/
# Seconds per Slack HTTP call
#timeout = 30
# Seconds Slack may still carry out a post after fn_slack stopped waiting for its answer: a post whose answer
# was lost is looked for until then, and sent again only if it has not appeared (never posted twice)
#write_settle_seconds = 30
# Most seconds one function call may wait for Slack's rate limits (in line behind this server's other calls of the
# same method, and Slack's Retry-After); a call whose expected wait is longer fails at once, sending nothing
#max_rate_limit_wait = 1800
# Let slack_post_attachment upload artifacts of type Malware Sample (default false)
#allow_malware_samples = false
# Refuse uploads above this size (MB), before anything is sent; Slack's own limit is 1 GB
#max_upload_mb = 1024
# TLS verification of Slack calls: true, false, or the path of a CA bundle
#verify = true
# Fill results.user_info of the post functions ("<name>: <email>" of the channel's people), as IBM's 2.x did.
# It costs Slack calls on every post: conversations.members (one per 1,000 members) plus one users.info per
# member, the app's bot included: a post to a linked channel of 10 people takes 14 calls instead of 2.
# false: an empty list. A section without this key (an app.config of fn_slack 2.x) fills it, as 2.x did.
result_user_info = false
# Allow a plain http:// slack_api_url to another machine (default false: the token would cross the network
# unencrypted; plain http is always allowed to this machine, e.g. the local Slack sandbox)
#allow_insecure_http = false
# Two-way channels (Socket Mode): the app-level token (xapp-..., scope connections:write) of the same Slack
# app. Unset: no listener, nothing changes. See the user guide, section 12.
#app_token = $SLACK_APP_TOKEN
# Seconds another integration server waits before taking over a claim whose holder went silent (a Slack event,
# a first post creating its incident's channel)
#event_claim_seconds = 30
# Actions from Slack (needs app_token): the slash command registered in the Slack app, and the SOAR roles
# whose holders may act on any linked incident besides its owner and members (comma-separated; unset: none).
# See the user guide, section 12.7.
#slash_command = /soar
#actions_roles = Incident Commander
# Who may use the global shortcut Declare incident: the SOAR roles (comma-separated; unset: any active SOAR user)
#declare_roles = Incident Commander
# How slack_post_message shows SOAR data: attachment (default, the legacy attachment) or blocks (Block Kit)
#message_style = attachment
# Minutes until a slack_ask_question question expires when the function gives no expiry
#question_expiry_minutes = 1440
# The secret of the seals fn_slack puts on the data-table rows it decides on (questions, links), at least 32
# characters and the same on every integration server. Unset: derived from api_token (rotating the token
# then makes every sealed row read as changed). See the user guide, section 12.5.
#seal_key = $SLACK_SEAL_KEY
# Proxies for Slack calls (default: [integrations] section, then the environment)
#http_proxy = http://proxy:3128
#https_proxy = http://proxy:3128
"""
