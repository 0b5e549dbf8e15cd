"""The platform's OpenID configuration: fetched with the registration token and checked.

LTI Dynamic Registration 1.0 §3.4 https://www.imsglobal.org/spec/lti-dr/v1p0#platform-configuration
and §3.5.1 (the issuer must match the configuration's address). The tool trusts nothing
in it until these checks pass: the issuer it states becomes the issuer whose launches the
tool accepts, and its ``jwks_uri`` the keys those launches are verified with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from lti_tool import protocol
from lti_tool.registration.errors import (
    ConfigurationInvalid,
    ConfigurationRedirected,
    ConfigurationUnreachable,
    IssuerMismatch,
    RegistrationTokenRefused,
)
from lti_tool.registration.outbound import Outbound, OutboundError, error_text, is_loopback_host
from lti_tool.registration.outbound import origin as origin_of

REQUIRED_ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "registration_endpoint",
)


@dataclass(frozen=True)
class PlatformConfiguration:
    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product_family: str
    version: str
    # Message type -> the placements the platform offers for it (None: it did not say).
    messages: dict[str, list[str] | None]
    # None when the platform did not list its scopes.
    scopes_supported: list[str] | None
    account_name: str
    # Why the issuer could not be checked against the configuration's address, if so.
    issuer_unverified: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def supports_deep_linking(self) -> bool:
        return protocol.MESSAGE_DEEP_LINKING in self.messages

    @property
    def display_name(self) -> str:
        label = self.product_family.capitalize() if self.product_family else "LMS"
        if self.account_name:
            return f"{self.account_name} ({label})"
        return f"{label} at {urlsplit(self.issuer).netloc or self.issuer}"

    @property
    def origins(self) -> set[str]:
        """Every origin the platform's pages may come from (for frame-ancestors)."""
        found = {origin_of(self.url), origin_of(self.authorization_endpoint)}
        found.add(origin_of(self.registration_endpoint))
        if self.product_family == "canvas":
            # Canvas frames the registration page from the school's own domain.
            found.add("https://*.instructure.com")
        return found


def fetch_platform_configuration(
    outbound: Outbound, url: str, registration_token: str
) -> PlatformConfiguration:
    try:
        outbound.check_url(url)
        # Canvas serves its configuration only with the registration token as a Bearer
        # token; other LMSs ignore the header.
        response = outbound.request("GET", url, bearer=registration_token)
    except OutboundError as exc:
        if exc.redirected:
            raise ConfigurationRedirected(
                f"The address {url} sent the tool to another site: {exc.reason}"
            ) from exc
        raise ConfigurationUnreachable(
            f"The tool could not fetch your LMS's configuration at {url}: {exc.reason}"
        ) from exc
    if response.status_code in (401, 403):
        raise RegistrationTokenRefused(
            f"Your LMS refused to show its configuration with this registration token "
            f"(it said: {error_text(response)})."
        )
    if response.status_code >= 500 or response.status_code == 404:
        raise ConfigurationUnreachable(
            f"Your LMS answered HTTP {response.status_code} at {url} instead of its "
            "OpenID configuration."
        )
    if response.status_code != 200:
        raise ConfigurationInvalid(
            f"Your LMS answered HTTP {response.status_code} at {url}: {error_text(response)}"
        )
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ConfigurationInvalid(f"The configuration at {url} is not a JSON object.")
    return parse_platform_configuration(url, document, strict_scheme=outbound.strict)


def _url_field(document: dict[str, Any], name: str, strict_scheme: bool) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise ConfigurationInvalid(f"Your LMS's configuration has no {name}.")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationInvalid(f"The {name} in your LMS's configuration is not a URL: {value}")
    if parts.scheme == "http" and (strict_scheme or not is_loopback_host(parts.hostname or "")):
        raise ConfigurationInvalid(f"The {name} in your LMS's configuration is not https: {value}")
    return value


