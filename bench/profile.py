"""Profile one ``resilient-circuits run`` process under scenario 5 with py-spy (a sampling profiler).

``python -m bench.profile [--broker activemq] [--first-posts] [--gil] [--py-spy PATH]`` runs one scenario 5 case
with a single run process, attaches ``py-spy record`` to it while the messages are processed (all threads, idle
ones left out; with ``--gil`` only the thread holding the interpreter), writes a flame graph (SVG) and the folded
stacks, and prints where the samples went, grouped by the code they were in (innermost frame that belongs to a
known part). py-spy is a development tool (requirements-dev.txt), not a dependency of the package; pass its path
if it is not on PATH (``.venv/bin/py-spy``).
"""

from __future__ import annotations

import argparse
import collections
import logging
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from bench import scenarios, throughput

DOC = Path(__file__).resolve().parent.parent / "doc"
# Parts of a call, matched against py-spy's frame text "function (path/file.py:line)", innermost frame first.
PARTS = [
    ("package metadata look-ups (importlib.metadata)", ("(importlib/metadata", "(importlib_metadata/")),
    ("slack_sdk (HTTP to Slack)", ("(slack_sdk/",)),
    ("resilient REST client (resilient, requests, urllib3)", ("(resilient/", "(requests/", "(urllib3/")),
    ("TLS (ssl)", ("(ssl.py",)),
    ("STOMP client (stomp.py)", ("(stomp/",)),
    ("resilient-lib (function results, metrics)", ("(resilient_lib/",)),
    ("resilient-circuits", ("(resilient_circuits/",)),
    ("circuits (event loop)", ("(circuits/",)),
    ("logging", ("(logging/",)),
    ("json", ("(json/",)),
    ("urllib.request (opener and its handlers)", ("(urllib/request.py",)),
    ("http.client, socket, selectors", ("(http/client.py", "(socket.py", "(selectors.py")),
    ("threading, queue, worker pool", ("(threading.py", "(queue.py", "(multiprocessing/", "(concurrent/")),
]
FN_SLACK = "(fn_slack/"


def part_of(stack: list[str]) -> str:
    """The part a sample is charged to: the innermost frame of fn_slack if there is one (its own work and
    everything it calls), else the innermost frame that belongs to a known part."""
    if any(FN_SLACK in frame for frame in stack):
        return "fn_slack's function and what it calls (slack_sdk, SOAR REST, TLS)"
    for frame in reversed(stack):
        for name, needles in PARTS:
            if any(needle in frame for needle in needles):
                return name
    return "other"


def summarize(folded: Path) -> list[tuple[str, int, float]]:
    counts: collections.Counter[str] = collections.Counter()
    for line in folded.read_text(encoding="utf-8", errors="replace").splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not stack_text or not count.isdigit():
            continue
        counts[part_of(stack_text.split(";"))] += int(count)
    total = sum(counts.values()) or 1
    return [(name, n, n / total) for name, n in counts.most_common()]


def fn_slack_detail(folded: Path) -> list[tuple[str, float]]:
    """Within fn_slack's samples: what the innermost frame was (own code, HTTP, TLS, waiting on a lock...)."""
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    for line in folded.read_text(encoding="utf-8", errors="replace").splitlines():
        stack_text, _, count = line.rpartition(" ")
        if FN_SLACK not in stack_text or not count.isdigit():
            continue
        frames = stack_text.split(";")
        # Only what fn_slack called: the frames below its innermost one (the callers above it are not its work).
        below = frames[max(i for i, frame in enumerate(frames) if FN_SLACK in frame) + 1:]
        inner = next((name for frame in reversed(below) for name, needles in PARTS
                      if any(needle in frame for needle in needles)), "fn_slack's own code (and the standard "
                                                                       "library it calls directly)")
        counts[inner] += int(count)
        total += int(count)
    return [(name, n / (total or 1)) for name, n in counts.most_common()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--broker", choices=["builtin", "activemq"], default="builtin")
    parser.add_argument("--first-posts", action="store_true", help="the case where first calls create channels")
    parser.add_argument("--latency", type=float, default=20.0)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--duration", type=int, default=30, help="seconds to sample")
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL (Python's CPU "
                        "work, not threads that are runnable but waiting for the interpreter)")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--summarize", type=Path, help="only print the summary of folded stacks already recorded")
    parser.add_argument("--output", type=Path, default=DOC / "scenario5-run-process-flamegraph.svg")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("slack_sdk", "fn_slack", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    folded = args.output.with_suffix(".folded.txt")
    if args.summarize:
        _print_summary(args.summarize)
        return 0
    recorders = []

    def attach_as(fmt: str, out: Path):
        def attach(pid: int) -> subprocess.Popen:
            process = subprocess.Popen([args.py_spy, "record", "--pid", str(pid), "--rate", str(args.rate),
                                        "--duration", str(args.duration), "--format", fmt, "--output", str(out),
                                        "--nonblocking", *(["--gil"] if args.gil else [])],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            recorders.append(process)
            return process
        return attach

    plan = replace(scenarios.FULL, throughput_processes=(1,))
    for fmt, out in (("flamegraph", args.output), ("raw", folded)):
        kind = "first" if args.first_posts else "linked"
        measurement = throughput.run_throughput(plan, args.latency, kind, args.broker, 1, attach=attach_as(fmt, out))
        print(f"{fmt}: {measurement.case}: {measurement.extra.get('calls_per_second', 0):.1f} calls/s, "
              f"CPU ms per call {measurement.extra.get('cpu_ms_per_call')}")
        if recorders[-1].returncode:
            print(recorders[-1].stderr.read().decode(errors="replace"), file=sys.stderr)
            return 1
    print(f"flame graph: {args.output}\nfolded stacks: {folded}\n")
    _print_summary(folded)
    return 0


def _print_summary(folded: Path) -> None:
    print("samples of the run process (non-idle threads):")
    for name, n, share in summarize(folded):
        print(f"  {share:6.1%}  {n:6d}  {name}")
    print("\nwithin fn_slack's samples, innermost part:")
    for name, share in fn_slack_detail(folded):
        print(f"  {share:6.1%}  {name}")


if __name__ == "__main__":
    sys.exit(main())
