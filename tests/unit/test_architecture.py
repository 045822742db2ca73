"""The import rules of doc/architecture.md: each part of fn_slack imports only what its place allows."""

import ast
import re
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fn_slack"
FLOWS = {"message_post", "attachment_post", "channel_post", "channel_archive", "mirror", "mirror_catch_up",
         "questions", "question_answer", "post_threads", "channel_sync", "channel_reopen", "slack_actions",
         "action_permissions", "artifact_action", "declare_incident"}
SLACK_EDGE = {"slack_client", "slack_transport", "slack_writes", "slack_uploads", "slack_vocabulary", "slack_memory",
              "slack_people", "slack_pace", "retry", "socket_listener", "slack_channel_parts"}
SOAR_EDGE = {"soar"}   # the package fn_slack/lib/soar: every SOAR REST call
SOAR_MODULES = {"rest", "columns", "tables", "links", "mirror_log", "channel_claims", "claimed_notes", "question_rows",
                "incidents", "files", "org", "seals", "routes", "incident_facts", "actors", "artifacts",
                "declared_incidents"}
# Inside the SOAR edge: the REST edge and the learned columns under the engine, the declared tables on it.
SOAR_BASE = {"rest", "columns", "tables"}
FORMAT = {"message_format", "history_export", "mrkdwn_to_html", "block_kit", "event_notes", "route_notes",
          "question_notes", "sync_format", "iocs"}
EVENTS = {"slack_events"}
LEAVES = {"messages", "errors", "inputs", "settings", "locks", "results", "invocation", "text_conventions",
          "people"}


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
    assert modules | packages == FLOWS | SLACK_EDGE | SOAR_EDGE | FORMAT | EVENTS | LEAVES
    assert {p.stem for p in (PACKAGE / "lib" / "soar").glob("*.py")} - {"__init__"} == SOAR_MODULES


@pytest.mark.parametrize("component", sorted((PACKAGE / "components").glob("[a-z]*.py")), ids=lambda p: p.stem)
def test_components_use_only_flows_settings_and_the_result_layout(component):
    assert lib_modules_imported(component) <= FLOWS | {"settings", "results", "invocation"}
    assert not third_party_roots(component) & {"slack_sdk", "resilient", "requests"}


@pytest.mark.parametrize("name", sorted(SLACK_EDGE))
def test_the_slack_edge_knows_nothing_of_soar_or_formatting(name):
    assert not lib_modules_imported(lib(name)) & (SOAR_EDGE | FORMAT | EVENTS | FLOWS)
    assert "resilient" not in third_party_roots(lib(name))


@pytest.mark.parametrize("name", sorted(SOAR_MODULES))
def test_the_soar_edge_knows_nothing_of_slack(name):
    assert not lib_modules_imported(soar(name)) & (SLACK_EDGE | FORMAT | EVENTS | FLOWS)
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


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_the_event_readers_only_read(name):
    """Reading what Slack sent asks nobody: no Slack call, no SOAR, no flow; only the question's block names."""
    assert lib_modules_imported(lib(name)) <= {"block_kit"} | LEAVES
    assert not third_party_roots(lib(name)) & {"slack_sdk", "resilient", "resilient_lib", "requests", "socket",
                                               "http", "urllib"}


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_leaves_import_no_flow_and_no_edge(name):
    assert not lib_modules_imported(lib(name)) & (FLOWS | SLACK_EDGE | SOAR_EDGE | FORMAT | EVENTS)


@pytest.mark.parametrize("path", sorted((PACKAGE / "lib").glob("*.py")), ids=lambda p: p.stem)
def test_nothing_in_lib_imports_a_component(path):
    assert not any(name.startswith("fn_slack.components") for name in imports_of(path))


# ---------------------------------------------------------------- the picture against the code
DOC = PACKAGE.parent / "doc" / "architecture.md"
ARROW = "──▶"


