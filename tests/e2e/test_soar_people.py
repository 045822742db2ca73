"""The SOAR sandbox's users, incident members and task closing, called with the `resilient` client."""

from __future__ import annotations

import pytest
import resilient

from sandbox.soar import SoarSandbox

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]

KEY, SECRET = "people-key-id", "people-key-secret-value"


@pytest.fixture
def soar():
    with SoarSandbox(api_key_id=KEY, api_key_secret=SECRET) as sandbox:
        yield sandbox


@pytest.fixture
def client(soar) -> resilient.SimpleClient:
    rest = resilient.SimpleClient(org_name="Test Org", base_url=soar.rest_url.rstrip("/"), verify=False,
                                  request_max_retries=1, request_retry_delay=0)
    rest.set_api_key(KEY, SECRET)
    return rest


def test_users_carry_emails_and_roles(soar, client):
    soar.state.add_person(40, "dora@example.com", "Dora", "Diaz", ("Observer",), status="D")
    users = {u["email"]: u for u in client.get("/users")}
    assert users["bob@example.com"]["roles"] == [] and users["alice@example.com"]["roles"] == ["Incident Commander"]
    assert (users["dora@example.com"]["status"], users["dora@example.com"]["display_name"]) == ("D", "Dora Diaz")


def test_incident_members_are_emails_by_name_and_ids_otherwise(soar, client):
    inc = soar.state.create_incident("Phish")
    soar.state.set_members(inc["id"], ["bob@example.com"], owner="alice@example.com")
    named = client.get(f"/incidents/{inc['id']}?handle_format=names")
    assert (named["members"], named["owner_id"]) == (["bob@example.com"], "alice@example.com")
    assert client.get(f"/incidents/{inc['id']}")["members"] == [12]


def test_a_task_put_back_closed_is_closed(soar, client):
    inc = soar.state.create_incident("Phish")
    task = soar.state.create_task(inc["id"], "Reset passwords")
    closed = client.put(f"/tasks/{task['id']}", dict(client.get(f"/tasks/{task['id']}"), status="C"))
    assert closed["status"] == "C" and soar.state.task(task["id"])["closed_date"]
    with pytest.raises(resilient.SimpleHTTPException):
        client.put(f"/tasks/{task['id']}", {"status": "X"})
