"""The learner's whole way, in Debian's Chromium, inside the sandbox LMS's iframe.

Course page → launch → overview and disclosures → pre-test → content, leave the course,
launch again and resume → post-test failed, then retaken and passed with the keyboard alone →
evaluation → credit claim and certificate → score and completion in the LMS gradebook. Once
per cookie profile: third-party cookies blocked (the Debian default) and allowed. Every tool
page is checked with axe-core and photographed.

The tool (127.0.0.1) and the LMS (localhost) are different sites over plain http: loopback
is a secure context, so Chromium keeps the tool's ``Secure; SameSite=None; Partitioned`` state
cookie in the iframe even with third-party cookies blocked; no test certificate is needed.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from lti_tool.config import PROJECT_ROOT
from lti_tool.course import load_activity
from lti_tool.sandbox.seed import GRADED_ACTIVITY_TITLE, LEARNER_NAMES

from .browsing import CoursePage, Keyboard, heading, radio_names, wait_for_page
from .conftest import AxeReport, Camera, Lms

pytestmark = pytest.mark.browser

ACTIVITY = load_activity(PROJECT_ROOT / "configs" / "activities" / "cervical-dystonia")
CORRECT = {question.id: question.correct for question in ACTIVITY.posttest.questions}
SECTIONS = [section.id for section in ACTIVITY.sections]
SECTIONS_BEFORE_THE_BREAK = 5

# One learner per profile, nobody else's; each claims credit as another profession, so the
# two runs together cover the pharmacist and the physician certificates.
LEARNERS = {"cookies-blocked": "learner18", "cookies-allowed": "learner12"}
CLAIMS: dict[str, dict[str, Any]] = {
    "cookies-blocked": {
        "profession": "pharmacist",
        "degree": "PharmD",
        "fields": {"nabp_eprofile_id": "4123456"},
        "selects": {"birth_month": "3", "birth_day": "14"},
        "pdf": "for 1.25 contact hours (0.125 CEUs) of continuing pharmacy education",
        "page": "1.25 contact hours of continuing pharmacy education (ACPE)",
    },
    "cookies-allowed": {
        "profession": "physician",
        "degree": "MD",
        "fields": {"time_spent_minutes": "75"},
        "selects": {"credits": "1.25"},
        "check": "#attestation",
        "pdf": "and is awarded 1.25 AMA PRA Category 1 Credit(s)\u2122.",
        "page": "1.25 AMA PRA Category 1 Credit(s)\u2122 claimed",
    },
}


def full_name(username: str) -> str:
    given, family = LEARNER_NAMES[int(username.removeprefix("learner")) - 1]
    return f"{given} {family}"


class Journey:
    """One learner's way through the tool: every step photographed, every page checked."""

    def __init__(self, course: CoursePage, camera: Camera, axe: AxeReport) -> None:
        self.course = course
        self.camera = camera
        self.axe = axe

    @property
    def page(self) -> Any:
        return self.course.page

    @property
    def frame(self) -> Any:
        return self.course.frame

    def step(self, name: str, *, check: bool = True) -> None:
        if check:
            self.axe.check(self.frame, name)
        self.camera.shoot(self.page, name)

    def click(self, role: str, name: str) -> None:
        self.frame.get_by_role(role, name=name).click()


def launch_from_the_course(journey: Journey, mode: str, learner: str) -> None:
    course = journey.course.open()
    journey.step("sandbox course page", check=False)
    course.launch(learner)
    wait_for_page(journey.frame, "activity/overview")
    # The profile is what it claims: the iframe has access to unpartitioned cookies only
    # when third-party cookies are allowed.
    has_access = journey.frame.evaluate("document.hasStorageAccess()")
    assert has_access is (mode == "cookies-allowed")
    # The launch was bound by the state cookie, kept in the LMS site's partition; the state's
    # proof also went to the platform frame (lti.put_data) and was not needed back.
    tool_cookies = [c for c in journey.page.context.cookies() if c["domain"] == "127.0.0.1"]
    assert tool_cookies, "the tool set no cookie in the iframe"
    assert {c.get("partitionKey") for c in tool_cookies} == {"http://localhost"}
    subjects = [message.split(" ")[0] for message in course.platform_messages()]
    assert "lti.put_data" in subjects and "lti.get_data" not in subjects
    # The launch's form post answered with the page, which put its own address in the
    # frame: reloading it fetches the page again, not the spent launch (a replay, refused).
    with journey.page.expect_response(lambda answer: "/activity/overview" in answer.url) as got:
        journey.frame.evaluate("setTimeout(() => location.reload(), 0)")
    assert (got.value.request.method, got.value.status) == ("GET", 200)
    wait_for_page(journey.frame, "activity/overview")
    assert heading(journey.frame) == ACTIVITY.title


