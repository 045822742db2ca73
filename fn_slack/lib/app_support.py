"""What the three function components share: settings from app.config, SOAR links and SOAR file access."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from resilient import BasicHTTPException, SimpleHTTPException
from resilient_lib import build_incident_url, build_resilient_url, build_task_url

from fn_slack.lib.errors import ConfigError, InputError, SoarError, http_status
from fn_slack.lib.settings import SlackSettings

PACKAGE = "fn_slack"
MALWARE_SAMPLE = "malware sample"


def load_settings(component) -> SlackSettings:
    """The validated ``[fn_slack]`` settings of a running component (proxies and TLS via resilient-lib)."""
    return SlackSettings.from_app_configs(component.app_configs, component.rc.get_proxies(),
                                          component.rc.get_verify())


def check_settings_at_startup(component) -> None:
    """Log a clear message at start-up when [fn_slack] is unusable; each call then fails with the same text."""
    try:
        load_settings(component)
    except ConfigError as err:
        component.LOG.error("fn_slack cannot call Slack until app.config is fixed: %s", err)


def soar_link_builder(opts: dict, org_id: int | None) -> Callable[[int, int | None], str]:
    """A function giving the SOAR URL of an incident or task, from ``[resilient] host/port``."""
    resilient = opts.get("resilient", {}) or {}
    base = build_resilient_url(resilient.get("host", ""), resilient.get("port", 443))

    def link(incident_id: int, task_id: int | None = None) -> str:
        if task_id:
            return build_task_url(base, incident_id, task_id, org_id)
        return build_incident_url(base, incident_id, org_id)

    return link


@dataclass(frozen=True)
class SoarFile:
    """A file chosen from SOAR for upload, with what the Slack title needs."""

    name: str
    size: int | None
    kind: str           # "Incident", "Task" or "Artifact"
    artifact_type: str | None = None


def _get(rest, uri: str, what: str) -> dict:
    try:
        return rest.get(uri, skip_retry=[404])
    except (BasicHTTPException, SimpleHTTPException) as err:
        status = http_status(err)
        if status == 404:
            raise InputError(f"SOAR has no {what}: check incident_id, task_id, artifact_id and "
                             f"attachment_id.") from None
        raise SoarError(f"SOAR refused to read {what}: HTTP {status}.") from None


def describe_file(rest, incident_id: int, task_id: int | None, artifact_id: int | None,
                  attachment_id: int | None) -> tuple[SoarFile, str]:
    """Which file to upload (artifact, task attachment, incident attachment) and its download path."""
    if artifact_id:
        artifact = _get(rest, f"/incidents/{incident_id}/artifacts/{artifact_id}?handle_format=names",
                        f"artifact {artifact_id} in incident {incident_id}")
        attachment = artifact.get("attachment") or {}
        if not attachment:
            raise InputError(f"Artifact {artifact_id} ({artifact.get('type')}) holds no file: use "
                             f"'Example: Post Artifact to Slack' to post its value, or give another artifact_id.")
        artifact_type = artifact.get("type")
        if isinstance(artifact_type, dict):
            artifact_type = artifact_type.get("name")
        return (SoarFile(name=attachment.get("name") or f"artifact-{artifact_id}", size=attachment.get("size"),
                         kind="Artifact", artifact_type=str(artifact_type or "")),
                f"/incidents/{incident_id}/artifacts/{artifact_id}/contents")
    if attachment_id and task_id:
        meta = _get(rest, f"/tasks/{task_id}/attachments/{attachment_id}",
                    f"attachment {attachment_id} on task {task_id}")
        return (SoarFile(name=meta.get("name") or f"attachment-{attachment_id}", size=meta.get("size"),
                         kind="Task"), f"/tasks/{task_id}/attachments/{attachment_id}/contents")
    if attachment_id:
        meta = _get(rest, f"/incidents/{incident_id}/attachments/{attachment_id}",
                    f"attachment {attachment_id} on incident {incident_id}")
        return (SoarFile(name=meta.get("name") or f"attachment-{attachment_id}", size=meta.get("size"),
                         kind="Incident"), f"/incidents/{incident_id}/attachments/{attachment_id}/contents")
    raise InputError("Give artifact_id (an artifact with a file) or attachment_id (an incident or task "
                     "attachment): slack_post_attachment needs one of them.")


def download(rest, path: str) -> bytes:
    try:
        return rest.get_content(path, skip_retry=[404])
    except (BasicHTTPException, SimpleHTTPException) as err:
        status = http_status(err)
        raise SoarError(f"SOAR refused to send the file {path}: HTTP {status}.") from None


def find_saved_attachment(rest, incident_id: int, task_id: int | None, name: str, since_ms: int) -> dict | None:
    """An attachment called ``name`` created at or after ``since_ms`` (epoch ms), if the object has one."""
    uri = f"/tasks/{task_id}/attachments" if task_id else f"/incidents/{incident_id}/attachments"
    try:
        listing = rest.get(uri, skip_retry=[404])
    except (BasicHTTPException, SimpleHTTPException) as err:
        status = http_status(err)
        raise SoarError(f"SOAR refused to list the attachments of the {'task' if task_id else 'incident'} "
                        f"(HTTP {status})") from None
    entries = listing.get("entities", []) if isinstance(listing, dict) else listing or []
    for entry in entries:
        if entry.get("name") == name and int(entry.get("created") or 0) >= since_ms:
            return entry
    return None


def save_attachment(rest, incident_id: int, task_id: int | None, path: str, name: str) -> dict:
    """Upload a local file as an incident (or task) attachment; returns SOAR's attachment JSON."""
    uri = f"/tasks/{task_id}/attachments" if task_id else f"/incidents/{incident_id}/attachments"
    try:
        return rest.post_attachment(uri, path, filename=name, mimetype="text/plain")
    except (BasicHTTPException, SimpleHTTPException) as err:
        status = http_status(err)
        raise SoarError(f"SOAR refused to save {name} on the {'task' if task_id else 'incident'} "
                        f"(HTTP {status})") from None
    except OSError as err:
        raise SoarError(f"SOAR could not be reached to save {name}: {err}") from None
