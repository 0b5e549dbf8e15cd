"""Console pages for operation: launches and their errors, the grade outbox, keys, rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import delete

from lti_tool.db import transaction, utcnow
from lti_tool.extensions import ToolServices
from lti_tool.models import LaunchFailure, User
from lti_tool.models.admin import ApprovalState
from lti_tool.models.grades import OutboxStatus, ScoreOutbox
from lti_tool.registration.platforms import create_platform
from lti_tool.registration.policy import registration_policy, update_policy
from tests.conftest import Sandbox, Served, launch, unique
from tests.registration.fixtures import Lms, csrf_of, post_form
from tests.registration.flows import client_id_on, record_of, register, stored


def test_launches_page_shows_recent_launches_and_refused_ones_with_their_errors(
    console_tool: Served,
    console_services: ToolServices,
    sandbox: Sandbox,
    signed_in: requests.Session,
) -> None:
    code = unique("code-")
    with transaction(console_services.session_factory) as session:
        session.add(
            LaunchFailure(code=code, issuer="https://lms.example.edu", detail="kid 'x' unknown")
        )
    assert launch(sandbox.driver("canvas"), "learner03").status_code == 200

    page = signed_in.get(f"{console_tool.base_url}/admin/launches", timeout=10)

    assert page.status_code == 200
    assert code in page.text and "kid &#39;x&#39; unknown" in page.text
    assert "Chiara Bianchi" in page.text  # learner03 in the sandbox


@pytest.fixture
def dead_letter(console_services: ToolServices) -> Iterator[int]:
    with transaction(console_services.session_factory) as session:
        registration = create_platform(
            session,
            issuer=f"https://{unique('lms-')}.example.edu",
            client_id="grades",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
            key_set_url="https://lms.example.edu/jwks",
            source="console",
            name="Gradebook LMS",
        )
        learner = User(issuer=registration.issuer, sub=unique(), name="Ada Dead-Letter")
        session.add(learner)
        session.flush()
        row = ScoreOutbox(
            registration_id=registration.id,
            user_id=learner.id,
            event_key=unique("posttest:"),
            pair_key=unique("pair-"),
            payload={"scoreGiven": 8, "scoreMaximum": 10, "userId": learner.sub},
            score_timestamp=utcnow(),
            status=OutboxStatus.DEAD,
            attempts=3,
            last_error="HTTP 422: user is not in the course",
        )
        session.add(row)
        session.flush()
        row_id = row.id
    yield row_id
    with transaction(console_services.session_factory) as session:
        session.execute(delete(ScoreOutbox).where(ScoreOutbox.id == row_id))


def test_grades_page_shows_dead_letters_and_resends_them(
    console_tool: Served,
    console_services: ToolServices,
    signed_in: requests.Session,
    dead_letter: int,
) -> None:
    page = signed_in.get(f"{console_tool.base_url}/admin/grades", timeout=10)
    assert "Ada Dead-Letter" in page.text
    assert "user is not in the course" in page.text

    response = signed_in.post(
        f"{console_tool.base_url}/admin/grades/resend",
        data={"csrf_token": csrf_of(page), "ids": str(dead_letter)},
        timeout=10,
        allow_redirects=False,
    )

    assert response.status_code == 302
    with transaction(console_services.session_factory) as session:
        row = session.get(ScoreOutbox, dead_letter)
        assert row is not None
        assert (row.status, row.resend_count, row.attempts) == (OutboxStatus.PENDING, 1, 0)
    page = signed_in.get(f"{console_tool.base_url}/admin/grades", timeout=10)
    assert "1 score(s) queued again." in page.text
    assert 'id="undelivered"' in page.text


def jwks_kids(tool: Served) -> list[str]:
    keys = requests.get(f"{tool.base_url}/.well-known/jwks.json", timeout=10).json()["keys"]
    return [key["kid"] for key in keys]


def test_keys_are_rotated_retired_and_deleted_from_the_console(
    console_tool: Served, console_services: ToolServices, signed_in: requests.Session
) -> None:
    signing = console_services.key_store.signing_key().kid
    before = jwks_kids(console_tool)
    page = signed_in.get(f"{console_tool.base_url}/admin/keys", timeout=10)

    post_form(signed_in, page, "/keys/rotate")

    published = jwks_kids(console_tool)
    (new_kid,) = set(published) - set(before)
    # Platforms cache key sets: the new key signs only after the propagation delay.
    assert console_services.key_store.signing_key().kid == signing
    page = signed_in.get(f"{console_tool.base_url}/admin/keys", timeout=10)
    post_form(signed_in, page, f"/keys/{new_kid}/retire")
    page = signed_in.get(f"{console_tool.base_url}/admin/keys", timeout=10)
    assert f'data-kid="{new_kid}"' in page.text
    post_form(signed_in, page, f"/keys/{new_kid}/delete")
    assert jwks_kids(console_tool) == before


def live_kids(services: ToolServices) -> list[str]:
    published = services.key_store.keys()
    return [key.kid for key in published if key.retired_at is None]


def test_the_only_live_key_cannot_be_retired(
    console_tool: Served, console_services: ToolServices, signed_in: requests.Session
) -> None:
    live = live_kids(console_services)
    assert len(live) == 1
    page = signed_in.get(f"{console_tool.base_url}/admin/keys", timeout=10)

    post_form(signed_in, page, f"/keys/{live[0]}/retire")

    page = signed_in.get(f"{console_tool.base_url}/admin/keys", timeout=10)
    assert "only live key" in page.text
    assert live_kids(console_services) == live


@pytest.fixture
def policy_restored(console_services: ToolServices) -> Iterator[None]:
    yield
    with transaction(console_services.session_factory) as session:
        update_policy(session, require_approval=False, trust_new_deployments=False, operator="")


def test_requiring_approval_holds_the_next_dynamic_registration(
    console_tool: Served,
    console_services: ToolServices,
    lms: Lms,
    signed_in: requests.Session,
    policy_restored: None,
) -> None:
    page = signed_in.get(f"{console_tool.base_url}/admin/settings", timeout=10)
    assert post_form(signed_in, page, "/settings", require_approval="on").status_code == 302
    with transaction(console_services.session_factory) as session:
        assert registration_policy(session).require_approval

    registered = register(console_tool.base_url, lms.driver("moodle").registration_token())

    assert 'data-status="pending"' in registered.text
    assert "reviews every new LMS" in registered.text
    client_id = client_id_on(registered)
    issuer = lms.driver("moodle", client_id=client_id).platform_registration()["issuer"]
    registration = stored(console_services, issuer, client_id)
    assert registration is not None and not registration.active
    assert record_of(console_services, registration).approval is ApprovalState.PENDING
    overview = signed_in.get(f"{console_tool.base_url}/admin/", timeout=10)
    assert f"/admin/platforms/{registration.id}" in overview.text


def test_trusting_new_deployments_lets_a_canvas_registration_launch_after_approval(
    console_tool: Served,
    console_services: ToolServices,
    lms: Lms,
    signed_in: requests.Session,
    policy_restored: None,
) -> None:
    page = signed_in.get(f"{console_tool.base_url}/admin/settings", timeout=10)
    post_form(signed_in, page, "/settings", trust_new_deployments="on", require_approval="")
    registered = register(console_tool.base_url, lms.driver("canvas").registration_token())
    client_id = client_id_on(registered)
    driver = lms.driver("canvas", client_id=client_id)
    registration = stored(console_services, driver.platform_registration()["issuer"], client_id)
    assert registration is not None and registration.auto_approve_deployments
    detail = signed_in.get(f"{console_tool.base_url}/admin/platforms/{registration.id}", timeout=10)
    post_form(signed_in, detail, "/approve")

    landed = launch(driver, "learner04")

    assert landed.status_code == 200, landed.text


def test_outbox_page_shows_every_queue_with_its_counts(
    console_tool: Served, signed_in: requests.Session, dead_letter: int
) -> None:
    page = signed_in.get(f"{console_tool.base_url}/admin/outbox", timeout=10)

    assert page.status_code == 200
    for queue in ("scores", "certificate_mail", "cpe_monitor"):
        assert f'data-queue="{queue}"' in page.text
    # The score queue's counts include the dead letter of this test.
    scores_row = page.text.split('data-queue="scores"')[1].split("</tr>")[0]
    dead = int(scores_row.split('data-state="dead">')[1].split("<")[0])
    assert dead >= 1
    assert "Ada Dead-Letter" in page.text
