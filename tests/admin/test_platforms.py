"""Managing platforms and deployments from the console."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.models import Deployment, DeploymentStatus, Participation, Registration, User
from lti_tool.registration.platforms import PlatformInUse, delete_platform, platform_usage
from lti_tool.sandbox.driver import LaunchRefused
from tests.conftest import Served, launch, unique
from tests.registration.fixtures import Lms, csrf_of, post_form
from tests.registration.flows import client_id_on, register, stored


def add_by_hand(client: requests.Session, tool: Served, **values: str) -> requests.Response:
    page = client.get(f"{tool.base_url}/admin/platforms/new", timeout=10)
    fields = {
        "csrf_token": csrf_of(page),
        "name": "Hand-made LMS",
        "issuer": f"https://{unique('lms-')}.example.edu",
        "client_id": "client-1",
        "auth_login_url": "https://lms.example.edu/auth",
        "auth_token_url": "https://lms.example.edu/token",
        "key_set_url": "https://lms.example.edu/jwks",
        "deployment_ids": "dep-1 dep-2",
        "product_family": "moodle",
        **values,
    }
    return client.post(
        f"{tool.base_url}/admin/platforms/new", data=fields, timeout=10, allow_redirects=False
    )


def registration_at(response: requests.Response) -> int:
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_a_platform_added_by_hand_is_listed_with_its_deployments(
    console_tool: Served, console_services: ToolServices, signed_in: requests.Session
) -> None:
    issuer = f"https://{unique('lms-')}.example.edu"

    response = add_by_hand(signed_in, console_tool, issuer=issuer)

    assert response.status_code == 302
    registration = stored(console_services, issuer, "client-1")
    assert registration is not None and registration.active
    assert sorted(d.deployment_id for d in registration.deployments) == ["dep-1", "dep-2"]
    listing = signed_in.get(f"{console_tool.base_url}/admin/platforms", timeout=10)
    assert issuer in listing.text
    assert f'data-registration="{registration.id}" data-state="live"' in listing.text


def test_adding_a_platform_that_exists_says_so_and_changes_nothing(
    console_tool: Served, console_services: ToolServices, signed_in: requests.Session
) -> None:
    issuer = f"https://{unique('lms-')}.example.edu"
    assert add_by_hand(signed_in, console_tool, issuer=issuer).status_code == 302

    again = add_by_hand(
        signed_in, console_tool, issuer=issuer, key_set_url="https://elsewhere.example/jwks"
    )

    assert again.status_code == 400
    assert "is already registered" in again.text
    registration = stored(console_services, issuer, "client-1")
    assert registration is not None
    assert registration.key_set_url == "https://lms.example.edu/jwks"


def test_a_platform_with_a_bad_url_is_refused_with_the_reason(
    console_tool: Served, signed_in: requests.Session
) -> None:
    response = add_by_hand(signed_in, console_tool, key_set_url="lms.example.edu/jwks")

    assert response.status_code == 400
    assert "key set URL must be an http(s) URL" in response.text


def test_editing_disabling_and_enabling_a_platform(
    console_tool: Served, console_services: ToolServices, signed_in: requests.Session
) -> None:
    issuer = f"https://{unique('lms-')}.example.edu"
    registration_id = registration_at(add_by_hand(signed_in, console_tool, issuer=issuer))
    edit = signed_in.get(
        f"{console_tool.base_url}/admin/platforms/{registration_id}/edit", timeout=10
    )

    saved = post_form(
        signed_in, edit, "/edit", name="Renamed LMS", key_set_url="https://lms.example.edu/keys"
    )
    detail = signed_in.get(f"{console_tool.base_url}/admin/platforms/{registration_id}", timeout=10)
    disabled = post_form(signed_in, detail, "/disable")

    assert saved.status_code == disabled.status_code == 302
    registration = stored(console_services, issuer, "client-1")
    assert registration is not None
    assert (registration.name, registration.key_set_url) == (
        "Renamed LMS",
        "https://lms.example.edu/keys",
    )
    assert not registration.active
    detail = signed_in.get(f"{console_tool.base_url}/admin/platforms/{registration_id}", timeout=10)
    assert post_form(signed_in, detail, "/enable").status_code == 302
    registration = stored(console_services, issuer, "client-1")
    assert registration is not None and registration.active


def test_deployments_are_added_disabled_and_deleted(
    console_tool: Served, console_services: ToolServices, signed_in: requests.Session
) -> None:
    issuer = f"https://{unique('lms-')}.example.edu"
    registration_id = registration_at(add_by_hand(signed_in, console_tool, issuer=issuer))
    detail = signed_in.get(f"{console_tool.base_url}/admin/platforms/{registration_id}", timeout=10)

    adding = f"/platforms/{registration_id}/deployments"
    post_form(signed_in, detail, adding, deployment_id="dep-3")
    duplicate = post_form(signed_in, detail, adding, deployment_id="dep-3")
    registration = stored(console_services, issuer, "client-1")
    assert registration is not None
    dep_1 = next(d for d in registration.deployments if d.deployment_id == "dep-1")
    post_form(signed_in, detail, f"/deployments/{dep_1.id}/disable")
    post_form(signed_in, detail, f"/deployments/{dep_1.id}/delete", confirm="")

    after = signed_in.get(f"{console_tool.base_url}{duplicate.headers['Location']}", timeout=10)
    assert "already registered for this LMS" in after.text
    registration = stored(console_services, issuer, "client-1")
    assert registration is not None
    assert sorted((d.deployment_id, d.status) for d in registration.deployments) == [
        ("dep-2", DeploymentStatus.ACTIVE),
        ("dep-3", DeploymentStatus.ACTIVE),
    ]


def registered_with_a_learner(
    console_tool: Served, console_services: ToolServices, lms: Lms
) -> tuple[Registration, str]:
    page = register(console_tool.base_url, lms.driver("moodle").registration_token())
    client_id = client_id_on(page)
    driver = lms.driver("moodle", client_id=client_id)
    assert launch(driver, "learner02").status_code == 200
    registration = stored(console_services, driver.platform_registration()["issuer"], client_id)
    assert registration is not None
    return registration, client_id


def test_deleting_a_platform_with_learners_explains_and_needs_the_client_id(
    console_tool: Served,
    console_services: ToolServices,
    lms: Lms,
    signed_in: requests.Session,
) -> None:
    registration, client_id = registered_with_a_learner(console_tool, console_services, lms)
    page = signed_in.get(
        f"{console_tool.base_url}/admin/platforms/{registration.id}/delete", timeout=10
    )
    assert "1 learner(s) keep their participation records" in page.text
    assert "Disable instead" in page.text

    unconfirmed = post_form(signed_in, page, "/delete", confirm_client_id="")

    assert unconfirmed.status_code == 409
    assert "cannot be undone" in unconfirmed.text
    assert stored(console_services, registration.issuer, client_id) is not None

    confirmed = post_form(signed_in, page, "/delete", confirm_client_id=client_id)

    assert confirmed.status_code == 302
    assert stored(console_services, registration.issuer, client_id) is None
    with transaction(console_services.session_factory) as session:
        learner = session.scalar(
            select(User).where(User.issuer == registration.issuer).order_by(User.id.desc())
        )
        assert learner is not None  # people and their records outlive the registration
    with pytest.raises(LaunchRefused):
        launch(lms.driver("moodle", client_id=client_id), "learner02")


def test_disabling_instead_keeps_the_records_and_refuses_launches(
    console_tool: Served,
    console_services: ToolServices,
    lms: Lms,
    signed_in: requests.Session,
) -> None:
    registration, client_id = registered_with_a_learner(console_tool, console_services, lms)
    page = signed_in.get(
        f"{console_tool.base_url}/admin/platforms/{registration.id}/delete", timeout=10
    )

    assert post_form(signed_in, page, "/disable").status_code == 302

    kept = stored(console_services, registration.issuer, client_id)
    assert kept is not None and not kept.active
    with transaction(console_services.session_factory) as session:
        assert platform_usage(session, kept).launches == 1
    with pytest.raises(LaunchRefused):
        launch(lms.driver("moodle", client_id=client_id), "learner02")


def test_deleting_a_platform_with_learners_needs_confirmation_in_code_too(
    console_tool: Served, console_services: ToolServices, lms: Lms
) -> None:
    registration, _client_id = registered_with_a_learner(console_tool, console_services, lms)

    with transaction(console_services.session_factory) as session:
        row = session.get(Registration, registration.id)
        assert row is not None
        with pytest.raises(PlatformInUse) as refused:
            delete_platform(session, row)

    assert refused.value.usage.learners == 1
    assert stored(console_services, registration.issuer, registration.client_id) is not None


def test_deleting_an_unused_platform_needs_no_typing(
    console_tool: Served, console_services: ToolServices, signed_in: requests.Session
) -> None:
    issuer = f"https://{unique('lms-')}.example.edu"
    registration_id = registration_at(add_by_hand(signed_in, console_tool, issuer=issuer))
    page = signed_in.get(
        f"{console_tool.base_url}/admin/platforms/{registration_id}/delete", timeout=10
    )
    assert "No learner has used this platform yet" in page.text

    assert post_form(signed_in, page, "/delete").status_code == 302

    assert stored(console_services, issuer, "client-1") is None
    with transaction(console_services.session_factory) as session:
        orphans = session.scalar(
            select(func.count())
            .select_from(Deployment)
            .where(Deployment.registration_id == registration_id)
        )
    assert orphans == 0


def test_a_missing_platform_is_a_clear_404(
    console_tool: Served, signed_in: requests.Session
) -> None:
    response = signed_in.get(f"{console_tool.base_url}/admin/platforms/987654321", timeout=10)

    assert response.status_code == 404
    assert "There is no platform #987654321" in response.text


def test_participations_survive_the_deletion_of_their_platform(
    console_tool: Served,
    console_services: ToolServices,
    lms: Lms,
) -> None:
    registration, _client_id = registered_with_a_learner(console_tool, console_services, lms)
    with transaction(console_services.session_factory) as session:
        before = session.scalar(select(func.count()).select_from(Participation)) or 0
        row = session.get(Registration, registration.id)
        assert row is not None
        delete_platform(session, row, confirm=True)

    with transaction(console_services.session_factory) as session:
        after = session.scalar(select(func.count()).select_from(Participation)) or 0
    assert after == before
