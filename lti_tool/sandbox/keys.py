"""The platform's RSA signing key and its JSON Web Key Set.

LTI 1.3 Core §6.1 / 1EdTech Security Framework §6 "Message Security and Message Signing":
id_tokens are RS256 JWTs whose header carries the ``kid`` of a key published in the
platform's JWKS. https://www.imsglobal.org/spec/security/v1p0/#message-security-and-message-signing

One key serves both flavours (each flavour publishes it at its own JWKS URL). The key is
generated on first run and written with mode 0600; the kid is the RFC 7638 thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE_NAME = "sandbox-platform.pem"


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The RFC 7517 JWK of an RSA public key, with kid = RFC 7638 thumbprint."""
    numbers = public_key.public_numbers()
    required = {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**required, "kid": kid, "alg": "RS256", "use": "sig"}


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class PlatformKey:
    """The sandbox's signing key: signs id_tokens, published in the JWKS."""

    private_key: rsa.RSAPrivateKey

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> PlatformKey:
        keys_dir.mkdir(parents=True, exist_ok=True)
        path = keys_dir / KEY_FILE_NAME
        if not path.exists():
            pem = generate_private_key().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                # O_EXCL: two sandboxes starting at once must not both write the file.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(pem)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return cls(loaded)

    @cached_property
    def jwk(self) -> dict[str, str]:
        return public_jwk(self.private_key.public_key())

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.jwk]}

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims,
            self.private_key,
            algorithm="RS256",
            headers={"kid": self.kid, **(headers or {})},
        )
