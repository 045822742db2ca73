"""What every function of fn_slack shares: the check of ``[fn_slack]`` when resilient-circuits loads it, and
the way a flow's steps reach SOAR (each text a status message, the outcome the function's result).

Not a component of its own: resilient-circuits loads the ``FunctionComponent`` of each ``funct_*`` module
(setup.py's entry points), each made by :func:`slack_function` from the function's name and the step that
reads its inputs and starts its flow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from resilient_circuits import AppFunctionComponent, FunctionResult, StatusMessage, app_function
from resilient_circuits.action_message import StatusMessageEvent

from fn_slack.lib.invocation import running_event, telling
from fn_slack.lib.results import function_result
from fn_slack.lib.settings import PACKAGE, check_settings_at_startup


class Outcome(Protocol):
    """A flow's last step: what the function returns (and, for posts, IBM 2.x's ``user_info``)."""

    def result(self) -> dict:
        """The ``content`` of the function's result."""


class SlackFunctionComponent(AppFunctionComponent):
    """A function of fn_slack: its settings are checked at startup; each call runs one flow."""

    def __init__(self, opts: dict) -> None:
        super().__init__(opts, PACKAGE)
        check_settings_at_startup(self)

    def _to_soar(self, steps: Iterable[str | Outcome]) -> Iterator[StatusMessage | FunctionResult]:
        """A flow's steps as SOAR takes them: each text a status message, the outcome the FunctionResult. While a
        step runs, what it ``tell``s (a wait it must make) reaches SOAR at once as a status message too."""
        with telling(self._live_status()):
            for step in steps:
                if isinstance(step, str):
                    yield self.status_message(step)
                else:
                    yield function_result(step.result(), user_info=getattr(step, "user_info", None))

    def _live_status(self) -> Callable[[str], None] | None:
        """How a step running in this thread sends a status message before it yields (None outside a run)."""
        event = running_event()
        if event is None:
            return None
        return lambda text: self.fire(StatusMessageEvent(parent=event, message=text))


Start = Callable[[SlackFunctionComponent, object], Iterable[str | Outcome]]
"""Reads a function's inputs (an InputError before anything is asked of Slack or SOAR) and runs its flow."""


def slack_function(name: str, start: Start) -> type[SlackFunctionComponent]:
    """The component class resilient-circuits loads for the SOAR function ``name``: each call runs ``start``."""

    class FunctionComponent(SlackFunctionComponent):
        @app_function(name)
        def _app_function(self, fn_inputs: object) -> Iterator[StatusMessage | FunctionResult]:
            yield from self._to_soar(start(self, fn_inputs))

    FunctionComponent.__doc__ = f"Component that implements function '{name}'."
    return FunctionComponent
