"""SOAR file I/O for one incident (or task): which file to upload, its bytes, and saving the archive export."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fn_slack.lib import messages
from fn_slack.lib.errors import InputError, SoarError
from fn_slack.lib.soar.rest import call_soar, keep_connections, post_once

MALWARE_SAMPLE = "malware sample"
# The artifact type id of "Malware Sample" in every SOAR org (a system type; the SOAR sandbox numbers the
# system artifact types the same way: sandbox/soar/state.py ARTIFACT_TYPES). An artifact read without names,
# or a type shown under another name, is still recognised by it.
MALWARE_SAMPLE_TYPE_ID = 12
# An attachment's ``created`` is SOAR's clock: after a lost answer, an upload is looked for among the attachments
# created since this long before fn_slack began it.
CLOCK_ALLOWANCE_SECONDS = 60


@dataclass(frozen=True)
class SoarFile:
    """A file chosen from SOAR for upload, with what the Slack title needs and where its bytes are."""

    name: str
    size: int | None
    kind: str           # "Incident", "Task" or "Artifact"
    path: str
    artifact_type: str | None = None
    artifact_type_id: int | None = None

    @property
    def is_malware_sample(self) -> bool:
        """Whether the file is an artifact of type Malware Sample, by the type's name or by its id."""
        return ((self.artifact_type or "").strip().lower() == MALWARE_SAMPLE
                or self.artifact_type_id == MALWARE_SAMPLE_TYPE_ID)


def _artifact_type(value: object) -> tuple[str, int | None]:
    """An artifact's ``type`` as (name, id): SOAR gives a name (handle_format=names), an id, or {id, name}."""
    if isinstance(value, dict):
        name, type_id = value.get("name"), value.get("id")
    elif isinstance(value, int) and not isinstance(value, bool):
        name, type_id = None, value
    elif isinstance(value, str) and value.strip().isdigit():
        name, type_id = None, value.strip()
    else:
        name, type_id = value, None
    try:
        type_id = int(type_id) if type_id is not None else None
    except (TypeError, ValueError):
        type_id = None
    return str(name or (f"type {type_id}" if type_id is not None else "")), type_id


