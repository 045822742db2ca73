"""ConversationsTable: the incident/task ↔ channel link in slack_conversations_db, over a stand-in REST client."""

import pytest

from fn_slack.lib.errors import SoarError
from fn_slack.lib.soar.links import ConversationsTable
from tests.unit.soar_rest_stub import IBM_COLUMNS, PACKAGE_COLUMNS, TableRest

INCIDENT = 2095


@pytest.fixture
def rest():
    return TableRest()


def test_the_oldest_row_of_the_incident_is_its_link_and_task_rows_are_separate(rest):
    rest.add_row(INCIDENT, slack_db_res_id="RES-2095-7", slack_db_channel="task-room", slack_db_channel_id="C7")
    rest.add_row(INCIDENT, slack_db_res_id="RES-2095", slack_db_channel="#first", slack_db_channel_id="C1",
                 slack_db_channel_type="Private")
    rest.add_row(INCIDENT, slack_db_res_id="RES-2095", slack_db_channel="second", slack_db_channel_id="C2")
    table = ConversationsTable(rest, INCIDENT)

    link = table.find_link()
    task_link = table.find_link(7)

    assert (link.channel_name, link.channel_id, link.is_private) == ("first", "C1", True)
    assert (task_link.channel_name, task_link.channel_id) == ("task-room", "C7")
    assert table.find_link(8) is None
    assert rest.verbs() == ["GET", "GET", "GET"]


def test_a_row_written_by_the_original_app_has_no_channel_id(rest):
    rest.add_row(INCIDENT, slack_db_res_id="RES-2095", slack_db_channel="legacy", slack_db_channel_type="Public")

    link = ConversationsTable(rest, INCIDENT).find_link()

    assert link.channel_id is None and link.channel_name == "legacy"


def test_adding_a_link_writes_one_row_with_every_column(rest):
    table = ConversationsTable(rest, INCIDENT)

    link = table.add_link(None, "inc-2095", "C9", "Public", 'https://x.test/a?b="c"&d')

    [row] = rest.values(INCIDENT)
    assert link.channel_id == "C9"
    assert row["slack_db_res_id"] == "RES-2095" and row["slack_db_channel_id"] == "C9"
    assert row["slack_db_permalink"] == '<a href="https://x.test/a?b=&quot;c&quot;&amp;d">Link</a>'
    assert rest.verbs() == ["POST", "GET"]


def test_a_link_added_by_another_process_first_wins_and_ours_is_removed(rest):
    rest.add_row(INCIDENT, slack_db_res_id="RES-2095", slack_db_channel="theirs", slack_db_channel_id="C1")
    table = ConversationsTable(rest, INCIDENT)

    winner = table.add_link(None, "ours", "C2", "Public", "https://x.test")

    assert winner.channel_id == "C1"
    assert [row["slack_db_channel"] for row in rest.values(INCIDENT)] == ["theirs"]
    assert rest.verbs() == ["POST", "GET", "DELETE"]


def test_filling_an_old_row_writes_only_the_channel_id(rest):
    rest.add_row(INCIDENT, slack_db_res_id="RES-2095", slack_db_channel="legacy", slack_db_channel_type="Public")
    table = ConversationsTable(rest, INCIDENT)

    filled = table.update_link(table.find_link(), channel_id="C5")

    assert filled.channel_id == "C5"
    assert rest.values(INCIDENT) == [{"slack_db_res_id": "RES-2095", "slack_db_channel": "legacy",
                                      "slack_db_channel_type": "Public", "slack_db_channel_id": "C5"}]


def test_a_missing_table_says_to_run_customize(rest):
    rest.fail_with = 404

    with pytest.raises(SoarError) as caught:
        ConversationsTable(rest, INCIDENT).find_link()

    assert str(caught.value) == (
        "The data table slack_conversations_db is missing from incident 2095's org (or the incident does not "
        "exist): run `resilient-circuits customize -l fn_slack` to import fn_slack's customizations.")


@pytest.mark.parametrize(("verb", "words"), [("find", "read"), ("add", "update")])
def test_other_soar_failures_name_the_table_and_the_action(rest, verb, words):
    rest.fail_with = 403   # a 5xx on the add is a lost answer: the row is looked for first (test_soar_tables)
    table = ConversationsTable(rest, INCIDENT)

    with pytest.raises(SoarError) as caught:
        table.find_link() if verb == "find" else table.add_link(None, "x", "C1", "Public", "u")

    assert str(caught.value).startswith(f"SOAR refused to {words} the slack_conversations_db data table of "
                                        f"incident 2095: ")


# ---------------------------------------------------------------------------------------------- learned columns
def test_the_table_s_columns_are_learned_once_per_process_when_it_has_them_all(rest):
    table = ConversationsTable(rest, INCIDENT)
    link = table.add_link(None, "inc-2095", "C1", "Public", "https://x/p1")
    table.update_link(link, thread_ts="1.1")
    ConversationsTable(rest, INCIDENT).update_link(link, channel_id="C1")

    assert rest.type_reads == ["slack_conversations_db"]
    assert table.notices == []


@pytest.mark.parametrize("unknown_columns", ["refuse", "drop"])
def test_without_the_id_column_the_link_is_written_without_it_and_the_table_is_read_again_each_write(unknown_columns):
    rest = TableRest(columns=IBM_COLUMNS, unknown_columns=unknown_columns)
    table = ConversationsTable(rest, INCIDENT)

    link = table.add_link(None, "inc-2095", "C1", "Public", "https://x/p1")

    assert link.channel_id is None and link.channel_name == "inc-2095"
    assert rest.values(INCIDENT)[0]["slack_db_channel"] == "inc-2095"
    assert "slack_db_channel_id" not in rest.values(INCIDENT)[0]
    [notice] = table.notices
    assert "no column slack_db_channel_id" in notice and "resilient-circuits customize" in notice
    assert "POST" in rest.verbs()
    # customize adds the column: the next write reads the table again and fills the ID, without a restart
    rest.columns = PACKAGE_COLUMNS
    filled = table.update_link(link, channel_id="C1")
    assert filled.channel_id == "C1" and rest.values(INCIDENT)[0]["slack_db_channel_id"] == "C1"
    assert rest.type_reads == ["slack_conversations_db", "slack_conversations_db"]


@pytest.mark.parametrize("unknown_columns", ["refuse", "drop"])
def test_a_column_that_went_away_after_it_was_learned_is_noticed_and_left_out(unknown_columns):
    rest = TableRest()
    ConversationsTable(rest, INCIDENT).add_link(7, "task-7", "C7", "Public", "https://x/p7")
    rest.columns, rest.unknown_columns = set(IBM_COLUMNS), unknown_columns   # e.g. the table re-imported from 2.x
    table = ConversationsTable(rest, INCIDENT)

    link = table.add_link(None, "inc-2095", "C1", "Public", "https://x/p1")

    assert link.channel_id is None
    assert any("no column slack_db_channel_id" in n for n in table.notices)
    assert len(rest.values(INCIDENT)) == 2   # one row each; the refused write took no effect


def test_a_refusal_that_is_not_about_a_column_still_fails(rest):
    table = ConversationsTable(rest, INCIDENT)
    table.find_link()
    rest.fail_with = 403

    with pytest.raises(SoarError, match="SOAR refused to update the slack_conversations_db"):
        table.add_link(None, "inc-2095", "C1", "Public", "https://x/p1")
