"""The link table of one new incident of the SOAR sandbox, as the tests look at it: its rows, and the calls
fn_slack made on it (the sandbox's call log). Not a stand-in: fn_slack talks to the real sandbox over HTTPS."""

from __future__ import annotations

import contextlib

from fn_slack.lib.soar import links
from fn_slack.lib.soar.links import ConversationsTable
from fn_slack.lib.soar.seals import Sealer
from sandbox.soar import SoarSandbox

LATER_COLUMNS = (links.COL_CHANNEL_ID, links.COL_THREAD_TS, links.COL_MIRROR, links.COL_SEAL)   # added by 3.x
SEALER = Sealer(b"the unit tests' seal secret, 32 bytes or more")


def sealed(sealer: Sealer, incident_id: int, **cells: object) -> dict[str, dict]:
    """A link row's cells as SOAR's API takes them, sealed as fn_slack seals a row it writes (for a link made
    before the test, e.g. long ago)."""
    seal = sealer.seal(links.seal_scope(incident_id, str(cells[links.COL_RES_ID])), cells, links.SEALED_COLUMNS)
    return {column: {"value": value} for column, value in {**cells, links.COL_SEAL: seal}.items()}


class Org:
    """One new incident of the sandbox's org, as these tests look at its link table and the calls made on it."""

    def __init__(self, soar: SoarSandbox) -> None:
        self.soar = soar
        self.incident = soar.create_incident("Links")["id"]
        self.since = len(soar.state.calls)
        self.rest = soar.rest_client()

    def table(self) -> ConversationsTable:
        return ConversationsTable(self.rest, self.incident, SEALER)

    def add_row(self, **cells: object) -> None:
        self.soar.state.add_row(self.incident, links.TABLE, {k: {"value": v} for k, v in cells.items()})

    def values(self) -> list[dict]:
        return self.soar.state.rows_of(self.incident)

    def verbs(self) -> list[str]:
        return [c.method for c in self.soar.state.calls[self.since:] if f"/{self.incident}/table_data/" in c.path]

    def link_verbs(self) -> list[str]:
        """The verbs of the calls on the incident's link table (``slack_conversations_db``) only."""
        return [c.method for c in self.soar.state.calls[self.since:]
                if f"/{self.incident}/table_data/slack_conversations_db" in c.path]

    def claims(self) -> list[dict]:
        """The incident's claim rows (``slack_messages_db``)."""
        return self.soar.state.rows_of(self.incident, "slack_messages_db")

    def type_reads(self) -> list[str]:
        return [c.path.split("/types/")[1].split("?")[0] for c in self.soar.state.calls[self.since:]
                if "/types/" in c.path]

    def refuse(self, method: str, status: int) -> None:
        self.soar.state.fail_requests(method, rf"/incidents/{self.incident}/table_data/", status, times=10)

    @contextlib.contextmanager
    def without(self, *columns: str):
        """The org's table without ``columns`` (the package upgraded before customize), until the block ends."""
        fields = self.soar.state.tables[links.TABLE]["fields"]
        kept = {column: fields.pop(column) for column in columns}
        try:
            yield kept
        finally:
            fields.update(kept)
