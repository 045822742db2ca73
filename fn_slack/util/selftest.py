"""``resilient-circuits selftest -l fn_slack``: checks that the configured Slack token works."""

import logging

from resilient_lib import RequestsCommon

from fn_slack.lib.errors import FnSlackError
from fn_slack.lib.retry import WaitBudget
from fn_slack.lib.settings import SECTION, SlackSettings
from fn_slack.lib.slack_utils import SlackUtils

LOG = logging.getLogger(__name__)


def selftest_function(opts):
    """Call Slack's auth.test with the configured token and report the team and the app's user."""
    options = opts.get(SECTION, {})
    try:
        rc = RequestsCommon(opts=opts, function_opts=options)
        settings = SlackSettings.from_app_configs(options, rc.get_proxies(), rc.get_verify())
        # A selftest should answer quickly: a few seconds of rate-limit waiting at most.
        identity = SlackUtils(settings, budget=WaitBudget(10)).auth_test()
    except FnSlackError as err:
        LOG.error("fn_slack selftest failed: %s", err)
        return {"state": "failure", "reason": str(err)}
    team = identity.get("team") or identity.get("team_id") or "?"
    who = identity.get("user") or identity.get("user_id") or "?"
    kind = "bot" if identity.get("bot_id") else "user"
    reason = f"Connected to Slack workspace '{team}' ({identity.get('url', '')}) as {kind} '{who}'."
    LOG.info("fn_slack selftest: %s", reason)
    return {"state": "success", "reason": reason}
