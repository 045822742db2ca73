"""Function slack_question_answer: a question's outcome from its slack_questions_db row, only when the row holds
what fn_slack wrote (its seal intact); the step a playbook runs before it acts on an answer."""

from collections.abc import Iterator

from fn_slack.components.function_component import Outcome, SlackFunctionComponent, slack_function
from fn_slack.lib.question_answer import AnswerRequest, QuestionAnswerRead
from fn_slack.lib.settings import load_settings

FN_NAME = "slack_question_answer"


def read_answer(component: SlackFunctionComponent, fn_inputs: object) -> Iterator[str | Outcome]:
    """Read the inputs, then read and verify the question's row."""
    request = AnswerRequest.from_inputs(fn_inputs)
    return QuestionAnswerRead(load_settings(component), component.rest_client()).run(request)


FunctionComponent = slack_function(FN_NAME, read_answer)
