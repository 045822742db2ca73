"""Which incident a channel mirrors into, against the SOAR sandbox with the `resilient` client fn_slack uses: only
the link fn_slack sealed, the first linked when a race made two; every other incident that names the channel is
told once, and so is the incident the channel mirrors into."""

from __future__ import annotations

import logging
import time

import pytest

from fn_slack.lib import messages
from fn_slack.lib.mirror import ChannelDirectory, MirrorTarget, RouteNotes
from fn_slack.lib.soar import routes
from fn_slack.lib.soar.claimed_notes import Timing
from fn_slack.lib.soar.incidents import MirrorIndex
from fn_slack.lib.soar.links import TABLE, ConversationsTable
from fn_slack.lib.soar.seals import Sealer
from tests.unit.soar_links import SEALER, sealed

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def _directory(rest) -> ChannelDirectory:
    return ChannelDirectory(rest, SEALER, refused=RouteNotes(rest, lambda: Timing(2.0), "host:a"))


def _notes(soar, incident_id: int) -> list[str]:
    return [n["text"]["content"] if isinstance(n["text"], dict) else n["text"]
            for n in soar.state.notes_of(incident_id)]


def _mirroring_link(soar, rest, incident_id: int, channel: str, name: str, *, at_ms: int) -> None:
    """A link fn_slack made (sealed) that mirrors ``channel``, made at ``at_ms``, indexed."""
    soar.state.add_row(incident_id, TABLE, sealed(
        SEALER, incident_id, slack_db_res_id=f"RES-{incident_id}", slack_db_channel=name, slack_db_channel_id=channel,
        slack_db_channel_type="Public", slack_db_mirror=True, slack_db_time=at_ms))
    MirrorIndex(rest).add(incident_id, channel)


def test_a_channel_two_sealed_links_mirror_goes_to_the_one_linked_first_and_the_other_is_told_once(soar, rest,
                                                                                                   caplog):
    lower = soar.create_incident("Linked second, lower-numbered")["id"]
    first = soar.create_incident("Linked first")["id"]
    now = int(time.time() * 1000)
    _mirroring_link(soar, rest, first, "CRACE1", "war-room", at_ms=now - 60_000)
    _mirroring_link(soar, rest, lower, "CRACE1", "war-room", at_ms=now)
    directory = _directory(rest)

    with caplog.at_level(logging.WARNING):
        target = directory.target("CRACE1")
    directory.forget("CRACE1")
    assert directory.target("CRACE1") == target   # looked up again: no second note

    assert target == MirrorTarget(first, None, "war-room"), "the lower-numbered incident took the channel"
    [refused] = _notes(soar, lower)
    assert "fn_slack does not mirror channel <b>#war-room</b> (CRACE1) into this incident" in refused
    assert f"the link RES-{lower} mirrors it too, but was made after the link of incident {first}" in refused
    [told] = _notes(soar, first)
    assert f"incident {lower} names this incident's channel <b>#war-room</b> (CRACE1)" in told
    assert any(f"not mirrored into incident {lower}" in r.getMessage() for r in caplog.records)


def test_a_channel_id_typed_into_another_incident_s_row_and_field_is_refused_there_naming_what_was_found(soar, rest):
    owner = soar.create_incident("Owns the channel")["id"]
    insider = soar.create_incident("Insider's incident")["id"]
    _mirroring_link(soar, rest, owner, "CPRIV1", "ir-secret", at_ms=int(time.time() * 1000))
    soar.state.add_row(insider, TABLE, {"slack_db_res_id": {"value": f"RES-{insider}"},
                                        "slack_db_channel": {"value": "ir-secret"},
                                        "slack_db_channel_id": {"value": "CPRIV1"}, "slack_db_mirror": {"value": True}})
    MirrorIndex(rest).add(insider, "CPRIV1")
    bare = soar.create_incident("Field only")["id"]
    MirrorIndex(rest).add(bare, "CPRIV1")

    assert _directory(rest).target("CPRIV1") == MirrorTarget(owner, None, "ir-secret")

    [refused] = _notes(soar, insider)
    assert f"the link RES-{insider} says it mirrors the channel, but fn_slack did not seal it" in refused
    [field_only] = _notes(soar, bare)
    assert "the field slack_mirror_channels names the channel, but no link of this incident mirrors it" in field_only
    told = _notes(soar, owner)
    assert len(told) == 2 and all("names this incident's channel" in t for t in told)


