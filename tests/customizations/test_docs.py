"""The README, the user guide and the Slack app manifest say what the package really contains."""

from __future__ import annotations

import json
import re
from importlib import resources

from fn_slack.util.config import config_section_data
from tools.customizations import build_export

ROOT = build_export.ROOT
README = (ROOT / "README.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "doc" / "user-guide.md").read_text(encoding="utf-8")
EXPORT = json.loads(build_export.EXPORT_PATH.read_text(encoding="utf-8"))

SCOPES = ["channels:read", "groups:read", "channels:manage", "groups:write", "channels:join", "chat:write",
          "chat:write.public", "chat:write.customize", "users:read", "users:read.email", "files:write",
          "files:read", "channels:history", "groups:history", "im:write", "mpim:write", "im:history", "pins:write",
          "bookmarks:write", "bookmarks:read", "commands"]
CONFIG_KEYS = ["api_token", "username", "template_file", "http_proxy", "https_proxy", "slack_api_url", "timeout",
               "write_settle_seconds", "max_rate_limit_wait", "allow_malware_samples", "max_upload_mb", "verify",
               "result_user_info", "allow_insecure_http", "app_token", "event_claim_seconds", "slash_command",
               "actions_roles", "declare_roles", "message_style",
               "question_expiry_minutes", "seal_key"]


def test_readme_opens_with_the_three_command_quick_start():
    first_block = README.split("```", 2)[1]
    assert first_block == (
        "\nmake demo    # runs fn_slack end to end against the local Slack and SOAR sandboxes (needs Python >= 3.11 "
        "as python3)\n"
        "make test    # ruff + the whole test suite\n"
        "make try     # the same sandboxes kept running to click yourself: prints the SOAR page URL and the Slack "
        "view URL\n")
    assert README.index("```") < README.index("## ")


def test_manifest_requests_exactly_the_scopes_fn_slack_needs():
    manifest = (ROOT / "doc" / "slack-app-manifest.yml").read_text(encoding="utf-8")
    bot_block = manifest.split("    bot:\n", 1)[1]
    scopes = re.findall(r"^\s{6}- (\S+)$", bot_block.split("settings:", 1)[0], re.MULTILINE)
    assert scopes == SCOPES
    assert "token_rotation_enabled: false" in manifest
    # the README names the same scopes
    readme_scopes = README.split("#### Permissions", 1)[1].split("`", 2)[1].split()
    assert readme_scopes == SCOPES


def test_readme_and_guide_document_every_config_key():
    readme_keys = re.findall(r"^\| \*\*(\w+)\*\* \|", README, re.MULTILINE)
    assert readme_keys == CONFIG_KEYS
    guide_keys = re.findall(r"^\| `(\w+)`(?:, `(\w+)`)? \|", GUIDE.split("## 6.", 1)[1].split("## 7.", 1)[0],
                            re.MULTILINE)
    assert sorted(k for pair in guide_keys for k in pair if k) == sorted(CONFIG_KEYS)


def test_readme_function_inputs_match_the_export():
    fields = {f["uuid"]: f for f in EXPORT["fields"]}
    for function in EXPORT["functions"]:
        section = README.split(f"## Function - {function['display_name']}\n", 1)[1].split("\n## ", 1)[0]
        rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \| (Yes|No) \| `-` \| (.*) \|$", section, re.MULTILINE)
        expected = sorted((fields[item["content"]]["name"], fields[item["content"]]["input_type"],
                           "Yes" if fields[item["content"]].get("required") == "always" else "No",
                           fields[item["content"]]["tooltip"]) for item in function["view_items"])
        assert sorted(rows) == expected, function["name"]


def test_readme_example_scripts_are_the_shipped_ones():
    scripts = set()
    for workflow in EXPORT["workflows"]:
        settings = json.loads(re.search(r"<resilient:function[^>]*>(.*?)</resilient:function>",
                                        workflow["content"]["xml"]).group(1)
                              .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        scripts |= {settings["pre_processing_script"].strip(), settings["post_processing_script"].strip()}
    for playbook in EXPORT["playbooks"]:  # docgen shows a playbook's scripts when the function has one
        settings = json.loads(re.search(r"<resilient:function[^>]*>(.*?)</resilient:function>",
                                        playbook["content"]["xml"]).group(1)
                              .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        scripts |= {settings["pre_processing_script"].strip(),
                    *(script["script_text"].strip() for script in playbook["local_scripts"])}
    shown = re.findall(r"Example Function (?:Input|Post Process) Script:</summary>\n<p>\n\n```python\n(.*?)```",
                       README, re.DOTALL)
    assert len(shown) == 2 * len(EXPORT["functions"])
    assert all(block.strip() in scripts for block in shown)


def test_readme_rules_table_lists_every_rule_with_its_workflow():
    rows = re.findall(r"^\| (Example: [^|]+) \| (\w+) \| `(\w+)` \|", README, re.MULTILINE)
    assert sorted(rows) == sorted((a["name"], a["object_type"], a["workflows"][0]) for a in EXPORT["actions"])


def test_guide_names_the_selftest_spelling_that_works():
    assert "resilient-circuits selftest -l fn_slack" in GUIDE
    assert "selftest -l fn-slack" not in GUIDE


def _message_texts() -> list[str]:
    """Every message text in fn_slack's code; an f-string's module constants are filled in, other values
    become ``\x00``."""
    import ast  # noqa: PLC0415 - only this test parses source
    import importlib  # noqa: PLC0415

    def value_of(node: ast.FormattedValue, module) -> str:
        spec = "".join(part.value for part in getattr(node.format_spec, "values", []))
        value = node.value
        if isinstance(value, ast.Name) and isinstance(getattr(module, value.id, None), str | int):
            return format(getattr(module, value.id), spec)
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "join"
                and isinstance(value.func.value, ast.Constant) and len(value.args) == 1
                and isinstance(value.args[0], ast.Name)
                and isinstance(getattr(module, value.args[0].id, None), tuple | list)):
            return value.func.value.value.join(getattr(module, value.args[0].id))
        return "\x00"

    texts = []
    for path in (ROOT / "fn_slack").rglob("*.py"):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                texts.append("".join(part.value if isinstance(part, ast.Constant) else value_of(part, module)
                                     for part in node.values))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.append(node.value)
    return texts


def test_troubleshooting_messages_are_the_ones_fn_slack_produces():
    """Each message the guide quotes matches fn_slack's code between its <placeholders> and … cuts."""
    section = GUIDE.split("### 11.5 Error messages", 1)[1].split("### 11.6", 1)[0]
    quoted = [m[1] for m in re.findall(r"^\| (`+) ?(.+?) ?\1 \|", section, re.MULTILINE)]
    assert len(quoted) >= 25
    texts = _message_texts()
    missing = []
    for message in quoted:
        for piece in re.split(r"<[^>]+>|…", message):
            fragment = piece.strip(" .")
            if len(fragment) >= 12 and not any(fragment in text for text in texts):
                missing.append(fragment)
    assert missing == []


def test_the_slack_sandbox_models_the_app_the_manifest_creates():
    """The sandbox's default bot token has exactly the manifest's scopes, so every test and the demo run
    with the permissions a real installation has."""
    from sandbox.slack.workspace import DEFAULT_BOT_SCOPES  # noqa: PLC0415

    assert sorted(DEFAULT_BOT_SCOPES) == sorted(SCOPES)


def test_the_slack_sandbox_offers_the_commands_and_shortcuts_the_manifest_registers():
    """The sandbox's page offers a person the app's slash commands and shortcuts: those the manifest creates."""
    from sandbox.slack.app_actions import DEFAULT_COMMANDS, DEFAULT_SHORTCUTS  # noqa: PLC0415

    manifest = (ROOT / "doc" / "slack-app-manifest.yml").read_text(encoding="utf-8")
    commands = re.findall(r"^\s{4}- command: (\S+)$", manifest, re.MULTILINE)
    shortcuts = [{"name": name.strip('"'), "type": kind, "callback_id": callback, "description": about.strip('"')}
                 for name, kind, callback, about in re.findall(
                     r"^\s{4}- name: (.+)\n\s{6}type: (\w+)\n\s{6}callback_id: (\S+)\n\s{6}description: (.+)$",
                     manifest, re.MULTILINE)]
    assert sorted(DEFAULT_COMMANDS) == sorted(commands)
    assert list(DEFAULT_SHORTCUTS) == shortcuts


def test_the_manifest_the_generated_config_names_ships_in_the_package_and_matches_the_docs():
    [named] = re.findall(r"fn_slack/data/[\w.-]+\.yml", config_section_data())
    packaged = resources.files("fn_slack").joinpath(named.removeprefix("fn_slack/"))
    assert packaged.is_file()
    assert packaged.read_text(encoding="utf-8") == (ROOT / "doc" / "slack-app-manifest.yml").read_text(encoding="utf-8")
    assert "doc/" not in config_section_data()  # an installed package has no doc folder


def test_the_guide_points_only_to_files_that_exist():
    for path in re.findall(r"`((?:icons|doc|fn_slack)/[\w./-]+)`", GUIDE):
        assert (ROOT / path).exists(), path
