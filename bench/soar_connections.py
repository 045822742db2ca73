"""How many new TLS connections resilient's client opens to the SOAR sandbox for N REST calls.

``python -m bench.soar_connections [--calls N]`` starts a SOAR sandbox, makes N calls of each kind fn_slack
makes (GET an incident, POST a note, GET the notes) after logging in (2 calls) with one
``resilient.SimpleClient`` (its pooled requests session, as resilient-circuits shares one client between its
workers), and prints the number of TLS handshakes the client made (each client-side
``ssl.SSLContext.wrap_socket``: one per new HTTPS connection).
"""

from __future__ import annotations

import argparse
import ssl
import time
import warnings

from sandbox.soar import SoarSandbox


class _Handshakes:
    """Counts client-side TLS connections made in this process while installed."""

    def __init__(self) -> None:
        self.count = 0
        self._original = ssl.SSLContext.wrap_socket

    def __enter__(self) -> _Handshakes:
        original, counter = self._original, self

        def wrap_socket(context: ssl.SSLContext, sock: object, *args: object, **kwargs: object) -> ssl.SSLSocket:
            if not kwargs.get("server_side"):
                counter.count += 1
            return original(context, sock, *args, **kwargs)

        ssl.SSLContext.wrap_socket = wrap_socket
        return self

    def __exit__(self, *exc: object) -> None:
        ssl.SSLContext.wrap_socket = self._original


def measure(calls: int) -> dict[str, float]:
    """Make ``calls`` calls of each kind; return the calls made, the new TLS connections and the seconds taken."""
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    with SoarSandbox() as soar, _Handshakes() as counter:
        incident = soar.create_incident("Keep-alive")
        counter.count = 0
        started = time.perf_counter()
        client = soar.rest_client()
        for number in range(calls):
            client.get(f"/incidents/{incident['id']}")
            client.post(f"/incidents/{incident['id']}/comments",
                        {"text": {"format": "html", "content": f"<p>note {number}</p>"}})
            client.get(f"/incidents/{incident['id']}/comments")
        seconds = time.perf_counter() - started
    return {"calls": 3 * calls + 2, "tls_handshakes": counter.count, "seconds": round(seconds, 3)}


def main() -> None:
    """Print the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls of each kind (default 100)")
    result = measure(parser.parse_args().calls)
    print(f"{result['calls']} SOAR REST calls: {result['tls_handshakes']} TLS handshakes, "
          f"{result['seconds']} s")


if __name__ == "__main__":
    main()
