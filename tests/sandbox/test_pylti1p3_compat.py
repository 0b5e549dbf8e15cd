"""The tool's LTI library (pylti1p3 2.0.0) against the sandbox, without any tool code.

These pin down what the sandbox makes visible: pylti1p3 puts scores at the right Moodle URL,
and pylti1p3 lowercases NRPS next-page links, which Moodle's case-sensitive path refuses.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector

from lti_tool.sandbox import vocab
from lti_tool.sandbox.driver import SandboxDriver

from .services import MAIN_LINE_ITEM, MEMBERSHIPS, sub_of
from .standin_tool import StandInTool


def connector(driver: SandboxDriver, standin: StandInTool) -> ServiceConnector:
    platform = driver.platform_registration()
    pem = standin.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        standin.key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    registration = (
        Registration()
        .set_issuer(platform["issuer"])
        .set_client_id(platform["client_id"])
        .set_auth_token_url(platform["auth_token_url"])
        .set_tool_private_key(pem)
        .set_tool_public_key(public_pem)
    )
    assert registration.get_kid() == standin.kid
    return ServiceConnector(registration)


def test_pylti1p3_puts_a_grade_on_either_flavour(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    ags = AssignmentsGradesService(
        connector(driver, standin),
        {
            "scope": list(vocab.AGS_SCOPES),
            "lineitem": driver.base_url + MAIN_LINE_ITEM[driver.flavour],
        },
    )
    grade = (
        Grade()
        .set_user_id(sub_of(driver, "learner07"))
        .set_score_given(9)
        .set_score_maximum(10)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_timestamp("2030-01-01T00:00:00+00:00")
    )

    ags.put_grade(grade)

    assert [score["username"] for score in driver.scores()] == ["learner07"]


def test_pylti1p3_nrps_paging_breaks_on_moodles_case_sensitive_path(
    moodle: SandboxDriver, standin: StandInTool
) -> None:
    nrps = NamesRolesProvisioningService(
        connector(moodle, standin),
        {"context_memberships_url": moodle.base_url + MEMBERSHIPS["moodle"]},
    )

    with pytest.raises(LtiServiceException) as refused:
        nrps.get_members()

    assert refused.value.response.status_code == 404
    assert "/coursesection/" in refused.value.response.url


def test_pylti1p3_pages_through_canvas_members(canvas: SandboxDriver, standin: StandInTool) -> None:
    nrps = NamesRolesProvisioningService(
        connector(canvas, standin),
        {"context_memberships_url": canvas.base_url + MEMBERSHIPS["canvas"]},
    )

    assert len(nrps.get_members()) == 28
