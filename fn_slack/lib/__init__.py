"""fn_slack's flows, its Slack and SOAR edges, the pure formatting, and the leaves (doc/architecture.md)."""
