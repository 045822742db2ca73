"""The SOAR edge's shared helpers: the connection pool of resilient's client."""

from resilient import SimpleClient

from fn_slack.lib.soar.rest import SOAR_CONNECTIONS, keep_connections


def test_the_soar_client_keeps_enough_connections_for_every_worker():
    client = SimpleClient(org_name="Test Org", base_url="https://127.0.0.1:1", verify=False)
    before = client.session.get_adapter("https://soar.example.test")
    assert before._pool_maxsize == 10    # resilient's default, below resilient-circuits' usual 25 workers

    keep_connections(client)
    widened = client.session.get_adapter("https://soar.example.test")
    keep_connections(client)

    assert widened._pool_maxsize == SOAR_CONNECTIONS
    assert type(widened) is type(before)              # resilient's own TLS adapter, only larger
    assert client.session.get_adapter("https://soar.example.test") is widened   # mounted once


def test_a_client_without_a_requests_session_is_left_alone():
    keep_connections(object())
