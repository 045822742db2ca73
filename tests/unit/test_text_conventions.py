"""The one Slack-entity unescape and the one UTC time formatter every part of fn_slack uses."""

from fn_slack.lib.slack_writes import PostMark, is_this_post
from fn_slack.lib.text_conventions import TimeFormat, slack_unescape, utc_time

ALICE = "U0ALICE"


def test_only_slack_s_three_entities_are_undone():
    assert slack_unescape("Q&amp;A &lt;draft&gt; &amp;lt;kept&amp;gt;") == "Q&A <draft> &lt;kept&gt;"
    assert slack_unescape("&quot;quoted&quot; &copy; &#39;") == "&quot;quoted&quot; &copy; &#39;"


def test_each_place_keeps_its_time_format():
    assert utc_time(1793544114.9, TimeFormat.EXPORT) == "2026-11-01 14:41:54"
    assert utc_time(1793544114.9, TimeFormat.NOTE) == "2026-11-01 14:41:54 UTC"
    assert utc_time(1793544114.9, TimeFormat.QUESTION) == "2026-11-01 14:41 UTC"


def _message(text: str) -> dict:
    return {"user": ALICE, "ts": "1793544114.000100", "text": text}


def test_a_user_token_post_is_recognised_through_slack_s_entities():
    post = PostMark(key="k", text="Q&A <draft>", thread_ts=None, attachments=0, blocks=0)
    assert is_this_post(_message("Q&amp;A &lt;draft&gt;"), post, ALICE, None)


def test_a_message_with_other_html_entities_is_not_taken_for_a_user_token_post():
    # Slack displays "&quot;" literally (it escapes only &, < and >): this message says &quot;, not '"', so it is
    # another message, and taking it for the lost post would leave the post unsent.
    post = PostMark(key="k", text='Approve "block"?', thread_ts=None, attachments=0, blocks=0)
    assert not is_this_post(_message("Approve &quot;block&quot;?"), post, ALICE, None)
