"""fn_slack: the Slack integration for IBM SOAR (a resilient-circuits function package)."""
