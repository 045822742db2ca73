"""Jinja2 templates shipped with fn_slack; read them with importlib.resources."""
