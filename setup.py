#!/usr/bin/env python
"""fn_slack: IBM SOAR functions that post incident data and files to Slack and archive channels."""

import glob
import ntpath

import setuptools
from setuptools import find_namespace_packages

# resilient-sdk reads some attributes (display_name) from the text of the call at the end of this file, but
# setuptools does not know them and would warn about each: they are taken out before setuptools sees the rest.
# (resilient-sdk evaluates this file's text from the first line holding "setup" and an opening parenthesis, so no
# line before that call may hold one.)
SDK_ONLY_ATTRIBUTES = ("display_name",)
_setuptools_build = setuptools.setup


def get_module_name(module_path):
    """Return the module name of a component file path."""
    return ntpath.split(module_path)[1].split(".")[0]


def snake_to_camel(word):
    """Convert snake_case to CamelCase for the entry point names."""
    return "".join(x.capitalize() or "_" for x in word.split("_"))


def _setup_for_setuptools(**attributes):
    for name in SDK_ONLY_ATTRIBUTES:
        attributes.pop(name, None)
    return _setuptools_build(**attributes)


setup = _setup_for_setuptools


setup(
    name="fn_slack",
    display_name="Slack",
    version="3.0.0",
    license="MIT",
    author="fn_slack maintainers",
    author_email="fn-slack-maintainers@fn-slack.dev",
    url="https://github.com/fn-slack/fn_slack",
    description="Post SOAR incidents, tasks, notes, artifacts and attachments to Slack, "
                "and export and archive Slack channels",
    long_description="""fn_slack lets SOAR analysts post incident data into Slack channels (creating the
channel and inviting people as needed), upload incident, task and artifact files, and export a channel's
whole conversation, threads included, into the incident before archiving the channel.""",
    install_requires=[
        "resilient-circuits>=51.0.0",
        "resilient-lib~=51.0",
        "slack_sdk~=3.48",
        "Jinja2~=3.1",
        "beautifulsoup4~=4.12",
    ],
    python_requires=">=3.11",
    # Namespace discovery: the data folders (util/data with export.res, data/...) ship as package data too.
    packages=find_namespace_packages(include=["fn_slack", "fn_slack.*"], exclude=["*.__pycache__"]),
    include_package_data=True,
    platforms="any",
    classifiers=[
        "Programming Language :: Python",
        "Programming Language :: Python :: 3.11",
    ],
    entry_points={
        "resilient.circuits.components": [
            f"{snake_to_camel(get_module_name(filename))}FunctionComponent = "
            f"fn_slack.components.{get_module_name(filename)}:FunctionComponent"
            for filename in sorted(glob.glob("./fn_slack/components/funct_[a-zA-Z]*.py"))
        ] + [
            # Not a function: the Socket Mode listener of two-way channels (off without [fn_slack] app_token).
            "SlackSocketListenerComponent = fn_slack.components.slack_socket_listener:SlackSocketListener",
        ],
        "resilient.circuits.configsection": ["gen_config = fn_slack.util.config:config_section_data"],
        "resilient.circuits.customize": ["customize = fn_slack.util.customize:customization_data"],
        "resilient.circuits.selftest": ["selftest = fn_slack.util.selftest:selftest_function"],
    },
)
