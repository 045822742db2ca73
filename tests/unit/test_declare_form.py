"""The *Declare incident* modal's answers and the channel's name (pure: declare_incident.read_form, channel_name)."""

from __future__ import annotations

from fn_slack.lib.declare_incident import DeclareForm, channel_name, declare_modal, read_form


def values(name: str | None = "Phish", severity: str | None = "High", description: str | None = None) -> dict:
    state = {"declare_name": {"name": {"type": "plain_text_input", "value": name}},
             "declare_description": {"description": {"type": "plain_text_input", "value": description}}}
    option = {"text": {"type": "plain_text", "text": severity}, "value": severity} if severity else None
    state["declare_severity"] = {"severity": {"type": "static_select", "selected_option": option}}
    return state


def test_a_name_is_one_line_without_invisible_characters():
    assert read_form(values(" Phish\u200b at\n HQ ", "Low", " seen at 9:00\n")) == \
        DeclareForm("Phish at HQ", "Low", "seen at 9:00")


def test_each_bad_answer_is_named_under_its_field():
    assert read_form(values("", None, "x" * 3001)) == {
        "declare_name": "Give the incident a name.", "declare_severity": "Pick a severity.",
        "declare_description": "At most 3000 characters, please: this has 3001."}
    assert read_form(values("n" * 201)) == {"declare_name": "At most 200 characters, please: this has 201."}
    assert read_form(values(severity="Critical")) == {"declare_severity": "Pick a severity."}


def test_the_channel_is_named_as_slack_allows():
    assert channel_name(2095, "Phishing at <HQ> & more") == "inc-2095-phishing-at-hq-more"
    assert channel_name(7, "Café – Überfall!") == "inc-7-cafe-uberfall"
    assert channel_name(7, "日本語") == "inc-7"
    long = channel_name(123456, "word " * 40)
    assert len(long) <= 80 and long.startswith("inc-123456-word-") and not long.endswith("-")


def test_the_modal_fits_slacks_limits():
    view = declare_modal()
    assert len(view["title"]["text"]) <= 24 and view["callback_id"] == "declare_incident"
    name, severity, description = (b for b in view["blocks"] if b["type"] == "input")
    assert name["element"]["max_length"] == 200 and description["element"]["max_length"] == 3000
    assert [o["value"] for o in severity["element"]["options"]] == ["Low", "Medium", "High"]
    assert description["optional"] is True and "optional" not in name
