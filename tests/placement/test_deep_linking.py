"""Deep Linking 2.0 through the sandbox LMS, over real HTTP, on Canvas and Moodle.

The instructor's browser is played by ``requests``: launch, pick, then post the tool's
auto-submitted form to the platform, which verifies the response JWT against the tool's
JWKS before it places anything.
"""

from __future__ import annotations

import re
from typing import Any

import jwt
import pytest
import requests
from sqlalchemy import select

from lti_tool import protocol
from lti_tool.models import Registration, ResourceLink
from lti_tool.sandbox.forms import HtmlForm, parse_forms

from .lms import (
    ACTIVITY,
    FLAVOURS,
    SECOND_ACTIVITY,
    Lms,
    buttons,
    csrf_of,
    inputs,
    launch_token_url,
)

DEEP_LINKING = protocol.MESSAGE_DEEP_LINKING


def open_picker(
    lms: Lms, flavour: str, *, user: str = "instructor", accept_multiple: bool
) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    page = lms.driver(flavour).launch(
        browser, user, message_type=DEEP_LINKING, accept_multiple=accept_multiple
    )
    return browser, page


def choose(browser: requests.Session, picker: requests.Response, *slugs: str) -> requests.Response:
    form = next(f for f in parse_forms(picker.text, picker.url) if "csrf_token" in f.fields)
    return browser.post(
        form.action, data={"csrf_token": csrf_of(picker.text), "activity": list(slugs)}
    )


def return_form(page: requests.Response) -> HtmlForm:
    forms = [form for form in parse_forms(page.text, page.url) if "JWT" in form.fields]
    assert len(forms) == 1, page.text
    return forms[0]


def verified(lms: Lms, flavour: str, token: str) -> dict[str, Any]:
    """The response JWT checked as a platform checks it, against the tool's published JWKS."""
    jwks = requests.get(lms.tool_base_url + "/.well-known/jwks.json", timeout=5).json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid), algorithm="RS256")
    platform = lms.driver(flavour).platform_registration()
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=platform["issuer"],
        issuer=platform["client_id"],
        options={"require": ["iss", "aud", "exp", "iat", "nonce"]},
    )
    return claims


