"""Function slack_ask_question: ask a question with answer buttons in Slack; the answer comes back through
the Socket Mode listener into slack_questions_db and a note."""

from resilient_circuits import app_function

from fn_slack.components.function_component import SlackFunctionComponent
from fn_slack.lib.questions import AskRequest, QuestionAsk
from fn_slack.lib.settings import load_settings

FN_NAME = "slack_ask_question"


class FunctionComponent(SlackFunctionComponent):
    """Component that implements function 'slack_ask_question'."""

    @app_function(FN_NAME)
    def _app_function(self, fn_inputs: object):  # noqa: ANN202 - a generator of status messages and a result
        request = AskRequest.from_inputs(fn_inputs)
        flow = QuestionAsk(load_settings(self), self.rest_client())
        yield from self._to_soar(flow.run(request))
