"""Fresh Slack sandbox and SOAR state for every function test."""

from pathlib import Path

import pytest
from resilient_circuits.actions_test_component import ResilientTestActions

from fn_slack.lib.slack_memory import CHANNEL_DIRECTORY, PEOPLE, TOKEN_USERS, USER_IDS
from fn_slack.lib.slack_pace import LINES
from fn_slack.lib.soar.columns import forget_table_columns
from sandbox.slack.realism import tidy
from tests.functions.harness import slack_sandbox
from tests.functions.soar_org import SoarOrg, package_org, soar_sandbox

# resilient-circuits' interactive test console listens on 127.0.0.1:8008 in every app; the tests fire events
# directly and never use it, so let each app take a free port and test runs never collide on 8008.
ResilientTestActions.__init__.__defaults__ = ("127.0.0.1", 0)

INCIDENT = 2095
TASK = 7


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """resilient-circuits reaches the SOAR sandbox with ``cafile = false`` (its certificate is self-signed):
    urllib3's warning about it on every request is not the test's."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"))


@pytest.fixture
def slack(request):
    """The Slack sandbox, reset to the default workspace (alice, bob, carol, #general), behaving like Slack
    except for the realism switches a ``slack_tidy`` marker names (each hides a known product bug)."""
    sandbox = slack_sandbox()
    sandbox.reset()
    marker = request.node.get_closest_marker("slack_tidy")
    if marker is not None:
        sandbox.set_realism(**tidy(*marker.args))
    CHANNEL_DIRECTORY.clear()
    LINES.clear()
    USER_IDS.clear()
    TOKEN_USERS.clear()
    PEOPLE.clear()
    return sandbox


@pytest.fixture
def soar():
    """The SOAR sandbox's org, fresh: the package installed, incident 2095 with task 7, no table rows."""
    org = SoarOrg(soar_sandbox())
    org.reset(package_org, INCIDENT, TASK)
    forget_table_columns()
    return org
