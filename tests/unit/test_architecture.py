"""The import rules of doc/architecture.md: each part of fn_slack imports only what its place allows."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fn_slack"
FLOWS = {"message_post", "attachment_post", "channel_post", "channel_archive", "mirror", "questions",
         "post_threads"}
SLACK_EDGE = {"slack_client", "slack_transport", "slack_writes", "slack_uploads", "slack_vocabulary", "slack_memory",
              "retry", "socket_listener"}
SOAR_EDGE = {"conversations_table", "soar_files", "soar_rest", "mirror_soar", "questions_table"}
FORMAT = {"message_format", "history_export", "mrkdwn_to_html", "block_kit"}
LEAVES = {"messages", "errors", "inputs", "settings", "locks", "results", "invocation", "text_conventions"}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, as dotted names."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def lib_modules_imported(path: Path) -> set[str]:
    return {name.split(".")[2] for name in imports_of(path) if name.startswith("fn_slack.lib.")}


def third_party_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imports_of(path)}


def lib(name: str) -> Path:
    return PACKAGE / "lib" / f"{name}.py"


def test_every_lib_module_has_a_place_in_the_picture():
    modules = {p.stem for p in (PACKAGE / "lib").glob("*.py")} - {"__init__"}
    assert modules == FLOWS | SLACK_EDGE | SOAR_EDGE | FORMAT | LEAVES


@pytest.mark.parametrize("component", sorted((PACKAGE / "components").glob("[a-z]*.py")), ids=lambda p: p.stem)
def test_components_use_only_flows_settings_and_the_result_layout(component):
    assert lib_modules_imported(component) <= FLOWS | {"settings", "results", "invocation"}
    assert not third_party_roots(component) & {"slack_sdk", "resilient", "requests"}


@pytest.mark.parametrize("name", sorted(SLACK_EDGE))
def test_the_slack_edge_knows_nothing_of_soar_or_formatting(name):
    assert not lib_modules_imported(lib(name)) & (SOAR_EDGE | FORMAT | FLOWS)
    assert "resilient" not in third_party_roots(lib(name))


@pytest.mark.parametrize("name", sorted(SOAR_EDGE))
def test_the_soar_edge_knows_nothing_of_slack(name):
    assert not lib_modules_imported(lib(name)) & (SLACK_EDGE | FORMAT | FLOWS)
    assert "slack_sdk" not in third_party_roots(lib(name))


@pytest.mark.parametrize("name", sorted(FORMAT))
def test_formatting_does_no_io(name):
    assert not lib_modules_imported(lib(name)) & (SLACK_EDGE | SOAR_EDGE | FLOWS)
    assert not third_party_roots(lib(name)) & {"slack_sdk", "resilient", "requests", "socket", "http"}
    assert not any(imported.startswith("urllib.request") for imported in imports_of(lib(name)))


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_leaves_import_no_flow_and_no_edge(name):
    assert not lib_modules_imported(lib(name)) & (FLOWS | SLACK_EDGE | SOAR_EDGE | FORMAT)


@pytest.mark.parametrize("path", sorted((PACKAGE / "lib").glob("*.py")), ids=lambda p: p.stem)
def test_nothing_in_lib_imports_a_component(path):
    assert not any(name.startswith("fn_slack.components") for name in imports_of(path))


def test_what_the_process_remembers_of_slack_is_a_leaf():
    assert lib_modules_imported(lib("slack_memory")) == set()


MAX_CLASS_LINES = 300


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_class_is_over_300_lines(path):
    classes = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.ClassDef)]
    assert {c.name: c.end_lineno - c.lineno + 1 for c in classes
            if c.end_lineno - c.lineno + 1 > MAX_CLASS_LINES} == {}
