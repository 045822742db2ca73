"""selftest's comparison of SOAR's customizations with the package's export.res, against the SOAR sandbox in the
states an upgrade passes through: nothing imported, IBM fn_slack 2.1's customizations, fn_slack's."""

from __future__ import annotations

import json

import pytest
import resilient

from fn_slack.lib import messages
from fn_slack.util.selftest import check_customizations, missing_customizations
from sandbox.soar import SoarSandbox
from sandbox.soar.ibm21_org import install_ibm21
from sandbox.soar.scripting import default_export_path

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
KEY, SECRET = "selftest-key", "selftest-secret"


@pytest.fixture
def soar():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET) as sandbox:
        yield sandbox


def _client(soar: SoarSandbox) -> resilient.SimpleClient:
    client = soar.rest_client()
    return client


def _opts(soar: SoarSandbox) -> dict:
    return {"host": "127.0.0.1", "port": soar.rest_port, "org": "Test Org", "api_key_id": KEY,
            "api_key_secret": SECRET, "cafile": "false"}


def test_an_org_with_ibm_2_1_s_customizations_lacks_every_3x_object_by_name(soar):
    install_ibm21(soar.state)

    missing = missing_customizations(_client(soar))

    assert missing == [
        "inputs slack_mirror, slack_thread, slack_direct of function slack_post_message",
        "inputs slack_thread of function slack_post_attachment",
        "function slack_sync_channel",
        "function slack_ask_question",
        "function slack_question_answer",
        "columns slack_db_channel_id, slack_db_mirror, slack_db_seal, slack_db_sync, slack_db_sync_state, "
        "slack_db_thread_ts of data table slack_conversations_db",
        "data table slack_messages_db",
        "data table slack_questions_db",
        "incident field slack_mirror_channels",
    ]
    complete, said = check_customizations(_opts(soar))
    assert complete is False
    assert said == messages.selftest_customizations_missing(missing)
    assert "run `resilient-circuits customize -l fn_slack` to finish the upgrade" in said


def test_after_customize_nothing_is_missing(soar):
    install_ibm21(soar.state)
    soar.state.install(json.loads(default_export_path().read_text(encoding="utf-8")))

    assert missing_customizations(_client(soar)) == []
    assert check_customizations(_opts(soar)) == (True, messages.selftest_customizations_current(6, 3))


def test_an_org_without_any_customization_lacks_everything(soar):
    missing = missing_customizations(_client(soar))

    assert [m for m in missing if m.startswith("function ")] == [
        "function slack_post_message", "function slack_post_attachment", "function slack_archive_channel",
        "function slack_sync_channel", "function slack_ask_question", "function slack_question_answer"]
    assert "data table slack_conversations_db" in missing


def test_without_a_soar_host_the_customizations_are_not_checked():
    assert check_customizations({"fn_slack": {}}) is None
