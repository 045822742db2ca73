"""The sandbox's read-only HTML view: channels and messages rendered as Slack shows them, fetched over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from bs4 import BeautifulSoup, Tag
from slack_sdk import WebClient

from fn_slack.lib.message_format import render_message
from sandbox.slack import SlackSandbox

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(document.cookie)>'


def fetch(sb: SlackSandbox, path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{sb.port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def page(sb: SlackSandbox, path: str) -> BeautifulSoup:
    status, headers, body = fetch(sb, path)
    assert status == 200, body[:500]
    assert headers["Content-Type"].startswith("text/html")
    return BeautifulSoup(body.decode("utf-8"), "html.parser")


def channel_page(sb: SlackSandbox, channel_id: str) -> BeautifulSoup:
    return page(sb, f"/_sandbox/channels/{channel_id}")


def messages(soup: BeautifulSoup) -> list[Tag]:
    """Top-level message elements, oldest first."""
    return [m for m in soup.select("div.msg") if "reply" not in m["class"]]


def own_text(msg: Tag) -> Tag:
    return msg.find("div", class_="text")


@pytest.fixture(autouse=True)
def _as_sent(sb: SlackSandbox) -> None:
    """These tests show text as posted and count messages: Slack's rewriting and join messages are off here
    (test_realism.py covers them)."""
    sb.set_realism(join_messages=False, rewrite_text=False)


# ----- index -------------------------------------------------------------------------------------------------

def test_index_lists_every_channel_with_badges_members_and_message_counts(sb: SlackSandbox) -> None:
    general = sb.channel("general")["id"]
    secret = sb.add_channel("incident-7-secret", is_private=True, members=["alice", "bob"])
    old = sb.add_channel("incident-1", members=["carol"], archived=True)
    sb.add_message(general, "alice", "one")
    parent = sb.add_message(general, "bob", "two")
    sb.add_message(general, "carol", "reply", thread_ts=parent)

    soup = page(sb, "/_sandbox/")

    assert soup.select_one("nav .team").get_text() == "sandbox"
    rows = {row.select_one("a").get_text(): row for row in soup.select("tbody tr")}
    assert list(rows) == ["#general", "partners", "incident-7-secret", "#incident-1"]

    def cells(name: str) -> list[str]:
        return [td.get_text(" ", strip=True) for td in rows[name].find_all("td")]

    assert cells("#general")[1:5] == ["public general", "3", "2", "1"]
    assert cells("incident-7-secret")[1:4] == ["private", "2", "0"]
    assert cells("#incident-1")[1:3] == ["public archived", "1"]
    assert rows["#incident-1"].select_one("a")["href"] == f"/_sandbox/channels/{old}"
    assert rows["incident-7-secret"].select_one("a")["href"] == f"/_sandbox/channels/{secret}"
    assert rows["incident-7-secret"].select_one("a .lock") is not None
    assert rows["#general"].select_one("a .lock") is None


def test_bare_prefix_redirects_to_the_index(sb: SlackSandbox) -> None:
    status, headers, _ = fetch(sb, "/_sandbox")
    # urllib follows the redirect: the index is what the reader lands on.
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")


def test_json_endpoints_still_answer_json(sb: SlackSandbox) -> None:
    status, headers, body = fetch(sb, "/_sandbox/state")
    assert status == 200
    assert json.loads(body)["team"]["name"] == "sandbox"


# ----- messages ----------------------------------------------------------------------------------------------

def test_channel_page_renders_slack_mrkdwn(sb: SlackSandbox, client: WebClient) -> None:
    alice = sb.user("alice")["id"]
    general = sb.channel("general")["id"]
    cid = client.conversations_create(name="incident-2095")["channel"]["id"]
    client.chat_postMessage(channel=cid, text=(
        f"*Severity high* _check_ ~old~ `grep -r x` <https://soar.example.com/#incidents/2095?a=1&amp;b=2|Open it> "
        f"<@{alice}> <#{general}|general> <!here> since <!date^1700000000^{{date_num}} {{time_secs}}|whenever> "
        "&lt;!channel&gt; snake_case_name 2*3*4 (see https://wiki.example.com/a_b?x=1&amp;y=2&gt;).\n"
        "&gt; quoted *words*\n>second quote\n"
        "```line 1\n  *not bold*```"))

    soup = channel_page(sb, cid)
    text = own_text(messages(soup)[0])

    assert [b.get_text() for b in text.find_all("b")] == ["Severity high", "words"]
    assert [i.get_text() for i in text.find_all("i")] == ["check"]
    assert [s.get_text() for s in text.find_all("s")] == ["old"]
    assert text.find("code").get_text() == "grep -r x"
    link = text.find("a", string="Open it")
    assert link["href"] == "https://soar.example.com/#incidents/2095?a=1&b=2"
    mentions = [m.get_text() for m in text.select(".mention")]
    assert mentions == ["@Alice", "#general", "@here"]
    assert text.find("a", string="#general")["href"] == f"/_sandbox/channels/{general}"
    assert text.find("time", class_="date").get_text() == "2023-11-14 22:13:20 UTC"
    plain = text.get_text()
    assert "<!channel>" in plain  # escaped by the poster: shown literally, not as a mention
    assert "snake_case_name 2*3*4" in plain
    bare = text.find("a", string="https://wiki.example.com/a_b?x=1&y=2")
    assert bare["href"] == "https://wiki.example.com/a_b?x=1&y=2"
    assert "https://wiki.example.com/a_b?x=1&y=2>)." in plain
    assert text.find("pre").get_text() == "line 1\n  *not bold*"
    quotes = text.select(".quote")
    assert [q.get_text() for q in quotes] == ["quoted words", "second quote"]
    assert quotes[0].find("b").get_text() == "words"


def test_people_show_their_display_name_and_apps_their_username_with_an_app_badge(
        sb: SlackSandbox, client: WebClient) -> None:
    general = sb.channel("general")["id"]
    sb.add_message(general, "bob", "from a person")
    client.chat_postMessage(channel=general, text="from the app", username="IBM SOAR")
    client.chat_postMessage(channel=general, text="from the app, no username")

    first, second, third = messages(channel_page(sb, general))

    assert first.select_one(".author").get_text() == "Bob"
    assert first.select_one(".badge.app") is None
    assert second.select_one(".author").get_text() == "IBM SOAR"
    assert second.select_one(".badge.app").get_text() == "APP"
    assert third.select_one(".author").get_text() == "SOAR"   # the app's name, as the manifest sets it
    assert third.select_one(".badge.app") is not None
    time = first.select_one(".time time")
    assert time["title"].endswith(" UTC")
    assert time.get_text().count(":") == 1  # hours:minutes, as Slack shows a message's time


def test_incident_post_from_fn_slack_shows_the_analysts_text_then_colour_bar_title_and_fields(
        sb: SlackSandbox, client: WebClient) -> None:
    container = json.dumps({
        "Additional Text": {"type": "string", "data": "Please look at this *now*"},
        "Type of data": {"type": "string", "data": "Incident"},
        "SOAR URL": {"type": "incident", "data": 2095},
        "Name": {"type": "string", "data": "Phishing <b>mail</b> & more"},
        "Created": {"type": "datetime", "data": 1700000000000},
        "Confirmed": {"type": "boolean", "data": True},
    })
    message = render_message(container, lambda inc, task: f"https://soar.example.com/#incidents/{inc}")
    general = sb.channel("general")["id"]
    client.chat_postMessage(channel=general, text=message.text, attachments=message.attachments)

    msg = messages(channel_page(sb, general))[0]

    own_text = [div for div in msg.select(".text") if div.find_parent(class_="attachment") is None]
    assert own_text[0].get_text() == "Please look at this now"
    assert own_text[0].find("b").get_text() == "now"
    assert msg.select_one(".pretext") is None  # shown once, not again above the attachment
    attachment = msg.select_one(".attachment")
    assert "border-left-color:#36a64f" in attachment["style"]
    title = attachment.select_one(".att-title a")
    assert title.get_text() == "SOAR Incident"
    assert title["href"] == "https://soar.example.com/#incidents/2095"
    body = attachment.select_one(".text")
    assert [b.get_text() for b in body.find_all("b")] == ["Name", "Created", "Confirmed"]
    assert "Phishing <b>mail</b> & more" in body.get_text()
    assert body.find("time", class_="date").get_text() == "2023-11-14 22:13:20 UTC"


def test_attachment_fields_and_named_colours(sb: SlackSandbox, client: WebClient) -> None:
    general = sb.channel("general")["id"]
    client.chat_postMessage(channel=general, text="fields", attachments=[
        {"color": "warning", "fields": [{"title": "Owner", "value": "*Bob*", "short": True},
                                        {"title": "Notes", "value": "long", "short": False}],
         "mrkdwn_in": ["fields"]},
        {"color": "c0ffee", "text": "*not formatted*", "mrkdwn_in": []},
    ])

    first, second = messages(channel_page(sb, general))[0].select(".attachment")

    assert "border-left-color:#daa038" in first["style"]
    fields = first.select(".field")
    assert [f.select_one(".field-title").get_text() for f in fields] == ["Owner", "Notes"]
    assert "short" in fields[0]["class"]
    assert "short" not in fields[1]["class"]
    assert fields[0].find("b").get_text() == "Bob"
    assert "border-left-color:#c0ffee" in second["style"]
    assert second.select_one(".text").get_text() == "*not formatted*"


def test_date_tokens_in_other_formats_and_a_bad_one_falls_back(sb: SlackSandbox) -> None:
    general = sb.channel("general")["id"]
    sb.add_message(general, "alice", "<!date^1700000000^{date_long} at {time}|x> / "
                                     "<!date^1700000000^{date_short}|y> / <!date^soon^{date}|the fallback>")
    text = own_text(messages(channel_page(sb, general))[0])
    dates = [t.get_text() for t in text.find_all("time", class_="date")]
    assert dates == ["Tuesday, November 14th, 2023 at 22:13 UTC", "Nov 14, 2023"]
    assert text.get_text().endswith("/ the fallback")


def test_thread_replies_are_counted_under_the_parent_and_shown_indented_in_order(
        sb: SlackSandbox, client: WebClient) -> None:
    general = sb.channel("general")["id"]
    parent = client.chat_postMessage(channel=general, text="parent")["ts"]
    client.chat_postMessage(channel=general, text="first reply", thread_ts=parent)
    sb.add_message(general, "carol", "second reply", thread_ts=parent)
    client.chat_postMessage(channel=general, text="after the thread")

    soup = channel_page(sb, general)
    top = messages(soup)

    assert [own_text(m).get_text() for m in top] == ["parent", "after the thread"]
    assert top[0].select_one(".thread-summary").get_text().startswith("2 replies")
    replies = top[0].select(".thread .msg.reply")
    assert [own_text(r).get_text() for r in replies] == ["first reply", "second reply"]
    assert replies[1].select_one(".author").get_text() == "Carol"
    assert top[1].select_one(".thread-summary") is None


def test_files_show_title_name_size_and_permalink_and_download_as_attachments(
        sb: SlackSandbox, client: WebClient) -> None:
    cid = client.conversations_create(name="incident-3")["channel"]["id"]
    upload = client.files_upload_v2(channel=cid, content="a,b\n1,2\n", filename="iocs.csv", title="IOC list",
                                    initial_comment="the IOCs")
    file_id = upload["files"][0]["id"] if "files" in upload.data else upload["file"]["id"]

    msg = messages(channel_page(sb, cid))[0]

    assert own_text(msg).get_text() == "the IOCs"
    card = msg.select_one(".file")
    title = card.select_one(".file-title a")
    assert title.get_text() == "IOC list"
    assert title["href"] == sb.file(file_id)["permalink"]
    meta = card.select_one(".file-meta").get_text()
    assert meta.startswith("iocs.csv · 8 B · CSV")
    status, headers, body = fetch(sb, card.find("a", string="download")["href"])
    assert status == 200
    assert body == b"a,b\n1,2\n"
    assert headers["Content-Disposition"] == 'attachment; filename="iocs.csv"'
    assert headers["Content-Type"] == "application/octet-stream"


# ----- hostile data ------------------------------------------------------------------------------------------

def _assert_inert(soup: BeautifulSoup) -> None:
    assert soup.find_all(["script", "img", "iframe", "object", "embed", "svg"]) == []
    # The only forms are the page's own: the person picker (a GET) and actions posted with the CSRF token.
    for form in soup.find_all("form"):
        assert form["action"].startswith("/_sandbox/"), form
        if form["method"] == "post":
            assert form["action"].startswith("/_sandbox/actions/"), form
            assert form.select_one('input[type="hidden"][name="csrf"]') is not None, form
        else:
            assert form["method"] == "get" and form.has_attr("data-person"), form
    for tag in soup.find_all(True):
        assert not [attr for attr in tag.attrs if attr.lower().startswith("on")], tag
        for attr in ("href", "src"):
            value = str(tag.get(attr, "")).strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), tag


def test_hostile_text_everywhere_is_shown_escaped_and_never_becomes_markup(
        sb: SlackSandbox, client: WebClient) -> None:
    hostile = f"{HOSTILE_SCRIPT} {HOSTILE_IMG}"
    cid = sb.add_channel(f"evil-{HOSTILE_IMG}", members=["bot"])
    client.chat_postMessage(channel=cid, text=hostile, username=HOSTILE_SCRIPT)
    client.chat_postMessage(channel=cid, text=f"<javascript:alert(1)|click me> *{HOSTILE_IMG}*", attachments=[{
        "color": "red;background:url(https://evil.example/x)", "pretext": hostile, "title": hostile,
        "title_link": "javascript:alert(1)", "text": hostile, "footer": hostile,
        "fields": [{"title": hostile, "value": hostile, "short": True}]}])
    sb.add_message(cid, "alice", f"<@{HOSTILE_IMG}> <#{HOSTILE_IMG}> `{HOSTILE_SCRIPT}`",
                   files=[{"name": f"{HOSTILE_IMG}.html", "title": hostile, "content": HOSTILE_SCRIPT}])

    status, headers, body = fetch(sb, f"/_sandbox/channels/{cid}")
    assert status == 200
    raw = body.decode("utf-8")
    assert HOSTILE_SCRIPT not in raw
    assert "<img" not in raw
    soup = BeautifulSoup(raw, "html.parser")
    _assert_inert(soup)

    first, second, third = messages(soup)
    assert first.select_one(".author").get_text() == HOSTILE_SCRIPT
    assert own_text(first).get_text() == hostile
    assert own_text(second).get_text() == f"click me {HOSTILE_IMG}"
    assert own_text(second).find("a") is None
    attachment = second.select_one(".attachment")
    assert attachment["style"] == "border-left-color:#dddddd"
    assert attachment.select_one(".att-title").get_text() == hostile
    assert attachment.select_one(".att-title a") is None
    assert second.select_one(".pretext").get_text() == hostile
    assert attachment.select_one(".field-title").get_text() == hostile
    assert own_text(third).select_one("code").get_text() == HOSTILE_SCRIPT
    assert third.select_one(".file-title").get_text() == hostile
    assert soup.select_one("h1").get_text() == f"#evil-{HOSTILE_IMG}"

    index = page(sb, "/_sandbox/")
    _assert_inert(index)
    assert f"#evil-{HOSTILE_IMG}" in [a.get_text() for a in index.select("tbody a")]
    # The browser is told to run nothing even if escaping ever failed.
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "script-src" not in headers["Content-Security-Policy"]


def test_hostile_channel_id_from_a_workspace_file_stays_inside_its_link(sb: SlackSandbox) -> None:
    sb.reset({"channels": [{"name": "odd", "id": 'C1"><b>x</b>', "members": ["alice"]}]})
    index = page(sb, "/_sandbox/")
    link = index.select_one("tbody a")
    assert link["href"] == "/_sandbox/channels/C1%22%3E%3Cb%3Ex%3C%2Fb%3E"
    assert index.select("tbody b") == []
    assert channel_page(sb, 'C1%22%3E%3Cb%3Ex%3C%2Fb%3E').select_one("h1").get_text() == "#odd"


# ----- channel states and errors ---------------------------------------------------------------------------------

def test_archived_and_private_channels_are_badged(sb: SlackSandbox, client: WebClient) -> None:
    cid = client.conversations_create(name="incident-9", is_private=True)["channel"]["id"]
    client.chat_postMessage(channel=cid, text="closing")
    client.conversations_archive(channel=cid)

    soup = channel_page(sb, cid)

    badges = [b.get_text() for b in soup.select(".channel-head .badge")]
    assert badges == ["private", "archived"]
    assert "archived" in soup.select_one(".archived-note").get_text()
    assert own_text(messages(soup)[0]).get_text() == "closing"
    assert "archived" in soup.select_one("nav a.current")["class"]


def test_unknown_channel_file_and_page_answer_404(sb: SlackSandbox) -> None:
    for path in ("/_sandbox/channels/C0NOPE", "/_sandbox/files/F0NOPE", "/_sandbox/nothing",
                 "/_sandbox/channels/", f"/_sandbox/channels/{sb.channel('general')['id']}/more"):
        status, headers, body = fetch(sb, path)
        assert status == 404, path
        assert headers["Content-Type"].startswith("text/html")
        assert "Not found" in body.decode("utf-8")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_pages_are_read_only(sb: SlackSandbox, method: str) -> None:
    general = sb.channel("general")["id"]
    status, headers, _ = fetch(sb, f"/_sandbox/channels/{general}", method=method)
    assert status == 405
    assert headers["Allow"] == "GET, HEAD"
    assert sb.messages(general) == []


def test_pages_hold_no_scripts_or_external_assets_and_nobody_gets_only_the_person_picker(
        sb: SlackSandbox, client: WebClient) -> None:
    general = sb.channel("general")["id"]
    client.chat_postMessage(channel=general, text="hello <https://example.com|there>")
    for soup in (page(sb, "/_sandbox/"), channel_page(sb, general)):
        assert soup.find_all(["script", "link", "img"]) == []
        assert soup.find("style") is not None
        # Nobody is chosen: the one form is the person picker, which changes nothing in the workspace.
        assert [form.has_attr("data-person") for form in soup.find_all("form")] == [True]
        assert soup.select_one("[data-current-person]")["data-current-person"] == "nobody"


def test_a_channel_name_in_the_address_leads_to_the_channel_page(sb: SlackSandbox) -> None:
    general = sb.channel("general")["id"]
    sb.add_message(general, "alice", "hello")
    soup = page(sb, "/_sandbox/channels/general")  # urllib follows the redirect to the id page
    assert soup.select_one("nav a.current")["href"] == f"/_sandbox/channels/{general}"
    assert own_text(messages(soup)[0]).get_text() == "hello"


def test_head_answers_like_get_without_a_body(sb: SlackSandbox) -> None:
    status, headers, body = fetch(sb, "/_sandbox/", method="HEAD")
    assert status == 200
    assert int(headers["Content-Length"]) > 0
    assert body == b""


def test_broadcast_and_user_group_mentions_and_blocks(sb: SlackSandbox, client: WebClient) -> None:
    sb.reset({"usergroups": [{"id": "S0IRTEAM01", "handle": "ir-team", "users": ["alice", "bob"]}]})
    general = sb.channel("general")["id"]
    sb.add_message(general, "alice", "<!channel> and <!everyone|everyone> and <!subteam^S0IRTEAM01|@ir-team>, "
                                     "<!subteam^S0GONE|@old-team>")
    client.chat_postMessage(channel=general, text="fallback text, not shown", blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": "Incident *2095*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Severity*: <https://soar.example.com|High>"},
         "fields": [{"type": "mrkdwn", "text": "_Owner_"}, {"type": "plain_text", "text": "Bob"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "posted by SOAR"}]},
    ])

    first, second = messages(channel_page(sb, general))

    assert [m.get_text() for m in own_text(first).select(".mention")] == [
        "@channel", "@everyone", "@ir-team", "@old-team"]
    assert len(own_text(first).select(".mention.broadcast")) == 2
    body = second.select_one(".msg-body")
    assert "fallback text" not in body.get_text()
    assert body.select_one(".block-header").get_text() == "Incident *2095*"
    assert body.select_one(".text b").get_text() == "Severity"
    assert body.select_one(".text a")["href"] == "https://soar.example.com"
    assert [f.get_text() for f in body.select(".fields .field")] == ["Owner", "Bob"]
    assert body.select_one(".fields i").get_text() == "Owner"
    assert body.find("hr") is not None
    assert body.select_one(".context").get_text() == "posted by SOAR"


def test_known_emoji_shortcodes_are_drawn_as_slack_draws_them_others_stay_as_typed(
        sb: SlackSandbox, client: WebClient) -> None:
    general = sb.channel("general")["id"]
    sb.add_message(general, "alice", ":white_check_mark: done :hourglass: :not_an_emoji: `:x:`")
    client.chat_postMessage(channel=general, text="fallback", blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": ":rotating_light: Incident"}},
        {"type": "header", "text": {"type": "plain_text", "text": ":rotating_light: as typed", "emoji": False}}])

    first, second = messages(channel_page(sb, general))

    assert own_text(first).get_text() == "\u2705 done \u231b :not_an_emoji: :x:"
    headers = [h.get_text() for h in second.select(".block-header")]
    assert headers == ["\U0001f6a8 Incident", ":rotating_light: as typed"]