class SoarFiles:
    """The files of one incident or task in SOAR, over the function's REST client."""

    def __init__(self, rest_client: object, incident_id: int, task_id: int | None = None) -> None:
        self.rest = rest_client
        keep_connections(rest_client)
        self.incident_id = int(incident_id)
        self.task_id = task_id

    @property
    def kind(self) -> str:
        """"task" or "incident": the object the files belong to."""
        return "task" if self.task_id else "incident"

    def _attachments_uri(self) -> str:
        return f"/tasks/{self.task_id}/attachments" if self.task_id else f"/incidents/{self.incident_id}/attachments"

    def _read(self, uri: str, what: str) -> dict:
        return call_soar(lambda: self.rest.get(uri, skip_retry=[404]),
                         missing=lambda: InputError(messages.soar_object_missing(what)),
                         refused=lambda status, _: SoarError(messages.soar_read_refused(what, status)))

    def _check_incident(self, found: dict, what: str) -> None:
        """Refuse an object SOAR describes as another incident's (its JSON carries ``inc_id``)."""
        owner = found.get("inc_id") if isinstance(found, dict) else None
        if owner is not None and str(owner) != str(self.incident_id):
            raise InputError(messages.soar_object_of_another_incident(what, owner, self.incident_id))

    def check_task(self) -> None:
        """Refuse a task_id of another incident (or one SOAR does not know); nothing to check without a task."""
        if self.task_id:
            task = self._read(f"/tasks/{self.task_id}?handle_format=names", f"task {self.task_id}")
            self._check_incident(task, f"Task {self.task_id}")

    def describe(self, artifact_id: int | None, attachment_id: int | None) -> SoarFile:
        """Which file to upload: an artifact's file, else a task attachment, else an incident attachment.

        The object must belong to the function's incident: a task_id, artifact_id or attachment_id of another
        incident is refused, whatever path SOAR answered it under."""
        incident_id, task_id = self.incident_id, self.task_id
        self.check_task()
        if artifact_id:
            artifact = self._read(f"/incidents/{incident_id}/artifacts/{artifact_id}?handle_format=names",
                                  f"artifact {artifact_id} in incident {incident_id}")
            self._check_incident(artifact, f"Artifact {artifact_id}")
            type_name, type_id = _artifact_type(artifact.get("type"))
            attachment = artifact.get("attachment") or {}
            if not attachment:
                raise InputError(messages.artifact_without_file(artifact_id, type_name))
            return SoarFile(name=attachment.get("name") or f"artifact-{artifact_id}", size=attachment.get("size"),
                            kind="Artifact", artifact_type=type_name, artifact_type_id=type_id,
                            path=f"/incidents/{incident_id}/artifacts/{artifact_id}/contents")
        if attachment_id:
            owner = f"task {task_id}" if task_id else f"incident {incident_id}"
            base = f"/tasks/{task_id}" if task_id else f"/incidents/{incident_id}"
            meta = self._read(f"{base}/attachments/{attachment_id}", f"attachment {attachment_id} on {owner}")
            self._check_incident(meta, f"Attachment {attachment_id} of {owner}")
            return SoarFile(name=meta.get("name") or f"attachment-{attachment_id}", size=meta.get("size"),
                            kind="Task" if task_id else "Incident", path=f"{base}/attachments/{attachment_id}/contents")
        raise InputError(messages.no_file_chosen())

    def download(self, soar_file: SoarFile) -> bytes:
        """The file's bytes."""
        return call_soar(lambda: self.rest.get_content(soar_file.path, skip_retry=[404]),
                         refused=lambda status, _: SoarError(messages.soar_file_refused(soar_file.path, status)))

    def _attachments(self) -> list[dict]:
        listing = call_soar(
            lambda: self.rest.get(self._attachments_uri(), skip_retry=[404]),
            refused=lambda status, _: SoarError(messages.soar_list_attachments_refused(self.kind, status)))
        return listing.get("entities", []) if isinstance(listing, dict) else listing or []

    def find_saved(self, name: str, since_ms: int) -> dict | None:
        """An attachment called ``name`` created at or after ``since_ms`` (epoch ms) on the object, if any."""
        for entry in self._attachments():
            if entry.get("name") == name and int(entry.get("created") or 0) >= since_ms:
                return entry
        return None

    def _saved_copy(self, path: str, name: str, since_ms: int) -> dict | None:
        """An attachment called ``name``, created at or after ``since_ms``, that holds exactly the bytes of the
        local file at ``path`` (an earlier save of the same name with other contents is not it)."""
        with open(path, "rb") as local:
            data = local.read()
        for entry in sorted(self._attachments(), key=lambda e: int(e.get("id") or 0), reverse=True):
            if entry.get("name") != name or int(entry.get("created") or 0) < since_ms:
                continue
            if entry.get("size") not in (None, len(data)):
                continue
            saved = SoarFile(name=name, size=entry.get("size"), kind=self.kind.capitalize(),
                             path=f"{self._attachments_uri()}/{entry['id']}/contents")
            if self.download(saved) == data:
                return entry
        return None

    def save(self, path: str, name: str) -> dict:
        """Upload a local file as an attachment of the object; returns SOAR's attachment JSON. The file is saved
        once: when SOAR's answer is lost, an attachment of that name holding these bytes, created since the
        upload began, is looked for before uploading again."""
        since_ms = int((time.time() - CLOCK_ALLOWANCE_SECONDS) * 1000)
        try:
            return post_once(
                lambda skip_retry: self.rest.post_attachment(self._attachments_uri(), path, filename=name,
                                                             mimetype="text/plain", skip_retry=skip_retry),
                lambda: self._saved_copy(path, name, since_ms),
                refused=lambda status, _: SoarError(messages.soar_save_refused(name, self.kind, status)))
        except OSError as err:
            raise SoarError(messages.soar_not_reached_to_save(name, err)) from None
