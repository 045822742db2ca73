"""Scenario 8's counting and verdicts (bench/in_step.py, bench/report.py): Slack reads against writes, 429s by
method, and the targets of the channel kept in step."""

from __future__ import annotations

from bench import report
from bench.in_step import _refused, reads_and_writes
from bench.measure import Measurement


def _burst(**extra: object) -> Measurement:
    x = {"slack_reads": 21, "slack_writes": 43, "runs": 30, "failed_runs": [], "parts_written": {"topic": 21},
         "rate_limited_by_method": {"conversations.setTopic": 1}, "line_wait_s": 5.0, "line_waits": 1,
         "last_change_s": 14.5, "in_step_after_last_change_s": 0.7, "final_topic_in_step": True,
         "final_summary_in_step": True, "last_severity": "Low"}
    x.update(extra)
    return Measurement(scenario="8", case="burst: 30 severity changes", strategy="ours", latency_ms=20.0, ops=30,
                       slack_calls=64, rate_limited=1, soar_calls=132, median_s=15.2, p95_s=float("nan"),
                       peak_bytes=None, extra=x)


def _run(case: str, calls: dict[str, float]) -> Measurement:
    reads, writes = reads_and_writes(calls)
    return Measurement(scenario="8", case=case, strategy="ours", latency_ms=0.0, ops=3,
                       slack_calls=sum(calls.values()), rate_limited=0, soar_calls=5, median_s=0.02, p95_s=0.03,
                       peak_bytes=None, calls_by_method=calls, extra={"slack_reads": reads, "slack_writes": writes})


def test_reads_and_writes_are_split_by_method_429s_included():
    assert reads_and_writes({"conversations.info": 1, "conversations.setTopic": 2, "chat.update": 1,
                             "pins.add": 1, "bookmarks.list": 1}) == (2, 4)


def test_429s_are_named_by_method():
    counts = {"by_method": {"conversations.setTopic": 12, "chat.update": 10},
              "ok_by_method": {"conversations.setTopic": 10, "chat.update": 10}}
    assert list(_refused(counts)) == ["conversations.setTopic", "conversations.setTopic"]


def test_a_burst_that_ends_out_of_step_is_a_miss():
    [verdict] = [t for t in report.targets([_burst(final_topic_in_step=False)]) if "burst" in t.name]
    assert verdict.passed is False and "1 answered 429" in verdict.detail


def test_a_burst_with_a_failed_run_is_a_miss_and_one_in_step_passes():
    [failed] = [t for t in report.targets([_burst(failed_runs=["SlackError: ratelimited"])]) if "burst" in t.name]
    [fine] = [t for t in report.targets([_burst()]) if "burst" in t.name]
    assert failed.passed is False and "1 failed runs" in failed.detail
    assert fine.passed is True and "last run ended 0.70 s after the last change" in fine.detail


def test_a_slack_call_when_nothing_changed_is_a_miss():
    found = report.targets([_run("no change", {"conversations.info": 1}),
                            _run("severity change", {"conversations.setTopic": 1, "chat.update": 1})])
    [still] = [t for t in found if "nothing changed" in t.name]
    [severity] = [t for t in found if "severity change" in t.name]
    assert still.passed is False and severity.passed is True
