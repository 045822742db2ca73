"""Local stand-ins for Slack and SOAR that fn_slack's tests, `make demo` and `make try` run against.

They need fn_slack's development packages (`make install` puts them in `.venv`). Started by a Python without
them, every ``python -m sandbox...`` and ``python -m bench...`` command stops here with one line that names
what is missing and the command to use instead, rather than a traceback from deep inside an import."""

from __future__ import annotations

import sys
from importlib.util import find_spec

# The import names of the packages the sandboxes, the demo and the benchmarks load (requirements-dev.txt and
# fn_slack's own dependencies).
NEEDED = ("werkzeug", "cryptography", "websockets", "stomp", "slack_sdk", "resilient", "resilient_circuits",
          "resilient_lib", "bs4", "jinja2")


def missing_packages() -> list[str]:
    """The needed packages this Python cannot import."""
    return [name for name in NEEDED if find_spec(name) is None]


def the_command_in_venv() -> str:
    """This command line as it works after `make install`: the same arguments with .venv's Python."""
    args = list(getattr(sys, "orig_argv", sys.argv))[1:]
    while args and args[0] in ("-S", "-I", "-s", "-E", "-B", "-u"):   # interpreter flags are not the command's
        args.pop(0)
    return " ".join([".venv/bin/python", *args]) if args[:1] == ["-m"] else ".venv/bin/python -m sandbox.demo"


if missing := missing_packages():
    raise SystemExit(f"fn_slack's sandboxes need its development packages, and {sys.executable} lacks "
                     f"{', '.join(missing)}: run `make install` in the repository, then `{the_command_in_venv()}`.")
