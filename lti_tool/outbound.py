"""The one HTTP client for calls to platforms: JWKS, access tokens, AGS, NRPS, Dynamic
Registration.

Platforms and launch claims name the URLs the tool calls, and ``/lti/register`` is public,
so a call must not become a way into the tool's own network or a way to read answers from
somewhere else. Every call made through :class:`PlatformHttp`:

- gives up after a connect timeout and a read timeout, and after a deadline for the whole
  body (a server dripping one byte a second cannot hold a worker);
- reads at most ``max_response_bytes`` of (decoded) body;
- follows redirects only within the origin it was sent to (a redirect to another origin is
  refused: through an LMS's open redirect an attacker served a configuration that claimed
  the LMS's issuer, issue 10 scenario 1), at most ``max_redirects`` of them;
- connects only to public addresses unless the policy allows private ones (development,
  the sandbox LMS, an LMS on the institution's own network). The check is made on the
  addresses the host name resolves to *at connection time* and the socket connects to the
  address that was checked, so a DNS answer that changes between check and connect
  (rebinding) gains nothing;
- ignores proxy and ``.netrc`` settings from the environment (``trust_env``), so neither
  the address check nor credentials depend on them.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family

from lti_tool.protocol import CANVAS_CLOUD_ISSUERS

USER_AGENT = "lti-tool-cme/0.1 (+LTI 1.3)"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class OutboundPolicy:
    # Seconds to open a connection (TCP and TLS).
    connect_timeout: float = 5.0
    # Seconds to wait for each read, and for the whole body after the headers.
    read_timeout: float = 10.0
    # Largest body read from a platform; a bigger one is refused. NRPS pages of a large
    # Moodle course (one page, every member) are the biggest answers seen.
    max_response_bytes: int = 16 * 1024 * 1024
    # Same-origin redirects followed per call.
    max_redirects: int = 3
    # Private, loopback, link-local and reserved addresses: refused unless allowed.
    allow_private_addresses: bool = False
    # PEM file of the certificate authorities trusted for HTTPS; empty: certifi's.
    ca_bundle: str = ""


def origin(url: str) -> str:
    """scheme://host[:port], lower-cased; the default port is left out, as browsers do."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def is_public_address(text: str) -> bool:
    """True for an address on the public internet (not private, loopback, link-local,
    shared, multicast, reserved or unspecified), including IPv4 mapped into IPv6."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_link_local
    )


class OutboundRefused(requests.RequestException):
    """The tool refused to make (or finish) the call; ``reason`` says why in a sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AddressRefused(OutboundRefused):
    pass


class RedirectRefused(OutboundRefused):
    pass


class ResponseTooLarge(OutboundRefused):
    pass


