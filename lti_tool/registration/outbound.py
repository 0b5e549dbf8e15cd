"""Requests to addresses that strangers give the tool: registration and self-check calls.

``/lti/register`` is public and names the URL the tool fetches, so it must not become a
way to reach the tool's own network or to read a document from another site. The calls go
through the one platform client (:mod:`lti_tool.outbound`): private addresses refused in
production (checked when connecting), redirects followed only within the origin asked for,
in every mode, so the Authorization header never leaves it either. On top, in production
only https URLs are fetched; :meth:`Outbound.check_url` says so before anything is sent.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from lti_tool.outbound import OutboundRefused, RedirectRefused, is_public_address, origin

__all__ = ["Outbound", "OutboundError", "error_text", "is_loopback_host", "origin"]


class OutboundError(Exception):
    """The request was not sent, or got no HTTP answer; ``reason`` is a plain sentence."""

    def __init__(self, reason: str, *, redirected: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        # The site answered with a redirect to another site, which the tool refused.
        self.redirected = redirected


def is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Outbound:
    """Registration calls through the platform client, with the URL rules above."""

    # A lti_tool.outbound.PlatformHttp (a plain Session only in tests of check_url).
    http: requests.Session
    timeout: float
    # Production: https only, public addresses only.
    strict: bool

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OutboundError(f"{url!r} is not an http(s) address.")
        if parts.username or parts.password:
            raise OutboundError("Addresses with a user name or password are not accepted.")
        if not self.strict:
            return
        if parts.scheme != "https":
            raise OutboundError(f"{url} is not https; LMS addresses must use https.")
        # An early, clear answer; the client checks again on the addresses it connects to.
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise OutboundError(
                f"The host name {parts.hostname} does not resolve ({exc})."
            ) from exc
        for info in infos:
            if not is_public_address(str(info[4][0])):
                raise OutboundError(
                    f"{parts.hostname} resolves to a private or local address, which the tool "
                    "does not contact."
                )

    def request(
        self,
        method: str,
        url: str,
        *,
        bearer: str | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        accept: str = "application/json",
    ) -> requests.Response:
        self.check_url(url)
        headers = {"Accept": accept}
        if bearer:
            # Redirects stay on this origin (the client refuses others), so the token does.
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            return self.http.request(
                method, url, headers=headers, json=json, data=data, timeout=self.timeout
            )
        except OutboundRefused as exc:
            raise OutboundError(exc.reason, redirected=isinstance(exc, RedirectRefused)) from exc
        except requests.Timeout as exc:
            raise OutboundError(
                f"{origin(url)} did not answer within {self.timeout:g} seconds."
            ) from exc
        except requests.ConnectionError as exc:
            raise OutboundError(f"{origin(url)} could not be reached ({_short(exc)}).") from exc
        except requests.RequestException as exc:
            raise OutboundError(f"The request to {origin(url)} failed ({_short(exc)}).") from exc


def _short(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host name"
    return text[:160]


def error_text(response: requests.Response) -> str:
    """A platform's error message, short and without markup, whatever its shape.

    Canvas answers ``{"errors": …}`` or ``{"error", "error_description"}``; Moodle
    answers plain text.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error_description", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:300]
        errors = body.get("errors")
        if isinstance(errors, dict) and isinstance(errors.get("message"), str):
            return str(errors["message"])[:300]
        if isinstance(errors, list) and errors:
            return "; ".join(str(error) for error in errors)[:300]
    text = response.text.strip()
    if text.startswith("<"):
        return f"HTTP {response.status_code}"
    return text[:300] or f"HTTP {response.status_code}"
