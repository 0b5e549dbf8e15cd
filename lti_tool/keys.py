"""The tool's RSA signing keys: generation, rotation, and the public JWKS.

Keys live as PEM files in the keys folder (mode 0600, git-ignored) with a small
manifest of their life cycle: a rotated key is *published* at once but only becomes
the *signing* key after ``key_propagation_seconds`` (Canvas caches a tool's JWKS for
up to five minutes), and a retired key stays published until deleted, so launches and
grade calls in flight keep verifying. ``kid`` is the RFC 7638 thumbprint.

Parsing a PEM costs tens of milliseconds of CPU, so each key is parsed once per
process and the key objects are kept.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

MANIFEST = "tool-keys.json"


class KeyStoreError(RuntimeError):
    """The key folder is unusable (unreadable, missing a key the manifest names)."""


@dataclass(frozen=True)
class ToolKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    published_at: dt.datetime
    retired_at: dt.datetime | None

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.pop("key_ops", None)  # "use" says it; RFC 7517 §4.3 advises not both
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return jwk

    @property
    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url), used as the kid."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {
            "e": jwt.utils.base64url_encode(_int_bytes(numbers.e)).decode(),
            "kty": "RSA",
            "n": jwt.utils.base64url_encode(_int_bytes(numbers.n)).decode(),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical.encode())
    return jwt.utils.base64url_encode(digest.finalize()).decode()


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class KeyStore:
    """The keys folder. Safe to share between threads; each process keeps its own cache."""

    def __init__(self, keys_dir: Path, propagation_seconds: int = 600) -> None:
        self.keys_dir = keys_dir
        self.propagation = dt.timedelta(seconds=propagation_seconds)
        self._lock = threading.Lock()
        self._parsed: dict[str, rsa.RSAPrivateKey] = {}
        self._manifest_mtime: float | None = None
        self._keys: list[ToolKey] = []

    # -- reading -------------------------------------------------------------
    def _manifest_path(self) -> Path:
        return self.keys_dir / MANIFEST

    def _read_manifest(self) -> list[dict[str, Any]]:
        path = self._manifest_path()
        if not path.exists():
            return []
        entries: list[dict[str, Any]] = json.loads(path.read_text())["keys"]
        return entries

    def keys(self) -> list[ToolKey]:
        """Every key not deleted, oldest first; reloaded when another process rotated."""
        path = self._manifest_path()
        mtime = path.stat().st_mtime if path.exists() else None
        with self._lock:
            if mtime != self._manifest_mtime:
                self._keys = [self._load(entry) for entry in self._read_manifest()]
                self._manifest_mtime = mtime
            return list(self._keys)

    def _load(self, entry: dict[str, Any]) -> ToolKey:
        kid = entry["kid"]
        if kid not in self._parsed:
            pem_path = self.keys_dir / f"tool-{kid}.pem"
            try:
                key = serialization.load_pem_private_key(pem_path.read_bytes(), password=None)
            except FileNotFoundError as exc:
                raise KeyStoreError(f"{pem_path} is named in {MANIFEST} but missing") from exc
            if not isinstance(key, rsa.RSAPrivateKey):
                raise KeyStoreError(f"{pem_path} is not an RSA key")
            self._parsed[kid] = key
        retired = entry.get("retired_at")
        return ToolKey(
            kid=kid,
            private_key=self._parsed[kid],
            published_at=dt.datetime.fromisoformat(entry["published_at"]),
            retired_at=dt.datetime.fromisoformat(retired) if retired else None,
        )

    def signing_key(self, now: dt.datetime | None = None) -> ToolKey:
        """The newest key published long enough ago for platforms' caches to know it."""
        now = now or _now()
        live = [key for key in self.keys() if key.retired_at is None]
        if not live:
            raise KeyStoreError(f"no signing key in {self.keys_dir}; run `lti-tool keys rotate`")
        settled = [key for key in live if key.published_at + self.propagation <= now]
        # The very first key signs at once: no platform can have cached anything older.
        return settled[-1] if settled else live[0]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk for key in self.keys()]}

    # -- writing -------------------------------------------------------------
    def ensure_key(self) -> ToolKey:
        """Generate the first key if the folder has none (the embedded default)."""
        existing = self.keys()
        if existing:
            return self.signing_key()
        return self.rotate(first=True)

    def rotate(self, first: bool = False) -> ToolKey:
        """Publish a new key; it signs once the propagation delay has passed."""
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.keys_dir, 0o700)
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kid = thumbprint(private_key.public_key())
        now = _now()
        # A first key is backdated past the propagation delay so it signs immediately.
        published = now - self.propagation if first else now
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write_private(self.keys_dir / f"tool-{kid}.pem", pem)
        entries = self._read_manifest()
        entries.append({"kid": kid, "published_at": published.isoformat(), "retired_at": None})
        self._write_manifest(entries)
        return next(key for key in self.keys() if key.kid == kid)

    def retire(self, kid: str) -> None:
        """Stop signing with a key; it stays published until deleted."""
        entries = self._read_manifest()
        if not any(entry["kid"] == kid for entry in entries):
            raise KeyStoreError(f"no key {kid}")
        live = [e for e in entries if not e.get("retired_at") and e["kid"] != kid]
        if not live:
            raise KeyStoreError("retiring the last live key would leave nothing to sign with")
        for entry in entries:
            if entry["kid"] == kid:
                entry["retired_at"] = _now().isoformat()
        self._write_manifest(entries)

    def delete(self, kid: str) -> None:
        """Unpublish a retired key (after in-flight calls have long finished)."""
        entries = self._read_manifest()
        target = next((entry for entry in entries if entry["kid"] == kid), None)
        if target is None:
            raise KeyStoreError(f"no key {kid}")
        if not target.get("retired_at"):
            raise KeyStoreError(f"key {kid} is not retired; retire it first")
        self._write_manifest([entry for entry in entries if entry["kid"] != kid])
        (self.keys_dir / f"tool-{kid}.pem").unlink(missing_ok=True)

    def _write_manifest(self, entries: list[dict[str, Any]]) -> None:
        data = json.dumps({"keys": entries}, indent=2).encode()
        tmp = self._manifest_path().with_suffix(".tmp")
        _write_private(tmp, data)
        os.replace(tmp, self._manifest_path())


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)
