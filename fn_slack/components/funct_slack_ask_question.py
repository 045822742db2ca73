"""Function slack_ask_question: ask a question with answer buttons in Slack; the answer comes back through
the Socket Mode listener into slack_questions_db and a note."""

from collections.abc import Iterator

from fn_slack.components.function_component import Outcome, SlackFunctionComponent, slack_function
from fn_slack.lib.questions import AskRequest, QuestionAsk
from fn_slack.lib.settings import load_settings

FN_NAME = "slack_ask_question"


def ask_question(component: SlackFunctionComponent, fn_inputs: object) -> Iterator[str | Outcome]:
    """Read the inputs, then post the question and add its row."""
    request = AskRequest.from_inputs(fn_inputs)
    return QuestionAsk(load_settings(component), component.rest_client()).run(request)


FunctionComponent = slack_function(FN_NAME, ask_question)
