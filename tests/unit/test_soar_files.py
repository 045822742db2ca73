"""Which SOAR file an upload takes: Malware Samples by type name or id, and only the incident's own objects."""

import pytest

from fn_slack.lib.errors import InputError
from fn_slack.lib.soar.files import MALWARE_SAMPLE_TYPE_ID, SoarFiles
from sandbox.soar.state import ARTIFACT_TYPE_IDS

FILE = {"name": "x.exe", "content_type": "application/octet-stream", "size": 2}


class Rest:
    """Answers GETs from a dict of URI → JSON, as SOAR would."""

    def __init__(self, answers: dict) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def get(self, uri: str, skip_retry: list | None = None) -> dict:
        self.asked.append(uri)
        return self.answers[uri]


def artifact(artifact_type, inc_id=2095, attachment=FILE):
    return Rest({"/incidents/2095/artifacts/5?handle_format=names":
                 {"id": 5, "inc_id": inc_id, "type": artifact_type, "value": "x.exe", "attachment": attachment}})


def test_the_malware_sample_type_id_is_the_one_soar_numbers_it_with():
    # sandbox/soar/state.py numbers SOAR's system artifact types as a fresh org does.
    assert ARTIFACT_TYPE_IDS["Malware Sample"] == MALWARE_SAMPLE_TYPE_ID == 12


@pytest.mark.parametrize("artifact_type", ["Malware Sample", "malware sample ", 12, "12",
                                           {"id": 12, "name": "Malware Sample"}, {"id": 12, "name": "Schadcode"},
                                           {"id": "12"}])
def test_a_malware_sample_is_recognised_by_name_or_type_id(artifact_type):
    assert SoarFiles(artifact(artifact_type), 2095).describe(5, None).is_malware_sample


@pytest.mark.parametrize("artifact_type", ["Log File", 13, {"id": 14, "name": "Other File"}, "Malware MD5 Hash", None])
def test_other_artifact_types_are_not_malware_samples(artifact_type):
    assert not SoarFiles(artifact(artifact_type), 2095).describe(5, None).is_malware_sample


def test_an_artifact_type_given_as_an_id_is_named_by_it_when_the_artifact_has_no_file():
    with pytest.raises(InputError) as err:
        SoarFiles(artifact(1, attachment=None), 2095).describe(5, None)
    assert str(err.value).startswith("Artifact 5 (type 1) holds no file")


def test_an_artifact_of_another_incident_is_refused():
    with pytest.raises(InputError) as err:
        SoarFiles(artifact("Log File", inc_id=3000), 2095).describe(5, None)
    assert str(err.value) == ("Artifact 5 belongs to incident 3000, not to incident 2095: check incident_id, task_id, "
                              "artifact_id and attachment_id.")


def test_an_attachment_of_another_incident_is_refused():
    rest = Rest({"/incidents/2095/attachments/9": {"id": 9, "name": "a.txt", "size": 3, "inc_id": 3000}})
    with pytest.raises(InputError) as err:
        SoarFiles(rest, 2095).describe(None, 9)
    assert str(err.value) == ("Attachment 9 of incident 2095 belongs to incident 3000, not to incident 2095: check "
                              "incident_id, task_id, artifact_id and attachment_id.")


@pytest.mark.parametrize(("artifact_id", "attachment_id"), [(None, 9), (5, None)])
def test_a_task_of_another_incident_is_refused_before_its_files_are_read(artifact_id, attachment_id):
    rest = Rest({"/tasks/8?handle_format=names": {"id": 8, "inc_id": 3000, "name": "Investigate"}})
    with pytest.raises(InputError) as err:
        SoarFiles(rest, 2095, 8).describe(artifact_id, attachment_id)
    assert str(err.value) == ("Task 8 belongs to incident 3000, not to incident 2095: check incident_id, task_id, "
                              "artifact_id and attachment_id.")
    assert rest.asked == ["/tasks/8?handle_format=names"]


def test_an_attachment_that_soar_files_under_the_task_but_another_incident_is_refused():
    rest = Rest({"/tasks/7?handle_format=names": {"id": 7, "inc_id": 2095},
                 "/tasks/7/attachments/9": {"id": 9, "name": "a.txt", "size": 3, "inc_id": 3000, "task_id": 7}})
    with pytest.raises(InputError, match="^Attachment 9 of task 7 belongs to incident 3000, not to incident 2095"):
        SoarFiles(rest, 2095, 7).describe(None, 9)


def test_the_incidents_own_task_attachment_is_described():
    rest = Rest({"/tasks/7?handle_format=names": {"id": 7, "inc_id": 2095},
                 "/tasks/7/attachments/9": {"id": 9, "name": "a.txt", "size": 3, "inc_id": 2095, "task_id": 7}})
    described = SoarFiles(rest, 2095, 7).describe(None, 9)
    assert (described.name, described.kind, described.path) == ("a.txt", "Task", "/tasks/7/attachments/9/contents")