def module_key(path: Path) -> str:
    """A module's name in the picture: its path under fn_slack/ (lib/ left out), dotted, without .py."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts and parts[0] == "lib":
        parts.pop(0)
    return ".".join(parts)


def _package_modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        key = module_key(path)
        if key and (path.name != "__init__.py" or _has_code(path)):
            found[key] = path
    return found


def _has_code(path: Path) -> bool:
    return any(not isinstance(node, ast.Expr) for node in ast.parse(path.read_text(encoding="utf-8")).body)


def _target(dotted: str, known: set[str]) -> str | None:
    """The picture's name for an imported fn_slack module (or a name inside one), if it is one of ours."""
    if not dotted.startswith("fn_slack."):
        return None
    parts = dotted.split(".")[1:]
    if parts and parts[0] == "lib":
        parts = parts[1:]
    while parts:
        key = ".".join(parts)
        if key in known:
            return key
        parts = parts[:-1]
    return None


def code_arrows() -> dict[str, set[str]]:
    """For each module of fn_slack, the fn_slack modules it imports (anywhere in the file)."""
    modules = _package_modules()
    known = set(modules)
    arrows = {}
    for key, path in modules.items():
        package = path.parent
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package
                    for _ in range(node.level - 1):
                        anchor = anchor.parent
                    prefix = ".".join(("fn_slack", *anchor.relative_to(PACKAGE).parts))
                    base = f"{prefix}.{base}" if base else prefix
                names = [f"{base}.{alias.name}" for alias in node.names]
            targets.update(t for t in (_target(n, known) for n in names) if t and t != key)
        arrows[key] = targets
    return arrows


def doc_arrows() -> dict[str, set[str]]:
    """The arrows doc/architecture.md lists under "Every import, module by module" (``name ──▶ a, b``)."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Every import, module by module", 1)[1].split("```", 2)[1]
    arrows = {}
    for line in section.splitlines():
        if ARROW in line:
            name, _, targets = line.partition(ARROW)
            listed = {t.strip() for t in targets.split(",") if t.strip() and t.strip() != "(nothing)"}
            arrows[name.strip()] = listed
    return arrows


def test_the_pictures_arrows_are_the_imports():
    listed, actual = doc_arrows(), code_arrows()
    wrong = {name: (listed.get(name), actual.get(name)) for name in set(listed) | set(actual)
             if listed.get(name) != actual.get(name)}
    assert not wrong, "doc/architecture.md should list:\n" + "\n".join(
        f"{name} {ARROW} {', '.join(sorted(actual.get(name) or ())) or '(nothing)'}"
        f"   (listed: {sorted(listed[name]) if name in listed else 'not listed'})" for name in sorted(wrong))


def test_the_rule_sentences_name_the_tests_sets():
    """Each rule sentence names exactly the modules of the set the test checks it with."""
    text = DOC.read_text(encoding="utf-8")
    rules = {"The Slack edge (": SLACK_EDGE, "The SOAR edge (": SOAR_EDGE, "The format modules (": FORMAT,
             "The leaves (": LEAVES, "The flows (": FLOWS, "The event readers (": EVENTS}
    for opening, members in rules.items():
        assert opening in text, f"doc/architecture.md has no rule starting {opening!r}"
        named = text.split(opening, 1)[1].split(")", 1)[0]
        assert {n.strip().strip("`") for n in named.split(",")} == members, opening


def test_the_docs_name_only_files_that_are_in_the_repository():
    root = PACKAGE.parent
    pattern = re.compile(r"`((?:fn_slack|bench|sandbox|tests|doc|tools|\.ci)/[\w./-]+\.\w+)`")
    missing = [(doc.name, ref) for doc in [root / "README.md", *sorted((root / "doc").glob("*.md"))]
               for ref in pattern.findall(doc.read_text(encoding="utf-8"))
               if not (root / ref).exists() and not _made_by_a_command(root, ref)]
    assert not missing


def _made_by_a_command(root: Path, ref: str) -> bool:
    """A file the docs name as a command's output: git-ignored, so not in a clone until the command ran."""
    return subprocess.run(["git", "-C", str(root), "check-ignore", "-q", ref], check=False).returncode == 0


def test_what_the_process_remembers_of_slack_is_a_leaf():
    assert lib_modules_imported(lib("slack_memory")) == set()


MAX_CLASS_LINES = 300


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_class_is_over_300_lines(path):
    classes = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.ClassDef)]
    assert {c.name: c.end_lineno - c.lineno + 1 for c in classes
            if c.end_lineno - c.lineno + 1 > MAX_CLASS_LINES} == {}
