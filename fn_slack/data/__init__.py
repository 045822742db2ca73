"""Data files shipped with fn_slack (templates)."""
