"""Completing a launch: what happens between the platform's form post and the learner's
first page, without Flask (the view reads the request and writes the response).

1. A state whose browser proof did not come back (third-party cookies blocked) is answered
   with the platform's postMessage storage, when the login used it.
2. The id_token is validated strictly (``validation``).
3. The deployment is resolved (an unknown one is recorded for the admin to approve).
4. The launch's user, course and link are recorded and a launch token issued for the pages
   that follow; the caller chooses the landing page, then ``admit`` writes the launch in the
   transaction that uses its state and nonce up (a refused launch uses them up alone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session, sessionmaker

from lti_tool import protocol
from lti_tool.launch.context import LaunchTokens
from lti_tool.launch.errors import (
    LaunchError,
    MalformedRequest,
    StateMissing,
    UnknownDeployment,
)
from lti_tool.launch.records import (
    RecordedLaunch,
    RecordedRows,
    insert_launch,
    insert_launch_using_up,
    prepare_launch,
    read_known,
    read_participation_ahead,
    record_pending_deployment,
    resolve_deployment,
)
from lti_tool.launch.storage import LoginStateData, LoginStates, is_used, state_key, use_up
from lti_tool.launch.validation import LaunchValidator
from lti_tool.models import Registration


@dataclass(frozen=True)
class AskPlatformStorage:
    """No cookie came back: ask the platform's frame for what the login stored."""

    state: str
    id_token: str
    storage_target: str
    # The key the login stored its proof under in the platform's frame.
    storage_key: str
    platform_origin: str
    new_window_url: str


@dataclass(frozen=True)
class Launched:
    """A validated launch whose user, course and link are recorded; ``admit`` writes the
    launch itself (the token names it) and uses its state up."""

    launch: RecordedLaunch
    token: str
    login_state: LoginStateData
    row: dict[str, Any]
    rows: RecordedRows
    writes: LaunchWrites


class LaunchWrites:
    """How a launch reaches the database. On SQLite, one transaction. On PostgreSQL
    (``_outside_a_transaction``) a returning learner's launch writes only itself: it reads
    its rows and the participation, then inserts the launch in the statement that uses its
    state up, with no BEGIN and COMMIT round trips. A launch that writes more (a first
    launch, a renamed learner) opens a transaction before its first write, and commits
    every write at once as on SQLite."""

    def __init__(self, session: Session, *, outside_a_transaction: bool) -> None:
        self.session = session
        self.outside = outside_a_transaction
        self.began = False

    def before_writing(self) -> None:
        if self.outside and not self.began:
            # The connection commits each statement alone unless told BEGIN; the session's
            # commit (or rollback) ends this transaction like any other.
            self.session.connection().exec_driver_sql("BEGIN")
            self.began = True

    def admit(self, row: dict[str, Any], login_state: LoginStateData) -> None:
        """Write the launch and use its state up (the caller commits)."""
        if self.outside and not self.began:
            insert_launch_using_up(self.session, row, login_state)
        else:
            use_up(self.session, login_state)
            insert_launch(self.session, row)


class LaunchService:
    def __init__(
        self,
        validator: LaunchValidator,
        states: LoginStates,
        tokens: LaunchTokens,
        session_factory: sessionmaker[Session],
        *,
        base_url: str,
    ) -> None:
        self.validator = validator
        self.states = states
        self.tokens = tokens
        self.session_factory = session_factory
        self.base_url = base_url

    def complete(
        self,
        session: Session,
        *,
        state: str,
        id_token: str,
        cookie_bound: Callable[[str], bool],
        storage_proof: str = "",
    ) -> AskPlatformStorage | Launched:
        """``cookie_bound``: whether the cookie of the state with this id came back;
        ``storage_proof``: what the platform's frame returned for the state instead."""
        if not state:
            raise MalformedRequest("the launch has no state parameter")
        if not id_token:
            raise MalformedRequest("the launch has no id_token")
        login_state = self.states.read(state)
        bound = cookie_bound(login_state.id) or self.states.proof_ok(login_state.id, storage_proof)
        if not bound and login_state.storage_target and not is_used(session, login_state):
            return AskPlatformStorage(
                state=state,
                id_token=id_token,
                storage_target=login_state.storage_target,
                storage_key=state_key(login_state.id),
                platform_origin=self._platform_origin(session, login_state),
                new_window_url=self.new_window_url(login_state),
            )
        try:
            validated = self.validator.validate(
                session, login_state=login_state, id_token=id_token, state_bound=bound
            )
        except StateMissing as error:
            if not is_used(session, login_state):
                raise StateMissing(error.detail, retry=self.new_window_url(login_state)) from error
            raise
        registration = validated.registration
        claims = validated.claims
        deployment_id = claims[protocol.CLAIM_DEPLOYMENT_ID]
        writes = LaunchWrites(session, outside_a_transaction=_outside_a_transaction(session))
        writing = writes.before_writing
        try:
            known = read_known(session, registration, claims)
            deployment_pk = resolve_deployment(
                session, registration, deployment_id, known, before_writing=writing
            )
            launch, row, rows = prepare_launch(
                session,
                registration,
                deployment_pk,
                claims,
                self.tokens.ttl_seconds,
                known,
                before_writing=writing,
            )
            read_participation_ahead(session, known, launch)
        except LaunchError as refused:
            session.rollback()
            with self.session_factory.begin() as apart:
                # A refused launch uses its state up all the same; an unknown deployment
                # is kept for the admin to approve from the console.
                use_up(apart, login_state)
                if isinstance(refused, UnknownDeployment):
                    record_pending_deployment(apart, registration, deployment_id)
            raise
        token = self.tokens.issue(launch.id)
        return Launched(launch, token, login_state, row, rows, writes)

    def admit(self, session: Session, launched: Launched) -> None:
        """Use the state up and write the launch, and commit: last, after every read of the
        request (choosing the landing page included), so the write transaction is short (on
        SQLite it holds the database's one write lock, which every login and launch waits
        for). The launch is then handed to its first page, rendered in the same session,
        which would otherwise read back what was just written."""
        launched.writes.admit(launched.row, launched.login_state)
        session.commit()
        self.tokens.hand_over(session, launched.token, launched.row, launched.rows)

    @staticmethod
    def _platform_origin(session: Session, login_state: LoginStateData) -> str:
        registration = session.get(Registration, login_state.registration_id)
        parts = urlsplit(registration.auth_login_url if registration else "")
        return f"{parts.scheme}://{parts.netloc}"

    def new_window_url(self, login_state: LoginStateData) -> str:
        """The login again, in a top-level window, which has its own cookies."""
        params = dict(login_state.login_params)
        params.pop("lti_storage_target", None)
        params["lti1p3_new_window"] = "1"
        return self.base_url + "/lti/login?" + urlencode(params)


def _outside_a_transaction(session: Session) -> bool:
    """Whether the launch runs outside a transaction (``LaunchWrites``): on PostgreSQL,
    where BEGIN and COMMIT were two of a returning learner's six round trips. On SQLite a
    statement costs no round trip."""
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return False
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return True
