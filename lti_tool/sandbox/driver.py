"""Test driver: plays the browser and the LMS user against a running sandbox, over plain HTTP.

``SandboxDriver.launch`` performs the whole LTI 1.3 launch (1EdTech Security Framework §5.1.1)
the way a browser would: it asks the sandbox to start a launch, GETs the tool's login URL,
follows the redirect to the sandbox's authorization endpoint, reads the auto-submitting form
and POSTs ``id_token`` + ``state`` to the tool, returning the tool's final response.

For negative tests, ``tamper`` swaps the id_token just before it is posted, so the tool
sees a genuine state and nonce with a bad token; ``forge`` builds the usual bad tokens
(wrong key, alg none, HS256 keyed with the public key, expired, wrong aud/iss/deployment,
missing claims, altered payload). Everything else reads what the platform received.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from lti_tool.sandbox import vocab
from lti_tool.sandbox.forms import HtmlForm, parse_forms
from lti_tool.sandbox.keys import generate_private_key

FORGERIES = (
    "wrong_key",
    "alg_none",
    "hs256_public_key",
    "expired",
    "wrong_aud",
    "wrong_iss",
    "wrong_deployment",
    "wrong_nonce",
    "missing_claims",
    "altered",
    "resigned",
)


class LaunchRefused(Exception):
    """The sandbox (or the tool, before the launch POST) refused the launch."""

    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact(header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes) -> str:
    head = _b64url(json.dumps(header, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{_b64url(signature)}"


class SandboxDriver:
    def __init__(
        self,
        sandbox_base_url: str,
        flavour: str,
        *,
        client_id: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if flavour not in ("canvas", "moodle"):
            raise ValueError("flavour must be 'canvas' or 'moodle'")
        self.base_url = sandbox_base_url.rstrip("/")
        self.flavour = flavour
        self.client_id = client_id
        self.timeout = timeout
        # The driver's own channel to the sandbox's test hooks, never the browser session.
        self.http = requests.Session()

    # Test hooks ------------------------------------------------------------------------
    def _hook(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(
            method, f"{self.base_url}/_sandbox{path}", timeout=self.timeout, **kwargs
        )
        if response.status_code >= 400:
            raise RuntimeError(
                f"sandbox {method} {path} -> {response.status_code}: {response.text}"
            )
        return response.json()

    def platform_registration(self) -> dict[str, Any]:
        params = {"client_id": self.client_id} if self.client_id else None
        result: dict[str, Any] = self._hook("GET", f"/{self.flavour}/platform", params=params)
        return result

    def tools(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._hook("GET", f"/{self.flavour}/tools")
        return result

    def register_tool(self, **options: Any) -> dict[str, Any]:
        """register_tool(...) over HTTP; returns the platform details for the new tool."""
        result: dict[str, Any] = self._hook("POST", f"/{self.flavour}/tools", json=options)
        return result

    def scores(self) -> list[dict[str, Any]]:
        """Every score the sandbox received (all flavours), in arrival order."""
        result: list[dict[str, Any]] = self._hook("GET", "/scores")
        return [score for score in result if score["flavour"] == self.flavour]

    def line_items(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._hook("GET", "/line_items")
        return [item for item in result if item["flavour"] == self.flavour]

    def deep_links(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._hook("GET", "/deep_links")
        return result

    def calls(self, since: int = 0) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._hook("GET", "/calls", params={"since": since})
        return result

    def reset(self) -> None:
        self._hook("POST", "/reset")

    def set_fault(
        self,
        *,
        status: int | None = None,
        count: int = 1,
        path_contains: str | None = None,
        delay_seconds: float = 0.0,
        retry_after: int | None = None,
        method: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """Make the next ``count`` matching calls fail (and/or stall); see faults.py."""
        rule: dict[str, Any] = {"status": status, "count": count, "delay_seconds": delay_seconds}
        for name, value in (
            ("path_contains", path_contains),
            ("retry_after", retry_after),
            ("method", method),
            ("body", dict(body) if body is not None else None),
        ):
            if value is not None:
                rule[name] = value
        self._hook("POST", "/faults", json=rule)

    def clear_faults(self) -> None:
        self._hook("DELETE", "/faults")

    def registration_token(self, update_client_id: str | None = None) -> dict[str, str]:
        """A one-time Dynamic Registration token and the openid_configuration URL.

        With ``update_client_id`` the registration updates that tool (Moodle's "Update").
        """
        spec = {"update_client_id": update_client_id} if update_client_id else {}
        result: dict[str, str] = self._hook(
            "POST", f"/{self.flavour}/registration_tokens", json=spec
        )
        return result

    # The launch --------------------------------------------------------------------------
    def initiate(
        self,
        user: str,
        role: str | None = None,
        *,
        course: int | None = None,
        resource_link_id: str | None = None,
        message_type: str = vocab.RESOURCE_LINK_REQUEST,
        custom: Mapping[str, str] | None = None,
        with_storage_target: bool = False,
        accept_multiple: bool = True,
    ) -> dict[str, Any]:
        """Start a launch in the sandbox: ``{"login_url", "params", "hint_id"}``."""
        spec: dict[str, Any] = {
            "user": user,
            "role": role,
            "course": course,
            "resource_link_id": resource_link_id,
            "message_type": message_type,
            "custom": dict(custom) if custom else None,
            "with_storage_target": with_storage_target,
            "accept_multiple": accept_multiple,
            "client_id": self.client_id,
        }
        result: dict[str, Any] = self._hook("POST", f"/{self.flavour}/launches", json=spec)
        return result

    def _authorization_form(
        self, session: requests.Session, initiation: Mapping[str, Any]
    ) -> HtmlForm:
        response = session.get(
            initiation["login_url"], params=initiation["params"], timeout=self.timeout
        )
        if not self._from_sandbox(response.url):
            # The tool answered a page instead of a redirect (e.g. it first stores state
            # through lti_storage_target): find the authorization request in it.
            response = self._follow_page_to_sandbox(session, response)
        if response.status_code != 200:
            raise LaunchRefused(
                f"authorization refused ({response.status_code}): {self._error_text(response)}",
                response,
            )
        forms = [
            form for form in parse_forms(response.text, response.url) if "id_token" in form.fields
        ]
        if not forms:
            raise LaunchRefused("the authorization response has no id_token form", response)
        return forms[0]

    def _from_sandbox(self, url: str) -> bool:
        return urlsplit(url)[:2] == urlsplit(self.base_url)[:2]

    def _follow_page_to_sandbox(
        self, session: requests.Session, page: requests.Response
    ) -> requests.Response:
        for form in parse_forms(page.text, page.url):
            if self._from_sandbox(form.action):
                if form.method == "post":
                    return session.post(form.action, data=form.fields, timeout=self.timeout)
                return session.get(form.action, params=form.fields, timeout=self.timeout)
        pattern = re.escape(self.base_url) + r"/[^\s\"'<>]+"
        match = re.search(pattern, page.text.replace("&amp;", "&"))
        if match is None:
            raise LaunchRefused(
                f"the tool's login answered {page.status_code} without sending the browser to the "
                f"platform's authorization endpoint",
                page,
            )
        return session.get(match.group(0), timeout=self.timeout)

    @staticmethod
    def _error_text(response: requests.Response) -> str:
        match = re.search(r'id="error-description">([^<]*)<', response.text)
        return match.group(1) if match else response.text[:300]

    def launch_form(
        self, session: requests.Session, user: str, role: str | None = None, **options: Any
    ) -> HtmlForm:
        """Run the launch up to the platform's auto-submitting form (not posted)."""
        return self._authorization_form(session, self.initiate(user, role, **options))

    def launch(
        self,
        session: requests.Session,
        user: str,
        role: str | None = None,
        *,
        resource_link_id: str | None = None,
        message_type: str = vocab.RESOURCE_LINK_REQUEST,
        custom: Mapping[str, str] | None = None,
        with_storage_target: bool = False,
        course: int | None = None,
        accept_multiple: bool = True,
        tamper: Callable[[str], str] | None = None,
    ) -> requests.Response:
        """The whole browser flow; returns the tool's final response to the launch POST,
        whose ``url`` is the page's address as a browser shows it (its Content-Location).

        ``user`` is a username (``learner01``, ``instructor``, ``admin``, ...) or an LTI sub;
        ``role`` is learner / instructor / ta / admin (default: the user's course role).
        """
        form = self.launch_form(
            session,
            user,
            role,
            resource_link_id=resource_link_id,
            message_type=message_type,
            custom=custom,
            with_storage_target=with_storage_target,
            course=course,
            accept_multiple=accept_multiple,
        )
        fields = dict(form.fields)
        if tamper is not None:
            fields["id_token"] = tamper(fields["id_token"])
        response = session.post(form.action, data=fields, timeout=self.timeout)
        page_address = response.headers.get("Content-Location")
        if page_address:
            # The tool answers the launch with its first page, which names its address; a
            # browser shows that address once the page's script has put it there.
            response.url = urljoin(response.url, page_address)
        return response

    # Forged tokens -------------------------------------------------------------------------
    def platform_jwks(self) -> dict[str, Any]:
        jwks_url = self.platform_registration()["key_set_url"]
        response = self.http.get(jwks_url, timeout=self.timeout)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def platform_public_pem(self) -> bytes:
        key = jwt.PyJWK(self.platform_jwks()["keys"][0]).key
        assert isinstance(key, rsa.RSAPublicKey)
        return key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign_id_token(
        self,
        claims: Mapping[str, Any],
        *,
        key: rsa.RSAPrivateKey | bytes | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """RS256-sign claims: with the sandbox's own key (key=None) or with ``key``.

        With a foreign key the header still names the sandbox's kid, so the tool finds the
        platform key and must reject the signature.
        """
        if key is None:
            signed = self._hook(
                "POST",
                f"/{self.flavour}/sign",
                json={"claims": dict(claims), "headers": dict(headers or {})},
            )
            return str(signed["jwt"])
        kid = self.platform_jwks()["keys"][0]["kid"]
        return jwt.encode(
            dict(claims), key, algorithm="RS256", headers={"kid": kid, **(headers or {})}
        )

    @staticmethod
    def decode(token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        return claims

    def forge(
        self,
        id_token: str,
        variant: str,
        *,
        remove: Iterable[str] = (),
        changes: Mapping[str, Any] | None = None,
    ) -> str:
        """A bad copy of a genuine id_token (same nonce, so only the forged part can fail).

        Variants: wrong_key, alg_none, hs256_public_key, expired, wrong_aud, wrong_iss,
        wrong_deployment, wrong_nonce, missing_claims (``remove=[claim, ...]``),
        altered (``changes`` applied, original signature kept; default: learner becomes
        instructor), resigned (``changes`` applied and validly signed by the sandbox).
        """
        if variant not in FORGERIES:
            raise ValueError(f"unknown forgery {variant!r}; choose one of {FORGERIES}")
        claims = self.decode(id_token)
        header = jwt.get_unverified_header(id_token)
        now = int(time.time())
        if variant == "wrong_key":
            return self.sign_id_token(claims, key=generate_private_key())
        if variant == "alg_none":
            return _compact({**header, "alg": "none"}, claims, b"")
        if variant == "hs256_public_key":
            hs_header = {**header, "alg": "HS256"}
            head = _b64url(json.dumps(hs_header, separators=(",", ":")).encode())
            body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
            signature = hmac.new(
                self.platform_public_pem(), f"{head}.{body}".encode(), hashlib.sha256
            )
            return f"{head}.{body}.{_b64url(signature.digest())}"
        if variant == "altered":
            altered = {**claims, **(changes or {vocab.CLAIM_ROLES: [vocab.ROLE_INSTRUCTOR]})}
            head, _, rest = id_token.partition(".")
            original_signature = rest.split(".")[1]
            altered_body = _b64url(json.dumps(altered, separators=(",", ":")).encode())
            return f"{head}.{altered_body}.{original_signature}"
        edits_by_variant: dict[str, dict[str, Any]] = {
            "expired": {"iat": now - 7200, "exp": now - 3600},
            "wrong_aud": {
                "aud": "not-" + str(claims.get("aud")),
                "azp": "not-" + str(claims.get("azp")),
            },
            "wrong_iss": {"iss": "https://impostor.sandbox.test"},
            "wrong_deployment": {vocab.CLAIM_DEPLOYMENT_ID: "999:not-a-deployment"},
            "wrong_nonce": {"nonce": "nonce-the-tool-never-issued"},
            "resigned": dict(changes or {}),
            "missing_claims": {},
        }
        forged = {**claims, **edits_by_variant[variant]}
        if variant == "missing_claims":
            names = list(remove)
            if not names:
                raise ValueError("missing_claims needs remove=[claim names]")
            for name in names:
                forged.pop(name, None)
        return self.sign_id_token(forged)
