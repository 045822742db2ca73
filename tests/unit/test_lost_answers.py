"""What a lost answer tells fn_slack (the Slack edge, over real HTTP to the Slack sandbox), and the schedule of
the looks for a post that may still land (``retry.LandingWatch``)."""

import socket

import pytest

from fn_slack.lib.errors import SlackUnreachableError
from fn_slack.lib.retry import LandingWatch
from fn_slack.lib.settings import SlackSettings
from fn_slack.lib.slack_client import SlackClient
from tests.functions.harness import TOKEN


def utils(api_url: str) -> SlackClient:
    return SlackClient(SlackSettings(token=TOKEN, api_url=api_url, max_rate_limit_wait=0, timeout=1))


@pytest.mark.parametrize(("kind", "extra", "in_flight"), [
    ("http_status", {"status": 503}, False),                 # Slack's own JSON error: its work is over
    ("http_status", {"status": 502, "body": "html"}, True),  # a proxy's page: Slack may still be at it
    ("drop", {}, True),                                      # no answer at all
    ("delay", {"delay": 2.0}, True),                         # timed out
], ids=["slack-json-503", "proxy-html-502", "drop", "timeout"])
def test_a_lost_answer_says_whether_slack_may_still_carry_the_request_out(slack, kind, extra, in_flight):
    slack.faults.add("auth.test", kind, times=10, **extra)

    with pytest.raises(SlackUnreachableError) as lost:
        utils(slack.base_url).auth_test()

    assert lost.value.in_flight is in_flight


def test_a_request_refused_before_it_left_is_not_in_flight():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(SlackUnreachableError) as lost:
        utils(f"http://127.0.0.1:{port}/api/").auth_test()

    assert lost.value.in_flight is False


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_the_looks_back_off_and_the_last_one_is_at_the_deadline():
    clock = FakeClock()
    watch = LandingWatch(deadline=110.0, clock=lambda: clock.now, sleep=clock.sleep)

    looks = 0
    while watch.look_again():
        looks += 1

    assert clock.slept == [0.25, 0.5, 1.0, 2.0, 4.0, 2.25]
    assert looks == 7 and clock.now == 110.0


def test_a_deadline_already_passed_still_gets_one_look():
    clock = FakeClock()
    watch = LandingWatch(deadline=50.0, clock=lambda: clock.now, sleep=clock.sleep)

    assert watch.look_again() is True
    assert watch.look_again() is False
    assert clock.slept == []
