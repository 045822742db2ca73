"""The platform check's report: a platform that matches no single sandbox position says so."""

from fn_slack.util.platform_check import FAILED, RAN, SKIPPED, Check, Report


def test_row_checks_that_disagree_name_no_single_position_of_the_switch():
    report = Report(checks=[
        Check("row PUT, stale version", "", "row_versions", RAN, "refused (HTTP 409)", "checked"),
        Check("row PUT, some cells", "", "row_versions", RAN, "other cells blanked", "ignored"),
        Check("row write, unknown column", "", "unknown_columns", RAN, "refused (HTTP 400)", "refuse")])
    assert report.switches() == {"row_versions": None, "unknown_columns": "refuse"}
    assert "switch row_versions: no single position matches (see its checks)" in report.table()
    assert report.exit_code == 0


def test_a_check_that_could_not_run_makes_exit_status_2_and_a_skipped_one_does_not():
    skipped = Check("metadata, user token", "", "user_token_metadata", SKIPPED, "no user token")
    assert Report(checks=[skipped]).exit_code == 0
    assert "not tried: no user token" in Report(checks=[skipped]).table()
    failed = Check("archive, private channel", "", "archived_private_visible", FAILED, "conversations.create: x")
    assert Report(checks=[skipped, failed]).exit_code == 2
    assert Report(checks=[failed]).switches() == {}
