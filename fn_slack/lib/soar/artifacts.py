"""An incident's artifacts, as an action from Slack adds them: looked for by type and value, added once.

- ``GET /incidents/<id>/artifacts?handle_format=names``: the incident's artifacts (``id``, ``type`` by name,
  ``value``).
- ``POST /incidents/<id>/artifacts?handle_format=names`` with ``type`` (``{"name": <artifact type>}``, one of
  SOAR's built-in types), ``value`` and ``description`` (``{"format": "text", "content": …}``) → the artifacts
  made (SOAR answers a list; a single artifact is read as well).

An artifact the incident already holds with the same type and value is not added again. The POST is made once
(``rest.post_once``): when its answer is lost, the artifact is looked for by type and value before it is sent
again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fn_slack.lib.soar.rest import call_soar, post_once, post_unretried, refused_to


@dataclass(frozen=True)
class ArtifactAdded:
    """The artifact of a type and value on the incident, and whether this call added it."""

    artifact_id: int
    added: bool


def _type_name(artifact: dict) -> str:
    kind = artifact.get("type")
    return str(kind.get("name") if isinstance(kind, dict) else kind or "")


class Artifacts:
    """The artifacts of incidents."""

    def __init__(self, rest_client: object) -> None:
        self.rest = rest_client

    def find(self, incident_id: int, artifact_type: str, value: str,
             same: Callable[[str, str, str], bool]) -> int | None:
        """The id of the incident's artifact of ``artifact_type`` whose value is ``same`` as ``value``, if any."""
        listed = call_soar(lambda: self.rest.get(f"/incidents/{incident_id}/artifacts?handle_format=names"),
                           refused=refused_to(f"list the artifacts of incident {incident_id}"))
        for artifact in listed or []:
            if isinstance(artifact, dict) and _type_name(artifact) == artifact_type \
                    and same(artifact_type, str(artifact.get("value") or ""), value):
                return int(artifact["id"])
        return None

    def add(self, incident_id: int, artifact_type: str, value: str, description: str,
            same: Callable[[str, str, str], bool]) -> ArtifactAdded:
        """The artifact, added unless the incident holds it already (found by type and value, ``same`` deciding
        whether two values are one)."""
        found = self.find(incident_id, artifact_type, value, same)
        if found is not None:
            return ArtifactAdded(found, added=False)
        uri = f"/incidents/{incident_id}/artifacts?handle_format=names"
        body = {"type": {"name": artifact_type}, "value": value,
                "description": {"format": "text", "content": description}}

        refused = refused_to(f"add an artifact to incident {incident_id}")

        def look() -> object | None:
            existing = self.find(incident_id, artifact_type, value, same)
            return None if existing is None else {"id": existing}

        made = post_once(lambda skip: post_unretried(self.rest, uri, body, skip_retry=skip), look, refused=refused)
        first = made[0] if isinstance(made, list) and made else made
        if not isinstance(first, dict) or first.get("id") is None:
            raise refused(None, f"no artifact in SOAR's answer: {str(made)[:200]}")
        return ArtifactAdded(int(first["id"]), added=True)


__all__ = ["ArtifactAdded", "Artifacts"]
