"""The docs say what fn_slack 3.0 is: counts, tables and columns as the package's export.res holds them, every
link and anchor resolving the way GitHub renders it, and the settings table naming exactly the [fn_slack] keys
the code reads, with the defaults and ranges the code uses."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from resilient_lib import RequestsCommon

from fn_slack.lib import settings as settings_module
from fn_slack.lib.settings import SlackSettings
from fn_slack.util.customize import RES_FILE

ROOT = Path(__file__).resolve().parents[2]
EXPORT = json.loads(RES_FILE.read_text(encoding="utf-8"))
DATA_TABLE = 8   # type_id of a data table in an export
README = ROOT / "README.md"
GUIDE = ROOT / "doc" / "user-guide.md"
DOCS = [README, *sorted((ROOT / "doc").glob("*.md")), *sorted((ROOT / "sandbox").glob("*/README.md"))]
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12}


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def without_code(markdown: str) -> str:
    """The markdown with fenced code blocks and inline code spans blanked (their text is no heading or link)."""
    markdown = re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", markdown)


def section(markdown: str, heading: str) -> str:
    """The text under the first heading that starts with ``heading``, up to the next heading of its level."""
    match = re.search(rf"^(#+) {re.escape(heading)}.*$", markdown, re.MULTILINE)
    assert match, f"no heading {heading!r}"
    rest = markdown[match.end():]
    end = re.search(rf"^#{{1,{len(match.group(1))}}} ", rest, re.MULTILINE)
    return rest[:end.start()] if end else rest


def table_rows(markdown: str) -> list[list[str]]:
    """The body rows of the markdown tables in ``markdown``, each a list of its stripped cells."""
    rows = []
    for line in (line.strip() for line in markdown.splitlines()):
        if line.startswith("|") and not re.match(r"^\|[\s:|-]+\|$", line):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return [row for row in rows if row and not _is_header(row)]


def _is_header(row: list[str]) -> bool:
    return row[0].strip("*") in ("Function", "Menu item (rule)", "Playbook", "Column", "Column Name", "Key",
                                 "Playbook Name", "Rule Name", "Config")


def plain(cell: str) -> str:
    return re.sub(r"[`*]", "", cell).strip()


# ---------------------------------------------------------------------------------------------- the export
FUNCTIONS = sorted(f["display_name"] for f in EXPORT["functions"])
RULES = sorted(a["name"] for a in EXPORT["actions"])
PLAYBOOKS = sorted(p["display_name"] for p in EXPORT["playbooks"])
MANUAL_PLAYBOOKS = [p for p in EXPORT["playbooks"] if p["activation_type"] == "manual"]
TABLES = {t["type_name"]: t for t in EXPORT["types"] if t["type_id"] == DATA_TABLE}


def columns(table: str) -> list[tuple[str, str, str]]:
    """(display name, api name, type) of each column of a data table, in the table's order."""
    fields = sorted(TABLES[table]["fields"].values(), key=lambda f: f.get("order", 0))
    return [(f["text"], f["name"], f["input_type"]) for f in fields]


EXPECTED_COUNTS = {"function": len(FUNCTIONS), "menu item": len(RULES), "rule": len(RULES),
                   "workflow": len(EXPORT["workflows"]), "playbook": len(PLAYBOOKS),
                   "manual playbook": len(MANUAL_PLAYBOOKS),
                   "automatic playbook": len(PLAYBOOKS) - len(MANUAL_PLAYBOOKS), "data table": len(TABLES)}
COUNT_CLAIM = re.compile(
    r"\b(" + "|".join(NUMBERS) + r"|\d+) (example )?(manual |automatic )?(menu-item rules|menu items|rules|"
    r"workflows|playbooks|functions|data tables|data table(?! row))\b", re.IGNORECASE)
# Words that make a count one of IBM's earlier packages (the migration guide's subject), not of this one.
HISTORY = re.compile(r"IBM|2\.1|2\.x|1\.x|2018|original", re.IGNORECASE)


@pytest.mark.parametrize("doc", [README, GUIDE], ids=lambda p: p.name)
def test_every_count_of_the_package_is_the_exports(doc):
    """"three functions, eight rules and one data table" was 2.x; every such count is 3.0's own."""
    wrong = []
    for paragraph in re.split(r"\n\s*\n", without_code(text_of(doc))):
        for match in COUNT_CLAIM.finditer(paragraph):
            number = match.group(1).lower()
            count = NUMBERS.get(number) or int(number)
            noun = (match.group(3) or "").lower() + match.group(4).lower().removesuffix("s")
            noun = {"menu-item rule": "rule", "menu item": "menu item"}.get(noun, noun).strip()
            if HISTORY.search(paragraph[max(0, match.start() - 80):match.end() + 40]):
                continue
            if count != EXPECTED_COUNTS[noun]:
                wrong.append(f"{match.group(0)!r} (the package has {EXPECTED_COUNTS[noun]})")
    assert wrong == []


