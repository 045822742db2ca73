"""The incidents' side of the SOAR edge: the incident field that says which channels an incident mirrors
(``slack_mirror_channels``) and the notes of an incident or task.

**Finding the incident of a channel.** A link that mirrors puts its channel ID into the incident's custom
field ``slack_mirror_channels`` (space-separated IDs). The listener asks SOAR once per channel and process:
``POST /incidents/query_paged`` with the condition ``properties.slack_mirror_channels contains <ID>`` (an
indexed database query, not a scan of incidents through the API) at ``return_level=normal`` with
``field_handle=slack_mirror_channels`` (a ``partial`` answer carries no custom fields; IBM's own apps read a
custom field this way). The field is changed with an incident ``PATCH`` that carries the value as read
(``old_value``): SOAR documents that it refuses such a patch when the field changed since, the one lock
fn_slack takes from SOAR.
"""

from __future__ import annotations

from collections.abc import Callable

from resilient import BasicHTTPException, Patch, PatchConflictException, SimpleHTTPException

from fn_slack.lib import messages
from fn_slack.lib.errors import SoarError
from fn_slack.lib.soar.rest import call_soar, http_status, post_once, post_unretried, refused_to, short

INDEX_FIELD = "slack_mirror_channels"


class MirrorIndex:
    """The incident field that says which channels an incident mirrors."""

    def __init__(self, rest_client: object) -> None:
        self.rest = rest_client
        self.calls = 0

    def incidents_of(self, channel_id: str) -> list[int]:
        """The incidents whose field holds ``channel_id`` (normally one)."""
        self.calls += 1
        body = {"filters": [{"conditions": [{"field_name": f"properties.{INDEX_FIELD}", "method": "contains",
                                              "value": channel_id}]}], "start": 0, "length": 20}
        uri = f"/incidents/query_paged?return_level=normal&field_handle={INDEX_FIELD}"
        answer = call_soar(lambda: self.rest.post(uri, body),
                           refused=refused_to("search incidents for a Slack channel"))
        found = []
        for incident in answer.get("data") or []:
            value = str((incident.get("properties") or {}).get(INDEX_FIELD) or "")
            if channel_id in value.split():
                found.append(int(incident["id"]))
        return found

    def mirrored(self, page: int = 100) -> list[tuple[int, list[str]]]:
        """Every active incident whose field has a value, with the channel IDs it holds (paged by ``page``)."""
        uri = f"/incidents/query_paged?return_level=normal&field_handle={INDEX_FIELD}"
        conditions = [{"field_name": f"properties.{INDEX_FIELD}", "method": "has_a_value"},
                      {"field_name": "plan_status", "method": "equals", "value": "A"}]
        found: list[tuple[int, list[str]]] = []
        while True:
            self.calls += 1
            body = {"filters": [{"conditions": conditions}], "start": len(found), "length": page}
            answer = call_soar(lambda body=body: self.rest.post(uri, body),
                               refused=refused_to("search incidents for mirrored Slack channels"))
            data = answer.get("data") or []
            found += [(int(i["id"]), str((i.get("properties") or {}).get(INDEX_FIELD) or "").split()) for i in data]
            if len(data) < page or len(found) >= int(answer.get("recordsFiltered") or 0):
                return [(incident_id, ids) for incident_id, ids in found if ids]

    def add(self, incident_id: int, channel_id: str) -> None:
        """Put ``channel_id`` into the incident's field (a concurrent change is read again and retried)."""
        for _ in range(5):
            incident = call_soar(lambda: self.rest.get(f"/incidents/{incident_id}"),
                                 refused=refused_to(f"read incident {incident_id}"))
            old = (incident.get("properties") or {}).get(INDEX_FIELD)
            ids = str(old or "").split()
            if channel_id in ids:
                return
            patch = Patch(incident)
            # A custom field goes by its bare name (as SOAR and IBM's apps name it), with its value as read:
            # SOAR refuses the patch (field_failures) when the field changed since.
            patch.add_value(INDEX_FIELD, " ".join([*ids, channel_id]), old_value=old)
            try:
                self.rest.patch(f"/incidents/{incident_id}", patch)
                return
            except PatchConflictException:
                continue  # another link of this incident changed the field first: read it again
            except (BasicHTTPException, SimpleHTTPException) as err:
                raise refused_to(f"update incident {incident_id}")(http_status(err), short(err)) from None
        raise SoarError(messages.soar_incident_kept_changing(incident_id))


class Notes:
    """Notes of an incident or task, and the references fn_slack's own notes carry.

    A reference (``event_notes.marker``) is a paragraph of its own that text from Slack cannot produce (Slack's
    text is always escaped); it is matched whole, never as part of a longer reference.
    """

    def __init__(self, rest_client: object) -> None:
        self.rest = rest_client
        self.calls = 0

    @staticmethod
    def _uri(incident_id: int, task_id: int | None) -> str:
        return f"/tasks/{task_id}/comments" if task_id else f"/incidents/{incident_id}/comments"

    def add(self, incident_id: int, task_id: int | None, html_text: str, *, marker: str,
            may_resend: Callable[[], bool] | None = None) -> int | None:
        """Add a note holding ``marker`` (fn_slack's reference to what it records); returns its id. The note is
        written once: the POST is never resent blindly (resilient's own resend is bypassed); when SOAR's answer
        is lost, the note is looked for by its marker, and written again only when it is not there and
        ``may_resend()`` says the write is still this process's. None: it was not, and nothing was found."""
        def send(skip_retry: list[int]) -> int:
            self.calls += 1
            answer = post_unretried(self.rest, self._uri(incident_id, task_id),
                                    {"text": {"format": "html", "content": html_text}}, skip_retry=skip_retry)
            return int(answer["id"])

        return post_once(send, lambda: self.find(incident_id, task_id, marker),
                         refused=refused_to(f"add a note to incident {incident_id}"), may_resend=may_resend)

    def find(self, incident_id: int, task_id: int | None, marker: str) -> int | None:
        """The id of the oldest note holding ``marker``, if any."""
        found = self.find_all(incident_id, task_id, marker)
        return found[0] if found else None

    def find_all(self, incident_id: int, task_id: int | None, marker: str) -> list[int]:
        """The ids of every note holding ``marker``, oldest first."""
        self.calls += 1
        notes = call_soar(lambda: self.rest.get(self._uri(incident_id, task_id)),
                          refused=refused_to(f"read the notes of incident {incident_id}"))
        found = []
        for note in notes or []:
            text = note.get("text")
            text = text.get("content") if isinstance(text, dict) else text
            if marker in str(text or ""):
                found.append(int(note["id"]))
        return sorted(found)

    def remove(self, incident_id: int, task_id: int | None, note_id: int) -> bool:
        """Delete one of fn_slack's notes (a note written under a claim this process no longer holds); False when
        it was already gone."""
        self.calls += 1
        try:
            self.rest.delete(f"{self._uri(incident_id, task_id)}/{int(note_id)}", skip_retry=[404])
            return True
        except (BasicHTTPException, SimpleHTTPException) as err:
            if http_status(err) == 404:
                return False
            raise refused_to(f"remove note {note_id} of incident {incident_id}")(http_status(err), short(err)) from None


__all__ = ["INDEX_FIELD", "MirrorIndex", "Notes"]
