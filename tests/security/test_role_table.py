"""The role table (LTI 1.3 Core §A.2): every vocabulary form a platform sends, read once."""

from __future__ import annotations

import pytest

from lti_tool import protocol
from lti_tool.protocol import ADMINISTRATOR, INSTRUCTOR, LEARNER, NOT_ENROLLED

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SUB = "http://purl.imsglobal.org/vocab/lis/v2/membership/"
INST = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
SYS = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"


@pytest.mark.parametrize(
    ("roles", "standing"),
    [
        # Context roles, full URIs.
        ([M + "Instructor"], INSTRUCTOR),
        ([M + "ContentDeveloper"], INSTRUCTOR),
        ([M + "Administrator"], INSTRUCTOR),
        ([M + "Learner"], LEARNER),
        ([M + "Mentor"], NOT_ENROLLED),
        ([M + "Manager"], NOT_ENROLLED),
        ([M + "Member"], NOT_ENROLLED),
        ([M + "Officer"], NOT_ENROLLED),
        # Sub-roles have their parent's standing.
        ([SUB + "Instructor#TeachingAssistant"], INSTRUCTOR),
        ([SUB + "Instructor#Grader"], INSTRUCTOR),
        ([SUB + "ContentDeveloper#ContentExpert"], INSTRUCTOR),
        ([SUB + "Administrator#Support"], INSTRUCTOR),
        ([SUB + "Learner#NonCreditLearner"], LEARNER),
        ([SUB + "Learner#GuestLearner"], LEARNER),
        ([SUB + "Mentor#Advisor"], NOT_ENROLLED),
        ([SUB + "Mentor#Reviewer"], NOT_ENROLLED),
        ([SUB + "Mentor#Tutor"], NOT_ENROLLED),
        # Short context names (§A.2.3) and what Canvas/LTI 1.1 migrations send.
        (["Instructor"], INSTRUCTOR),
        (["TeachingAssistant"], INSTRUCTOR),
        (["ContentDeveloper"], INSTRUCTOR),
        (["Learner"], LEARNER),
        (["Mentor"], NOT_ENROLLED),
        (["Observer"], NOT_ENROLLED),
        # LIS v1 URNs.
        (["urn:lti:role:ims/lis/Instructor"], INSTRUCTOR),
        (["urn:lti:role:ims/lis/TeachingAssistant"], INSTRUCTOR),
        (["urn:lti:role:ims/lis/Instructor/TeachingAssistant"], INSTRUCTOR),
        (["urn:lti:role:ims/lis/Learner"], LEARNER),
        (["urn:lti:role:ims/lis/Mentor"], NOT_ENROLLED),
        (["urn:lti:instrole:ims/lis/Observer"], NOT_ENROLLED),
        (["urn:lti:instrole:ims/lis/Administrator"], ADMINISTRATOR),
        (["urn:lti:sysrole:ims/lis/SysAdmin"], ADMINISTRATOR),
        # Institution and system roles: only the LMS's administrators count.
        ([INST + "Administrator"], ADMINISTRATOR),
        ([SYS + "Administrator"], ADMINISTRATOR),
        ([SYS + "SysAdmin"], ADMINISTRATOR),
        ([INST + "Instructor"], NOT_ENROLLED),
        ([INST + "Faculty"], NOT_ENROLLED),
        ([INST + "Student"], NOT_ENROLLED),
        ([INST + "Mentor"], NOT_ENROLLED),
        ([INST + "Observer"], NOT_ENROLLED),
        ([SYS + "User"], NOT_ENROLLED),
        # Nothing, or another vocabulary that borrows a name.
        ([], NOT_ENROLLED),
        ([""], NOT_ENROLLED),
        (["http://example.edu/roles#Instructor"], NOT_ENROLLED),
        (["Faculty"], NOT_ENROLLED),
        # Canvas's real sets: observer, student, TA, teacher, account admin.
        ([M + "Mentor", SYS + "User"], NOT_ENROLLED),
        ([INST + "Student", M + "Learner", SYS + "User"], LEARNER),
        ([INST + "Instructor", SUB + "Instructor#TeachingAssistant", SYS + "User"], INSTRUCTOR),
        ([INST + "Administrator", SYS + "SysAdmin", SYS + "User"], ADMINISTRATOR),
        # The highest standing wins.
        ([M + "Mentor", M + "Learner"], LEARNER),
        ([M + "Learner", M + "Instructor"], INSTRUCTOR),
    ],
)
def test_roles_read_as_the_table_says(roles: list[str], standing: str) -> None:
    assert protocol.classify_roles(roles) == standing