def test_a_sealed_link_whose_channel_was_changed_is_refused_for_both_channels_naming_the_change(soar, rest):
    incident = soar.create_incident("Edited link")["id"]
    _mirroring_link(soar, rest, incident, "CMINE1", "mine", at_ms=int(time.time() * 1000))
    [row] = soar.state.rows[(incident, TABLE)]
    cells = {column: {"value": cell["value"]} for column, cell in row["cells"].items()}
    soar.state.update_row(incident, TABLE, row["id"], {**cells, "slack_db_channel_id": {"value": "CTHEIRS"}})
    MirrorIndex(rest).add(incident, "CTHEIRS")
    directory = _directory(rest)

    assert directory.target("CTHEIRS") is None
    assert directory.target("CMINE1") is None
    notes = _notes(soar, incident)   # one note per channel and incident
    assert len(notes) == 2 and all("slack_db_channel_id: “CMINE1” → “CTHEIRS”" in note for note in notes)
    assert "(CTHEIRS)" in notes[0] and "<b>CMINE1</b>" in notes[1]


def test_a_row_whose_seal_was_copied_from_another_incident_does_not_fit(soar, rest):
    owner = soar.create_incident("Owner")["id"]
    copier = soar.create_incident("Copier")["id"]
    _mirroring_link(soar, rest, owner, "CCOPY1", "copied", at_ms=int(time.time() * 1000))
    [row] = soar.state.rows[(owner, TABLE)]
    soar.state.add_row(copier, TABLE, {**{c: {"value": cell["value"]} for c, cell in row["cells"].items()},
                                       "slack_db_res_id": {"value": f"RES-{copier}"}})
    MirrorIndex(rest).add(copier, "CCOPY1")

    [link] = ConversationsTable(rest, copier, SEALER).links()
    assert link.verdict.state == "broken" and link.tampered
    decision = routes.read_routes(rest, SEALER, "CCOPY1")
    assert decision.route.incident_id == owner
    assert decision.refused[copier] == (routes.Finding(routes.BROKEN_ROW, f"RES-{copier}"),)


def test_a_link_sealed_with_another_key_does_not_mirror(soar, rest):
    incident = soar.create_incident("Other key")["id"]
    soar.state.add_row(incident, TABLE, sealed(
        Sealer(b"someone else's key, 32 bytes and more"), incident, slack_db_res_id=f"RES-{incident}",
        slack_db_channel="forged", slack_db_channel_id="CFORGE", slack_db_mirror=True))
    MirrorIndex(rest).add(incident, "CFORGE")

    assert _directory(rest).target("CFORGE") is None
    [note] = _notes(soar, incident)
    assert f"the seal of the link RES-{incident} no longer fits the row" in note


def test_every_kind_of_finding_has_its_words():
    kinds = {routes.FIELD_ONLY, routes.UNSEALED_ROW, routes.CHANGED_ROW, routes.BROKEN_ROW, routes.LATER_LINK}
    assert set(messages.ROUTE_FINDINGS) == kinds


def test_what_a_refusal_note_quotes_of_the_table_arrives_inert(soar, rest):
    incident = soar.create_incident("Hostile cells")["id"]
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    _mirroring_link(soar, rest, incident, "CHOSTILE", "fine-name", at_ms=int(time.time() * 1000))
    [row] = soar.state.rows[(incident, TABLE)]
    cells = {column: {"value": cell["value"]} for column, cell in row["cells"].items()}
    soar.state.update_row(incident, TABLE, row["id"], {**cells, "slack_db_channel": {"value": hostile},
                                                      "slack_db_res_id": {"value": f"RES-{incident}"}})

    assert _directory(rest).target("CHOSTILE") is None
    [note] = _notes(soar, incident)
    assert "<img" not in note and "<script" not in note
    assert "&lt;script&gt;" in note


def test_a_later_link_whose_time_is_moved_back_in_soar_does_not_take_the_channel(soar, rest):
    first = soar.create_incident("Linked first")["id"]
    later = soar.create_incident("Linked later, its time edited")["id"]
    now = int(time.time() * 1000)
    _mirroring_link(soar, rest, first, "CTIME1", "war-room", at_ms=now - 60_000)
    _mirroring_link(soar, rest, later, "CTIME1", "war-room", at_ms=now)
    [row] = soar.state.rows[(later, TABLE)]
    soar.state.update_row(later, TABLE, row["id"], {**row["cells"], "slack_db_time": {"value": now - 3_600_000}})

    assert _directory(rest).target("CTIME1") == MirrorTarget(first, None, "war-room")
    [refused] = _notes(soar, later)
    assert f"the link RES-{later} was changed outside fn_slack: slack_db_time" in refused
