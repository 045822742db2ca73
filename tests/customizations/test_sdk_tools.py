"""resilient-sdk accepts the package: validate finds nothing critical, package builds the App Host zip, and
codegen reads export.res back without losing anything.

Each tool runs offline on a copy of the working tree, so nothing in the repository is written.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tools.customizations import build_export

ROOT = build_export.ROOT
EXPORT = json.loads(build_export.EXPORT_PATH.read_text(encoding="utf-8"))
SKIP_DIRS = {".git", ".venv", "dist", "build", "__pycache__", ".pytest_cache", ".ruff_cache", "demo-run",
             "fn_slack.egg-info"}


def sdk_executable() -> str:
    found = shutil.which("resilient-sdk", path=str(Path(sys.executable).parent)) or shutil.which("resilient-sdk")
    assert found, "resilient-sdk is not installed (requirements-dev.txt)"
    return found


@pytest.fixture(scope="module")
def sdk_env(tmp_path_factory) -> dict[str, str]:
    """Environment for the SDK: offline, and with its "latest version on PyPI" check answered from cache.

    Every resilient-sdk command first asks pypi.org for its latest version unless a cache file in the temp
    directory is less than three days old; a private temp directory with a fresh cache keeps the tests off
    the network.
    """
    tmp = tmp_path_factory.mktemp("sdk-tmp")
    (tmp / "resilient_sdk").mkdir()
    (tmp / "resilient_sdk" / "latest_pypi_version.json").write_text(
        json.dumps({"ts": int(time.time()), "version": importlib.metadata.version("resilient-sdk")}))
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(TMPDIR=str(tmp), PIP_NO_INDEX="1")  # PIP_NO_INDEX: prove that nothing is downloaded
    # docgen picks each function's example playbook scripts in set order, which follows Python's hash seed:
    # a fixed seed makes its README the same on every run (the README's sections are generated with it too).
    env["PYTHONHASHSEED"] = "0"
    # docgen shows, per function, the scripts of one playbook calling it, taken from a set of playbook names:
    # a fixed hash seed makes that choice, and so README's function sections, reproducible.
    env["PYTHONHASHSEED"] = "0"
    return env


def run_sdk(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sdk_executable(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory) -> Path:
    """A copy of the working tree: the SDK tools write dist/ and reports next to the package."""
    target = tmp_path_factory.mktemp("sdk") / "fn_slack"
    shutil.copytree(ROOT, target, ignore=lambda _dir, names: [n for n in names if n in SKIP_DIRS])
    return target


@pytest.fixture(scope="module")
def validate_report(package_copy, sdk_env) -> str:
    result = run_sdk("validate", "-p", str(package_copy), "--validate", cwd=package_copy, env=sdk_env)
    report = package_copy / "dist" / "validate_report.md"
    assert report.is_file(), f"validate wrote no report:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return report.read_text(encoding="utf-8")


def test_validate_reports_no_critical_issue(validate_report):
    counts = re.search(r"Critical Issues:\s*\|\s*<span[^>]*>\s*(\d+)\s*</span>", validate_report)
    assert counts, "the validate report has no results table"
    findings = re.findall(r'<span style="color:\w+">(CRITICAL|ERROR)</span>:?\s*(.*)', validate_report)
    assert (int(counts.group(1)), findings) == (0, [])


def test_validate_checked_customize_scripts_payloads_and_icons(validate_report):
    """The checks that matter for this package ran and passed (not skipped for a missing file)."""
    sections = dict(re.findall(r"^###\s+`+([^`]+)`+\s*\n<span[^>]*>(\w+)</span>", validate_report, re.MULTILINE))
    expected = ["customize.py", "SOAR Scripts", "config.py", "apikey_permissions.txt", "Dockerfile, template match",
                "Dockerfile, base image", "README.md", "app_logo.png", "company_logo.png",
                *(f"payload_samples/{f['name']}" for f in EXPORT["functions"])]
    assert {name: sections.get(name) for name in expected} == dict.fromkeys(expected, "Pass")


# `resilient-sdk package` builds the sdist with `python -m build`, whose isolated build environment pip fills
# from the package index. The tests run offline, so the same build runs without isolation, against the
# setuptools of the current environment; everything else is the SDK's own package command.
OFFLINE_PACKAGE = """
import os, subprocess, sys
from resilient_sdk.cmds.ext import ext_package
from resilient_sdk.app import main

def run_setup_script(path_setup_py_file):
    folder = os.path.dirname(path_setup_py_file)
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir",
                    os.path.join(folder, "dist")], cwd=folder, check=True)

