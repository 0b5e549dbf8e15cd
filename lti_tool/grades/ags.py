"""The one Assignment and Grade Services adapter: access tokens, scores, line items.

AGS 2.0 https://www.imsglobal.org/spec/lti-ags/v2p0/ (§3.2 line items, §3.4 scores) over
1EdTech Security Framework §4.1 client-credentials tokens. Built on pylti1p3's
``ServiceConnector`` (its JWT client assertion, signed with the registration's key from
``DatabaseToolConf``) and ``AssignmentsGradesService`` (line item paging), with its gaps
fixed here:

- tokens are cached in the database for every worker, not on one connector object;
- ``rel="next"`` page URLs are used exactly as sent (pylti1p3 lowercases them);
- path segments go before a query string, and filters are added to it (Moodle);
- every call has a timeout, and every failure becomes an :class:`AgsError` that says whether
  to retry, how long to wait (``Retry-After``), and why in words an instructor can act on.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Sequence
from typing import Any

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.service_connector import ServiceConnector, TServiceConnectorResponse

from lti_tool import protocol
from lti_tool.db import utcnow
from lti_tool.extensions import USER_AGENT
from lti_tool.grades import payloads
from lti_tool.grades.tokens import TokenCache, TokenKey
from lti_tool.models.grades import FailureKind
from lti_tool.outbound import OutboundRefused, is_service_url, service_origins


class AgsError(Exception):
    """A service call that did not succeed, classified for the dispatcher."""

    def __init__(
        self,
        kind: FailureKind,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        maybe_landed: bool = False,
        not_newer: bool = False,
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        # The request may have reached the platform (no answer came back).
        self.maybe_landed = maybe_landed
        # The platform already holds a score with this timestamp or a newer one.
        self.not_newer = not_newer


def _decoded_message(response: requests.Response) -> str:
    """The platform's own words: Canvas JSON errors, OAuth errors, or Moodle's plain text."""
    text = response.text.strip()
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict) and errors.get("message"):
            return str(errors["message"])
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", errors[0]))
        if body.get("error"):
            description = body.get("error_description")
            return f"{body['error']}: {description}" if description else str(body["error"])
    return text[:300] or response.reason or f"HTTP {response.status_code}"


def classify_failure(
    response: requests.Response, *, product_family: str, is_score: bool, now: dt.datetime
) -> AgsError:
    status = response.status_code
    message = _decoded_message(response)
    retry_after = payloads.retry_after_seconds(response.headers.get("Retry-After"), now)
    family = product_family.lower()
    if status == 429:
        return AgsError(
            FailureKind.RATE_LIMITED,
            f"rate limited by the platform (429): {message}",
            status=status,
            retry_after=retry_after,
        )
    if status >= 500 or status == 408:
        return AgsError(
            FailureKind.TRANSIENT,
            f"platform error {status}: {message}",
            status=status,
            retry_after=retry_after,
        )
    if is_score and family == "canvas" and status == 422:
        # Canvas answers 422 "User not found in course or is not a student" for the test
        # student, a learner removed from the course, or a teacher who launched as learner.
        # Retrying cannot help; someone has to fix the enrolment, then resend.
        return AgsError(
            FailureKind.PERMANENT,
            f"Canvas does not accept a grade for this learner in this course ({message}). "
            "The learner may have been removed from the course or be the test student.",
            status=status,
        )
    if is_score and family == "moodle" and status == 400:
        # Moodle answers a bare 400 when is_user_gradable_in_course fails: the learner is
        # not (or no longer) enrolled, or their enrolment is suspended.
        return AgsError(
            FailureKind.PERMANENT,
            f"Moodle refused the grade ({message}): the learner is not enrolled, or not "
            "gradable, in the course.",
            status=status,
        )
    moodle_not_newer = "Refusing score with an earlier timestamp" in message
    if is_score and status == 409 and (family == "moodle" or moodle_not_newer):
        # Moodle compares timestamps in whole seconds and answers 409 to a score that is
        # not strictly newer than the one it holds. Known by its message too: a Moodle
        # registered by hand may have no product family (seen in the topology test, where a
        # score resent after its sender died became a dead letter).
        return AgsError(
            FailureKind.PERMANENT,
            f"Moodle already holds a score at least as new as this one ({message})",
            status=status,
            not_newer=True,
        )
    if is_score and status == 400 and "before last updated" in message:
        # Canvas answers 400 to a score whose timestamp is older than its latest one.
        return AgsError(
            FailureKind.PERMANENT,
            f"Canvas already holds a newer score ({message})",
            status=status,
            not_newer=True,
        )
    return AgsError(
        FailureKind.CLIENT_ERROR, f"platform refused the call ({status}): {message}", status=status
    )


def _transport_failure(exc: requests.RequestException, *, sent_body: bool) -> AgsError:
    if isinstance(exc, OutboundRefused):
        # The tool refused the call (private address, redirect to another site, answer too
        # large): retrying cannot help, an operator has to look.
        return AgsError(FailureKind.PERMANENT, f"the call was refused: {exc.reason}")
    # A connect timeout never reached the platform; any other failure may have.
    reached = sent_body and not isinstance(exc, requests.ConnectTimeout)
    kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
    return AgsError(
        FailureKind.TRANSIENT,
        f"the call to the platform {kind}: {type(exc).__name__}",
        maybe_landed=reached,
    )


class PlatformConnector(ServiceConnector):
    """pylti1p3's connector with the shared token cache, timeouts and typed errors."""

    def __init__(
        self,
        registration: LtiRegistration,
        *,
        product_family: str,
        http: requests.Session,
        tokens: TokenCache,
        timeout_seconds: float,
    ) -> None:
        super().__init__(registration, http)
        # Our own references: pylti1p3's copies are private to it.
        self.registration = registration
        self.http = http
        self.product_family = product_family
        self.tokens = tokens
        self.timeout = timeout_seconds
        if not http.headers.get("User-Agent"):
            # Canvas answers 403 to API calls that carry no User-Agent header.
            http.headers["User-Agent"] = USER_AGENT

    def token_key(self, scopes: Sequence[str]) -> TokenKey:
        registration = self.registration
        return TokenKey.of(
            str(registration.get_issuer()),
            str(registration.get_client_id()),
            str(registration.get_auth_token_url()),
            scopes,
        )

    def get_access_token(self, scopes: Sequence[str]) -> str:
        key = self.token_key(scopes)
        cached = self.tokens.get(key)
        if cached is not None:
            return cached
        return self._fetch_token(key)

    def _client_assertion(self, key: TokenKey) -> str:
        registration = self.registration
        audience = registration.get_auth_audience() or key.token_url
        now = int(time.time())
        claims: dict[str, str | int] = {
            "iss": key.client_id,
            "sub": key.client_id,
            "aud": audience,
            "iat": now - 5,
            "exp": now + 60,
            "jti": f"lti-service-token-{uuid.uuid4()}",
        }
        kid = registration.get_kid()
        private_key = registration.get_tool_private_key()
        return self.encode_jwt(claims, private_key, {"kid": kid} if kid else {})  # type: ignore[arg-type]

    def _fetch_token(self, key: TokenKey) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": protocol.CLIENT_ASSERTION_TYPE,
            "client_assertion": self._client_assertion(key),
            "scope": key.scope_text,
        }
        try:
            response = self.http.post(key.token_url, data=form, timeout=self.timeout)
        except requests.RequestException as exc:
            raise _transport_failure(exc, sent_body=False) from exc
        if not response.ok:
            failure = classify_failure(
                response, product_family=self.product_family, is_score=False, now=utcnow()
            )
            failure.reason = f"access token refused: {failure.reason}"
            raise failure
        try:
            body = response.json()
            access_token = str(body["access_token"])
            expires_in = int(body["expires_in"]) if body.get("expires_in") else None
        except (ValueError, KeyError, TypeError) as exc:
            raise AgsError(
                FailureKind.CLIENT_ERROR, f"the token endpoint answered no access token: {exc}"
            ) from exc
        self.tokens.put(key, access_token, expires_in)
        return access_token

    def make_service_request(  # type: ignore[override]
        self,
        scopes: Sequence[str],
        url: str,
        is_post: bool = False,
        data: str | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        case_insensitive_headers: bool = False,
        *,
        is_score: bool = False,
    ) -> TServiceConnectorResponse:
        self._check_service_url(url)
        key = self.token_key(scopes)
        access_token = self.get_access_token(scopes)
        response = self._send(url, access_token, is_post, data, content_type, accept)
        if response.status_code == 401:
            # The platform forgot the token (restart, revocation): fetch one fresh token
            # and try once more before calling it a failure.
            self.tokens.forget(key, access_token)
            response = self._send(url, self._fetch_token(key), is_post, data, content_type, accept)
        if not response.ok:
            raise classify_failure(
                response, product_family=self.product_family, is_score=is_score, now=utcnow()
            )
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        return {
            "headers": response.headers if case_insensitive_headers else dict(response.headers),
            "body": body,
            "next_page_url": payloads.next_page_url(response.headers.get("Link")),
        }

    def _check_service_url(self, url: str) -> None:
        """Service calls stay on the registration's own origins (launch claims, line item ids
        and next-page links all come from the platform's side)."""
        registration = self.registration
        origins = service_origins(
            str(registration.get_issuer()),
            str(registration.get_auth_token_url()),
            str(registration.get_key_set_url()),
        )
        if not is_service_url(url, origins):
            raise AgsError(
                FailureKind.PERMANENT,
                f"the service URL {url[:200]} is not on the platform's own site "
                f"({', '.join(sorted(origins))}); nothing was sent there",
            )

    def _send(
        self,
        url: str,
        access_token: str,
        is_post: bool,
        data: str | None,
        content_type: str,
        accept: str,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": accept}
        try:
            if is_post:
                headers["Content-Type"] = content_type
                return self.http.post(url, data=data, headers=headers, timeout=self.timeout)
            return self.http.get(url, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise _transport_failure(exc, sent_body=is_post) from exc


class AgsClient:
    """Scores and line items for one registration, with the scopes the launch granted."""

    def __init__(self, connector: PlatformConnector, scopes: Sequence[str]) -> None:
        self.connector = connector
        self.scopes = sorted(set(scopes)) or [protocol.SCOPE_SCORE]

    def post_score(self, line_item_url: str, score: dict[str, Any]) -> None:
        self.connector.make_service_request(
            self.scopes,
            payloads.add_path_segment(line_item_url, "scores"),
            is_post=True,
            data=json.dumps(score),
            content_type=protocol.MEDIA_SCORE,
            is_score=True,
        )

    def find_or_create_line_item(
        self, lineitems_url: str, *, resource_id: str, resource_link_id: str | None, label: str
    ) -> tuple[str, str]:
        """The line item for ``resource_id``: (its URL, "found" | "created").

        Found through the container with the ``resource_id`` filter (AGS §3.2.5); a
        platform that ignores the filter is checked client-side too. A line item bound to
        this resource link is preferred to one bound to another placement.
        """
        service = AssignmentsGradesService(
            self.connector,
            {"scope": self.scopes, "lineitems": lineitems_url},  # type: ignore[typeddict-item]
        )
        if not service.can_read_lineitem():
            raise AgsError(
                FailureKind.PERMANENT,
                "the launch named no line item and the platform granted no line item scope "
                "to find one with; ask the LMS admin to enable the line item service",
            )
        page_url: str | None = payloads.with_query(
            lineitems_url, {protocol.LINEITEMS_FILTER_RESOURCE_ID: resource_id}
        )
        matches: list[dict[str, Any]] = []
        while page_url:
            try:
                items, page_url = service.get_lineitems_page(page_url)
            except LtiException as exc:  # a page that is not a JSON array
                raise AgsError(FailureKind.CLIENT_ERROR, f"line items unreadable: {exc}") from exc
            matches += [
                item
                for item in items
                if isinstance(item, dict) and item.get("resourceId") == resource_id
            ]
        own = [item for item in matches if item.get("resourceLinkId") == resource_link_id]
        candidates = own or matches
        if candidates and candidates[0].get("id"):
            return str(candidates[0]["id"]), "found"
        if not service.can_create_lineitem():
            raise AgsError(
                FailureKind.PERMANENT,
                f"no line item has resourceId {resource_id!r} and the platform did not grant "
                "the scope to create one",
            )
        created = self.connector.make_service_request(
            self.scopes,
            lineitems_url,
            is_post=True,
            data=json.dumps(
                payloads.line_item_payload(
                    label=label, resource_id=resource_id, resource_link_id=resource_link_id
                )
            ),
            content_type=protocol.MEDIA_LINEITEM,
            accept=protocol.MEDIA_LINEITEM,
        )
        body = created["body"]
        if not isinstance(body, dict) or not body.get("id"):
            raise AgsError(
                FailureKind.CLIENT_ERROR, "the platform created a line item without an id"
            )
        return str(body["id"]), "created"
