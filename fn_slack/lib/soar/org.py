"""What the SOAR org holds of fn_slack's customizations, as ``selftest`` compares them with the package: the
inputs a function shows and the incident's fields (a data table's columns are ``columns``)."""

from __future__ import annotations

from resilient import BasicHTTPException, SimpleHTTPException

from fn_slack.lib.soar.rest import http_status


def shown_inputs(rest_client: object, function_name: str) -> set[str] | None:
    """The UUIDs of the inputs the org's function shows (its ``view_items``); None when the org has no such
    function. Any other failure is SOAR's exception, for the caller to report."""
    try:
        function = rest_client.get(f"/functions/{function_name}?handle_format=names", skip_retry=[404])
    except (BasicHTTPException, SimpleHTTPException) as err:
        if http_status(err) != 404:
            raise
        return None
    return {str(item.get("content")) for item in function.get("view_items") or []}


def incident_fields(rest_client: object) -> set[str]:
    """The names of the org's incident fields (custom fields included)."""
    return {str(field.get("name")) for field in rest_client.get("/types/incident/fields") or []}
