"""The launch a page belongs to, restored from the signed token in its URL.

Pages after a launch live under ``/a/<launch_token>/``: the token (signed, expiring)
names the launch, so nothing depends on cookies, which browsers block inside LMS
iframes. Forms carry a CSRF token bound to the launch (an HMAC of its id), checked
on every POST. Where there is no launch, views get :data:`NO_LAUNCH`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool import protocol
from lti_tool.db import as_loaded, utcnow
from lti_tool.launch.errors import CsrfFailure, LaunchExpired
from lti_tool.launch.records import RecordedRows
from lti_tool.models import Context, Deployment, Launch, Registration, ResourceLink, User


@dataclass(frozen=True)
class LaunchContext:
    launch: Launch
    token: str

    @property
    def user(self) -> User:
        return self.launch.user

    @property
    def registration(self) -> Registration:
        return self.launch.registration

    @property
    def deployment(self) -> Deployment:
        return self.launch.deployment

    @property
    def context(self) -> Context | None:
        return self.launch.context

    @property
    def resource_link(self) -> ResourceLink | None:
        return self.launch.resource_link

    @property
    def role(self) -> str:
        # Read through today's role table, not the standing stored at launch: a launch
        # recorded under an older table (Mentor was once counted as an instructor) gets no
        # more than the table now gives, for the rest of its life.
        roles = self.launch.roles
        return protocol.classify_roles(roles) if roles else self.launch.role

    @property
    def is_instructor(self) -> bool:
        """Course staff: instructors, TAs, content developers, administrators."""
        return self.role in protocol.STAFF

    @property
    def is_enrolled(self) -> bool:
        """Staff or learner; anyone else (observers, unknown roles) may open no page."""
        return self.role in protocol.STAFF or self.role == protocol.LEARNER

    @property
    def is_deep_linking(self) -> bool:
        return self.launch.message_type == protocol.MESSAGE_DEEP_LINKING

    @property
    def claims(self) -> dict[str, Any]:
        return self.launch.claims

    @property
    def expires_at(self) -> dt.datetime:
        return self.launch.expires_at

    def __bool__(self) -> bool:
        return True


class _NoLaunch:
    """The null launch: falsy, with no user and no role."""

    user = None
    role = None
    is_instructor = False
    is_enrolled = False

    def __bool__(self) -> bool:
        return False


NO_LAUNCH = _NoLaunch()


# Every page reads the learner and the placement: loaded with the launch. Built once, as
# every page runs it.
_RESTORE = (
    select(Launch)
    .where(Launch.id == bindparam("launch_id"))
    .options(joinedload(Launch.user), joinedload(Launch.resource_link))
)
# A launch hands itself to its first page, rendered in the same request and session.
_HANDED_OVER = "lti_tool.launch_handed_over"


class LaunchTokens:
    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="lti-launch")
        self._secret = secret_key.encode()
        self.ttl_seconds = ttl_seconds

    def issue(self, launch_id: str) -> str:
        return self._serializer.dumps(launch_id)

    def hand_over(
        self, session: Session, token: str, row: dict[str, Any], rows: RecordedRows
    ) -> None:
        """Put the launch just written (``row``) and its rows into ``session`` as if read,
        for the next ``restore`` of ``token`` in it: the launch's first page then reads
        none of them again (one use only)."""
        launch = as_loaded(session, Launch, row)
        # Set as loaded, not assigned (nothing to flush); the launch holds them, as the
        # session's identity map holds its rows weakly.
        related = (("user", User, rows.user), ("context", Context, rows.context))
        for name, model, values in (*related, ("resource_link", ResourceLink, rows.link)):
            loaded = as_loaded(session, model, values) if values is not None else None
            set_committed_value(launch, name, loaded)
        session.info[_HANDED_OVER] = LaunchContext(launch=launch, token=token)

    def restore(self, session: Session, token: str) -> LaunchContext:
        handed: LaunchContext | None = session.info.pop(_HANDED_OVER, None)
        if handed is not None and handed.token == token:
            return handed
        try:
            launch_id = self._serializer.loads(token, max_age=self.ttl_seconds)
        except SignatureExpired as exc:
            raise LaunchExpired("the launch token expired") from exc
        except BadSignature as exc:
            raise LaunchExpired("the launch token is not valid") from exc
        launch = session.scalar(_RESTORE, {"launch_id": launch_id})
        if launch is None or launch.expires_at < utcnow():
            raise LaunchExpired("the launch is unknown or over")
        return LaunchContext(launch=launch, token=token)

    def csrf_token(self, launch_id: str) -> str:
        return hmac.new(self._secret, b"csrf:" + launch_id.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, launch_id: str, submitted: str | None) -> None:
        if not submitted or not hmac.compare_digest(self.csrf_token(launch_id), submitted):
            raise CsrfFailure("the form's CSRF token is missing or wrong")
