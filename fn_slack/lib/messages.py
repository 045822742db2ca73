"""Every message a SOAR user reads from fn_slack — status messages and errors — one function per message.

Wording lives here once: a flow or an edge says *which* message, this module says it. Messages name the input
or setting to change and the fix. Values that came from SOAR or Slack are shown shortened where they could be
long; secrets are never passed in.
"""

from __future__ import annotations

SECTION = "fn_slack"
CHANNEL_RULE = ("Slack channel names use lowercase letters, digits, '-' and '_', at most 80 characters; "
                "fix slack_channel")


def size_text(size: int) -> str:
    """A size as people read it: 812 bytes, 3.4 KB, 12.0 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _kind(object_label: str) -> str:
    """"incident" of "incident 2095", "task" of "task 7"."""
    return object_label.split(maxsplit=1)[0]


# ---------------------------------------------------------------------------------------------- inputs
def channel_name_too_long(name: str) -> str:
    return f"slack_channel '{name[:20]}…' has {len(name)} characters. {CHANNEL_RULE}."


def channel_name_capitals(name: str) -> str:
    return f"slack_channel '{name}' has capital letters. {CHANNEL_RULE} (e.g. '{name.lower()}')."


def channel_name_bad_characters(name: str, shown: str) -> str:
    return f"slack_channel '{name}' has characters Slack does not allow ({shown}). {CHANNEL_RULE}."


def channel_name_only_punctuation(name: str) -> str:
    return f"slack_channel '{name}' is only punctuation: give at least one letter or digit. {CHANNEL_RULE}."


def bad_channel_id(text: str) -> str:
    return (f"slack_channel_id '{text[:40]}' is not a Slack channel ID: it looks like C0123ABCD "
            f"(in Slack: channel details → About → Channel ID). Leave it empty to use slack_channel.")


def missing_record_id(name: str) -> str:
    return f"{name} is required: the workflow must pass the {name.split('_', maxsplit=1)[0]}'s id."


def record_id_not_a_number(name: str, value: object) -> str:
    return f"{name} must be a SOAR id (a whole number), got {str(value)[:40]!r}."


def record_id_not_positive(name: str, number: int) -> str:
    return f"{name} must be a positive SOAR id, got {number}."


def bad_flag(name: str, value: object) -> str:
    return f"{name} must be true or false, got {str(value)[:40]!r}."


def empty_slack_text() -> str:
    return "slack_text is empty: give the message to post."


def file_comment_too_long(length: int, limit: int) -> str:
    return (f"slack_text has {length:,} characters; Slack allows at most {limit:,} in a file comment: "
            f"shorten it.")


def malformed_email_skipped(email: str) -> str:
    return f"'{email}' in slack_participant_emails is not a valid e-mail address; it was skipped."


# ---------------------------------------------------------------------------------------------- settings
def config_not_a_number(key: str, raw: object, default: float) -> str:
    return f"[{SECTION}] {key} must be a number (got {str(raw)!r}); remove it to use the default {default:g}."


def config_below_minimum(key: str, minimum: float, value: float) -> str:
    return f"[{SECTION}] {key} must be at least {minimum:g} (got {value:g})."


def token_not_set() -> str:
    return (f"[{SECTION}] api_token is not set: put your Slack bot token (xoxb-...) in app.config, or set the "
            f"environment variable it refers to.")


def token_is_placeholder() -> str:
    return f"[{SECTION}] api_token still holds the example value: replace it with your Slack bot token (xoxb-...)."


def api_url_not_http(api_url: str, default: str) -> str:
    return f"[{SECTION}] slack_api_url must be an http(s) URL such as {default} (got {api_url!r})."


def settings_unusable_at_startup() -> str:
    return "fn_slack cannot call Slack until app.config is fixed: %s"


# ---------------------------------------------------------------------------------------------- channel choice
def no_linked_channel_for_post(object_label: str) -> str:
    return (f"No Slack channel is linked to this {_kind(object_label)}; give slack_channel (the channel's name) "
            f"or slack_channel_id.")


def no_linked_channel_for_archive(kind: str) -> str:
    return f"No Slack channel is linked to this {kind}: give slack_channel_id to archive a channel by its ID."


def linked_channel_gone(name: str, res_id: str) -> str:
    return (f"The Slack app cannot see #{name}, the channel linked in {res_id}: if it is a private channel, invite "
            f"the app to it (/invite @app in Slack) and run the action again; if it was deleted, give slack_channel "
            f"to post elsewhere.")


SHOWN_VALUE_LENGTH = 80
"""How much of a changed cell's value a message or note shows."""


def shown_value(value: str) -> str:
    """A cell's value as a message quotes it: at most SHOWN_VALUE_LENGTH characters, ``(empty)`` for nothing."""
    text = str(value)
    if not text:
        return "(empty)"
    return f"“{text[:SHOWN_VALUE_LENGTH]}…”" if len(text) > SHOWN_VALUE_LENGTH else f"“{text}”"


def cells_changed(changes: list[tuple[str, str, str]]) -> str:
    """The cells of a row changed outside fn_slack: ``column: sealed → now`` each (plain text)."""
    return "; ".join(f"{column}: {shown_value(sealed)} → {shown_value(now)}" for column, sealed, now in changes)


def link_changed_outside(table: str, res_id: str, changes: list[tuple[str, str, str]]) -> str:
    """A post or archive refused: the incident's link was changed in SOAR behind fn_slack's back."""
    what = (f"its cells changed since fn_slack wrote them ({cells_changed(changes)})" if changes else
            "its seal (slack_db_seal) no longer fits the row: it was changed, copied from another row or made "
            "with another seal_key")
    return (f"The link {res_id} in the {table} data table was changed outside fn_slack: {what}. fn_slack does not "
            f"act on it: nothing was done in Slack. If the change was not meant, find out who made it; to repair "
            f"the link, delete the row (the next post links the channel again).")


def linked_channel_gone_for_archive(name: str, res_id: str) -> str:
    return (f"The Slack app cannot see #{name}, the channel linked in {res_id}: if it is a private channel, invite "
            f"the app to it (/invite @app in Slack) and run the action again; if it was deleted, there is nothing "
            f"left to archive.")


def permalink_unavailable(channel_name: str) -> str:
    return (f"The message is in #{channel_name}, but Slack did not give its link; the result and the data table "
            f"have no link for it.")


REDELIVERED_REASON = "SOAR delivered this action again after an interruption"


def waiting_for_earlier_delivery(waited: float) -> str:
    return (f"{REDELIVERED_REASON} (the integration server that ran it first stopped or lost its connection to "
            f"SOAR). The first delivery may still be writing to Slack: fn_slack looks for its message or file for "
            f"up to {waited:g} s before writing, so that nothing appears twice.")


def post_uncertain(channel_name: str, reason: object, waited: float, in_thread: bool) -> str:
    where = f"its thread in #{channel_name}" if in_thread else f"#{channel_name}"
    return (f"Slack did not answer the post to {where} ({reason}), and {waited:g} s later fn_slack still cannot "
            f"tell whether the message is there. fn_slack did not send it again, so that it cannot appear twice. "
            f"Check {where} in Slack: run the action again only if the message is not there.")


def upload_uncertain(channel_name: str, waited: float) -> str:
    return (f"SOAR delivered this action again after an interruption, and fn_slack could not find out whether "
            f"the first delivery shared the file in #{channel_name}: Slack did not answer its look-ups in the "
            f"{waited:g} s it may take to appear. fn_slack did not share it again, so that it cannot appear twice. "
            f"Check #{channel_name} in Slack: run the action again only if the file is not there.")


def channel_created(name: str, channel_type: str) -> str:
    return f"Channel #{name} was created in your workspace ({channel_type.lower()})."


def channel_being_created_elsewhere(name: str, object_label: str) -> str:
    return (f"Another integration server is creating or finding the channel #{name} for {object_label}; this "
            f"post waits for it to be linked and then posts there.")


def channel_creation_pending(name: str, object_label: str, max_wait: float) -> str:
    return (f"Another integration server is still creating or finding the channel #{name} for {object_label} "
            f"after {max_wait:g} s ([{SECTION}] max_rate_limit_wait), so nothing was posted: run the action again "
            f"later (the channel is then linked), or raise max_rate_limit_wait if Slack's rate limits are long.")


def channel_claims_unavailable() -> str:
    return ("The data table slack_messages_db is missing, so integration servers cannot agree which of them creates "
            f"an incident's channel (each may try, and one finds the other's): {CUSTOMIZE}.")


def private_flag_needed_to_create(name: str) -> str:
    return (f"The Slack app sees no channel #{name} and slack_is_channel_private is empty, so nothing was created "
            f"or posted: to create the channel, set slack_is_channel_private to Yes (private) or No (public) and "
            f"run the action again; if #{name} is a private channel, invite the app to it (/invite @app in Slack) "
            f"instead.")


