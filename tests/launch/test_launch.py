"""Valid launches from both sandbox flavours, as a browser would make them."""

from __future__ import annotations

import re
from typing import Any

import requests
from sqlalchemy import event, select

from lti_tool import protocol
from lti_tool.extensions import ToolServices
from lti_tool.launch.records import read_known
from lti_tool.models import Launch, User
from lti_tool.sandbox.driver import SandboxDriver
from tests.conftest import Sandbox, Served, launch, unique


def _latest_launch(services: ToolServices) -> Launch:
    with services.session_factory() as session:
        row = session.scalars(select(Launch).order_by(Launch.created_at.desc())).first()
        assert row is not None
        session.expunge(row)
        return row


def test_learner_launch_lands_inside_the_tool(
    flavour: str, sandbox: Sandbox, tool_services: ToolServices
) -> None:
    response = launch(sandbox.driver(flavour), "learner01")
    assert response.status_code == 200
    assert "/a/" in response.url
    row = _latest_launch(tool_services)
    assert row.role == protocol.LEARNER
    assert row.message_type == protocol.MESSAGE_RESOURCE_LINK


def test_instructor_launch_is_recognised_as_instructor(
    flavour: str, sandbox: Sandbox, tool_services: ToolServices
) -> None:
    response = launch(sandbox.driver(flavour), "instructor")
    assert response.status_code == 200
    assert _latest_launch(tool_services).role == protocol.INSTRUCTOR


