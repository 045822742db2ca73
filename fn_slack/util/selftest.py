"""``resilient-circuits selftest -l fn_slack``: checks that the configured Slack token works."""

import logging

from resilient_lib import RequestsCommon

from fn_slack.lib import messages
from fn_slack.lib.errors import FnSlackError
from fn_slack.lib.retry import WaitBudget
from fn_slack.lib.settings import SECTION, SlackSettings
from fn_slack.lib.slack_utils import SlackUtils
from fn_slack.lib.socket_listener import check_app_token

LOG = logging.getLogger(__name__)
SELFTEST_WAIT_SECONDS = 10   # a selftest answers quickly: a few seconds of rate-limit waiting at most


def selftest_function(opts: dict) -> dict:
    """Call Slack's auth.test with the configured token and report the team and the app's user."""
    options = opts.get(SECTION, {})
    try:
        rc = RequestsCommon(opts=opts, function_opts=options)
        settings = SlackSettings.from_app_configs(options, rc.get_proxies(), rc.get_verify())
        identity = SlackUtils(settings, budget=WaitBudget(SELFTEST_WAIT_SECONDS)).auth_test()
    except FnSlackError as err:
        LOG.error("fn_slack selftest failed: %s", err)
        return {"state": "failure", "reason": str(err)}
    reason = messages.selftest_connected(team=identity.get("team") or identity.get("team_id") or "?",
                                         url=identity.get("url", ""),
                                         kind="bot" if identity.get("bot_id") else "user",
                                         who=identity.get("user") or identity.get("user_id") or "?")
    if settings.app_token:
        problem = check_app_token(settings)
        if problem:
            LOG.error("fn_slack selftest failed: %s", messages.selftest_app_token_refused(problem))
            return {"state": "failure", "reason": messages.selftest_app_token_refused(problem)}
        reason += " " + messages.selftest_app_token_works()
    LOG.info("fn_slack selftest: %s", reason)
    return {"state": "success", "reason": reason}
