"""Every refused launch: the right status, a page that says what to check, nothing written."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from lti_tool import protocol
from lti_tool.extensions import ToolServices
from lti_tool.launch.storage import LoginStates
from lti_tool.models import Deployment, DeploymentStatus, LaunchFailure
from lti_tool.sandbox.driver import SandboxDriver
from tests.conftest import Sandbox, Served, launch, unique
from tests.launch.helpers import row_counts


def _refused(
    driver: SandboxDriver,
    services: ToolServices,
    tamper: Callable[[str], str] | None = None,
    user: str = "learner07",
) -> requests.Response:
    before = row_counts(services)
    response = driver.launch(requests.Session(), user, tamper=tamper)
    assert row_counts(services) == before, "a refused launch wrote rows"
    assert "For your LMS administrator" in response.text
    return response


def _last_failure(services: ToolServices) -> LaunchFailure:
    with services.session_factory() as session:
        row = session.scalars(select(LaunchFailure).order_by(LaunchFailure.id.desc())).first()
        assert row is not None
        return row


@pytest.mark.parametrize(
    ("variant", "status", "code"),
    [
        ("wrong_key", 401, "invalid_signature"),
        ("alg_none", 401, "invalid_signature"),
        ("hs256_public_key", 401, "invalid_signature"),
        ("expired", 401, "token_expired"),
        ("wrong_aud", 403, "unknown_registration"),
        ("wrong_iss", 403, "unknown_registration"),
        ("wrong_nonce", 409, "replayed_launch"),
        ("altered", 401, "invalid_signature"),
    ],
)
def test_forged_id_token_is_refused(
    variant: str, status: int, code: str, canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    response = _refused(canvas, tool_services, lambda token: canvas.forge(token, variant))
    assert response.status_code == status
    assert _last_failure(tool_services).code == code


def test_token_signed_with_an_unknown_key_id_is_refused(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def resign(token: str) -> str:
        return canvas.sign_id_token(
            canvas.decode(token), key=stranger, headers={"kid": "no-such-kid"}
        )

    response = _refused(canvas, tool_services, resign)
    assert response.status_code == 401
    assert _last_failure(tool_services).code == "unknown_key"


def test_wrong_deployment_in_token_is_refused(
    moodle: SandboxDriver, tool_services: ToolServices
) -> None:
    response = _refused(
        moodle, tool_services, lambda token: moodle.forge(token, "wrong_deployment")
    )
    assert response.status_code == 403
    assert _last_failure(tool_services).code == "deployment_mismatch"


@pytest.mark.parametrize(
    ("removed", "code"),
    [
        ("sub", "invalid_claims"),
        (protocol.CLAIM_ROLES, "invalid_claims"),
        (protocol.CLAIM_RESOURCE_LINK, "invalid_claims"),
        (protocol.CLAIM_DEPLOYMENT_ID, "invalid_claims"),
        (protocol.CLAIM_VERSION, "invalid_claims"),
    ],
)
def test_launch_missing_a_required_claim_is_refused(
    removed: str, code: str, canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    response = _refused(
        canvas, tool_services, lambda token: canvas.forge(token, "missing_claims", remove=[removed])
    )
    assert response.status_code == 400
    assert _last_failure(tool_services).code == code


def test_wrong_message_type_is_refused(canvas: SandboxDriver, tool_services: ToolServices) -> None:
    changes = {protocol.CLAIM_MESSAGE_TYPE: "LtiSubmissionReviewRequest"}
    response = _refused(
        canvas, tool_services, lambda t: canvas.forge(t, "resigned", changes=changes)
    )
    assert response.status_code == 400
    assert _last_failure(tool_services).code == "wrong_message_type"


def test_target_link_uri_of_another_site_is_refused(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    changes = {protocol.CLAIM_TARGET_LINK_URI: "https://evil.example/lti/launch"}
    response = _refused(
        canvas, tool_services, lambda t: canvas.forge(t, "resigned", changes=changes)
    )
    assert response.status_code == 400


def test_malformed_token_is_refused(canvas: SandboxDriver, tool_services: ToolServices) -> None:
    response = _refused(canvas, tool_services, lambda _token: "bm90.anNvbg.c2ln")
    assert response.status_code == 400
    assert _last_failure(tool_services).code == "malformed_request"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token + ".extra",  # four segments
        lambda token: token.rsplit(".", 1)[0],  # no signature segment
        lambda token: token.replace(".", ".!", 1),  # a character outside base64url
        lambda token: "W10." + token.split(".", 1)[1],  # a header that is a JSON array
        lambda token: token.split(".", 1)[0] + ".bm90IGpzb24." + token.rsplit(".", 1)[1],
    ],
    ids=["four-segments", "two-segments", "not-base64url", "header-not-object", "body-not-json"],
)
def test_a_token_that_is_not_a_compact_jwt_is_refused_before_any_key_is_looked_up(
    canvas: SandboxDriver, tool_services: ToolServices, mangle: Callable[[str], str]
) -> None:
    response = _refused(canvas, tool_services, mangle)
    assert response.status_code == 400
    assert _last_failure(tool_services).code == "malformed_request"


def test_replayed_launch_is_refused(canvas: SandboxDriver, tool_services: ToolServices) -> None:
    session = requests.Session()
    form = canvas.launch_form(session, "learner08")
    cookies = session.cookies.get_dict()  # a replay brings the state cookie back too
    first = session.post(form.action, data=form.fields, timeout=10)
    assert first.status_code == 200
    before = row_counts(tool_services)
    replay = requests.post(
        form.action, data=form.fields, cookies=cookies, timeout=10, allow_redirects=False
    )
    assert replay.status_code == 409
    assert row_counts(tool_services) == before


def test_launch_without_state_cookie_is_refused_and_offers_a_new_window(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    form = canvas.launch_form(requests.Session(), "learner09")
    before = row_counts(tool_services)
    response = requests.post(form.action, data=form.fields, timeout=10)
    assert response.status_code == 401
    assert "Open in a new window" in response.text
    assert "lti1p3_new_window=1" in response.text
    assert row_counts(tool_services) == before


def test_unknown_state_is_refused(tool: Served, tool_services: ToolServices) -> None:
    before = row_counts(tool_services)
    response = requests.post(
        tool.base_url + "/lti/launch", data={"state": "state-nope", "id_token": "a.b.c"}, timeout=10
    )
    assert response.status_code == 401
    assert row_counts(tool_services) == before


def _posted_with_state(form: Any, cookies: dict[str, str], state: str) -> requests.Response:
    fields = {**form.fields, "state": state}
    return requests.post(form.action, data=fields, cookies=cookies, timeout=10)


def test_a_state_the_tool_did_not_sign_is_refused_and_burns_nothing(
    moodle: SandboxDriver, tool_services: ToolServices
) -> None:
    """The state is signed, not stored: one re-signed with another secret (here dropping the
    deployment the login named) or altered by a byte is unknown, and the genuine state
    stays good."""
    session = requests.Session()
    form = moodle.launch_form(session, "learner14")
    cookies = session.cookies.get_dict()
    genuine = tool_services.login_states.read(form.fields["state"])
    assert genuine.login_deployment_id  # Moodle names the deployment at login
    unbound = dataclasses.replace(genuine, login_deployment_id=None)
    resigned = LoginStates("not-this-tool's-secret", 600).sign(unbound)
    state = form.fields["state"]
    altered = state[:10] + ("A" if state[10] != "A" else "B") + state[11:]
    before = row_counts(tool_services)

    for forged in (resigned, altered):
        refused = _posted_with_state(form, cookies, forged)
        assert refused.status_code == 401
        assert _last_failure(tool_services).code == "state_missing"
    assert row_counts(tool_services) == before

    assert _posted_with_state(form, cookies, state).status_code == 200


def test_an_expired_state_is_refused_and_offers_to_start_again(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    session = requests.Session()
    form = canvas.launch_form(session, "learner15")
    cookies = session.cookies.get_dict()
    genuine = tool_services.login_states.read(form.fields["state"])
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    expired = tool_services.login_states.sign(dataclasses.replace(genuine, expires_at=past))
    before = row_counts(tool_services)

    refused = _posted_with_state(form, cookies, expired)

    assert refused.status_code == 401
    assert "lti1p3_new_window=1" in refused.text
    assert _last_failure(tool_services).detail == "the login state expired"
    assert row_counts(tool_services) == before


def test_login_from_an_unknown_issuer_is_refused(tool: Served) -> None:
    response = requests.get(
        tool.base_url + "/lti/login",
        params={
            "iss": "https://unknown.example",
            "login_hint": "x",
            "target_link_uri": tool.base_url + "/lti/launch",
            "client_id": "nope",
        },
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 403
    assert "not registered" in response.text


def test_login_with_an_unknown_client_id_is_refused(canvas: SandboxDriver, tool: Served) -> None:
    issuer = canvas.platform_registration()["issuer"]
    response = requests.get(
        tool.base_url + "/lti/login",
        params={
            "iss": issuer,
            "login_hint": "x",
            "target_link_uri": tool.base_url + "/lti/launch",
            "client_id": "not-a-client",
        },
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 403


def test_login_without_login_hint_is_refused(canvas: SandboxDriver, tool: Served) -> None:
    details = canvas.platform_registration()
    response = requests.get(
        tool.base_url + "/lti/login",
        params={
            "iss": details["issuer"],
            "client_id": details["client_id"],
            "target_link_uri": tool.base_url + "/lti/launch",
        },
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 400


def _platform_with_an_unknown_deployment(
    sandbox: Sandbox, tool: Served, services: ToolServices
) -> tuple[SandboxDriver, dict[str, Any]]:
    """A sandbox Moodle whose registration the tool knows but whose deployment it does not."""
    from lti_tool.registration.platforms import add_platform
    from lti_tool.sandbox import register_tool

    other = register_tool(sandbox.app, "moodle", tool_base_url=tool.base_url, primary=False)
    driver = sandbox.driver("moodle", client_id=other.client_id)
    details = driver.platform_registration()
    with services.session_factory.begin() as session:
        add_platform(
            session,
            issuer=details["issuer"],
            client_id=details["client_id"],
            auth_login_url=details["auth_login_url"],
            auth_token_url=details["auth_token_url"],
            key_set_url=details["key_set_url"],
        )
    return driver, details


def test_unregistered_deployment_is_refused_and_recorded_as_pending(
    sandbox: Sandbox, tool: Served, tool_services: ToolServices
) -> None:
    driver, details = _platform_with_an_unknown_deployment(sandbox, tool, tool_services)
    response = _refused(driver, tool_services, user="learner10")
    assert response.status_code == 403
    assert _last_failure(tool_services).code == "unknown_deployment"
    with tool_services.session_factory() as session:
        pending = session.scalar(
            select(Deployment)
            .where(Deployment.deployment_id == details["deployment_ids"][0])
            .join(Deployment.registration)
            .where(Deployment.registration.has(client_id=details["client_id"]))
        )
        assert pending is not None and pending.status is DeploymentStatus.PENDING
    second = _refused(driver, tool_services, user="learner10")
    assert second.status_code == 403
    assert _last_failure(tool_services).code == "deployment_pending"


def test_a_launch_refused_after_its_signature_was_checked_uses_its_state_up(
    canvas: SandboxDriver,
) -> None:
    """The state is used up by the refused post too: the login's genuine token, posted
    after a refused one, is a replay (a captured token cannot be tried again)."""
    session = requests.Session()
    form = canvas.launch_form(session, "learner12")
    cookies = session.cookies.get_dict()
    changes = {protocol.CLAIM_MESSAGE_TYPE: "LtiSubmissionReviewRequest"}
    forged = dict(form.fields)
    forged["id_token"] = canvas.forge(form.fields["id_token"], "resigned", changes=changes)
    refused = requests.post(
        form.action, data=forged, cookies=cookies, timeout=10, allow_redirects=False
    )
    assert refused.status_code == 400
    genuine = requests.post(
        form.action, data=form.fields, cookies=cookies, timeout=10, allow_redirects=False
    )
    assert genuine.status_code == 409


def test_a_launch_refused_for_its_deployment_cannot_be_replayed_once_the_deployment_is_approved(
    sandbox: Sandbox, tool: Served, tool_services: ToolServices
) -> None:
    driver, details = _platform_with_an_unknown_deployment(sandbox, tool, tool_services)
    browser = requests.Session()
    form = driver.launch_form(browser, "learner13")
    cookies = browser.cookies.get_dict()
    first = requests.post(
        form.action, data=form.fields, cookies=cookies, timeout=10, allow_redirects=False
    )
    assert first.status_code == 403
    with tool_services.session_factory.begin() as session:
        pending = session.scalars(
            select(Deployment)
            .where(Deployment.deployment_id == details["deployment_ids"][0])
            .join(Deployment.registration)
            .where(Deployment.registration.has(client_id=details["client_id"]))
        ).all()
        assert [row.status for row in pending] == [DeploymentStatus.PENDING]
        pending[0].status = DeploymentStatus.ACTIVE  # the admin approves it
    again = requests.post(
        form.action, data=form.fields, cookies=cookies, timeout=10, allow_redirects=False
    )
    assert again.status_code == 409
    assert _last_failure(tool_services).code == "replayed_launch"


@pytest.mark.parametrize("learner", ["new", "returning"])
def test_concurrent_posts_of_one_launch_succeed_once(
    canvas: SandboxDriver, tool_services: ToolServices, learner: str
) -> None:
    """Of four posts of one launch at once, one is admitted and one launch recorded: for a
    new learner (the launch writes its user first) and a returning one (on PostgreSQL the
    launch and its state's use are one statement, outside a transaction)."""
    from concurrent.futures import ThreadPoolExecutor

    if learner == "returning":
        launch(canvas, "learner11")
    session = requests.Session()
    form = canvas.launch_form(session, "learner11")
    if learner == "new":
        changes = {"sub": unique("concurrent-")}
        form.fields["id_token"] = canvas.forge(form.fields["id_token"], "resigned", changes=changes)
    launches_before = row_counts(tool_services)["launches"]
    cookies = session.cookies.get_dict()

    def post() -> int:
        return requests.post(
            form.action, data=form.fields, cookies=cookies, timeout=10, allow_redirects=False
        ).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(lambda _: post(), range(4)))
    assert statuses.count(200) == 1
    assert all(status == 409 for status in statuses if status != 200)

    assert row_counts(tool_services)["launches"] == launches_before + 1
