"""The data-table engine: the rows of one declared data table in one incident, read whole and written whole,
and the one concurrency rule fn_slack builds on, *the oldest row wins*.

A table is declared once (:class:`TableSpec`: its name, its columns, its key column and the columns IBM's 2.x
app already had). ``GET /incidents/<id>/table_data/<table>`` answers every row of the incident's table at once
(the endpoint takes no paging parameters; IBM's own apps read ``rows`` from one answer), so a read is one call.

**Every row PUT carries every cell of the row**: the row as it was read, with the changes. Whether SOAR checks
a row's ``version`` or replaces the row with exactly the cells sent is not documented (IBM's apps assume the
latter: they read the row and send all of it back), so no write here sends a version or relies on a 409, and a
SOAR that replaces the row loses nothing. Columns the org's table lacks (the package upgraded before
``customize``) are left out of every write and reported (see ``columns``).

**The oldest row wins** (:func:`claim`): to hold a key, a process adds a row with it and reads the rows back;
the row with the lowest id among the rows of that key wins (SOAR's row ids only grow), and every process that
lost deletes its own row. Nothing in it depends on a row's version. A claim held by a process that died is taken
over (:func:`take_over`) by deleting that row (a 404: another process deleted it first) and claiming again: of
several processes taking over at once, the oldest new row wins in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from resilient import BasicHTTPException, SimpleHTTPException

from fn_slack.lib import messages
from fn_slack.lib.errors import SoarError
from fn_slack.lib.soar.columns import table_columns
from fn_slack.lib.soar.rest import call_soar, http_status, post_once, post_unretried, short


@dataclass(frozen=True)
class TableSpec:
    """A data table as fn_slack declares it."""

    name: str
    columns: tuple[str, ...]
    key: str
    ibm_columns: frozenset[str] = frozenset()   # the columns IBM's 2.x app's table already had

    @property
    def later_columns(self) -> tuple[str, ...]:
        """The columns fn_slack 3.x added (an org upgraded before ``customize`` lacks them)."""
        return tuple(column for column in self.columns if column not in self.ibm_columns)


@dataclass(frozen=True)
class Row:
    """One row as SOAR holds it: its id and every cell (column name → value)."""

    row_id: int
    cells: Mapping[str, object] = field(default_factory=dict, compare=False)

    def value(self, column: str) -> object:
        """The cell's value; None when empty."""
        return self.cells.get(column)

    def text(self, column: str) -> str:
        """The cell's value as text, without surrounding blanks ("" when empty)."""
        value = self.cells.get(column)
        return "" if value is None else str(value).strip()


def row_of(answer: dict) -> Row:
    """A row of SOAR's JSON (read with ``handle_format=names``)."""
    cells = answer.get("cells") or {}
    return Row(row_id=int(answer["id"]),
               cells={str(column): (cell or {}).get("value") for column, cell in cells.items()})


@dataclass(frozen=True)
class Race:
    """Where a key's claim stands: its oldest row (None: no row of the key is left) and whether that row is
    this process's; ``left_out`` names the columns this process's write left out."""

    winner: Row | None
    won: bool
    left_out: tuple[str, ...] = ()