def placed_link_ids(lms: Lms, flavour: str, data: str) -> list[str]:
    """The resource link ids the platform created for the deep linking response echoing ``data``."""
    accepted = [
        row
        for row in lms.driver(flavour).deep_links()
        if row["accepted"] and row["claims"].get(protocol.CLAIM_DL_DATA) == data
    ]
    assert len(accepted) == 1
    return [
        re.search(r"resource link '([^']+)'", text).group(1) for text in accepted[0]["placements"]
    ]  # type: ignore[union-attr]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_placed_activity_comes_back_as_a_signed_graded_link_that_launches_it(
    lms: Lms, flavour: str
) -> None:
    browser, picker = open_picker(lms, flavour, accept_multiple=False)
    assert picker.status_code == 200
    assert "/placement/" in picker.url
    request_settings = lms.launch_claims(picker.url)[protocol.CLAIM_DL_SETTINGS]

    answer = choose(browser, picker, ACTIVITY)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    form = return_form(answer)
    assert form.method == "post"
    assert form.action == request_settings["deep_link_return_url"]

    claims = verified(lms, flavour, form.fields["JWT"])
    platform = lms.driver(flavour).platform_registration()
    assert claims[protocol.CLAIM_DEPLOYMENT_ID] == platform["deployment_ids"][0]
    assert claims[protocol.CLAIM_MESSAGE_TYPE] == protocol.MESSAGE_DEEP_LINKING_RESPONSE
    assert claims[protocol.CLAIM_VERSION] == "1.3.0"
    assert claims[protocol.CLAIM_DL_DATA] == request_settings["data"]
    assert claims["exp"] > claims["iat"]
    [item] = claims[protocol.CLAIM_DL_CONTENT_ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == lms.tool_base_url + "/lti/launch"
    assert item["custom"] == {"activity": ACTIVITY}
    assert item["title"].startswith("Breaking the hold")
    assert item["lineItem"] == {
        "scoreMaximum": 100,
        "label": item["title"],
        "resourceId": ACTIVITY,
        "tag": "cme-posttest",
    }

    placed = browser.post(form.action, data=form.fields, timeout=10)
    assert placed.status_code == 200, placed.text
    [link_id] = placed_link_ids(lms, flavour, request_settings["data"])
    line_item = next(
        li for li in lms.driver(flavour).line_items() if li["resource_link_id"] == link_id
    )
    assert (line_item["score_maximum"], line_item["resource_id"], line_item["tag"]) == (
        100,
        ACTIVITY,
        "cme-posttest",
    )

    learner = requests.Session()
    launch = lms.driver(flavour).launch_form(learner, "learner07", resource_link_id=link_id)
    landed = learner.post(launch.action, data=launch.fields, allow_redirects=False, timeout=10)
    assert landed.status_code == 200
    launch_token_url(landed)
    assert (
        lms.launch_claims(landed.headers["Content-Location"])[protocol.CLAIM_CUSTOM]["activity"]
        == ACTIVITY
    )
    with lms.services.session_factory() as session:
        link = session.scalar(
            select(ResourceLink)
            .join(Registration, Registration.id == ResourceLink.registration_id)
            .where(
                Registration.issuer == lms.issuer(flavour), ResourceLink.resource_link_id == link_id
            )
        )
        assert link is not None
        assert link.activity_slug == ACTIVITY
        assert link.lineitem_url and link.lineitem_url.split("?")[0].endswith(
            f"/{line_item['id']}/lineitem" if flavour == "moodle" else f"/{line_item['id']}"
        )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_single_item_request_offers_radio_buttons_and_refuses_two_activities(
    lms: Lms, flavour: str
) -> None:
    browser, picker = open_picker(lms, flavour, accept_multiple=False)
    choices = [field for field in inputs(picker.text) if field.get("name") == "activity"]
    assert {field["type"] for field in choices} == {"radio"}
    assert {field["value"] for field in choices} >= {ACTIVITY, SECOND_ACTIVITY}

    refused = choose(browser, picker, ACTIVITY, SECOND_ACTIVITY)
    assert refused.status_code == 422
    assert "one activity at a time" in refused.text
    assert not [form for form in parse_forms(refused.text) if "JWT" in form.fields]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_multiple_item_request_offers_checkboxes_and_places_every_chosen_activity(
    lms: Lms, flavour: str
) -> None:
    browser, picker = open_picker(lms, flavour, accept_multiple=True)
    choices = [field for field in inputs(picker.text) if field.get("name") == "activity"]
    assert {field["type"] for field in choices} == {"checkbox"}

    form = return_form(choose(browser, picker, ACTIVITY, SECOND_ACTIVITY))
    claims = verified(lms, flavour, form.fields["JWT"])
    items = claims[protocol.CLAIM_DL_CONTENT_ITEMS]
    assert [item["custom"]["activity"] for item in items] == [ACTIVITY, SECOND_ACTIVITY]
    assert [item["lineItem"]["resourceId"] for item in items] == [ACTIVITY, SECOND_ACTIVITY]

    placed = browser.post(form.action, data=form.fields, timeout=10)
    assert placed.status_code == 200, placed.text
    assert len(placed_link_ids(lms, flavour, claims[protocol.CLAIM_DL_DATA])) == 2


def test_choosing_nothing_shows_the_picker_again_with_the_reason(lms: Lms) -> None:
    browser, picker = open_picker(lms, "canvas", accept_multiple=True)
    again = choose(browser, picker)
    assert again.status_code == 422
    assert "Choose an activity to add." in again.text
    assert [f for f in inputs(again.text) if f.get("name") == "activity"]


def test_the_return_page_submits_without_javascript_through_a_visible_button(lms: Lms) -> None:
    browser, picker = open_picker(lms, "moodle", accept_multiple=False)
    answer = choose(browser, picker, ACTIVITY)
    form_html = answer.text[
        answer.text.index('<form id="deep-link-return"') : answer.text.index("</form>")
    ]
    [button] = buttons(form_html)
    assert button.get("type") == "submit"
    assert "hidden" not in button
    assert button["text"].strip()
    # With scripts off the browser posts exactly this form when the button is pressed.
    form = return_form(answer)
    placed = browser.post(form.action, data=form.fields, timeout=10)
    assert placed.status_code == 200


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_learner_is_refused_the_picker_and_cannot_post_a_choice(lms: Lms, flavour: str) -> None:
    browser, page = open_picker(lms, flavour, user="learner02", accept_multiple=False)
    assert page.status_code == 403
    assert "Only instructors can add activities" in page.text
    assert not [f for f in inputs(page.text) if f.get("name") == "activity"]

    launch = lms.driver(flavour).launch_form(browser, "learner02", message_type=DEEP_LINKING)
    landed = browser.post(launch.action, data=launch.fields, allow_redirects=False, timeout=10)
    start = launch_token_url(landed)
    placement_url = lms.tool_base_url + start.removeprefix(lms.tool_base_url) + "placement/"
    csrf = lms.csrf_for(placement_url)
    posted = browser.post(
        placement_url, data={"csrf_token": csrf, "activity": ACTIVITY}, timeout=10
    )
    assert posted.status_code == 403
    assert "JWT" not in posted.text


def test_the_picker_refuses_a_launch_that_is_not_a_deep_linking_request(lms: Lms) -> None:
    browser = requests.Session()
    launch = lms.driver("canvas").launch_form(browser, "instructor")
    landed = browser.post(launch.action, data=launch.fields, allow_redirects=False, timeout=10)
    start = launch_token_url(landed)
    page = browser.get(
        lms.tool_base_url + start.removeprefix(lms.tool_base_url) + "placement/", timeout=10
    )
    assert page.status_code == 400
    assert "This launch cannot add activities" in page.text


@pytest.mark.parametrize(
    ("flavour", "user"),
    [("canvas", "ta"), ("moodle", "ta"), ("canvas", "admin"), ("moodle", "admin")],
)
def test_teaching_assistants_and_administrators_may_place_activities(
    lms: Lms, flavour: str, user: str
) -> None:
    # Canvas sends a TA as membership/Instructor#TeachingAssistant and an admin as an
    # institution Administrator; Moodle sends a TA as Instructor and a site admin with both.
    page = lms.driver(flavour).launch(
        requests.Session(), user, user, message_type=DEEP_LINKING, accept_multiple=False
    )
    assert page.status_code == 200
    assert "/placement/" in page.url
    assert [field for field in inputs(page.text) if field.get("name") == "activity"]