def overview_and_pretest(journey: Journey, learner: str) -> None:
    frame = journey.frame
    assert f"Signed in through your course as {full_name(learner)}" in frame.inner_text("header")
    assert heading(frame) == ACTIVITY.title
    for section in ("Learning objectives", "Disclosures of relevant financial relationships"):
        assert frame.get_by_role("heading", name=section).is_visible()
    journey.step("overview and disclosures")
    journey.click("button", "I have read the disclosures — begin")

    wait_for_page(frame, "activity/pretest")
    assert heading(frame) == "Pre-test (optional)"
    journey.step("pre-test")
    for name in radio_names(frame):
        frame.locator(f'input[name="{name}"]').first.check()
    journey.click("button", "Submit the pre-test")
    wait_for_page(frame, f"activity/sections/{SECTIONS[0]}")
    assert "Your pre-test answers were recorded" in frame.inner_text("main")


def read_sections(journey: Journey, first: int, last: int, resumed: bool = False) -> None:
    """From section ``first`` (shown) to section ``last`` by the Next links, each checked."""
    frame = journey.frame
    for number in range(first, last + 1):
        wait_for_page(frame, f"activity/sections/{SECTIONS[number - 1]}")
        assert f"Section {number} of {len(SECTIONS)}" in frame.inner_text(".progress")
        again = " (launched again: resumes at the first unread section)"
        journey.step(f"content section {number}" + (again if resumed and number == first else ""))
        if number < last:
            frame.get_by_role("link", name=re.compile(r"^Next: ")).click()


def leave_and_resume(journey: Journey, lms: Lms, learner: str) -> None:
    """The learner goes elsewhere in the LMS, comes back and launches the activity again."""
    journey.page.goto(lms.base_url + "/")
    journey.step("left for the LMS home page", check=False)
    journey.course.open().launch(learner)
    read_sections(journey, SECTIONS_BEFORE_THE_BREAK + 1, len(SECTIONS), resumed=True)
    journey.click("link", "Continue to the post-test")


def fail_the_posttest(journey: Journey) -> None:
    frame = journey.frame
    wait_for_page(frame, "activity/posttest")
    assert "Attempt 1 of 3" in frame.inner_text("main")
    journey.step("post-test, attempt 1")
    names = radio_names(frame)
    assert sorted(names) == sorted(CORRECT)
    for name in names:
        wrong = next(v for v in ("a", "b", "c", "d", "e") if v != CORRECT[name])
        frame.locator(f'input[name="{name}"][value="{wrong}"]').check()
    journey.click("button", "Submit my answers")
    frame.wait_for_url(re.compile(r"/activity/attempts/[^/]+$"))


def pass_the_posttest_by_keyboard(journey: Journey) -> None:
    frame = journey.frame
    result = frame.inner_text("main")
    assert f"you answered 0 of {len(CORRECT)} questions correctly (0%)" in result
    assert "This attempt did not reach the passing score of 70%" in result
    journey.step("post-test failed")

    keys = Keyboard(journey.page, frame)
    keys.activate("a", "Retake the post-test")
    wait_for_page(frame, "activity/posttest")
    assert "Attempt 2 of 3" in frame.inner_text("main")
    remaining = set(CORRECT)
    while remaining:
        focused = keys.tab_to(lambda f: f["type"] == "radio" and f["name"] in remaining)
        keys.choose(focused["name"], focused["value"], CORRECT[focused["name"]])
        remaining.discard(focused["name"])
    chosen = frame.eval_on_selector_all(
        "input[type=radio]:checked",
        "inputs => Object.fromEntries(inputs.map(i => [i.name, i.value]))",
    )
    assert chosen == CORRECT
    journey.step("post-test, attempt 2, answered with the keyboard")
    keys.activate("button", "Submit my answers")
    frame.wait_for_url(re.compile(r"/activity/attempts/[^/]+$"))
    assert set(keys.pressed) <= {"Tab", "Space", "Enter", "ArrowDown", "ArrowUp"}

    result = frame.inner_text("main")
    assert f"you answered {len(CORRECT)} of {len(CORRECT)} questions correctly (100%)" in result
    assert "You passed." in result and "Answers and rationales" in result
    journey.step("post-test passed, with rationales")
    journey.click("link", "Go to the evaluation")


