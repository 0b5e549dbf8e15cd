"""Verifying JWTs the tool signs: client assertions and deep linking responses.

1EdTech Security Framework §4.1.1 (client assertion, RFC 7523) and Deep Linking 2.0 §4.2: the
platform verifies the tool's RS256 signature with a key from the tool's JWKS, fetched over
HTTP from the registered ``jwks_uri`` on every verification (so key rotation on the tool
side is seen at once). Only RS256 is accepted: ``none`` and HS256 are refused outright.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jwt
import requests


class ToolJwtError(Exception):
    """The tool's JWT cannot be trusted; the message says why."""


def unverified_claims(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise ToolJwtError(f"not a JWT: {exc}") from exc
    if not isinstance(claims, dict):
        raise ToolJwtError("JWT payload is not an object")
    return claims


def fetch_tool_key(jwks_uri: str, token: str, timeout: float) -> jwt.PyJWK:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise ToolJwtError(f"not a JWT: {exc}") from exc
    if header.get("alg") != "RS256":
        raise ToolJwtError(f"alg {header.get('alg')!r} refused; RS256 is required")
    try:
        response = requests.get(jwks_uri, timeout=timeout)
        response.raise_for_status()
        keys = response.json()["keys"]
    except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
        raise ToolJwtError(f"cannot fetch the tool's JWKS from {jwks_uri}: {exc}") from exc
    kid = header.get("kid")
    candidates = [key for key in keys if kid is None or key.get("kid") == kid]
    if kid is None and len(candidates) != 1:
        raise ToolJwtError("JWT has no kid and the tool's JWKS has more than one key")
    if not candidates:
        raise ToolJwtError(f"kid {kid!r} is not in the tool's JWKS")
    try:
        return jwt.PyJWK(candidates[0], algorithm="RS256")
    except jwt.PyJWKError as exc:
        raise ToolJwtError(f"unusable key in the tool's JWKS: {exc}") from exc


def verify_tool_jwt(
    token: str,
    *,
    jwks_uri: str,
    issuer: str,
    audience: str | Sequence[str],
    required: Sequence[str],
    timeout: float,
    leeway: int,
) -> dict[str, Any]:
    key = fetch_tool_key(jwks_uri, token, timeout)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": list(required)},
        )
    except jwt.InvalidTokenError as exc:
        raise ToolJwtError(f"{type(exc).__name__}: {exc}") from exc
    return claims
