"""The import rules of doc/architecture.md: each part of fn_slack imports only what its place allows."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fn_slack"
FLOWS = {"message_post", "attachment_post", "channel_post", "channel_archive", "mirror", "questions",
         "post_threads"}
SLACK_EDGE = {"slack_utils", "retry", "socket_listener"}
SOAR_EDGE = {"soar"}   # the package fn_slack/lib/soar: every SOAR REST call
SOAR_MODULES = {"rest", "columns", "tables", "links", "mirror_log", "question_rows", "incidents", "files", "org"}
# Inside the SOAR edge: the REST edge and the learned columns under the engine, the declared tables on it.
SOAR_BASE = {"rest", "columns", "tables"}
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


def soar(name: str) -> Path:
    return PACKAGE / "lib" / "soar" / f"{name}.py"


def test_every_lib_module_has_a_place_in_the_picture():
    modules = {p.stem for p in (PACKAGE / "lib").glob("*.py")} - {"__init__"}
    packages = {p.parent.name for p in (PACKAGE / "lib").glob("*/__init__.py")}
    assert modules | packages == FLOWS | SLACK_EDGE | SOAR_EDGE | FORMAT | LEAVES
    assert {p.stem for p in (PACKAGE / "lib" / "soar").glob("*.py")} - {"__init__"} == SOAR_MODULES


@pytest.mark.parametrize("component", sorted((PACKAGE / "components").glob("[a-z]*.py")), ids=lambda p: p.stem)
def test_components_use_only_flows_settings_and_the_result_layout(component):
    assert lib_modules_imported(component) <= FLOWS | {"settings", "results", "invocation"}
    assert not third_party_roots(component) & {"slack_sdk", "resilient", "requests"}


@pytest.mark.parametrize("name", sorted(SLACK_EDGE))
def test_the_slack_edge_knows_nothing_of_soar_or_formatting(name):
    assert not lib_modules_imported(lib(name)) & (SOAR_EDGE | FORMAT | FLOWS)
    assert "resilient" not in third_party_roots(lib(name))


@pytest.mark.parametrize("name", sorted(SOAR_MODULES))
def test_the_soar_edge_knows_nothing_of_slack(name):
    assert not lib_modules_imported(soar(name)) & (SLACK_EDGE | FORMAT | FLOWS)
    assert "slack_sdk" not in third_party_roots(soar(name))


def soar_modules_imported(path: Path) -> set[str]:
    return {name.split(".")[3] for name in imports_of(path) if name.startswith("fn_slack.lib.soar.")}


@pytest.mark.parametrize("name", sorted(SOAR_BASE))
def test_the_engine_and_the_rest_edge_know_no_declared_table(name):
    assert soar_modules_imported(soar(name)) <= SOAR_BASE


@pytest.mark.parametrize("name", sorted(SOAR_MODULES - SOAR_BASE))
def test_only_the_rest_module_handles_dropped_connections(name):
    assert "requests" not in third_party_roots(soar(name))


@pytest.mark.parametrize("path", sorted((PACKAGE / "lib").glob("*.py")), ids=lambda p: p.stem)
def test_no_module_outside_the_soar_edge_calls_soar_rest(path):
    assert not any(name == "resilient" or name.startswith("resilient.") for name in imports_of(path))


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
