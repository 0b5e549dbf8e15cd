"""Fixtures for the journey: an app on a temporary SQLite file, activities loaded from a
temporary folder, and launches recorded directly in the database.

Until the shared tests/conftest.py serves the tool over HTTP with the sandbox LMS, a launch
is made by writing its rows (registration, deployment, user, course, resource link, launch)
and issuing its token with the app's own ``LaunchTokens``; pages are then driven through the
Flask test client, following the forms the server rendered (see ``pages.py``).

The schema is built by the Alembic migrations, as in production.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool import create_app, protocol
from lti_tool.catalog import load_activities
from lti_tool.config import Settings
from lti_tool.db import utcnow
from lti_tool.extensions import ToolServices
from lti_tool.migrate import upgrade
from lti_tool.models import Context, Deployment, Launch, Registration, ResourceLink, User

from .pages import Form, Page

REPO = Path(__file__).resolve().parents[2]
MINI_ACTIVITY = REPO / "tests" / "fixtures" / "activities" / "mini-activity"
ISSUER = "https://lms.example.edu"
TODAY = dt.date.today()


def write_activity(
    root: Path,
    *,
    release: dt.date = TODAY - dt.timedelta(days=30),
    expiration: dt.date = TODAY + dt.timedelta(days=300),
    source: Path = MINI_ACTIVITY,
) -> Path:
    """A copy of an activity folder under ``root`` with its dates moved around today."""
    target = root / source.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    meta = target / "activity.yaml"
    text = meta.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^release_date: .*$", f"release_date: {release.isoformat()}", text)
    text = re.sub(r"(?m)^expiration_date: .*$", f"expiration_date: {expiration.isoformat()}", text)
    meta.write_text(text, encoding="utf-8")
    return target


def replace_in(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@dataclass
class Tool:
    app: Flask
    activities_dir: Path

    @property
    def services(self) -> ToolServices:
        found: ToolServices = self.app.extensions["lti_tool"]
        return found

    def session(self) -> Session:
        return self.services.session_factory()

    def reload(self) -> None:
        with self.services.session_factory.begin() as session:
            load_activities(session, self.activities_dir)


@pytest.fixture
def activities_dir(tmp_path: Path) -> Path:
    root = tmp_path / "activities"
    root.mkdir()
    write_activity(root)
    return root


@pytest.fixture(scope="session")
def weasyprint_loaded() -> None:
    """Import WeasyPrint once, quietly, before a test makes the tool print.

    WeasyPrint 70 warns at import when HarfBuzz-Subset (Debian: libharfbuzz-subset0) is
    missing, and pytest makes warnings errors; the printable PDF renders either way. The
    package belongs in scripts/install.sh, after which this filter matches nothing.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning
        )
        import weasyprint  # noqa: F401


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Generating the tool's RSA key is the slowest part of create_app; one is enough.
    return tmp_path_factory.mktemp("keys")


@pytest.fixture
def tool(tmp_path: Path, activities_dir: Path, keys_dir: Path) -> Iterator[Tool]:
    settings = Settings(
        instance_dir=tmp_path / "instance",
        database_url=f"sqlite:///{tmp_path / 'tool.sqlite3'}",
        keys_dir=keys_dir,
        secret_key="journey-tests-" + "s" * 40,
        activities_dir=activities_dir,
        sandbox_enabled=False,
        inline_grade_worker=False,
    )
    settings.instance_dir.mkdir(parents=True)
    upgrade(settings.database_url)
    app = create_app(settings)
    app.config.update(TESTING=True)
    services: ToolServices = app.extensions["lti_tool"]
    found = Tool(app, activities_dir)
    found.reload()
    yield found
    services.engine.dispose()


class Browser:
    """One launch in one tab: follows redirects, submits the forms a page offers."""

    def __init__(self, tool: Tool, token: str, launch_id: str) -> None:
        self.tool = tool
        self.token = token
        self.launch_id = launch_id
        self.client: FlaskClient = tool.app.test_client()

    def url(self, path: str = "/") -> str:
        return f"/a/{self.token}/activity{path}"

    def _page(self, response: Any) -> Page:
        return Page(response.status_code, response.request.path, response.get_data(as_text=True))

    def get(self, path: str, *, follow: bool = True) -> Page:
        target = path if path.startswith("/a/") else self.url(path)
        return self._page(self.client.get(target, follow_redirects=follow))

    def submit(self, form: Form, answers: dict[str, str] | None = None) -> Page:
        assert form.method == "post"
        response = self.client.post(form.action, data=form.data(answers), follow_redirects=True)
        return self._page(response)

    def post_raw(self, path: str, data: dict[str, str]) -> Any:
        return self.client.post(path, data=data)

    @property
    def csrf(self) -> str:
        return self.tool.services.tokens.csrf_token(self.launch_id)


LaunchFactory = Callable[..., Browser]


@pytest.fixture
def launch(tool: Tool) -> LaunchFactory:
    """``launch(sub=…, name=…, role=…, slug=…, link=…)`` records a launch and opens it."""

    def make(
        *,
        sub: str = "learner-1",
        name: str = "Pat Learner",
        role: str = protocol.LEARNER,
        slug: str | None = "mini-activity",
        link: str | None = "link-1",
        course_title: str = "Neurology grand rounds",
        message_type: str = protocol.MESSAGE_RESOURCE_LINK,
        claims: dict[str, Any] | None = None,
    ) -> Browser:
        with tool.services.session_factory.begin() as session:
            registration = session.scalar(select(Registration).where(Registration.issuer == ISSUER))
            if registration is None:
                registration = Registration(
                    issuer=ISSUER,
                    client_id="client-1",
                    auth_login_url=ISSUER + "/auth",
                    auth_token_url=ISSUER + "/token",
                    key_set_url=ISSUER + "/jwks",
                )
                registration.deployments.append(Deployment(deployment_id="deployment-1"))
                session.add(registration)
                session.flush()
            user = session.scalar(select(User).where(User.issuer == ISSUER, User.sub == sub))
            if user is None:
                user = User(issuer=ISSUER, sub=sub)
                session.add(user)
            user.name = name
            context = session.scalar(select(Context).where(Context.context_id == "course-1"))
            if context is None:
                context = Context(registration=registration, context_id="course-1")
                session.add(context)
            context.title = course_title
            resource_link = None
            if link is not None:
                resource_link = session.scalar(
                    select(ResourceLink).where(ResourceLink.resource_link_id == link)
                )
                if resource_link is None:
                    resource_link = ResourceLink(
                        registration_id=registration.id, resource_link_id=link, ags_scopes=[]
                    )
                    session.add(resource_link)
                if slug is not None and not resource_link.activity_slug:
                    resource_link.activity_slug = slug
            now = utcnow()
            row = Launch(
                id=uuid.uuid4().hex,
                registration=registration,
                deployment=registration.deployments[0],
                user=user,
                context=context,
                resource_link=resource_link,
                message_type=message_type,
                role=role,
                roles=[],
                claims=claims or {},
                created_at=now,
                expires_at=now + dt.timedelta(hours=8),
            )
            session.add(row)
            launch_id = row.id
        return Browser(tool, tool.services.tokens.issue(launch_id), launch_id)

    return make
