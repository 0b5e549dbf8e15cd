"""pylti1p3's tool configuration port, backed by the registrations in the database.

Every registration is looked up by (issuer, client_id): one issuer may hold many
client_ids (Canvas Cloud), so pylti1p3's legacy one-client-per-issuer path is off.
The tool's signing key is handed to pylti1p3 as an already-parsed key object, which
PyJWT accepts in place of a PEM, so nothing re-parses the key on each signature.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.keys import KeyStore, ToolKey
from lti_tool.models import Deployment, DeploymentStatus, Registration
from lti_tool.models.admin import ApprovalState, RegistrationRecord


class DatabaseToolConf(ToolConfAbstract[Any]):
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        key_store: KeyStore,
        cache_seconds: float = 5.0,
    ) -> None:
        self._session_factory = session_factory
        self._key_store = key_store
        # An instance attribute: pylti1p3 keeps this dict on the class, shared by all.
        self.issuers_relation_types = {}
        # A login and its launch look the registration up several times; a few seconds
        # of memory saves those queries while a disabled platform still stops quickly.
        self._cache_seconds = cache_seconds
        self._found: dict[tuple[str, str | None], tuple[float, Registration | None]] = {}
        self._cache_lock = threading.Lock()

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def registration_row(self, iss: str, client_id: str | None) -> Registration | None:
        """The active registration (detached), or None."""
        key = (iss, client_id)
        now = time.monotonic()
        with self._cache_lock:
            cached = self._found.get(key)
            if cached and cached[0] > now:
                return cached[1]
        found = self._lookup(iss, client_id)
        with self._cache_lock:
            self._found[key] = (now + self._cache_seconds, found)
        return found

    def forget(self) -> None:
        """Drop cached registrations (after an admin changed one in this process)."""
        with self._cache_lock:
            self._found.clear()

    def _lookup(self, iss: str, client_id: str | None) -> Registration | None:
        with self._session_factory() as session:
            query = select(Registration).where(
                Registration.issuer == iss, Registration.active.is_(True)
            )
            if client_id:
                query = query.where(Registration.client_id == client_id)
            rows = session.scalars(query).all()
        # Without a client_id (some platforms omit it at login) the issuer must be unambiguous.
        return rows[0] if len(rows) == 1 else None

    def inactive_state(self, iss: str, client_id: str | None) -> str | None:
        """Why no active registration answers: "pending", "rejected", "disabled" or None.

        So a launch through a registration waiting for the operator says so, instead of
        sending the LMS administrator to register again.
        """
        with self._session_factory() as session:
            query = (
                select(Registration, RegistrationRecord)
                .outerjoin(
                    RegistrationRecord, RegistrationRecord.registration_id == Registration.id
                )
                .where(Registration.issuer == iss, Registration.active.is_(False))
            )
            if client_id:
                query = query.where(Registration.client_id == client_id)
            rows = session.execute(query).all()
        if len(rows) != 1:
            return None
        record = rows[0][1]
        if record is not None and record.approval is ApprovalState.PENDING:
            return "pending"
        if record is not None and record.approval is ApprovalState.REJECTED:
            return "rejected"
        return "disabled"

    def to_lti_registration(self, row: Registration) -> LtiRegistration:
        registration = (
            _SignedWithToolKey(self._key_store)
            .set_issuer(row.issuer)
            .set_client_id(row.client_id)
            .set_auth_login_url(row.auth_login_url)
            .set_auth_token_url(row.auth_token_url)
            .set_key_set_url(row.key_set_url)
        )
        if row.auth_audience:
            registration.set_auth_audience(row.auth_audience)
        return registration

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> LtiRegistration:
        row = self.registration_row(iss, None)
        return self.to_lti_registration(row) if row else None  # type: ignore[return-value]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiRegistration:
        row = self.registration_row(iss, client_id)
        return self.to_lti_registration(row) if row else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LtiDeployment | None:
        with self._session_factory() as session:
            query = (
                select(Deployment)
                .join(Registration)
                .where(
                    Registration.issuer == iss,
                    Deployment.deployment_id == deployment_id,
                    Deployment.status == DeploymentStatus.ACTIVE,
                )
            )
            if client_id:
                query = query.where(Registration.client_id == client_id)
            found = session.scalars(query).first()
        return LtiDeployment().set_deployment_id(found.deployment_id) if found else None


class _SignedWithToolKey(LtiRegistration):  # type: ignore[misc]
    """pylti1p3's registration, whose signing key (and its JWKS kid: pylti1p3 would derive
    one from the public key) is the key store's current one, read when first asked for:
    only service calls sign, and every login and launch looks a registration up."""

    def __init__(self, key_store: KeyStore) -> None:
        super().__init__()
        self._key_store = key_store
        self._signing_key: ToolKey | None = None

    def _key(self) -> ToolKey:
        # One key for this object's life, so the kid and the key always go together.
        if self._signing_key is None:
            self._signing_key = self._key_store.signing_key()
        return self._signing_key

    def get_tool_private_key(self) -> Any:
        return self._key().private_key

    def get_kid(self) -> str:
        return self._key().kid