def evaluate(journey: Journey) -> None:
    frame = journey.frame
    wait_for_page(frame, "activity/evaluation")
    journey.step("evaluation")
    frame.locator("#fair-balance-yes").check()
    for name in radio_names(frame):
        if name != "fair-balance":
            frame.locator(f'input[name="{name}"]').first.check()
    frame.locator("#barriers").fill("Access to EMG guidance in our clinic.")
    journey.click("button", "Submit the evaluation")

    wait_for_page(frame, "activity/complete")
    record = frame.inner_text("main")
    assert "You have completed this activity." in record
    assert "Attempt 1, " in record and f"0 of {len(CORRECT)} (0%), not passed" in record
    assert f"{len(CORRECT)} of {len(CORRECT)} (100%), passed" in record
    assert f"{len(SECTIONS)} of {len(SECTIONS)}" in record
    journey.step("activity record")


def claim_credit(journey: Journey, mode: str, learner: str) -> None:
    claim = CLAIMS[mode]
    frame = journey.frame
    journey.click("link", "Claim your credit and certificate")
    wait_for_page(frame, "certificates/claim")
    # Step one: the profession; step two shows that profession's fields only.
    frame.locator(f"#profession-{claim['profession']}").check()
    journey.click("button", "Continue")
    wait_for_page(frame, f"certificates/claim?profession={claim['profession']}")
    name = full_name(learner)
    assert frame.locator("#certificate_name").input_value() == name  # from the LMS
    journey.step(f"credit claim as a {claim['profession']}")
    frame.locator("#degree").fill(claim["degree"])
    frame.locator("#email").fill(f"{learner}@example.org")
    for field, value in claim["fields"].items():
        frame.locator(f"#{field}").fill(value)
    for field, value in claim["selects"].items():
        frame.locator(f"#{field}").select_option(value)
    if "check" in claim:
        frame.locator(claim["check"]).check()
    journey.click("button", "Claim credit and issue my certificate")

    frame.wait_for_url(re.compile(r"/certificates/[0-9A-Z-]+$"))
    certificate = frame.inner_text("main")
    assert "Your certificate" in certificate and claim["page"] in certificate, certificate
    frame_fits_its_page(journey)
    journey.step("certificate issued")
    with journey.page.expect_download() as download:
        journey.click("link", "Download your certificate (PDF)")
    pdf = download.value.path().read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert f"{name}, {claim['degree']}" in text
    assert claim["pdf"] in text


def frame_fits_its_page(journey: Journey) -> None:
    """The LMS sized its iframe to the tool's page (lti.frameResize), also when the page is
    shorter than the one before: the certificate page follows long content pages."""
    page_height = journey.frame.evaluate("document.documentElement.getBoundingClientRect().height")
    journey.page.wait_for_function(
        "h => Math.abs(document.getElementById('tool_content').getBoundingClientRect().height - h)"
        " < 4",
        arg=page_height,
    )


def scores_reach_the_gradebook(journey: Journey, lms: Lms, learner: str) -> None:
    lms.deliver_grades()
    received = [s for s in lms.driver("canvas").scores() if s["username"] == learner]
    assert [(Decimal(s["score_given"]), s["activity_progress"]) for s in received] == [
        (Decimal(0), "Submitted"),
        (Decimal(100), "Submitted"),
        (Decimal(100), "Completed"),
    ]
    assert {s["grading_progress"] for s in received} == {"FullyGraded"}
    assert {s["line_item_label"] for s in received} == {GRADED_ACTIVITY_TITLE}

    journey.page.goto(lms.gradebook_url("canvas"))
    rows = journey.page.locator("tr", has_text=full_name(learner))
    assert rows.last.locator("td").nth(2).inner_text().startswith("100")
    assert rows.last.locator("td").nth(3).inner_text() == "Completed"
    journey.step("sandbox gradebook: score and completion", check=False)


def test_learner_completes_the_activity_inside_the_lms_iframe(
    browser_context: Any, lms: Lms, camera: Camera, axe: AxeReport
) -> None:
    mode = browser_context.cookies_mode
    learner = LEARNERS[mode]
    page = browser_context.new_page()
    journey = Journey(CoursePage(page, lms.course_url("canvas")), camera, axe)
    try:
        launch_from_the_course(journey, mode, learner)
        overview_and_pretest(journey, learner)
        read_sections(journey, 1, SECTIONS_BEFORE_THE_BREAK)
        leave_and_resume(journey, lms, learner)
        fail_the_posttest(journey)
        lms.deliver_grades()  # the failed attempt reaches the gradebook before the retake
        pass_the_posttest_by_keyboard(journey)
        lms.deliver_grades()
        evaluate(journey)
        claim_credit(journey, mode, learner)
        scores_reach_the_gradebook(journey, lms, learner)
    finally:
        page.close()
    axe.assert_clean(at_least=len(SECTIONS) + 7)
