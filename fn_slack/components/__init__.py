"""The SOAR functions and the Socket Mode listener: thin adapters that run the flows of fn_slack.lib."""