def linked_channel_not_used(object_label: str, linked_name: str, used_name: str) -> str:
    return (f"The channel linked to this {_kind(object_label)}, #{linked_name}, was not used: the message went to "
            f"#{used_name} as slack_channel asked.")


def channel_archived_cannot_post(name: str) -> str:
    return f"Slack channel #{name} is archived and cannot be posted to: give another slack_channel."


def channel_archived_cannot_use(name: str) -> str:
    return f"Slack channel #{name} is archived and cannot be used: give another slack_channel."


def privacy_mismatch(name: str, is_private: bool, asked_private: bool) -> str:
    actual = "private" if is_private else "public"
    return (f"Slack channel #{name} is {actual}, but slack_is_channel_private says "
            f"{'Yes' if asked_private else 'No'}: set slack_is_channel_private to "
            f"{'Yes' if is_private else 'No'} or leave it empty, or give another slack_channel.")


def channel_id_not_found(channel_id: str) -> str:
    return (f"The Slack app cannot see channel ID {channel_id}: if it is a private channel, invite the app to it "
            f"(/invite @app in Slack) and run the action again; otherwise check slack_channel_id.")


def channel_gone(name: str, channel_id: str) -> str:
    return (f"The Slack app cannot see #{name} ({channel_id}): if it is a private channel, invite the app to it "
            f"(/invite @app in Slack) and run the action again; if it was deleted, give another slack_channel.")


def not_member_of_private_channel(name: str) -> str:
    return (f"The Slack app is not a member of the private channel #{name}: invite it to the channel in Slack, "
            f"then run the action again.")


def name_taken_invisible(name: str) -> str:
    return (f"Slack channel name #{name} is taken by a channel the Slack app cannot see: an archived channel or a "
            f"private channel the app is not a member of. Invite the app to that private channel (/invite @app in "
            f"Slack), or give another slack_channel.")


def channel_name_refused(name: str, code: str) -> str:
    return (f"Slack refused the channel name #{name} ({code}): use lowercase letters, digits, '-' and '_', at most "
            f"80 characters.")


# ---------------------------------------------------------------------------------------------- participants
def user_not_in_workspace(email: str) -> str:
    return f"User {email} is not a member of your workspace."


def users_invited(channel_name: str, emails: list[str]) -> str:
    count = len(emails)
    return f"{count} user{'s' if count != 1 else ''} invited to #{channel_name}: {', '.join(emails)}."


def already_members(channel_name: str, emails: list[str]) -> str:
    return f"Already in #{channel_name}: {', '.join(emails)}."


_INVITE_REFUSALS = {
    "ura_max_channels": "a single-channel guest who is already in another channel",
    "user_is_ultra_restricted": "a single-channel guest",
    "user_is_restricted": "a guest account this channel cannot take",
    "cant_invite": "Slack does not let the app invite this person (for example a user of another organisation)",
    "org_user_not_in_team": "a member of your organisation who is not in this workspace",
    "no_permission": "the app is not allowed to invite this person",
    "user_not_found": "no longer in the workspace",
}


def user_not_invited(email: str, channel_name: str, reason: str) -> str:
    words = _INVITE_REFUSALS.get(reason)
    return (f"User {email} could not be invited to #{channel_name}: {words} ({reason})." if words
            else f"User {email} could not be invited to #{channel_name} ({reason}).")


# ---------------------------------------------------------------------------------------------- posting
def posted_as_app(username: str) -> str:
    return (f"Posted as the Slack app instead of '{username}': the app lacks the chat:write.customize scope "
            f"needed to set the author name.")


def message_posted(channel_name: str, object_label: str, linked: bool) -> str:
    text = f"Message posted to Slack channel #{channel_name}."
    if linked:
        text += f" #{channel_name} is now linked to this {object_label}."
    return text


# ---------------------------------------------------------------------------------------------- files
def no_file_chosen() -> str:
    return ("Give artifact_id (an artifact with a file) or attachment_id (an incident or task attachment): "
            "slack_post_attachment needs one of them.")


def artifact_without_file(artifact_id: int, artifact_type: object) -> str:
    return (f"Artifact {artifact_id} ({artifact_type}) holds no file: use 'Example: Post Artifact to Slack' to post "
            f"its value, or give another artifact_id.")


def malware_sample_refused(artifact_id: int | None) -> str:
    return (f"Artifact {artifact_id} is a Malware Sample: fn_slack does not upload malware samples to Slack unless "
            f"[{SECTION}] allow_malware_samples = true.")


def file_over_limit_declared(name: str, size: int, limit: int) -> str:
    return (f"{name} is {size_text(size)}, over the upload limit of {size_text(limit)} ([{SECTION}] max_upload_mb, "
            f"at most Slack's 1 GB): nothing was uploaded.")


def file_over_limit_downloaded(name: str, size: int, limit: int) -> str:
    return f"{name} is {size_text(size)}, over the upload limit of {size_text(limit)}: nothing was uploaded."


def file_is_empty(name: str) -> str:
    return f"{name} is empty (0 bytes): Slack does not take empty files, so nothing was uploaded."


def share_not_shown_yet() -> str:
    return "Slack had not shown the file in the channel yet; the result links to the file itself."


def file_uploaded(name: str, channel_name: str) -> str:
    return f"{name} was uploaded to Slack channel #{channel_name}."


def upload_tls_refused(detail: str) -> str:
    return (f"Uploading the file to Slack failed: its TLS certificate did not verify ({detail}); nothing was "
            f"shared. Check [{SECTION}] verify (a CA bundle path) and the proxy settings.")


def upload_failed(detail: str) -> str:
    return f"Uploading the file to Slack failed ({detail}); nothing was shared. Run the action again."


# ---------------------------------------------------------------------------------------------- archive
ARCHIVE_NOTICE = "This channel has been set to be archived from SOAR."
CLOSING_LABELS = {"status": "Status", "resolution": "Resolution", "owner": "Owner", "severity": "Final severity",
                  "tasks": "Tasks", "summary": "Resolution summary"}
CLOSED = "Closed"
NO_RESOLUTION = "not given"


def closing_tasks(closed: int, still_open: int) -> str:
    return f"{closed} closed, {still_open} open"


def closing_summary_context(incident_id: int) -> str:
    return (f"SOAR incident {incident_id} was closed. This conversation is saved on the incident before the channel "
            f"is archived.")


def closing_summary_posted(channel_name: str) -> str:
    return f"Posted the incident's closing summary in #{channel_name}."


def exporting_history(channel_name: str) -> str:
    return f"Exporting the history of Slack channel #{channel_name}."


def export_already_saved(name: str, kind: str) -> str:
    return f"{name} was already saved on the {kind} by an earlier run."


def export_saved(count: int, channel_name: str, name: str, kind: str) -> str:
    return f"{count} messages of #{channel_name} saved as {name} on the {kind}."


def template_setting(path: str | None) -> str:
    """How an export message names the template setting."""
    return f"[{SECTION}] template_file '{path}'" if path else f"[{SECTION}] template_file"


def template_not_jinja(where: str, problem: str, line: int | None) -> str:
    return f"{where} is not a valid Jinja2 template: {problem} (line {line})."


def template_mixes_kinds(where: str, per_message: str) -> str:
    return (f"{where} mixes 'messages' (a template rendered once for the channel) with {per_message} "
            f"(the variables of a template written for the original fn_slack, rendered once per message): "
            f"use one kind or the other.")


def template_unknown_variables(where: str, unknown: str, count: int, streamed: str, per_message: str) -> str:
    return (f"{where} uses the variable{'s' if count > 1 else ''} {unknown}, which the export "
            f"does not provide. A template rendered once for the channel has "
            f"{streamed}; one written for the original fn_slack, "
            f"rendered once per message, has {per_message}.")


def template_render_failed(where: str, line: int | None, error: object) -> str:
    at = f" at line {line}" if line else ""
    return (f"{where} could not render the channel export{at}: {error}. The export "
            f"stopped there and was not saved: fix the template or remove the setting.")


def template_unreadable(where: str, reason: str) -> str:
    return f"{where} cannot be read: {reason}."


def export_not_saved(error: str, channel_name: str) -> str:
    return f"{error}. Slack channel #{channel_name} was NOT archived, so nothing is lost: run the action again."


def cannot_archive_general(channel_name: str) -> str:
    return (f"Slack never archives #{channel_name}, the workspace's general channel: nothing was posted or saved. "
            f"Give slack_channel_id of another channel, or link another channel to archive.")


def app_removed_during_export(channel_name: str) -> str:
    return (f"The Slack app lost access to #{channel_name} while its history was being exported (it was removed "
            f"from the channel): nothing was saved or archived. Invite the app back (/invite @app in Slack) and "
            f"run the action again.")


def written_while_saving(channel_name: str) -> str:
    return f"Messages were written in #{channel_name} while its history was being saved: saving it again."


def channel_keeps_changing(channel_name: str) -> str:
    return (f"Messages keep arriving in #{channel_name}, so it was not archived; every saved history is kept. Run "
            f"the action again when the conversation has stopped.")