def test_the_guide_lists_every_function_menu_item_and_playbook():
    guide = text_of(GUIDE)
    overview = section(guide, "1. Overview").split("\n\n| Data table |")[0]
    assert sorted(plain(row[0]).split(" (")[0] for row in table_rows(overview)) == FUNCTIONS
    menu_items = section(guide, "8.1 The menu items")
    assert sorted(row[0] for row in table_rows(menu_items.split("\n\n| Field |")[0])) == RULES
    playbooks = section(guide, "8.4 The example playbooks")
    assert sorted(plain(row[0]) for row in table_rows(playbooks)) == PLAYBOOKS


def test_the_guide_lists_each_data_tables_columns():
    """Each data table has its section with every column: name, api name and type, in the table's order."""
    guide = text_of(GUIDE)
    for name, table in TABLES.items():
        heading = re.search(rf"^### .*{re.escape(table['display_name'])}.*\(`{name}`\)$", guide, re.MULTILINE)
        assert heading, f"no section for the data table {name}"
        rows = table_rows(section(guide, heading.group(0).lstrip("# ")))
        assert [(row[0], plain(row[1]), plain(row[2])) for row in rows] == columns(name), name


def test_the_readme_holds_every_function_playbook_rule_and_data_table():
    readme = text_of(README)
    assert sorted(re.findall(r"^## Function - (.+)$", readme, re.MULTILINE)) == FUNCTIONS
    assert sorted(re.findall(r"^## Data Table - (.+)$", readme, re.MULTILINE)) == sorted(
        t["display_name"] for t in TABLES.values())
    contents = section(readme, "Table of Contents")
    for heading in re.findall(r"^## (.+)$", readme, re.MULTILINE):
        if heading != "Table of Contents":
            assert f"[{heading}](#{slug(heading)})" in contents, heading
    assert sorted(row[0] for row in table_rows(section(readme, "Playbooks"))) == PLAYBOOKS
    assert sorted(row[0] for row in table_rows(section(readme, "Rules"))) == RULES
    for name, table in TABLES.items():
        part = section(readme, f"Data Table - {table['display_name']}")
        assert f"\n{name}\n" in part
        assert [(row[0], plain(row[1]), plain(row[2])) for row in table_rows(part)] == columns(name), name


# ---------------------------------------------------------------------------------------------- links
def slug(heading: str) -> str:
    """GitHub's anchor of a heading: its text without markup, lower case, punctuation other than - and _
    dropped, each space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[`*]", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found, seen = set(), {}
    for heading in re.findall(r"^#{1,6} (.+?)\s*#*$", without_code(text_of(path)), re.MULTILINE):
        base = slug(heading)
        found.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return found


def links(path: Path) -> list[str]:
    return re.findall(r"\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)", without_code(text_of(path)))


def test_the_slug_rules_are_githubs():
    assert slug("Troubleshooting & Support") == "troubleshooting--support"
    assert slug("Function - Archive Slack Channel") == "function---archive-slack-channel"
    assert slug("7.1 Post message to Slack (`slack_post_message`)") == "71-post-message-to-slack-slack_post_message"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_anchor_and_relative_link_resolves(doc):
    broken = []
    for target in links(doc):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):   # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in anchors(file)):
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_table_row_stands_alone_or_twice(doc):
    """A table row after a blank line, without a header, renders as stray text (migration.md had one, repeating
    a row of the table above it)."""
    lines = without_code(text_of(doc)).splitlines()
    stray = [line for before, line, after in zip(["", *lines[:-1]], lines, [*lines[1:], ""], strict=True)
             if line.startswith("|") and not before.strip() and not re.match(r"^\|[\s:|-]+\|\s*$", after)]
    assert stray == []
    rows = [line for line in lines if line.startswith("| **")]
    assert sorted({row for row in rows if rows.count(row) > 1}) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_doc_points_outside_the_repository(doc):
    """Users have the repository only: no link or path to the maintainers' shared folder."""
    assert not re.search(r"\.\./shared|/work/shared|(?<![\w/-])shared/spec", text_of(doc))