class IncidentTable:
    """The rows of one declared table in one incident; ``calls`` counts the REST calls made."""

    def __init__(self, rest_client: object, spec: TableSpec, incident_id: int) -> None:
        self.rest = rest_client
        self.spec = spec
        self.incident_id = int(incident_id)
        self.calls = 0

    def _uri(self, suffix: str = "") -> str:
        return f"/incidents/{self.incident_id}/table_data/{self.spec.name}{suffix}?handle_format=names"

    def completed(self, kept: Mapping[str, object]) -> dict[str, object]:
        """The cells of a write as sent, from the cells the org's table keeps (a declared table adds what is
        derived from them, e.g. its seal: see ``links``); as given by default."""
        return dict(kept)

    def missing(self) -> SoarError:
        """The error for a table (or incident) SOAR does not have: it names the table and says to run customize."""
        return SoarError(messages.soar_table_missing(self.incident_id, self.spec.name))

    def refused(self, action: str) -> Callable[[int | None, str], SoarError]:
        """The error for a refused ``action`` ("read", "update") on the table."""
        return lambda status, text: SoarError(
            messages.soar_table_refused(action, self.spec.name, self.incident_id, text))

    # ------------------------------------------------------------------ reads
    def rows(self) -> list[Row]:
        """Every row of the incident's table, oldest (lowest id) first."""
        self.calls += 1
        # A missing table is final: don't let the client retry the 404.
        answer = call_soar(lambda: self.rest.get(self._uri(), skip_retry=[404]),
                           missing=self.missing, refused=self.refused("read"))
        return sorted((row_of(row) for row in answer.get("rows") or []), key=lambda row: row.row_id)

    def rows_with(self, key_value: str) -> list[Row]:
        """The rows whose key column holds ``key_value``, oldest first."""
        return [row for row in self.rows() if row.text(self.spec.key) == key_value]

    def row(self, row_id: int) -> Row | None:
        """One row by its id; None when it is gone."""
        self.calls += 1
        try:
            return row_of(self.rest.get(self._uri(f"/row_data/{int(row_id)}"), skip_retry=[404]))
        except (BasicHTTPException, SimpleHTTPException) as err:
            if http_status(err) == 404:
                return None
            raise self.refused("read")(http_status(err), short(err)) from None

    # ------------------------------------------------------------------ writes
    def add(self, cells: Mapping[str, object], *, look: Callable[[], Row | None]) -> tuple[Row | None, list[str]]:
        """Add a row of ``cells``, once: when SOAR's answer is lost, ``look()`` finds the row before it is added
        again. Returns the row (None when the table has no column of it: nothing was written) and the columns
        left out."""
        def send(kept: dict[str, dict]) -> Row:
            def post(skip_retry: list[int]) -> Row:
                self.calls += 1
                return row_of(post_unretried(self.rest, self._uri("/row_data"), {"cells": kept}, skip_retry=skip_retry))
            return post_once(post, look, refused=None)

        return self._write(cells, send)

    def put(self, row: Row, changes: Mapping[str, object]) -> tuple[Row | None, list[str]]:
        """Write the whole row: every cell it holds, with ``changes``. No version is sent: the row becomes
        what was sent, whether or not SOAR looks at versions. Returns the row as written (None when it is gone)
        and the columns left out. The same PUT sent twice is the same row, so resilient's retry is harmless."""
        whole = {**row.cells, **changes}

        def send(kept: dict[str, dict]) -> Row:
            self.calls += 1
            return row_of(self.rest.put(self._uri(f"/row_data/{row.row_id}"), {"cells": kept}, skip_retry=[404]))

        try:
            return self._write(whole, send, row_write=True)
        except _RowGone:
            return None, []

    def delete(self, row: Row) -> bool:
        """Remove a row; False when it was already gone."""
        self.calls += 1
        try:
            self.rest.delete(self._uri(f"/row_data/{row.row_id}"), skip_retry=[404])
            return True
        except (BasicHTTPException, SimpleHTTPException) as err:
            if http_status(err) == 404:
                return False
            raise self.refused("update")(http_status(err), short(err)) from None

    def _write(self, cells: Mapping[str, object], send: Callable[[dict[str, dict]], Row], *, row_write: bool = False
               ) -> tuple[Row | None, list[str]]:
        """Send the cells whose column the org's table has (learned from SOAR, read again when a write names a
        column it lacks or SOAR refuses a write); returns SOAR's row and the columns left out. A 404 is the
        table missing, or for a ``row_write`` the row gone."""
        columns = table_columns(self.rest, self.spec.name, wanted=cells)
        for attempt in (1, 2):
            if not columns.exists:
                raise self.missing()
            kept, left_out = self.completed(columns.keep(cells)), columns.missing(cells)
            if not kept:
                return None, left_out
            try:
                answer = send({column: {"value": value} for column, value in kept.items()})
            except (BasicHTTPException, SimpleHTTPException) as err:
                status = http_status(err)
                if status == 404:
                    raise (_RowGone() if row_write else self.missing()) from None
                if attempt == 1:
                    columns = table_columns(self.rest, self.spec.name, fresh=True)
                    if not columns.exists or columns.missing(kept):
                        continue   # the table changed under the write: write what it has now
                raise self.refused("update")(status, short(err)) from None
            dropped = _silently_dropped(answer, kept)
            if dropped:   # SOAR took the row without a column it no longer has: learn the table again next time
                table_columns(self.rest, self.spec.name, fresh=True)
            return answer, sorted(set(left_out) | set(dropped))
        raise self.missing()  # pragma: no cover - the loop returns or raises


class _RowGone(Exception):
    """A PUT to a row SOAR no longer has (404 on ``row_data/<id>``)."""


def _silently_dropped(answer: Row, kept: Mapping[str, object]) -> list[str]:
    """Columns written with a value that SOAR's answer (the row) does not hold (empty values and false, which
    an answer may leave out, are not counted)."""
    return [column for column, value in kept.items()
            if value is not False and value not in (None, "") and column not in answer.cells]


# ---------------------------------------------------------------------------------- the oldest row wins
def standing(table: IncidentTable, key_value: str, mine: Row | None = None) -> Race:
    """Read the rows of ``key_value``: the oldest wins. When ``mine`` lost, it is deleted."""
    rows = table.rows_with(key_value)
    winner = rows[0] if rows else None
    won = mine is not None and winner is not None and winner.row_id == mine.row_id
    if mine is not None and not won and any(row.row_id == mine.row_id for row in rows):
        table.delete(mine)
    return Race(winner=winner, won=won)


def claim(table: IncidentTable, key_value: str, cells: Mapping[str, object], *,
          look: Callable[[], Row | None]) -> Race:
    """Claim ``key_value``: add a row of ``cells`` (holding the key), read the key's rows back; the oldest row
    wins and a loser's row is deleted. ``look`` finds this process's row after a lost answer."""
    mine, left_out = table.add({**cells, table.spec.key: key_value}, look=look)
    if mine is None:
        raise table.missing()
    race = standing(table, key_value, mine)
    return Race(winner=race.winner, won=race.won, left_out=tuple(left_out))


def take_over(table: IncidentTable, dead: Row, key_value: str, cells: Mapping[str, object], *,
              look: Callable[[], Row | None]) -> Race:
    """Take over the claim of a process that died: delete its row (already gone: another process took it over
    first) and claim again; of several processes doing so at once, the oldest new row wins."""
    table.delete(dead)
    return claim(table, key_value, cells, look=look)
