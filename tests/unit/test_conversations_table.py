"""ConversationsTable: the incident/task ↔ channel link in slack_conversations_db, against the SOAR sandbox with
the `resilient` client fn_slack uses."""

from __future__ import annotations

import pytest

from fn_slack.lib.errors import SoarError
from fn_slack.lib.soar.columns import forget_table_columns
from fn_slack.lib.soar.links import ConversationsTable
from sandbox.soar import SoarSandbox
from tests.unit.soar_links import LATER_COLUMNS, SEALER, Org

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


@pytest.fixture
def org(soar):
    forget_table_columns()   # every test learns the org's table afresh, as a new process does
    yield Org(soar)
    soar.state.unknown_columns = "refuse"


def test_the_oldest_row_of_the_incident_is_its_link_and_task_rows_are_separate(org):
    n = org.incident
    org.add_row(slack_db_res_id=f"RES-{n}-7", slack_db_channel="task-room", slack_db_channel_id="C7")
    org.add_row(slack_db_res_id=f"RES-{n}", slack_db_channel="#first", slack_db_channel_id="C1",
                slack_db_channel_type="Private")
    org.add_row(slack_db_res_id=f"RES-{n}", slack_db_channel="second", slack_db_channel_id="C2")
    table = org.table()

    link = table.find_link()
    task_link = table.find_link(7)

    assert (link.channel_name, link.channel_id, link.is_private) == ("first", "C1", True)
    assert (task_link.channel_name, task_link.channel_id) == ("task-room", "C7")
    assert table.find_link(8) is None
    assert org.verbs() == ["GET", "GET", "GET"]


def test_a_row_written_by_the_original_app_has_no_channel_id(org):
    org.add_row(slack_db_res_id=f"RES-{org.incident}", slack_db_channel="legacy", slack_db_channel_type="Public")

    link = org.table().find_link()

    assert link.channel_id is None and link.channel_name == "legacy"


def test_adding_a_link_writes_one_row_with_every_column(org):
    link = org.table().add_link(None, "inc-2095", "C9", "Public", 'https://x.test/a?b="c"&d')

    [row] = org.values()
    assert link.channel_id == "C9"
    assert row["slack_db_res_id"] == f"RES-{org.incident}" and row["slack_db_channel_id"] == "C9"
    assert row["slack_db_permalink"] == '<a href="https://x.test/a?b=&quot;c&quot;&amp;d">Link</a>'
    assert org.verbs() == ["POST", "GET"]


def test_a_link_added_by_another_process_first_wins_and_ours_is_removed(org):
    org.add_row(slack_db_res_id=f"RES-{org.incident}", slack_db_channel="theirs", slack_db_channel_id="C1")

    winner = org.table().add_link(None, "ours", "C2", "Public", "https://x.test")

    assert winner.channel_id == "C1"
    assert [row["slack_db_channel"] for row in org.values()] == ["theirs"]
    assert org.verbs() == ["POST", "GET", "DELETE"]


def test_filling_an_old_row_adds_the_channel_id_and_keeps_every_other_cell(org):
    org.add_row(slack_db_res_id=f"RES-{org.incident}", slack_db_channel="legacy", slack_db_channel_type="Public")
    table = org.table()

    filled = table.update_link(table.find_link(), channel_id="C5")

    assert filled.channel_id == "C5"
    [row] = org.values()
    seal = row.pop("slack_db_seal")
    assert row == {"slack_db_res_id": f"RES-{org.incident}", "slack_db_channel": "legacy",
                   "slack_db_channel_type": "Public", "slack_db_channel_id": "C5"}
    assert filled.intact and seal.startswith("v1."), "the first write fn_slack makes to an old row seals it"
    assert org.table().find_link().intact
    assert org.verbs() == ["GET", "PUT", "GET"]


def test_a_missing_table_says_to_run_customize():
    forget_table_columns()
    with SoarSandbox() as bare:   # customize never run: the org has no slack_conversations_db
        incident = bare.create_incident("No table")["id"]
        with pytest.raises(SoarError) as caught:
            ConversationsTable(bare.rest_client(), incident, SEALER).find_link()

    assert str(caught.value) == (
        f"The data table slack_conversations_db is missing from incident {incident}'s org (or the incident does "
        "not exist): run `resilient-circuits customize -l fn_slack` to import fn_slack's customizations.")


@pytest.mark.parametrize(("verb", "method", "words"), [("find", "GET", "read"), ("add", "POST", "update")])
def test_other_soar_refusals_name_the_table_and_the_action(org, verb, method, words):
    org.refuse(method, 403)
    table = org.table()

    with pytest.raises(SoarError) as caught:
        table.find_link() if verb == "find" else table.add_link(None, "x", "C1", "Public", "u")

    assert str(caught.value).startswith(f"SOAR refused to {words} the slack_conversations_db data table of "
                                        f"incident {org.incident}: ")
    assert org.values() == []


# ---------------------------------------------------------------------------------------------- learned columns
def test_the_table_s_columns_are_learned_once_per_process_when_it_has_them_all(org):
    table = org.table()
    link = table.add_link(None, "inc-2095", "C1", "Public", "https://x/p1")
    table.update_link(link, thread_ts="1.1")
    org.table().update_link(link, channel_id="C1")

    assert org.type_reads() == ["slack_conversations_db"]
    assert table.notices == []


@pytest.mark.parametrize("unknown_columns", ["refuse", "drop"])
def test_without_the_id_column_the_link_is_written_without_it_and_the_table_is_read_again_each_write(
        org, unknown_columns):
    org.soar.state.unknown_columns = unknown_columns
    table = org.table()
    with org.without(*LATER_COLUMNS):
        link = table.add_link(None, "inc-2095", "C1", "Public", "https://x/p1")

        assert link.channel_id is None and link.channel_name == "inc-2095"
        assert org.values()[0]["slack_db_channel"] == "inc-2095"
        assert "slack_db_channel_id" not in org.values()[0]
        [notice] = table.notices
        assert "no column slack_db_channel_id" in notice and "resilient-circuits customize" in notice
        assert "POST" in org.verbs()
    # customize adds the column: the next write reads the table again and fills the ID, without a restart
    filled = table.update_link(link, channel_id="C1")
    assert filled.channel_id == "C1" and org.values()[0]["slack_db_channel_id"] == "C1"
    assert org.values()[0]["slack_db_channel"] == "inc-2095"
    assert org.type_reads() == ["slack_conversations_db", "slack_conversations_db"]


@pytest.mark.parametrize("unknown_columns", ["refuse", "drop"])
def test_a_column_that_went_away_after_it_was_learned_is_noticed_and_left_out(org, unknown_columns):
    org.table().add_link(7, "task-7", "C7", "Public", "https://x/p7")
    org.soar.state.unknown_columns = unknown_columns
    table = org.table()
    with org.without(*LATER_COLUMNS):   # e.g. the table re-imported from 2.x
        link = table.add_link(None, "inc-2095", "C1", "Public", "https://x/p1")

        assert link.channel_id is None
        assert any("no column slack_db_channel_id" in n for n in table.notices)
        assert len(org.values()) == 2   # one row each; the refused write took no effect


def test_a_refusal_that_is_not_about_a_column_still_fails(org):
    table = org.table()
    table.find_link()
    org.refuse("POST", 403)

    with pytest.raises(SoarError, match="SOAR refused to update the slack_conversations_db"):
        table.add_link(None, "inc-2095", "C1", "Public", "https://x/p1")