def archived_by_first_delivery(channel_name: str, name: str, kind: str) -> str:
    return (f"Slack channel #{channel_name} was archived by this action's first delivery, which ended before it "
            f"could answer SOAR; its history is saved as {name} on the {kind}.")


def channel_archived(channel_name: str) -> str:
    return f"Slack channel #{channel_name} was archived."


def channel_was_already_archived(channel_name: str) -> str:
    return f"Slack channel #{channel_name} was already archived."


def channel_is_already_archived(channel_name: str) -> str:
    return f"Slack channel #{channel_name} is already archived."


# ---------------------------------------------------------------------------------------------- channel in step
NO_OWNER = "no owner"
SYNC_SUMMARY_LABELS = {"severity": "Severity", "owner": "Owner", "phase": "Phase/status", "open_tasks": "Open tasks",
                       "last_update": "Last update"}


def incident_status(closed: bool) -> str:
    return "Closed" if closed else "Active"


def sync_link_label(incident_id: int) -> str:
    return f"SOAR {incident_id}"


def sync_bookmark_title(incident_id: int) -> str:
    return f"SOAR incident {incident_id}"


def sync_untitled(incident_id: int) -> str:
    return f"Incident {incident_id}"


def sync_summary_fallback(escaped_name: str, incident_id: int) -> str:
    return f"Incident {incident_id}: {escaped_name}"


def sync_summary_context(incident_id: int) -> str:
    return f"Kept up to date from SOAR incident {incident_id} by fn_slack; edits made in Slack are replaced."


def no_linked_channel_for_sync(kind: str) -> str:
    return (f"No Slack channel is linked to this {kind}: post to Slack first (Example: Post Incident to Slack), "
            f"then keep the channel in step.")


def sync_not_on(channel_name: str) -> str:
    return (f"Slack channel #{channel_name} is not kept in step with the incident: run slack_sync_channel once with "
            f"slack_sync_start = Yes (Example: Keep Slack Channel in Step) to turn it on. Nothing was written.")


def sync_channel_archived(channel_name: str) -> str:
    return (f"Slack channel #{channel_name} is archived, and its conversation is not saved on the incident (it was "
            f"not archived by fn_slack's archive): nothing was written, and no new channel is linked. Unarchive it "
            f"in Slack (a person can; Slack apps cannot) to keep it in step again.")


def sync_closed_and_archived(channel_name: str) -> str:
    return (f"The incident is closed and Slack channel #{channel_name} was archived with the incident: nothing was "
            f"written. Reopening the incident links a new channel.")


def reopen_new_channel(channel_name: str, old_name: str) -> str:
    return (f"The incident was reopened and #{old_name} is archived (Slack apps cannot unarchive a channel): "
            f"linking the new channel #{channel_name}.")


def reopen_relinked(channel_name: str, old_name: str) -> str:
    return f"The incident is now linked to Slack channel #{channel_name} instead of the archived #{old_name}."


def reopened_message(old_name: str, old_id: str, attachment: str | None) -> str:
    saved = (f"its conversation is saved on the incident as {attachment}" if attachment
             else "its conversation was saved on the incident when it was archived")
    return (f"This SOAR incident was reopened. Its earlier channel <#{old_id}|{old_name}> is archived; {saved}. "
            f"This channel is now the incident's channel.")


def reopen_no_free_name(old_name: str, tried: int) -> str:
    return (f"No free Slack channel name was found for the reopened incident after #{old_name} ({tried} names "
            f"tried): nothing was created. Link a channel to the incident by hand (Example: Post Incident to "
            f"Slack with a channel name), then keep it in step.")


def reopen_linked_elsewhere(channel_name: str) -> str:
    return f"Another integration server linked the reopened incident to #{channel_name}: keeping that channel in step."


def sync_state_changed(table: str, res_id: str) -> str:
    return (f"The {table} row {res_id} holds a sync state fn_slack did not write (slack_db_sync_state was changed "
            f"outside fn_slack): nothing was written. Clear slack_db_sync_state in the row to start the channel's "
            f"topic, bookmark and summary afresh.")


def sync_started(channel_name: str) -> str:
    return f"Slack channel #{channel_name} is now kept in step with the incident."


def sync_wrote(part: str, channel_name: str) -> str:
    return {"topic": f"Set the topic of #{channel_name}.",
            "bookmark": f"Set the bookmark to the incident in #{channel_name}.",
            "summary": f"Updated the pinned summary in #{channel_name}.",
            "summary_posted": f"Posted and pinned the incident's summary in #{channel_name}."}[part]


def sync_unchanged(channel_name: str) -> str:
    return f"#{channel_name} already shows the incident as it is: nothing was written to Slack."


def sync_summary_gone(channel_name: str) -> str:
    return (f"The pinned summary in #{channel_name} was deleted in Slack: a new one is posted and pinned.")


def link_row_gone(table: str, res_id: str) -> str:
    return f"The {table} row {res_id} was removed in SOAR while the channel was being kept in step: run it again."


def incident_not_found(incident_id: int) -> str:
    return f"SOAR has no incident {incident_id}: check incident_id."


# ---------------------------------------------------------------------------------------------- Slack answers
_SLACK_EXPLANATIONS = {
    "invalid_auth": "Slack rejected the api_token in [fn_slack] (invalid_auth): check the token in app.config.",
    "not_authed": "Slack received no token: set api_token in the [fn_slack] section of app.config.",
    "token_revoked": "The Slack token in [fn_slack] api_token has been revoked (token_revoked): "
                     "reinstall the Slack app and update app.config.",
    "token_expired": "The Slack token in [fn_slack] api_token has expired (token_expired): update app.config.",
    "account_inactive": "The Slack token belongs to a deactivated user or app (account_inactive): "
                        "update [fn_slack] api_token.",
    "not_allowed_token_type": "This Slack token type cannot call {method} (not_allowed_token_type): "
                              "use a bot token (xoxb-) in [fn_slack] api_token.",
    "method_deprecated": "Slack has retired {method} (method_deprecated).",
    "restricted_action": "A workspace admin setting forbids {method} for this app (restricted_action).",
}


def slack_refused(method: str, code: str, needed_scope: str | None = None) -> str:
    """Slack's refusal of ``method`` with ``code``, explained where the SOAR user can act on it."""
    if code == "missing_scope":
        return (f"The Slack app lacks the scope '{needed_scope or '?'}' needed for {method} (missing_scope): add it "
                f"to the app's bot token scopes and reinstall the app.")
    if code == "invalid_types":
        return (f"Slack refused the channel types fn_slack asked {method} for (invalid_types): the app needs the "
                f"channels:read and groups:read scopes; add them to the app's bot token scopes and reinstall the app.")
    explanation = _SLACK_EXPLANATIONS.get(code)
    if explanation:
        return explanation.format(method=method)
    return f"Slack refused {method}: {code}."


def rate_limit_budget_spent(method: str, max_wait: float) -> str:
    return (f"Slack rate-limited {method} and the wait allowed per call ([{SECTION}] max_rate_limit_wait = "
            f"{max_wait:g} s) is used up; run the action again later or raise max_rate_limit_wait.")


def rate_limit_wait_beyond_ceiling(method: str, expected: float, max_wait: float) -> str:
    return (f"Slack rate-limited {method} and the wait for it (about {_duration(expected)}) would pass what one "
            f"call may wait ([{SECTION}] max_rate_limit_wait = {max_wait:g} s); nothing was sent. Run the action "
            f"again later or raise max_rate_limit_wait.")


def waiting_in_line(method: str, per_minute: int, per_channel: bool, place: int, expected: float,  # noqa: PLR0913, PLR0917
                    max_wait: float) -> str:
    limit = f"about {per_minute} a minute {'per channel' if per_channel else 'per workspace'}"
    ahead = "next in line" if place == 0 else f"{place} call{'s' if place != 1 else ''} ahead in this process"
    return (f"Waiting for Slack: {method} is rate-limited (Slack allows {limit}); {ahead}, expected wait about "
            f"{_duration(expected)} (at most {max_wait:g} s per call, [{SECTION}] max_rate_limit_wait).")


