"""The sandbox's pages: home, course with the tool frame and platform storage, gradebook, admin."""

from __future__ import annotations

import requests

from lti_tool.sandbox.driver import SandboxDriver
from lti_tool.sandbox.forms import parse_forms

from .standin_tool import StandInTool

COURSES = {"canvas": 7, "moodle": 2}


def test_home_lists_both_flavours_their_courses_and_tools(driver: SandboxDriver) -> None:
    page = requests.get(driver.base_url + "/", timeout=5)

    assert page.status_code == 200
    assert "Canvas" in page.text and "Moodle" in page.text
    assert "CME: Cervical Dystonia Update 2025" in page.text
    assert "Neurology Grand Rounds" in page.text
    assert driver.platform_registration()["client_id"] in page.text


def test_course_page_offers_launches_in_an_iframe_and_answers_storage_messages(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    page = requests.get(
        f"{driver.base_url}/{driver.flavour}/courses/{COURSES[driver.flavour]}", timeout=5
    )

    assert page.status_code == 200
    text = page.text
    assert "Launch as instructor" in text
    assert "Launch as learner Amina Haddad" in text
    assert "Content picker (deep linking) as instructor" in text
    assert 'name="tool_content"' in text and "<iframe" in text
    launch_forms = [form for form in parse_forms(text) if form.action.endswith("/launch")]
    assert launch_forms and all(form.method == "post" for form in launch_forms)
    for subject in (
        "lti.put_data",
        "lti.get_data",
        "org.imsglobal.lti.put_data",
        "lti.capabilities",
        "lti.frameResize",
        "org.imsglobal.lti.close",
    ):
        assert subject in text
    assert f'"{standin.base_url}"' in text, (
        "the tool's origin is the one allowed to talk to the page"
    )
    assert "Oluwaseun Adeyemi" in text, "the roster lists the learners"


def test_launch_button_starts_oidc_login_at_the_tool_with_the_storage_target(
    driver: SandboxDriver, standin: StandInTool
) -> None:
    url = f"{driver.base_url}/{driver.flavour}/courses/{COURSES[driver.flavour]}/launch"

    page = requests.post(url, data={"user": "learner01", "storage": "on"}, timeout=5)

    assert page.status_code == 200
    form = parse_forms(page.text)[0]
    assert form.action == f"{standin.base_url}/lti/login"
    assert form.method == "post"
    assert form.fields["lti_storage_target"] == "_parent"
    assert form.fields["login_hint"]
    assert form.fields["lti_message_hint"]
    assert "submit()" in page.text


def test_launch_button_without_storage_sends_no_storage_target(driver: SandboxDriver) -> None:
    url = f"{driver.base_url}/{driver.flavour}/courses/{COURSES[driver.flavour]}/launch"

    page = requests.post(url, data={"user": "instructor", "storage": "off"}, timeout=5)

    assert "lti_storage_target" not in parse_forms(page.text)[0].fields


def test_browser_posting_the_launch_form_reaches_the_tool(
    driver: SandboxDriver, browser: requests.Session
) -> None:
    url = f"{driver.base_url}/{driver.flavour}/courses/{COURSES[driver.flavour]}/launch"
    initiation = parse_forms(
        requests.post(url, data={"user": "learner02", "storage": "off"}, timeout=5).text
    )[0]

    authorization = browser.post(initiation.action, data=initiation.fields, timeout=5)
    response_form = parse_forms(authorization.text)[0]
    launched = browser.post(response_form.action, data=response_form.fields, timeout=5)

    assert launched.json()["claims"]["given_name"] == "Bruno"


def test_admin_page_offers_dynamic_registration(driver: SandboxDriver) -> None:
    page = requests.get(f"{driver.base_url}/{driver.flavour}/admin", timeout=5)

    assert "Register a tool by URL" in page.text
    assert driver.platform_registration()["auth_token_url"] in page.text


def test_return_url_shows_the_tools_message(
    driver: SandboxDriver, browser: requests.Session
) -> None:
    claims = driver.launch(browser, "learner01").json()["claims"]
    return_url = claims["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"][
        "return_url"
    ]
    joiner = "&" if "?" in return_url else "?"

    page = requests.get(return_url + joiner + "lti_msg=Credit+claimed", timeout=5)

    assert page.status_code == 200
    assert "Credit claimed" in page.text


def test_unknown_course_is_not_found(driver: SandboxDriver) -> None:
    assert (
        requests.get(f"{driver.base_url}/{driver.flavour}/courses/999", timeout=5).status_code
        == 404
    )