def _messages(platform: dict[str, Any]) -> dict[str, list[str] | None]:
    found: dict[str, list[str] | None] = {}
    entries = platform.get("messages_supported")
    if not isinstance(entries, list):
        raise ConfigurationInvalid(
            "Your LMS's configuration does not list the LTI messages it supports "
            "(messages_supported)."
        )
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("type"), str):
            placements = entry.get("placements")
            found[entry["type"]] = (
                [p for p in placements if isinstance(p, str)]
                if isinstance(placements, list)
                else None
            )
    if protocol.MESSAGE_RESOURCE_LINK not in found:
        raise ConfigurationInvalid(
            "Your LMS's configuration does not offer LtiResourceLinkRequest launches, which the "
            "tool needs to open activities."
        )
    return found


def parse_platform_configuration(
    url: str, document: dict[str, Any], *, strict_scheme: bool
) -> PlatformConfiguration:
    issuer = _url_field(document, "issuer", strict_scheme)
    issuer_parts = urlsplit(issuer)
    if issuer_parts.query or issuer_parts.fragment:
        raise ConfigurationInvalid(
            f"The issuer {issuer} has a query or fragment, which LTI forbids."
        )
    endpoints = {name: _url_field(document, name, strict_scheme) for name in REQUIRED_ENDPOINTS}
    for name, expected in (
        ("token_endpoint_auth_methods_supported", protocol.OIDC_TOKEN_AUTH_METHOD),
        ("id_token_signing_alg_values_supported", protocol.OIDC_SIGNING_ALG),
    ):
        offered = document.get(name)
        if isinstance(offered, list) and expected not in offered:
            raise ConfigurationInvalid(
                f"Your LMS does not support {expected} ({name}), which LTI 1.3 requires."
            )
    platform = document.get(protocol.LTI_PLATFORM_CONFIGURATION)
    if not isinstance(platform, dict):
        raise ConfigurationInvalid(
            "Your LMS's configuration has no LTI platform section "
            f"({protocol.LTI_PLATFORM_CONFIGURATION}); it may not support LTI Dynamic "
            "Registration."
        )
    product_family = str(platform.get("product_family_code") or "").strip().lower()[:64]
    scopes = document.get("scopes_supported")
    configuration = PlatformConfiguration(
        url=url,
        issuer=issuer,
        product_family=product_family,
        version=str(platform.get("version") or "")[:64],
        messages=_messages(platform),
        scopes_supported=[s for s in scopes if isinstance(s, str)]
        if isinstance(scopes, list)
        else None,
        account_name=str(platform.get(protocol.CANVAS_ACCOUNT_NAME) or "")[:200],
        raw=document,
        **endpoints,
    )
    return _check_issuer(configuration)


def _check_issuer(configuration: PlatformConfiguration) -> PlatformConfiguration:
    """DR 1.0 §3.5.1: the issuer must be served from the configuration's own origin.

    Canvas is the exception: its issuer is a fixed name per environment
    (https://canvas.instructure.com), never the host the school's Canvas answers on. For
    Instructure's hosted Canvas the key set must then be Instructure's own, so nobody else
    can sign launches in its name; any other Canvas issuer is accepted only for an
    operator to approve.
    """
    if origin_of(configuration.issuer) == origin_of(configuration.url):
        return configuration
    if configuration.product_family != "canvas":
        raise IssuerMismatch(
            f"Your LMS says its issuer is {configuration.issuer}, but it published its "
            f"configuration at {origin_of(configuration.url)}. The two must be the same site."
        )
    cloud_keys_host = protocol.CANVAS_CLOUD_ISSUERS.get(configuration.issuer.rstrip("/"))
    jwks_host = urlsplit(configuration.jwks_uri).hostname or ""
    issuer_host = urlsplit(configuration.issuer).hostname or ""
    if cloud_keys_host and jwks_host in (cloud_keys_host, issuer_host):
        return configuration
    if cloud_keys_host:
        raise IssuerMismatch(
            f"The configuration claims Instructure's issuer {configuration.issuer} but its key "
            f"set is at {jwks_host}, not Instructure's {cloud_keys_host}."
        )
    reason = (
        f"Canvas names its issuer {configuration.issuer}, which is not the site it was reached "
        f"at ({origin_of(configuration.url)}), so the tool could not verify it. An operator "
        "must confirm this is your Canvas before launches are accepted."
    )
    return replace(configuration, issuer_unverified=reason)