class _PrivateAddress(Exception):  # noqa: N818 (internal signal, not an error type)
    """Raised inside urllib3 (which would wrap an OSError); turned into AddressRefused."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(host, address)
        self.host = host
        self.address = address


def _guarded_connect(connection: HTTPConnection, allow_private: bool) -> socket.socket:
    """urllib3's ``create_connection``, checking every resolved address before connecting
    to it, and connecting to exactly the addresses checked."""
    host = connection._dns_host  # noqa: SLF001 (urllib3's resolved host name)
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, connection.port, allowed_gai_family(), socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NameResolutionError(connection.host, connection, exc) from exc
    if not allow_private:
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                raise _PrivateAddress(connection.host, address)
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in connection.socket_options or ():
                sock.setsockopt(*option)
            if isinstance(connection.timeout, int | float):
                sock.settimeout(connection.timeout)
            if connection.source_address:
                sock.bind(connection.source_address)
            sock.connect(sockaddr)
            return sock
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimeoutError(
                connection, f"Connection to {connection.host} timed out."
            ) from exc
        except OSError as exc:
            sock.close()
            error = exc
    raise NewConnectionError(connection, f"Failed to establish a new connection: {error}")


def _adapter(allow_private: bool) -> HTTPAdapter:
    """An HTTPAdapter whose connections go through :func:`_guarded_connect`."""

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _guarded_connect(self, allow_private)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _guarded_connect(self, allow_private)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {  # type: ignore[assignment]
                "http": GuardedHTTPPool,
                "https": GuardedHTTPSPool,
            }

    return GuardedAdapter()


class PlatformHttp(requests.Session):
    """A ``requests.Session`` with the rules in this module's docstring. pylti1p3's
    ``ServiceConnector`` and the tool's own code use it like any session."""

    def __init__(self, policy: OutboundPolicy) -> None:
        super().__init__()
        self.policy = policy
        self.trust_env = False
        if policy.ca_bundle:
            self.verify = policy.ca_bundle
        # Canvas answers 403 to API calls without a User-Agent.
        self.headers["User-Agent"] = USER_AGENT
        adapter = _adapter(policy.allow_private_addresses)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def _timeouts(self, asked: Any) -> tuple[float, float]:
        connect, read = self.policy.connect_timeout, self.policy.read_timeout
        if isinstance(asked, int | float) and asked > 0:
            return min(connect, float(asked)), min(read, float(asked))
        if isinstance(asked, tuple) and len(asked) == 2:
            return (
                min(connect, float(asked[0] or connect)),
                min(read, float(asked[1] or read)),
            )
        return connect, read

    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, **kwargs: Any
    ) -> requests.Response:
        method = method.decode() if isinstance(method, bytes) else method
        url = url.decode() if isinstance(url, bytes) else url
        follow = kwargs.pop("allow_redirects", True)
        kwargs["timeout"] = self._timeouts(kwargs.get("timeout"))
        kwargs["stream"] = True
        first_origin = origin(url)
        for _hop in range(self.policy.max_redirects + 1):
            try:
                response = super().request(method, url, allow_redirects=False, **kwargs)
            except _PrivateAddress as refused:
                raise AddressRefused(
                    f"{refused.host} resolves to {refused.address}, a private or local "
                    "address, which the tool does not contact."
                ) from None
            location = response.headers.get("Location")
            if not (follow and response.status_code in REDIRECT_STATUSES and location):
                self._read_body(response)
                return response
            response.close()
            target = urljoin(url, location)
            if origin(target) != first_origin:
                raise RedirectRefused(
                    f"{first_origin} redirected to another site ({origin(target)}); the tool "
                    "follows redirects only within the site it called."
                )
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method = "GET"
                kwargs.pop("data", None)
                kwargs.pop("json", None)
            url = target
        raise RedirectRefused(
            f"{first_origin} redirected more than {self.policy.max_redirects} times."
        )

    def _read_body(self, response: requests.Response) -> None:
        """Read the body now, within the size cap and the body deadline."""
        limit = self.policy.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise ResponseTooLarge(
                f"{origin(response.url)} answered {declared} bytes; the tool reads at most {limit}."
            )
        deadline = time.monotonic() + self.policy.read_timeout
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLarge(
                        f"{origin(response.url)} sent more than {limit} bytes; the tool reads "
                        "no more."
                    )
                if time.monotonic() > deadline:
                    raise requests.ReadTimeout(
                        f"{origin(response.url)} took longer than "
                        f"{self.policy.read_timeout:g} seconds to send its answer."
                    )
                chunks.append(chunk)
        finally:
            response.close()
        response._content = b"".join(chunks)  # noqa: SLF001 (requests' own cache of the body)
        response._content_consumed = True  # type: ignore[attr-defined]  # noqa: SLF001


# -- Which URLs a registration's service calls may go to ------------------------------------


def service_origins(issuer: str, token_url: str, key_set_url: str) -> frozenset[str]:
    """The origins a registration's own endpoints live on (issuer, token URL, JWKS URL).

    Service URLs from launch claims (AGS ``lineitems``/``lineitem``, NRPS
    ``context_memberships_url``), line item ids and ``rel="next"`` pages are called only
    on these origins, so a launch cannot send a learner's score or a bearer token
    elsewhere.
    """
    return frozenset(origin(url) for url in (issuer, token_url, key_set_url) if url)


def is_service_url(url: str, origins: frozenset[str]) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if origin(url) in origins:
        return True
    # Instructure-hosted Canvas: the issuer is https://canvas.instructure.com and the keys
    # and token live on sso.canvaslms.com, but AGS and NRPS are on the school's own
    # <school>.instructure.com host. (A school's vanity domain is not covered; see
    # docs/security.md.)
    cloud = {origin(issuer) for issuer in CANVAS_CLOUD_ISSUERS} & origins
    host = parts.hostname.lower()
    return bool(cloud) and parts.scheme == "https" and host.endswith(".instructure.com")