def test_launch_records_user_context_and_resource_link(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    launch(canvas, "learner02")
    row = _latest_launch(tool_services)
    with tool_services.session_factory() as session:
        stored = session.get(Launch, row.id)
        assert stored is not None
        assert stored.user.sub == stored.claims["sub"]
        assert stored.context is not None and stored.context.context_id
        assert stored.resource_link is not None
        assert stored.resource_link.activity_slug == "cervical-dystonia"
        assert stored.resource_link.lineitems_url

        # The next launch of the same person reads the four rows in one statement.
        claims, registration = stored.claims, stored.registration
        known = read_known(session, registration, claims)
        assert known.deployment.id == stored.deployment_pk
        assert known.user.id == stored.user_id and known.user.name == stored.user.name
        assert known.context.id == stored.context_pk
        assert known.link.id == stored.resource_link_pk
        assert known.link.activity_slug == "cervical-dystonia"

        # A course and a link seen for the first time, and a launch with no course at all:
        # only what is recorded is found; the rest is left for the launch to insert.
        elsewhere = {
            **claims,
            protocol.CLAIM_CONTEXT: {"id": unique("course-")},
            protocol.CLAIM_RESOURCE_LINK: {"id": unique("link-")},
        }
        known = read_known(session, registration, elsewhere)
        assert known.user.id == stored.user_id and known.deployment is not None
        assert known.context is None and known.link is None
        no_course = {k: v for k, v in claims.items() if k != protocol.CLAIM_CONTEXT}
        known = read_known(session, registration, {**no_course, "sub": unique("new-")})
        assert known.user is None and known.context is None
        assert known.link.id == stored.resource_link_pk


def test_same_person_launching_twice_is_one_user(
    moodle: SandboxDriver, tool_services: ToolServices
) -> None:
    launch(moodle, "learner03")
    first = _latest_launch(tool_services)
    launch(moodle, "learner03")
    second = _latest_launch(tool_services)
    assert first.id != second.id
    assert first.user_id == second.user_id


def _resigned_launch(
    driver: SandboxDriver, changes: dict, remove: tuple[str, ...] = ()
) -> requests.Response:
    """Launch with the platform's genuine id_token edited and validly re-signed."""

    def edit(token: str) -> str:
        if remove:
            token = driver.forge(token, "missing_claims", remove=remove)
        return driver.forge(token, "resigned", changes=changes) if changes else token

    session = requests.Session()
    return driver.launch(session, "learner04", tamper=edit)


def test_a_launch_answers_with_the_page_to_see_and_names_its_address(
    canvas: SandboxDriver,
) -> None:
    # Each hop is a round trip before the learner sees anything: the launch's own response
    # is the landing page, and it names the page's address so a reload is a plain GET.
    learner = _resigned_launch(canvas, {"sub": unique("first-time-")})
    instructor = canvas.launch(requests.Session(), "instructor")

    for response, page in (
        (learner, r"/a/[^/]+/activity/overview"),
        (instructor, r"/a/[^/]+/dashboard/"),
    ):
        assert response.status_code == 200
        assert response.history == []
        assert response.request.url.endswith("/lti/launch")
        address = response.headers["Content-Location"]
        assert re.fullmatch(page, address), address
        assert response.url.endswith(address)  # as the browser's address bar shows it
        assert f'<meta name="page-url" content="{address}">' in response.text
        again = requests.get(response.url, timeout=10)
        assert again.status_code == 200
        assert "page-url" not in again.text  # a page fetched at its own address
    assert "Breaking the hold" in learner.text


def test_the_first_page_shows_what_the_launch_recorded_without_reading_it_back(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    """The launch hands its rows to its first page: the learner's new name from the LMS
    is on it, and no statement read the launch back (the page's own address reads it)."""
    launch(canvas, "learner05")
    statements: list[tuple[str, Any]] = []

    def spy(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        statements.append((statement, parameters))

    new_name = unique("Renamed Learner ")
    event.listen(tool_services.engine, "before_cursor_execute", spy)
    try:
        response = canvas.launch(
            requests.Session(),
            "learner05",
            tamper=lambda token: canvas.forge(token, "resigned", changes={"name": new_name}),
        )
    finally:
        event.remove(tool_services.engine, "before_cursor_execute", spy)

    assert response.status_code == 200
    assert f"as <strong>{new_name}</strong>" in response.text
    recorded = _latest_launch(tool_services)
    reads_of_the_launch = [
        statement
        for statement, parameters in statements
        if statement.lstrip().upper().startswith("SELECT") and recorded.id in str(parameters)
    ]
    assert reads_of_the_launch == []
    again = requests.get(response.url, timeout=10)
    assert f"as <strong>{new_name}</strong>" in again.text


def test_a_first_launch_reads_none_of_what_it_writes(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    """A new learner's launch inserts the user, the launch, the participation and its
    placement, each in one statement: none is looked for again after the read that found
    it missing, and the landing's reads are handed to the first page."""
    statements: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(tool_services.engine, "before_cursor_execute", spy)
    try:
        response = _resigned_launch(canvas, {"sub": unique("first-launch-")})
    finally:
        event.remove(tool_services.engine, "before_cursor_execute", spy)

    assert response.status_code == 200 and "Breaking the hold" in response.text
    selects = [s for s in statements if s.startswith("SELECT")]
    reads = [s.split(" FROM ")[1].split()[0] for s in selects]
    assert reads.count("users") == 0  # read_known's outer join starts FROM its one-row select
    # The launch's read of its rows looked for the participation too; nothing after it.
    assert len([s for s in selects if "JOIN participations" in s]) == 1
    assert reads.count("participations") == 0
    assert reads.count("activity_versions") == 1  # the current version, for the new one
    assert not [s for s in statements if s.startswith("SELECT attempts")]


def _statements_of(services: ToolServices, run: Any) -> list[str]:
    """The statements ``run()`` executed on the tool's database from the launch's read of
    its rows on, whitespace folded; the occasional sweep of expired used states left out
    (as are reads and refreshes of cached registrations and platform keys before it)."""
    statements: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(services.engine, "before_cursor_execute", spy)
    try:
        run()
    finally:
        event.remove(services.engine, "before_cursor_execute", spy)
    read = next(i for i, s in enumerate(statements) if s.startswith("SELECT deployments.id"))
    return [s for s in statements[read:] if not s.startswith("DELETE FROM used_login_states")]


def test_a_returning_learners_launch_writes_once(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    """A returning learner's launch reads its rows and the participation in one statement,
    and writes the launch and uses its state up: on PostgreSQL in one statement, outside a
    transaction (no BEGIN and COMMIT round trips); on SQLite in one transaction."""
    launch(canvas, "learner06")
    responses: list[requests.Response] = []
    statements = _statements_of(
        tool_services, lambda: responses.append(canvas.launch(requests.Session(), "learner06"))
    )
    assert responses[0].status_code == 200 and "Breaking the hold" in responses[0].text
    if tool_services.engine.dialect.name == "postgresql":
        expected = ["SELECT deployments.id", "WITH used_now AS"]
        assert "INSERT INTO launches" in statements[-1]
    else:
        expected = [
            "SELECT deployments.id",
            "INSERT INTO used_login_states",
            "INSERT INTO launches",
        ]
    assert [s[: len(p)] for s, p in zip(statements, expected, strict=False)] == expected
    assert len(statements) == len(expected), statements
    assert "JOIN participations" in statements[0]


def test_a_launch_that_writes_more_than_itself_writes_in_one_transaction(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    """A first launch (user, course, link, launch) is one transaction on PostgreSQL too:
    the launch opens it before its first write, and the state is used up in it."""
    statements = _statements_of(
        tool_services, lambda: _resigned_launch(canvas, {"sub": unique("one-transaction-")})
    )
    writes = [s for s in statements if s.split()[0] in ("INSERT", "UPDATE", "WITH")]
    launch_insert = next(
        i for i, s in enumerate(statements) if s.startswith("INSERT INTO launches")
    )
    first_write = statements.index(writes[0])
    assert writes[0].startswith("INSERT INTO users")
    used_up = [s for s in statements if s.startswith("INSERT INTO used_login_states")]
    assert len(used_up) == 1
    assert first_write < statements.index(used_up[0]) < launch_insert
    if tool_services.engine.dialect.name == "postgresql":
        assert statements[first_write - 1] == "BEGIN"
    assert "BEGIN" not in statements[launch_insert:]


def test_a_fault_on_the_first_page_sends_the_browser_to_its_address_to_retry(
    canvas: SandboxDriver, tool: Served, tool_services: ToolServices
) -> None:
    views = tool.app.view_functions
    dashboard = views["dashboard.index"]
    faults: list[str] = []

    def fails_once(**values: Any) -> Any:
        if not faults:
            faults.append("raised")
            raise RuntimeError("the dashboard failed")
        return dashboard(**values)

    views["dashboard.index"] = fails_once
    try:
        response = canvas.launch(requests.Session(), "instructor")
    finally:
        views["dashboard.index"] = dashboard

    assert faults == ["raised"]
    # The launch is kept; its answer is a redirect to the page, which answers the retry.
    assert [hop.status_code for hop in response.history] == [303]
    assert response.status_code == 200
    assert re.search(r"/a/[^/]+/dashboard/$", response.url), response.url
    assert _latest_launch(tool_services).role == protocol.INSTRUCTOR


def test_launch_with_several_and_unknown_roles_is_accepted(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    roles = [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
        "Learner",
        "http://example.edu/roles#Something",
        "urn:lti:role:ims/lis/Learner",
    ]
    response = _resigned_launch(canvas, {protocol.CLAIM_ROLES: roles})
    assert response.status_code == 200, response.text[:300]
    assert _latest_launch(tool_services).role == protocol.LEARNER


def test_short_instructor_role_name_is_an_instructor(
    canvas: SandboxDriver, tool_services: ToolServices
) -> None:
    response = _resigned_launch(canvas, {protocol.CLAIM_ROLES: ["Instructor"]})
    assert response.status_code == 200
    assert _latest_launch(tool_services).role == protocol.INSTRUCTOR


def test_launch_with_no_name_no_email_no_context_is_accepted(
    moodle: SandboxDriver, tool_services: ToolServices
) -> None:
    sub = unique("anon-")
    response = _resigned_launch(
        moodle,
        {protocol.CLAIM_ROLES: [protocol.ROLE_LEARNER], "sub": sub},
        remove=("name", "given_name", "family_name", "email", protocol.CLAIM_CONTEXT),
    )
    assert response.status_code == 200, response.text[:300]
    with tool_services.session_factory() as session:
        user = session.scalar(select(User).where(User.sub == sub))
        assert user is not None and user.name == "" and user.email == ""
        assert user.display_name == "Learner"
    row = _latest_launch(tool_services)
    assert row.context_pk is None and row.role == protocol.LEARNER


def test_launch_with_no_roles_is_recorded_and_told_the_activity_is_for_enrolled_learners(
    moodle: SandboxDriver, tool_services: ToolServices
) -> None:
    # Core §5.3.7 allows an empty roles claim: someone with no role in the course.
    response = _resigned_launch(moodle, {protocol.CLAIM_ROLES: [], "sub": unique("anon-")})
    assert response.status_code == 403  # the landing page, in the launch's response
    assert "/a/" in response.headers["Content-Location"]
    assert "This activity is for enrolled learners" in response.text
    assert _latest_launch(tool_services).role == protocol.NOT_ENROLLED


def test_learner_name_with_markup_is_escaped(canvas: SandboxDriver) -> None:
    response = _resigned_launch(
        canvas, {"name": "<script>alert(1)</script>Eve", "sub": unique("x-")}
    )
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Eve" in response.text


def test_one_issuer_with_two_client_ids_launches_through_both(
    sandbox: Sandbox, tool: object
) -> None:
    from lti_tool.sandbox import register_tool
    from lti_tool.sandbox_link import add_sandbox_platform

    second = register_tool(sandbox.app, "canvas", tool_base_url=tool.base_url, primary=False)  # type: ignore[attr-defined]
    details = sandbox.driver("canvas", client_id=second.client_id).platform_registration()
    services = tool.app.extensions["lti_tool"]  # type: ignore[attr-defined]
    with services.session_factory.begin() as session:
        add_sandbox_platform(session, details, "second Canvas client")
    first_issuer = sandbox.driver("canvas").platform_registration()["issuer"]
    assert details["issuer"] == first_issuer
    assert (
        launch(sandbox.driver("canvas", client_id=second.client_id), "learner05").status_code == 200
    )
    assert launch(sandbox.driver("canvas"), "learner05").status_code == 200


def test_launch_through_platform_storage_when_cookies_are_lost(canvas: SandboxDriver) -> None:
    """With lti_storage_target and no cookie back, the tool asks the platform's frame."""
    session = requests.Session()
    form = canvas.launch_form(session, "learner06", with_storage_target=True)
    cookieless = requests.Session()
    response = cookieless.post(form.action, data=form.fields, timeout=10)
    assert response.status_code == 200
    assert "lti_storage_value" in response.text and 'data-target="' in response.text