ext_package.run_setup_script = run_setup_script
sys.argv = ["resilient-sdk", "package", "-p", sys.argv[1]]
sys.exit(main())
"""


def test_package_builds_the_app_host_zip(package_copy, validate_report, sdk_env):
    result = subprocess.run([sys.executable, "-c", OFFLINE_PACKAGE, str(package_copy)], cwd=package_copy,
                            env=sdk_env, capture_output=True, text=True, timeout=120, check=False)
    zips = list((package_copy / "dist").glob("app-fn_slack-*.zip"))
    assert zips, f"no App Host zip:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

    with zipfile.ZipFile(zips[0]) as app:
        names = set(app.namelist())
        assert {"app.json", "export.res"} <= names
        assert any(re.fullmatch(r"fn_slack-[\d.]+\.tar\.gz", name) for name in names)
        app_json = json.loads(app.read("app.json"))
        packaged_export = json.loads(app.read("export.res"))
    executable = app_json["current_installation"]["executables"][0]
    assert {"read_data", "read_function"} <= set(executable["permission_handles"])
    assert app_json["minimum_resilient_version"]["version"] == EXPORT["server_version"]["version"]
    assert sorted(f["name"] for f in packaged_export["functions"]) == \
        ["slack_archive_channel", "slack_ask_question", "slack_post_attachment", "slack_post_message",
         "slack_question_answer", "slack_sync_channel"]


def test_codegen_reads_the_export_back_without_losing_anything(tmp_path, sdk_env):
    workflows = [w["programmatic_name"] for w in EXPORT["workflows"]]
    rules = [a["name"] for a in EXPORT["actions"]]
    functions = [f["name"] for f in EXPORT["functions"]]
    result = run_sdk("codegen", "-p", "fn_slack", "-e", str(build_export.EXPORT_PATH), "-m", "slack",
                     "-f", *functions, "-w", *workflows, "-r", *rules,
                     "-d", "slack_conversations_db", "slack_messages_db", "slack_questions_db",
                     "-fd", "slack_mirror_channels",
                     cwd=tmp_path, env=sdk_env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    generated = tmp_path / "fn_slack"
    for name in functions:
        assert (generated / "fn_slack" / "components" / f"funct_{name}.py").is_file()
        assert (generated / "payload_samples" / name).is_dir()
    for name in workflows:
        text = (generated / "data" / f"wf_{name}.md").read_text(encoding="utf-8")
        # codegen found the function each workflow calls, and the scripts came through intact
        assert "## Function - " in text and "inputs.incident_id = incident.id" in text
    minified = json.loads((generated / "fn_slack" / "util" / "data" / "export.res").read_text(encoding="utf-8"))
    for key in ("actions", "fields", "functions", "message_destinations", "types", "workflows"):
        assert minified[key] == EXPORT[key], f"codegen changed {key}"


def _function_sections(readme: str) -> list[str]:
    """The README's function sections, without docgen's placeholders and blank lines outside code blocks."""
    body = readme[readme.index("## Function - "):readme.index("## Custom Layouts")]
    kept, in_code = [], False
    for line in body.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if "::CHANGE_ME::" in line or (not in_code and not line.strip()) or (not in_code and line == "---"):
            continue
        kept.append(line)
    return kept


def test_readme_function_sections_are_what_docgen_generates(package_copy, sdk_env):
    result = run_sdk("docgen", "-p", str(package_copy), cwd=package_copy, env=sdk_env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    generated = (package_copy / "README.md").read_text(encoding="utf-8")

    ours = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _function_sections(ours) == _function_sections(generated), \
        "README's function sections are stale: paste them from `PYTHONHASHSEED=0 resilient-sdk docgen -p .` output"


def test_build_runs_without_setuptools_warnings_and_ships_the_data_files(package_copy, tmp_path, sdk_env):
    """What `pip install` builds: no warnings that read like failures, and every file the package reads or names.

    (setuptools' own build command, offline: the wheel is these files zipped.)"""
    result = subprocess.run([sys.executable, "setup.py", "build", "--build-base", str(tmp_path)], cwd=package_copy,
                            env=sdk_env, capture_output=True, text=True, timeout=180, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    for warning in ("Unknown distribution option", "Package would be ignored", "is absent from the `packages`"):
        assert warning not in output, output[-3000:]
    built = tmp_path / "lib"
    for name in ("fn_slack/util/data/export.res", "fn_slack/data/templates/history_export.jinja2",
                 "fn_slack/data/slack-app-manifest.yml"):
        assert (built / name).is_file(), name
    assert not list(built.rglob("__pycache__"))
    # The manifest the generated app.config points to is the one the docs show.
    assert (built / "fn_slack/data/slack-app-manifest.yml").read_bytes() == \
        (ROOT / "doc" / "slack-app-manifest.yml").read_bytes()
