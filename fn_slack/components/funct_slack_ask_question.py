"""Function slack_ask_question: ask a question with answer buttons in Slack; the answer comes back through
the Socket Mode listener into slack_questions_db and a note."""

from resilient_circuits import AppFunctionComponent, app_function

from fn_slack.lib.questions import AskRequest, QuestionAsk
from fn_slack.lib.results import function_result
from fn_slack.lib.settings import PACKAGE, check_settings_at_startup, load_settings

FN_NAME = "slack_ask_question"


class FunctionComponent(AppFunctionComponent):
    """Component that implements function 'slack_ask_question'."""

    def __init__(self, opts: dict) -> None:
        super().__init__(opts, PACKAGE)
        check_settings_at_startup(self)

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs: object):  # noqa: ANN202 - a generator of status messages and a result
        request = AskRequest.from_inputs(fn_inputs)
        flow = QuestionAsk(load_settings(self), self.rest_client())
        for step in flow.run(request):
            if isinstance(step, str):
                yield self.status_message(step)
            else:
                yield function_result(step.result())