def _duration(seconds: float) -> str:
    """``seconds`` as a person reads it: "45 s", "3 min 20 s"."""
    whole = max(1, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def slack_failed_to_answer(method: str, status: int | None) -> str:
    return f"Slack failed to answer {method} (HTTP {status}) after retrying; try again later."


def slack_redirected(method: str, status: int, api_url: str) -> str:
    return (f"{api_url} answered {method} with a redirect (HTTP {status}); fn_slack does not follow redirects, so "
            f"the token is never sent elsewhere. Set [{SECTION}] slack_api_url to Slack's own address (such as "
            f"https://slack.com/api/) or fix the proxy that redirects.")


def slack_not_reached(api_url: str, method: str, reason: object) -> str:
    return (f"Could not reach Slack at {api_url} for {method}: {reason}. Check the network, proxy settings and "
            f"[{SECTION}] slack_api_url.")


# ---------------------------------------------------------------------------------------------- SOAR answers
def soar_table_missing(incident_id: int, table: str) -> str:
    return (f"The data table {table} is missing from incident {incident_id}'s org (or the incident "
            f"does not exist): "
            f"run `resilient-circuits customize -l fn_slack` to import fn_slack's customizations.")


def soar_table_refused(action: str, table: str, incident_id: int, detail: str) -> str:
    return f"SOAR refused to {action} the {table} data table of incident {incident_id}: {detail}"


def soar_refused(action: str, status: int | None, detail: object) -> str:
    return f"SOAR refused to {action} (HTTP {status}): {detail}"


def soar_incident_kept_changing(incident_id: int) -> str:
    return f"SOAR kept refusing to update incident {incident_id}: it changed under every attempt"


CUSTOMIZE = "run `resilient-circuits customize -l fn_slack` to finish the upgrade"


def soar_columns_missing(table: str, columns: list[str], consequence: str) -> str:
    """A table write left out columns the org's table does not have yet (package upgraded before customize)."""
    return (f"SOAR's data table {table} has no column {', '.join(columns)} yet (fn_slack's customizations are "
            f"older than the package), so {consequence}. To fix it, {CUSTOMIZE}.")


def consequence_link_without_id(channel_name: str) -> str:
    return (f"the link to #{channel_name} was saved without the channel's ID, as the original app saved it: "
            f"later posts and the archive find the channel by its name, and the first post after customize adds "
            f"the ID")


def consequence_id_not_filled(channel_name: str) -> str:
    return (f"the link to #{channel_name} keeps its name only (the channel is found by its name); the first post "
            f"after customize adds the ID")


def consequence_thread_not_kept() -> str:
    return "this post was not saved as the thread's first message (slack_thread starts a new thread next time)"


def consequence_mirror_not_set() -> str:
    return "mirroring could not be turned on"


def consequence_mirror_not_sealed() -> str:
    return "the link could not be sealed, and a link fn_slack has not sealed does not mirror"


def soar_table_needs_customize(table: str, purpose: str) -> str:
    """A 3.x table is missing: refused before anything is written to Slack."""
    return (f"SOAR has no data table {table}, which {purpose} needs (fn_slack's customizations are older than the "
            f"package). Nothing was posted to Slack: {CUSTOMIZE}, then run this again.")


def soar_table_columns_need_customize(table: str, columns: list[str], purpose: str) -> str:
    return (f"SOAR's data table {table} has no column {', '.join(columns)}, which {purpose} needs (fn_slack's "
            f"customizations are older than the package). Nothing was posted to Slack: {CUSTOMIZE}, then run "
            f"this again.")


def mirror_table_missing(channel: str, table: str) -> str:
    """The listener's warning: a mirrored channel's event is skipped while a 3.x table is missing."""
    return (f"fn_slack skipped a message of Slack channel {channel}: SOAR has no data table {table}, which mirroring "
            f"needs. To mirror again, {CUSTOMIZE}.")


def soar_object_missing(what: str) -> str:
    return f"SOAR has no {what}: check incident_id, task_id, artifact_id and attachment_id."


def soar_read_refused(what: str, status: int | None) -> str:
    return f"SOAR refused to read {what}: HTTP {status}."


def soar_file_refused(path: str, status: int | None) -> str:
    return f"SOAR refused to send the file {path}: HTTP {status}."


def soar_list_attachments_refused(kind: str, status: int | None) -> str:
    return f"SOAR refused to list the attachments of the {kind} (HTTP {status})"


def soar_save_refused(name: str, kind: str, status: int | None) -> str:
    return f"SOAR refused to save {name} on the {kind} (HTTP {status})"


def soar_not_reached_to_save(name: str, error: object) -> str:
    return f"SOAR could not be reached to save {name}: {error}"


# ---------------------------------------------------------------------------------------------- selftest
def selftest_connected(team: str, url: str, kind: str, who: str) -> str:
    return f"Connected to Slack workspace '{team}' ({url}) as {kind} '{who}'."


def selftest_customizations_current(functions: int, tables: int) -> str:
    return (f"SOAR holds this package's customizations ({functions} functions with their inputs, {tables} data "
            f"tables with their columns).")


def selftest_customizations_missing(missing: list[str]) -> str:
    return (f"SOAR's customizations are missing or older than this fn_slack package: {'; '.join(missing)}. Posts "
            f"still work meanwhile, but {CUSTOMIZE}.")


def selftest_customizations_unreadable(status: int | None, detail: str) -> str:
    return (f"fn_slack could not read its customizations from SOAR (HTTP {status}: {detail}); check that the API "
            f"key may read functions and data table definitions.")


def selftest_missing_function(name: str) -> str:
    return f"function {name}"


def selftest_missing_inputs(function: str, inputs: list[str]) -> str:
    return f"inputs {', '.join(inputs)} of function {function}"


def selftest_missing_table(table: str) -> str:
    return f"data table {table}"


def selftest_missing_columns(table: str, columns: list[str]) -> str:
    return f"columns {', '.join(columns)} of data table {table}"


def selftest_missing_incident_field(name: str) -> str:
    return f"incident field {name}"


# ---------------------------------------------------------------------------------------------- platform check
def platform_check_plan() -> str:
    return ("fn_slack's platform check writes to SOAR and Slack, so it runs only with --yes. It will create, and "
            "remove again when it ends: in SOAR one scratch incident named fn-slack-check-<time>-<random> with a "
            "few rows of its slack_conversations_db table, and it sets that incident's slack_mirror_channels field; "
            "in Slack a public and a private channel named fn-slack-check-<time>-<random>-pub/-priv (with a user "
            "token, one message with metadata in the public one), which it archives. The incident is deleted (or "
            "closed when the API key may not delete it). Nothing was written.")


def platform_check_no_config(path: str) -> str:
    return f"No app.config at {path}: give it with -c or APP_CONFIG_FILE."


def platform_check_not_started(reason: str) -> str:
    return f"The platform check did not start: {reason}"


def platform_check_user_token_unset(variable: str) -> str:
    return f"--user-token-env names {variable}, but that environment variable is empty or not set."


def platform_check_soar_unreachable(kind: str, detail: str) -> str:
    return f"SOAR could not be reached or refused the API key ({kind}: {detail}); no SOAR check ran."


def platform_check_key_refused(exit_code: object) -> str:
    return (f"SOAR refused the API key of [resilient] (resilient's client gave up with code {exit_code}): check "
            f"api_key_id and api_key_secret")


def platform_check_needs_customize(what: str, status: int | None) -> str:
    return f"SOAR has no {what} (HTTP {status}): run resilient-circuits customize -l fn_slack first"


def platform_check_incident_refused(status: int | None, detail: str) -> str:
    return (f"SOAR refused the scratch incident (HTTP {status}: {detail}); the SOAR table and PATCH checks need "
            f"an API key that may create incidents.")


def platform_check_step_failed(kind: str) -> str:
    return f"the platform gave an answer the check could not read ({kind}); nothing else of this step was tried"


def platform_check_row_refused(status: int | None, detail: str) -> str:
    return f"SOAR refused the scratch row write (HTTP {status}: {detail})"


def platform_check_incident_left(incident_id: int, delete_status: int | None, close_status: int | None) -> str:
    return (f"SOAR incident {incident_id} (the platform check's scratch incident): delete refused (HTTP "
            f"{delete_status}), close refused (HTTP {close_status}); delete it by hand.")


def platform_check_channel_left(name: str, channel_id: str, error: str) -> str:
    return f"Slack channel #{name} ({channel_id}): archiving it failed ({error}); archive it by hand."


def platform_check_no_user_token() -> str:
    return "no user token (give one with --user-token-env)"


def platform_check_no_bot_token() -> str:
    return "api_token is a user token; this check is about the app's bot token"


# ---------------------------------------------------------------------------------------------- hostile input
CONTAINER_TYPES = ("boolean", "datetime", "incident", "number", "richtext", "string")
"""The types a slack_text container entry may have (the messages below and doc/user-guide.md list them)."""
SLACK_TEXT_LIMIT = 40000
"""Slack truncates a message's text beyond this many characters; fn_slack refuses instead of losing data."""


def container_entry_not_object(label: str, entry_json: str) -> str:
    return (f"slack_text entry '{label}' must be an object like {{\"type\": \"string\", \"data\": ...}}; "
            f"got {entry_json[:100]}. Known types: {', '.join(CONTAINER_TYPES)}.")


def container_entry_without_type(label: str) -> str:
    return f"slack_text entry '{label}' has no \"type\"; give one of: {', '.join(CONTAINER_TYPES)}."


def container_unknown_type(label: str, type_: object) -> str:
    return (f"slack_text entry '{label}' has type {type_!r}, which fn_slack does not know; "
            f"known types: {', '.join(CONTAINER_TYPES)}.")


def container_incident_type_misplaced(label: str, url_keys: tuple[str, ...]) -> str:
    return (f"slack_text entry '{label}' has type 'incident', which is only for the "
            f"'{url_keys[0]}' (or '{url_keys[1]}') entry that links to the SOAR object.")


def container_bad_incident_reference(label: str, data: object) -> str:
    return (f"slack_text entry '{label}' must be an incident id such as 2095, or \"2095?task_id=7\" for a task; "
            f"got {str(data)[:100]!r}.")


def container_datetime_not_boolean(label: str, data: object) -> str:
    return f"slack_text entry '{label}' (datetime) must be epoch milliseconds, not {data!r}."


def container_bad_datetime(label: str, data: object) -> str:
    return (f"slack_text entry '{label}' (datetime) must be epoch milliseconds, e.g. 1541066628000; "
            f"got {str(data)[:100]!r}.")


def container_bad_number(label: str, data: object) -> str:
    return f"slack_text entry '{label}' (number) must be a number; got {str(data)[:100]!r}."


def container_richtext_too_deep(label: str) -> str:
    return f"slack_text entry '{label}' (richtext) is nested too deeply to convert."


def slack_text_too_long(what: str, length: int) -> str:
    return (f"slack_text makes a message {what} of {length:,} characters; Slack accepts at most "
            f"{SLACK_TEXT_LIMIT:,} (it would cut the rest). Post less text, or split it over several messages.")


def slack_text_not_json(detail: str) -> str:
    return (f"slack_text starts with '{{' but is not valid JSON ({detail}): fn_slack does not post it as plain text, "
            f"since it may hold incident data with live mentions. Fix the script that builds slack_text, or start "
            f"plain text with something other than '{{'.")


def channel_name_only_hash() -> str:
    return ("slack_channel '#' has no name after the '#': give the channel's name (e.g. #incident-2095), or leave "
            "slack_channel empty to use the linked channel.")


def channel_id_as_name(name: str) -> str:
    return (f"slack_channel '{name}' is a Slack channel ID, not a channel name: use slack_channel_id for IDs "
            f"(and leave slack_channel empty).")


def soar_object_of_another_incident(what: str, other_incident: object, incident_id: int) -> str:
    return (f"{what} belongs to incident {other_incident}, not to incident {incident_id}: check incident_id, task_id, "
            f"artifact_id and attachment_id.")


def config_above_maximum(key: str, maximum: float, value: float) -> str:
    return f"[{SECTION}] {key} must be at most {maximum:.15g} (got {value:.15g})."


def slash_command_invalid(raw: str) -> str:
    return (f"slash_command = {_shown(raw)} is not a Slack command name: a slash and at most 32 lower-case letters, "
            "digits, - or _ (the command registered in the Slack app, such as /soar).")


def config_verify_bundle_missing(where: str, path: str) -> str:
    return (f"[{where}] verify names a CA bundle that does not exist: {path}. Give the path of a PEM file of the CA "
            f"certificates to trust, or true to use the system's.")


def config_verify_bundle_unusable(where: str, path: str, reason: object) -> str:
    return f"[{where}] verify names a CA bundle that cannot be used: {path} ({reason})."


def api_url_plain_http(api_url: str) -> str:
    return (f"[{SECTION}] slack_api_url {api_url} uses plain http to another machine: the Slack token would cross the "
            f"network unencrypted. Use https, or set allow_insecure_http = true if the connection is protected "
            f"another way.")


def flag_setting_not_boolean(key: str, raw: object) -> str:
    return f"[{SECTION}] {key} must be true or false (got {str(raw)!r})."


# ---------------------------------------------------------------------------------- two-way channels
def app_token_is_placeholder() -> str:
    return (f"[{SECTION}] app_token still holds the example value: put your Slack app-level token (xapp-...) "
            f"there, or comment the line out to keep the Socket Mode listener off.")


def app_token_not_app_level() -> str:
    return (f"[{SECTION}] app_token must be an app-level token (xapp-...), made under Basic Information > "
            f"App-Level Tokens with the connections:write scope; a bot or user token cannot open Socket Mode.")


def seal_key_too_short(minimum: int) -> str:
    return (f"[{SECTION}] seal_key must be a secret of at least {minimum} characters, the same on every integration "
            f"server (for example `openssl rand -hex 32`), or left out to derive the seals' key from api_token.")


def listener_off() -> str:
    return f"Slack Socket Mode listener is off: [{SECTION}] app_token is not set."


def listener_started(connection_note: str) -> str:
    return f"Slack Socket Mode listener started ({connection_note})."


def listener_cannot_start(error: object) -> str:
    return (f"Slack Socket Mode listener could not start: {error}. Slack conversations are not mirrored into "
            f"SOAR until this is fixed and resilient-circuits is restarted.")


def listener_event_failed(key: str, error: object) -> str:
    return f"Slack event {key} could not be written to SOAR: {error}. Slack will deliver it again."


def mirror_claim_lost(key: str, note_id: object) -> str:
    return (f"Slack event {key}: another integration server took the claim over while note {note_id} was being "
            f"written; the event's record decides which note stays (the other is removed).")


def mirror_event_given_up(key: str, error: object) -> str:
    return (f"Slack event {key} could not be mirrored at Slack's last delivery ({error}); a note in the incident "
            f"says so and links to the message in Slack.")


def catch_up_started(channels: int) -> str:
    """The listener's log line when a (re)connection starts reading what Slack sent while it was away."""
    return (f"Slack Socket Mode listener connected: catching up on {channels} mirrored channel(s) from their "
            f"history, for messages written while the listener was not connected.")


def catch_up_channel(channel: str, incident_id: int, found: int, since: str) -> str:
    return (f"Caught up on Slack channel {channel} (incident {incident_id}): {found} message(s), reply(ies) or "
            f"edit(s) since {since} handed to the mirror; those already noted are not written again.")


def catch_up_channel_skipped(channel: str, incident_id: int, reason: object) -> str:
    return (f"Slack channel {channel} (incident {incident_id}) was not caught up: {reason}. Its messages written "
            f"while the listener was away are not in the incident unless the next connection catches them up.")


def catch_up_failed(channel: str, key: str, error: object) -> str:
    return (f"Catching up on Slack channel {channel}: message {key} could not be written to SOAR ({error}). The "
            f"next connection of the listener tries again.")


def catch_up_run_failed(error: object) -> str:
    return (f"Slack catch-up stopped: {error}. Messages written while the listener was away may be missing from "
            f"the incidents until the listener's next connection catches them up.")


def catch_up_done(channels: int, found: int, seconds: float) -> str:
    return (f"Slack catch-up done: {channels} channel(s), {found} message(s) read from history, in "
            f"{seconds:.1f} s.")


CATCH_UP_EARLIER_TEXT = "(not known: the message was edited while fn_slack's listener was not connected)"
"""In the note of an edit found in history, where the text before the edit would be."""


def mirror_failed_note(author: str, where: str, when: str, link: str, kind: str) -> str:
    """The note of an event that could not be mirrored (HTML already escaped by the caller)."""
    return (f"<p><b>Slack</b> · <b>{author}</b> {kind} in {where} at {when}, but fn_slack could not copy it into "
            f"this note after Slack's last delivery: <a href=\"{link}\">read it in Slack</a>.</p>")


def event_kind_unread(kind: str) -> str:
    """The listener's log line for an envelope of a kind fn_slack has no reader for."""
    return f"Slack sent an event of a kind fn_slack does not read ({kind}); it is ignored."


def event_ignored(kind: str, reason: str) -> str:
    """The listener's debug line for an event that is read and not acted on (bot, self, system...)."""
    return f"Slack event ({kind}) ignored: {reason}."


PERSON_GUEST = "guest"
"""After a person's name in a note: a guest of the workspace (Slack's is_restricted / is_ultra_restricted)."""
PERSON_EXTERNAL = "external (Slack Connect)"
"""After a person's name in a note: a person of another organisation (Slack's is_stranger, or another team)."""
PERSON_UNVERIFIED = "unverified: Slack did not say who this is"
"""After a person's ID in a note when users.info did not describe them."""


def person_label(real_name: str, email: str, user_id: str, marks: list[str]) -> str:
    """A person as a note names them (plain text): real name, e-mail and Slack ID, then the marks."""
    who = " ".join(part for part in (real_name, f"<{email}>" if email else "") if part)
    return ", ".join([f"{who} ({user_id})" if who else user_id, *marks])


def person_not_looked_up(user_id: str, error: object) -> str:
    """The listener's log line when users.info could not say who wrote a message (the note names the ID)."""
    return f"Slack did not say who {user_id} is ({error}); the note names the ID alone, marked unverified."


def link_label_in_slack(label: str) -> str:
    """After a link in a note that shows its real target because its label in Slack named another address."""
    return f" (shown in Slack as \u201c{label}\u201d)"


def mirror_note_header(author: str, where: str, when: str, link: str, kind: str) -> str:
    """The first line of a mirrored note (HTML already escaped by the caller)."""
    return f"<p><b>Slack</b> · <b>{author}</b> {kind} in {where} at {when} (<a href=\"{link}\">view in Slack</a>)</p>"


MIRROR_KINDS = {"message": "wrote", "reply": "replied in a thread", "edit": "edited a message",
                "delete": "deleted a message"}
"""What a mirrored note's first line says each kind of event did."""
MIRROR_BEFORE = "Before:"
"""Above the old text in the note of an edit."""


def mirror_files(links_html: list[str]) -> str:
    """The files of a mirrored message (each link already HTML)."""
    return "<p>Files: " + ", ".join(links_html) + "</p>"


def mirror_edited(author: str, when: str) -> str:
    return f"edited the message of {when}; it now reads:"


def mirror_deleted(author: str, when: str) -> str:
    return f"deleted the message of {when}. It read:"


def mirror_on(channel: str, label: str) -> str:
    return f"Messages of people in #{channel} are now written to the {label} as notes."


def mirror_needs_link(channel: str, label: str) -> str:
    return (f"slack_mirror was not applied to #{channel}: it is not the channel linked to the {label}. Only the "
            f"linked channel is mirrored; post to it (empty slack_channel) with slack_mirror Yes.")


def channel_mirrored_elsewhere(channel: str, channel_id: str, owner: str, label: str) -> str:
    """slack_mirror Yes refused before anything is posted: the channel already mirrors into another incident."""
    return (f"Slack channel #{channel} ({channel_id}) is already mirrored into {owner}, so it cannot also be "
            f"mirrored into the {label}: a channel mirrors into one incident or task. Nothing was posted. Post "
            f"without slack_mirror, or to another channel (slack_channel).")


def route_post_refused_here_note(channel: str, owner: str) -> str:
    """The note in the incident whose post was refused (HTML already escaped by the caller)."""
    return (f"<p><b>Slack</b> · fn_slack refused to mirror channel {channel} into this incident: it is already "
            f"mirrored into {owner}, and a channel mirrors into one incident or task. Nothing was posted, and "
            f"nothing of the channel is written here.</p>")


def route_post_refused_owner_note(channel: str, other: str) -> str:
    """The note in the incident that holds the channel when another incident's post was refused (HTML escaped)."""
    return (f"<p><b>Slack</b> · A post of {other} asked to mirror this incident's channel {channel} into {other}. "
            f"fn_slack refused it: the channel's messages are written here only.</p>")


ROUTE_FINDINGS = {
    "field_only": "the field slack_mirror_channels names the channel, but no link of this incident mirrors it",
    "unsealed": ("the link {res_id} says it mirrors the channel, but fn_slack did not seal it (a link of fn_slack "
                 "3.0, or a row added by hand). A 3.0 link mirrors again after one post to it with slack_mirror "
                 "Yes; otherwise delete the row"),
    "changed": "the link {res_id} was changed outside fn_slack: {changes}. Delete the row to repair it",
    "broken": ("the seal of the link {res_id} no longer fits the row (changed, copied from another row or made "
               "with another seal_key). Delete the row to repair it"),
    "later": "the link {res_id} mirrors it too, but was made after the link of {owner}, which the channel keeps",
}
"""What a refused incident holds for a channel, by the kind soar.routes names (HTML escaped by the caller)."""


def route_refused_note(channel: str, findings: list[str], owner: str | None) -> str:
    """The note of an incident a channel does not mirror into although it names the channel (HTML escaped)."""
    where = f" The channel mirrors into {owner}." if owner else ""
    items = "".join(f"<li>{finding}</li>" for finding in findings)
    return (f"<p><b>Slack</b> · fn_slack does not mirror channel {channel} into this incident, and nothing of it "
            f"will be written here:</p><ul>{items}</ul><p>A channel mirrors only into the incident or task whose "
            f"link fn_slack made and sealed.{where}</p>")


def route_elsewhere_note(channel: str, other: str) -> str:
    """The note of the incident a channel mirrors into when another incident names the channel (HTML escaped)."""
    return (f"<p><b>Slack</b> · {other} names this incident's channel {channel} for mirroring, without a link "
            f"fn_slack made there. fn_slack refused it: the channel's messages are written here only.</p>")


def route_refused_log(channel: str, incident_id: int, findings: list[str]) -> str:
    """The listener's warning for each incident a channel does not mirror into although it names the channel."""
    return (f"Slack channel {channel} is not mirrored into incident {incident_id}, which names it: "
            f"{'; '.join(findings)}.")


def route_note_failed(channel: str, incident_id: int, error: object) -> str:
    return f"fn_slack could not write the note about Slack channel {channel} into incident {incident_id}: {error}"


# ---------------------------------------------------------------------------------- slack_ask_question
def question_missing() -> str:
    return "slack_question is empty: give the question to ask."


def question_too_long(limit: int) -> str:
    return f"slack_question is longer than {limit} characters (Slack's limit for one message section)."


def question_needs_options() -> str:
    return ("slack_question_options is empty: give the answers as buttons (one per line, or separated by |), "
            "or set slack_question_free_text to Yes.")


def question_too_many_options(limit: int) -> str:
    return f"slack_question_options has more than {limit} answers; give at most {limit}."


def question_option_too_long(limit: int) -> str:
    return f"An answer in slack_question_options is longer than {limit} characters (Slack's limit for a button)."


def question_direct_needs_people() -> str:
    return "slack_question_direct is Yes but slack_participant_emails is empty: say whom to ask."


def question_bad_expiry(value: object) -> str:
    return f"slack_question_expiry_minutes must be a number of minutes, at least 1 (got {value!r})."


def question_people_unknown(emails: list[str]) -> str:
    return (f"Not asked: no Slack member has the e-mail {', '.join(emails)} (slack_participant_emails). Correct "
            "or remove it: every person named must be found in Slack, so that only they may answer.")


def question_nobody_may_answer() -> str:
    return ("Not asked: nobody may answer. Name the people who may answer in slack_participant_emails, or set "
            "slack_question_anyone to Yes to let any member of the question's channel answer.")


def question_anyone_direct() -> str:
    return ("slack_question_anyone is Yes with slack_question_direct: a direct question is answered by the people "
            "of slack_participant_emails only. Leave slack_question_anyone empty, or ask in a channel.")


def question_asked(question_id: str, channel: str, people: int) -> str:
    who = f"{people} person(s) may answer" if people else "any member of the channel may answer"
    return f"Question {question_id} asked in {channel}; {who}. The answer will be written to SOAR."


def question_unknown() -> str:
    return "This question is no longer known to SOAR; your answer was not recorded."


def question_already_answered(by: str, answer: str) -> str:
    """Told to a later clicker (mrkdwn: ``by`` and ``answer`` already escaped for Slack)."""
    return f"This question was already answered by {by}: {answer}. Your answer was not recorded."


def question_outcome_pending(question_id: str) -> str:
    return (f"Another integration server is recording the outcome of question {question_id} and has not written "
            "it yet; the answer was not recorded here. It is tried again shortly; if it is still not recorded, "
            "answer once more.")


def question_answer_not_recorded(answer: str) -> str:
    """Told to the clicker (mrkdwn: ``answer`` already escaped for Slack)."""
    return (f"Your answer \"{answer}\" could not be recorded in SOAR: SOAR did not accept it after several tries "
            "over about a minute. Click your answer again in a few minutes; if it fails again, tell your SOAR "
            "administrator (the integration server's log names the error).")


def question_click_retried(question_id: str, attempt: int, pause: float, error: object) -> str:
    return (f"The answer to question {question_id} was not recorded (attempt {attempt}: {error}); trying again "
            f"in {pause:.0f} s.")


def question_click_not_recorded(question_id: str, incident_id: int, attempts: int, error: object) -> str:
    return (f"The answer to question {question_id} of incident {incident_id} could not be recorded after "
            f"{attempts} attempts: {error}. The person who clicked was told in Slack to answer again.")


def question_expired(when: str) -> str:
    return f"This question expired at {when}; your answer was not recorded."


def question_expired_text(question: str) -> str:
    """The expired question's notification text (mrkdwn: ``question`` already escaped for Slack)."""
    return f"Expired: {question}"


def question_not_yours(allowed: list[str]) -> str:
    if not allowed:
        return "Nobody may answer this question; your answer was not recorded."
    return "Only " + ", ".join(f"<@{uid}>" for uid in allowed) + " may answer this question."


def question_not_a_member() -> str:
    return ("Only the members of this question's channel may answer it, and you are not one of them; your answer "
            "was not recorded.")


def question_wrong_place() -> str:
    return ("Answers to this question count only in the message where fn_slack asked it; this one is elsewhere, "
            "and your answer was not recorded.")


def question_record_altered() -> str:
    return ("This question's record in SOAR was changed outside fn_slack, so no answer to it is recorded. Ask the "
            "incident's owner to ask it again.")


def question_unknown_option() -> str:
    return "That answer is not one of the question's options; it was not recorded."


# ------------------------------------------------------------------------------- slack_question_answer
def question_id_missing() -> str:
    return ("slack_question_id is required: pass the question_id that slack_ask_question returned (or the "
            "row's slack_q_id).")


def question_id_malformed(value: object) -> str:
    return (f"slack_question_id {_shown(value)} is not a question id of fn_slack: it is the 16 hexadecimal "
            "digits slack_ask_question returned as question_id (the row's slack_q_id).")


def question_row_missing(question_id: str, incident_id: int) -> str:
    return (f"Question {question_id} is not in the Slack Questions table (slack_questions_db) of incident "
            f"{incident_id}: check slack_question_id and incident_id.")


def question_rows_several(question_id: str, incident_id: int, count: int) -> str:
    return (f"Question {question_id} of incident {incident_id} is not verified: slack_questions_db holds {count} "
            "rows with this id and fn_slack writes one, so rows were added outside fn_slack. Do not act on it; "
            "remove the extra rows or ask the question again.")


def question_row_unsealed(question_id: str, incident_id: int) -> str:
    return (f"Question {question_id} of incident {incident_id} is not verified: its row in slack_questions_db "
            "carries no seal of fn_slack (the row was added, or its seal removed, outside fn_slack; or the "
            "package was upgraded before `resilient-circuits customize`, which adds the slack_q_seal column). "
            "Do not act on it; ask the question again.")


def question_row_seal_broken(question_id: str, incident_id: int) -> str:
    return (f"Question {question_id} of incident {incident_id} is not verified: the seal of its row in "
            "slack_questions_db does not fit the row (the seal was edited, copied from another row or incident, "
            "or made with another seal_key / api_token). Do not act on it; ask the question again.")


def question_row_changed(question_id: str, incident_id: int, changes: list[tuple[str, str, str]]) -> str:
    """``changes``: (column, value fn_slack sealed, value now) of each cell changed outside fn_slack."""
    changed = "; ".join(f"{column} {_shown(sealed)} → {_shown(now)}" for column, sealed, now in changes)
    return (f"Question {question_id} of incident {incident_id} is not verified: its row in slack_questions_db "
            f"was changed outside fn_slack ({changed}). Do not act on it; find out who changed the row.")


def question_row_verified(question_id: str, status: str) -> str:
    return f"Question {question_id}: its row holds what fn_slack wrote (seal intact); status {status}."


def _shown(value: object, limit: int = 60) -> str:
    """A value from SOAR inside a message: quoted, control characters escaped, long ones shortened."""
    text = str(value)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(text)


def question_answered_text(question: str, answer: str) -> str:
    """The answered question's notification text (mrkdwn: both already escaped for Slack)."""
    return f"{question} — answered: {answer}"


QUESTION_REFUSALS = {
    "wrong-place": "the answer came from another channel or message than the question's",
    "not-asked": "they are not one of the people asked",
    "not-member": "they are not a member of the question's channel",
    "expired": "the question had expired",
    "not-an-option": "the answer is not one of the question's options",
    "answered": "the question was already answered",
}
"""Why an answer was refused, by the reason's key (the key is part of the refusal note's claim)."""


def question_refused_note(who: str, question: str, answer: str, reason: str) -> str:
    """The note recording a refused answer (HTML: every value already escaped by the caller)."""
    return (f"<p><b>Slack</b> · answer refused: <b>{who}</b> answered <i>{answer}</i> to the "
            f"question <i>{question}</i>; not recorded, because {reason}.</p>")


def question_refused_log(question_id: str, incident_id: int, user_id: str, reason: str) -> str:
    return (f"An answer to question {question_id} of incident {incident_id} by the Slack user {user_id} was refused: "
            f"{reason}.")


def question_altered_note(question: str, state: str, changes: list[str]) -> str:
    """The note recording a question whose row was changed outside fn_slack (HTML: values already escaped)."""
    why = {"unsealed": "its row carries no seal of fn_slack (a question asked before fn_slack sealed its rows, or "
                       "a row added by hand): ask it again",
           "broken": "its row's seal was changed, or belongs to another row"}.get(state, "its row was changed")
    listed = "".join(f"<li>{change}</li>" for change in changes)
    return (f"<p><b>Slack</b> · the question <i>{question}</i> was changed in SOAR outside fn_slack; answers to it "
            f"are refused and nothing it says is acted on, because {why}.</p>"
            + (f"<ul>{listed}</ul>" if listed else ""))


def question_altered_change(column: str, sealed: str, now: str) -> str:
    """One changed cell in the altered-question note (HTML: values already escaped)."""
    return f"{column}: {sealed or '(empty)'} → {now or '(empty)'}"


def question_altered_log(question_id: str, incident_id: int, state: str, columns: list[str]) -> str:
    named = f" ({', '.join(columns)})" if columns else ""
    return (f"The row of question {question_id} of incident {incident_id} in slack_questions_db was changed outside "
            f"fn_slack ({state}{named}); its answers are refused.")


def question_answer_note(user: str, question: str, when: str) -> str:
    """The first line of the answer's note (HTML already escaped by the caller)."""
    return f"<p><b>Slack</b> · <b>{user}</b> answered the question <i>{question}</i> at {when}:</p>"


def question_who_may_answer(mentions: list[str], until: str, free_text: bool) -> str:
    """The question's context line in Slack (mrkdwn; the mentions are Slack's ``<@U…>``; none: any member of the
    channel)."""
    asked = ", ".join(mentions) if mentions else "any member of this channel"
    text = f"Answer: {asked} · until {until}"
    return text + " · or reply in this thread in your own words" if free_text else text


def question_answered_line(answer: str, user_mention: str, when: str) -> str:
    """The answered question's context line in Slack (mrkdwn; ``answer`` already escaped)."""
    return f":white_check_mark: *{answer}* — {user_mention}, {when}"


def question_expired_line(when: str) -> str:
    return f":hourglass: This question expired at {when}; answers are no longer recorded."


OPEN_IN_SOAR = "Open in SOAR"
"""The label of the link to SOAR under a container posted as Block Kit."""


# ---------------------------------------------------------------------------------- actions from Slack
def soar_user_label(name: str, email: str) -> str:
    """A SOAR user as an action's note names them (plain text)."""
    return f"{name} <{email}>" if name else email


ACTION_REFUSALS = {
    "guest": "guests of the Slack workspace never act on SOAR",
    "external": "people of another Slack organization (Slack Connect) never act on SOAR",
    "unverified": "Slack could not say who you are",
    "no-email": "your Slack profile shows no e-mail, and fn_slack finds your SOAR user by e-mail",
    "no-soar-user": "no SOAR user has your e-mail address",
    "inactive": "your SOAR user is disabled or locked",
    "not-member": "your SOAR user is neither the owner nor a member of this incident, and holds none of the roles "
                  "allowed to act (actions_roles)",
    "not-linked": "this channel is not linked two-way to a SOAR incident",
    "not-an-ioc": "the button does not hold an IOC of the artifact type it names (it may have been altered); "
                  "use *Send to SOAR* on the message again",
    "no-declare-role": "your SOAR user holds none of the roles allowed to declare incidents (declare_roles)",
}
"""Why a person may not act, by the reason's key (told to them alone, and logged)."""


def action_refused(reason: str) -> str:
    """The ephemeral answer to a refused action (mrkdwn)."""
    return f":no_entry: Not done: {reason}."


def action_refused_log(action: str, user_id: str, channel_id: str, reason: str) -> str:
    return f"Slack user {user_id} was refused {action} in channel {channel_id}: {reason}."


def action_failed(err: object) -> str:
    """The ephemeral answer when SOAR could not be reached or refused the work (mrkdwn)."""
    return f":warning: Not done: SOAR did not answer as expected ({err}). Try again in a moment."


def action_failed_log(action: str, user_id: str, err: object) -> str:
    return f"An action from Slack ({action}, Slack user {user_id}) failed: {err}"


def command_usage(command: str) -> str:
    """The answer to an empty or unknown subcommand (mrkdwn)."""
    return (f"Usage, in a channel linked to a SOAR incident: `{command} status` · `{command} note <text>` · "
            f"`{command} tasks` · `{command} done <task name or number>`")


def command_note_empty(command: str) -> str:
    return f"Nothing to note: write `{command} note <text>`."


def command_status(incident_id: int, name: str, *, severity: str, status: str, phase: str, owner: str,
                   open_tasks: int) -> str:
    """The ephemeral answer to ``status`` (mrkdwn; values already escaped for Slack)."""
    return (f"*{name}* (incident {incident_id}) · severity {severity or '-'} · status {status or '-'} · phase "
            f"{phase or '-'} · owner {owner or '-'} · {open_tasks} open task{'' if open_tasks == 1 else 's'}")


def command_tasks(lines: list[str]) -> str:
    """The ephemeral answer to ``tasks`` (mrkdwn; one line per open task, already escaped)."""
    return "Open tasks:\n" + "\n".join(lines) if lines else "No open tasks."


def command_task_line(task_id: int, name: str) -> str:
    return f"• `{task_id}` {name}"


def command_task_unknown(given: str) -> str:
    return f"No open task of this incident is named or numbered {given}: `tasks` lists them."


def command_task_ambiguous(given: str, count: int) -> str:
    return f"{count} open tasks match {given}: give the task's number (`tasks` lists them)."


def command_noted(incident_id: int) -> str:
    return f":memo: Noted on incident {incident_id}."


def command_task_closed(name: str, incident_id: int) -> str:
    return f":white_check_mark: Task *{name}* of incident {incident_id} is done."


def sent_to_soar(incident_id: int) -> str:
    return f":inbox_tray: Sent to incident {incident_id} as a note."


def ioc_offered(values: str) -> str:
    """The line above the artifact buttons of *Send to SOAR*'s answer (mrkdwn: ``values`` already escaped)."""
    return f"It names {values}. Add one to the incident as an artifact:"


def ioc_button(value: str, artifact_type: str) -> str:
    """An artifact button's label (plain text)."""
    return f"Add {value} as {artifact_type}"


def artifact_added(value: str, artifact_type: str, artifact_id: int, incident_id: int) -> str:
    """The answer to an artifact button, replacing the buttons (mrkdwn: ``value`` already escaped)."""
    return f":pushpin: Added `{value}` as *{artifact_type}* to incident {incident_id} (artifact #{artifact_id})."


def artifact_already(value: str, artifact_type: str, artifact_id: int, incident_id: int) -> str:
    """The answer to an artifact button when the incident holds the artifact already (mrkdwn, escaped)."""
    return (f":information_source: `{value}` is already on incident {incident_id} as *{artifact_type}* "
            f"(artifact #{artifact_id}): nothing added.")


def artifact_description(slack_user: str, soar_user: str, channel_name: str, link: str) -> str:
    """An artifact's description (plain text): where it came from and who added it."""
    return (f"Added from Slack by {slack_user}, acting as the SOAR user {soar_user}, from the message {link} "
            f"in #{channel_name}.")


def action_artifact_added(artifact_type: str, value: str, artifact_id: int) -> str:
    """The body of an artifact action's note (HTML: values already escaped)."""
    return f"<p>Artifact {artifact_id}: <i>{artifact_type}</i> <code>{value}</code>.</p>"


ACTION_KINDS = {"note": "noted", "done": "closed a task", "send": "sent a Slack message",
                "artifact": "added an artifact", "declare": "declared this incident"}
"""What each action that changes the incident did, as its note says."""


def action_note_header(slack_user: str, soar_user: str, what: str, where: str, link: str = "") -> str:
    """The first line of an action's note (HTML: values already escaped)."""
    from_slack = f' (<a href="{link}">Slack</a>)' if link else ""
    return (f"<p><b>Slack</b> · <b>{slack_user}</b>, acting as the SOAR user <b>{soar_user}</b>, {what} from "
            f"{where}{from_slack}:</p>")


def action_sent_message(author: str) -> str:
    """The line before a message sent to SOAR with the shortcut (HTML: ``author`` already escaped)."""
    return f"<p>Message by <b>{author}</b>:</p>"


def action_task_closed(task_id: int, name: str) -> str:
    """The body of a ``done`` action's note (HTML: ``name`` already escaped)."""
    return f"<p>Task {task_id} <i>{name}</i> closed.</p>"


# ---------------------------------------------------------------------------------- Declare incident
DECLARE_TITLE = "Declare incident"
"""The title of the *Declare incident* modal and of its refusal (Slack: at most 24 characters)."""
DECLARE_SUBMIT = "Declare"
DECLARE_CLOSE = "Cancel"
DECLARE_REFUSAL_CLOSE = "Close"
DECLARE_NAME_LABEL = "Incident name"
DECLARE_SEVERITY_LABEL = "Severity"
DECLARE_SEVERITY_PLACEHOLDER = "Pick a severity"
DECLARE_DESCRIPTION_LABEL = "Description"
DECLARE_DESCRIPTION_HINT = "What happened, as far as you know. Analysts read it in SOAR."
DECLARE_INTRO = ("Creates a SOAR incident owned by your SOAR user, and a private Slack channel for it with you in "
                 "it.")
DECLARE_NAME_BLANK = "Give the incident a name."
DECLARE_SEVERITY_MISSING = "Pick a severity."
DECLARE_CHANNEL_INCIDENT = "Incident"
DECLARE_CHANNEL_SEVERITY = "Severity"
DECLARE_CHANNEL_DECLARED_BY = "Declared by"
"""The labels of the fields of the incident channel's first message."""


def declare_too_long(limit: int, given: int) -> str:
    """The error under a modal's input that holds more than Slack's field allows."""
    return f"At most {limit} characters, please: this has {given}."


def declare_refused(reason: str) -> str:
    """The modal that answers a refused *Declare incident* (mrkdwn)."""
    return f":no_entry: You cannot declare a SOAR incident from Slack: {reason}."


def declare_failed_to_start(err: object) -> str:
    """The modal that answers a *Declare incident* whose checks could not be made (mrkdwn)."""
    return f":warning: SOAR did not answer as expected ({err}). Nothing was created; try again in a moment."


def declared_marker(view_id: str) -> str:
    """What the declared incident's description ends with: one per declaration (the modal's view ID)."""
    return f"(declaration {view_id})"


def declared_description_line(person: str, soar_user: str, view_id: str) -> str:
    """The last line of a declared incident's description (plain text; escaped by the caller)."""
    return f"Declared in Slack by {person} as the SOAR user {soar_user} {declared_marker(view_id)}"


def declared_channel_text(user_id: str) -> str:
    """The first message's text in a declared incident's channel (mrkdwn: the declarer is mentioned)."""
    return f":rotating_light: <@{user_id}> declared this incident in Slack."


def declare_failed_nothing_created(err: object) -> str:
    """The app's direct message when a declaration failed before SOAR had the incident (mrkdwn)."""
    return f":warning: Your incident was not declared: {err}. Nothing was created in SOAR or Slack; declare it again."


def declare_failed_no_channel(incident_id: int, link: str, err: object) -> str:
    """The app's direct message when the incident exists but its channel could not be made (mrkdwn)."""
    return (f":warning: Incident {incident_id} was created in SOAR (<{link}|open it>), but its Slack channel was "
            f"not: {err}. Ask an analyst to link a channel to it from SOAR.")


def declare_refused_after_submit(reason: str) -> str:
    """The app's direct message when the person may no longer declare when the modal is submitted (mrkdwn)."""
    return f":no_entry: Your incident was not declared: {reason}. Nothing was created."


def declare_log(outcome: str, user_id: str, detail: object) -> str:
    return f"Declare incident by Slack user {user_id}: {outcome} ({detail})."


# ---------------------------------------------------------------------------------- threads and Block Kit
def message_style_unknown(value: str, styles: tuple[str, ...]) -> str:
    return f"[{SECTION}] message_style is {value!r}; use one of: {', '.join(styles)} (default attachment)."


def posted_in_thread(label: str) -> str:
    return f"Posted in the thread of the {label}'s first message in this channel."


def thread_started(label: str) -> str:
    return f"This message starts the {label}'s thread: later posts with slack_thread Yes reply in it."


def thread_gone(label: str) -> str:
    return (f"The {label}'s thread in Slack is gone (its first message was deleted): posted as a new message, "
            f"which starts a new thread.")


def thread_started_by_another_post(label: str) -> str:
    return (f"Another post of the {label} started its thread at the same moment: this message stays in the channel, "
            f"and later posts with slack_thread Yes reply in that thread.")


def thread_not_kept(label: str) -> str:
    return (f"slack_thread: the post went to another channel than the {label}'s linked one, so it does not start "
            f"the {label}'s thread.")


def selftest_app_token_works() -> str:
    return "Socket Mode: the app-level token opens connections (two-way channels are on)."


def selftest_app_token_refused(problem: str) -> str:
    return (f"[{SECTION}] app_token was refused by Slack's apps.connections.open ({problem}): check that it is the "
            f"app-level token (xapp-...) of this app with the connections:write scope, and that Socket Mode is on.")


def direct_needs_people() -> str:
    return "slack_direct is Yes but slack_participant_emails is empty: say whom to write to."


def direct_too_many_people(limit: int) -> str:
    return (f"slack_direct: a direct message holds at most {limit} people; give fewer e-mails in "
            f"slack_participant_emails.")


def direct_nobody_found() -> str:
    return "slack_direct: none of slack_participant_emails is a member of the workspace; nothing was posted."


def posted_directly(people: int) -> str:
    return f"Message posted to {people} person(s) in a direct message; no channel was created or linked."