# ---------------------------------------------------------------------------------------------- settings
class Recorder(dict):
    """A section that remembers which keys were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)


def keys_the_code_reads() -> dict[str, object]:
    """Every [fn_slack] key fn_slack reads, with the default it uses (None for "unset", ... for required).

    From the code: the keys fn_slack's modules read from the section (``options.get("…")``, ``_number(options,
    "…", DEFAULT, …)``, ``_flag(options, "…")``, ``"…" in options``), and the keys resilient-lib's RequestsCommon
    reads from it for the proxies and TLS verification."""
    keys: dict[str, object] = {}
    for path in (ROOT / "fn_slack").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                func, first = node.func, node.args[0]
                if (isinstance(func, ast.Attribute) and func.attr == "get" and isinstance(func.value, ast.Name)
                        and func.value.id == "options" and isinstance(first, ast.Constant)):
                    keys.setdefault(first.value, None)
                elif (isinstance(func, ast.Name) and func.id in ("_number", "_flag") and len(node.args) >= 2
                      and isinstance(node.args[1], ast.Constant)):
                    keys[node.args[1].value] = (getattr(settings_module, node.args[2].id)
                                                if func.id == "_number" else False)
            elif (isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant)
                  and isinstance(node.comparators[0], ast.Name) and node.comparators[0].id == "options"):
                keys.setdefault(node.left.value, None)
    section_ = Recorder()
    section_["api_token"] = "xoxb-1-2"   # a section with something in it: RequestsCommon skips an empty one
    rc = RequestsCommon(opts={}, function_opts=section_)
    defaults = SlackSettings.from_app_configs({"api_token": "xoxb-1-2"}, rc.get_proxies(), rc.get_verify())
    for key in sorted(section_.asked):
        keys.setdefault(key, None)
    attribute = {"slack_api_url": "api_url"}   # the settings' name of a key, where it differs
    for key, value in keys.items():
        if hasattr(defaults, attribute.get(key, key)) and type(value) not in (int, float):
            keys[key] = getattr(defaults, attribute.get(key, key))
    keys["api_token"] = ...
    return keys


def shown(value: object) -> str:
    if value is None or value == ():   # an empty list of names is an unset key
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"`{value:g}`"
    return f"`{value}`"


def settings_table() -> dict[str, list[str]]:
    rows = table_rows(section(text_of(GUIDE), "6. app.config reference"))
    return {plain(row[0]): row for row in rows if re.fullmatch(r"`\w+`", row[0])}


def test_the_settings_table_lists_exactly_the_keys_the_code_reads():
    code = keys_the_code_reads()
    assert "http_proxy" in code and "verify" in code and "seal_key" in code   # the reading was found
    assert sorted(settings_table()) == sorted(code)


def test_the_settings_table_gives_the_codes_defaults_and_ranges():
    """Key | Required | Default | Range | Cost | What it is for: the default is the one the code uses, and a
    number's range is the one the code enforces."""
    table = settings_table()
    ranges = {}
    for node in ast.walk(ast.parse((ROOT / "fn_slack" / "lib" / "settings.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_number":
            low, high = (settings_module.__dict__[a.id] if isinstance(a, ast.Name) else a.value
                         for a in node.args[3:5])
            ranges[node.args[1].value] = f"{low:.15g}–{high:.15g}"
    wrong = []
    for key, default in keys_the_code_reads().items():
        row = table[key]
        assert len(row) == 6, f"{key}: the table has the columns Key, Required, Default, Range, Cost, What it is for"
        if default is ... and row[1] != "yes":
            wrong.append(f"{key} is required")
        elif default is not ... and not row[2].startswith(shown(default)):
            wrong.append(f"{key}: default {shown(default)}, the table says {row[2]}")
        if key in ranges and ranges[key] not in row[3]:
            wrong.append(f"{key}: range {ranges[key]}, the table says {row[3]}")
        if not row[4] or not row[5]:
            wrong.append(f"{key}: cost and purpose are empty")
    assert wrong == []


def test_the_migration_guide_names_every_new_key_and_a_rollback_of_the_new_objects():
    migration = text_of(ROOT / "doc" / "migration.md")
    kept = next(row for row in table_rows(section(migration, "What stays the same"))
                if row[0] == "app.config section and keys")
    old_keys = re.findall(r"`(\w+)`", kept[1].split(":", 1)[1])
    new_row = next(row for row in table_rows(section(migration, "What changed, and why"))
                   if "New optional app.config keys" in row[0])
    new_keys = re.findall(r"`(\w+)`", new_row[0])
    assert sorted(new_keys) == sorted(set(keys_the_code_reads()) - set(old_keys))
    rollback = section(migration, "Rolling back")
    for name in TABLES:
        if name != "slack_conversations_db":
            assert name in rollback, name
    new_functions = [f["name"] for f in EXPORT["functions"]
                     if f["name"] not in ("slack_post_message", "slack_post_attachment", "slack_archive_channel")]
    assert all(name in rollback for name in new_functions)
    assert "Example: Ask a Question in Slack" in rollback and "Example: Act on a verified Slack answer" in rollback


# ---------------------------------------------------------------------------------------------- commands
@pytest.mark.parametrize("module", ["sandbox.slack", "sandbox.soar", "bench"])
def test_the_documented_commands_work_and_say_what_is_missing_without_the_venv(module):
    """The guide's `.venv/bin/python -m <module> --help` works; the same command on a Python without the
    development packages (here: this one without its site-packages) ends in one line saying what is missing and
    what to run, not in a ModuleNotFoundError traceback."""
    assert f".venv/bin/python -m {module} --help" in text_of(GUIDE)
    works = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120, check=False)
    assert works.returncode == 0 and "usage:" in works.stdout, works.stderr[-2000:]
    bare = subprocess.run([sys.executable, "-S", "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert bare.returncode == 1
    assert "Traceback" not in bare.stderr and len(bare.stderr.strip().splitlines()) == 1, bare.stderr
    assert "make install" in bare.stderr and f"`.venv/bin/python -m {module} --help`" in bare.stderr
    assert "websockets" in bare.stderr
