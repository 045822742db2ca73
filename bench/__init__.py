"""fn_slack's benchmarks: big workspaces, long channels and rate limits, measured against the original approach."""

# Stops with a one-line hint (the missing packages, `make install`, the .venv command) on a Python without the
# development packages, before any benchmark module imports them.
import sandbox  # noqa: E402, F401
