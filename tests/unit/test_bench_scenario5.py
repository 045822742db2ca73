"""Scenario 5's verdicts and the profile tally (bench/report.py, bench/profile.py)."""

from __future__ import annotations

from bench import report
from bench.measure import Measurement
from bench.profile import fn_slack_detail, summarize

CASE = ("first call creates the channel, 500 post_message calls, 50 incidents, num_workers 25, 2 processes, "
        "ActiveMQ")


def _run(failed: int, elapsed: float = 130.0) -> Measurement:
    return Measurement(scenario="5", case=CASE, strategy="ours", latency_ms=20.0, ops=500, slack_calls=2.2,
                       rate_limited=0.1, soar_calls=1.4, median_s=0.5, p95_s=60.0, peak_bytes=100,
                       extra={"failed": failed, "timed_out": 0, "duplicates": 0, "duplicate_detail": "none",
                              "elapsed_s": elapsed, "floor_s": 120.0, "time_over_floor": elapsed / 120.0})


def test_failed_calls_are_a_miss_that_names_the_processes_and_the_broker():
    found = [t for t in report.targets([_run(failed=7)]) if "every call completed" in t.name]
    assert len(found) == 1 and found[0].passed is False
    assert "first call creates the channel, 2 processes, ActiveMQ: 7 failed" in found[0].detail


def test_runs_without_failures_pass_the_completion_target():
    found = [t for t in report.targets([_run(failed=0)]) if "every call completed" in t.name]
    assert found[0].passed is True and "500 calls over 1 runs" in found[0].detail


def test_the_floor_verdict_shows_processes_and_broker_of_each_run():
    found = report.targets([_run(failed=0, elapsed=188.4)])
    [floor] = [t for t in found if t.name.startswith("scenario 5") and "floor" in t.name]
    assert floor.passed is False
    assert "first call creates the channel, 2 processes, ActiveMQ: 188.4 s vs floor 120 s" in floor.detail


def test_profile_tally_charges_a_sample_to_fn_slack_when_fn_slack_is_on_its_stack(tmp_path):
    folded = tmp_path / "stacks.txt"
    folded.write_text(
        "run (threading.py:1);_app_function (fn_slack/components/x.py:3);load_default_certs (ssl.py:597) 6\n"
        "run (threading.py:1);emit (logging/__init__.py:1) 3\n"
        "run (threading.py:1);_run (circuits/core/manager.py:9) 1\n", encoding="utf-8")
    tally = {name: (n, share) for name, n, share in summarize(folded)}
    assert tally["fn_slack's function and what it calls (slack_sdk, SOAR REST, TLS)"] == (6, 0.6)
    assert tally["logging"] == (3, 0.3)
    assert tally["circuits (event loop)"] == (1, 0.1)


def test_within_fn_slack_a_sample_is_charged_to_what_fn_slack_called_not_to_its_callers(tmp_path):
    """resilient-circuits' worker calls fn_slack: a sample in fn_slack's own code (or a standard-library call such
    as urllib's build_opener) is fn_slack's work, not resilient-circuits' or slack_sdk's around it."""
    folded = tmp_path / "stacks.txt"
    worker = "worker (multiprocessing/pool.py:125);_invoke (resilient_circuits/decorators.py:304)"
    sdk = "api_call (slack_sdk/web/base_client.py:168);_perform (fn_slack/lib/slack_transport.py:151)"
    folded.write_text(
        f"{worker};run (fn_slack/lib/message_post.py:91);seal_secret (fn_slack/lib/settings.py:222) 2\n"
        f"{worker};{sdk};build_opener (urllib/request.py:597);add_handler (urllib/request.py:444) 5\n"
        f"{worker};{sdk};open (urllib/request.py:519);request (http/client.py:1294) 3\n", encoding="utf-8")
    detail = dict(fn_slack_detail(folded))
    assert detail == {"urllib.request (opener and its handlers)": 0.5, "http.client, socket, selectors": 0.3,
                      "fn_slack's own code (and the standard library it calls directly)": 0.2}
