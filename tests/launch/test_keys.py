"""The tool's signing keys: thumbprint kids, rotation without breaking in-flight calls."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import jwt
import pytest
import requests
from jwcrypto import jwk as jwcrypto_jwk

from lti_tool.keys import KeyStore, KeyStoreError
from tests.conftest import Served


def test_kid_is_the_rfc7638_thumbprint(tmp_path: Path) -> None:
    key = KeyStore(tmp_path / "keys").ensure_key()
    independent = jwcrypto_jwk.JWK(
        **{k: v for k, v in key.public_jwk.items() if k in ("kty", "n", "e")}
    )
    assert key.kid == independent.thumbprint()


def test_private_key_files_are_owner_only(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    key = store.ensure_key()
    for path in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (tmp_path / "keys" / f"tool-{key.kid}.pem").exists()


def test_rotated_key_is_published_at_once_but_signs_only_after_propagation(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", propagation_seconds=600)
    old = store.ensure_key()
    new = store.rotate()
    kids = [entry["kid"] for entry in store.jwks()["keys"]]
    assert kids == [old.kid, new.kid]
    now = dt.datetime.now(dt.UTC)
    assert store.signing_key(now).kid == old.kid
    assert store.signing_key(now + dt.timedelta(seconds=601)).kid == new.kid


def test_retired_key_stays_published_until_deleted(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys", propagation_seconds=0)
    old = store.ensure_key()
    new = store.rotate()
    store.retire(old.kid)
    assert store.signing_key().kid == new.kid
    assert old.kid in [entry["kid"] for entry in store.jwks()["keys"]]
    store.delete(old.kid)
    assert [entry["kid"] for entry in store.jwks()["keys"]] == [new.kid]


def test_the_last_live_key_cannot_be_retired_and_a_live_key_cannot_be_deleted(
    tmp_path: Path,
) -> None:
    store = KeyStore(tmp_path / "keys")
    only = store.ensure_key()
    with pytest.raises(KeyStoreError):
        store.delete(only.kid)
    with pytest.raises(KeyStoreError):
        store.retire(only.kid)


def test_a_second_process_sees_a_rotation(tmp_path: Path) -> None:
    first, second = KeyStore(tmp_path / "keys"), KeyStore(tmp_path / "keys")
    first.ensure_key()
    assert len(second.jwks()["keys"]) == 1
    first.rotate()
    assert len(second.jwks()["keys"]) == 2


def test_published_jwks_verifies_what_the_tool_signs(tool: Served) -> None:
    services = tool.app.extensions["lti_tool"]
    signing = services.key_store.signing_key()
    token = jwt.encode(
        {"hello": "platform"}, signing.private_key, algorithm="RS256", headers={"kid": signing.kid}
    )
    published = requests.get(tool.base_url + "/.well-known/jwks.json", timeout=10)
    assert published.status_code == 200
    keys = {entry["kid"]: entry for entry in published.json()["keys"]}
    assert all(
        entry["alg"] == "RS256" and entry["use"] == "sig" and "d" not in entry
        for entry in keys.values()
    )
    public = jwt.PyJWK(keys[signing.kid]).key
    assert jwt.decode(token, public, algorithms=["RS256"]) == {"hello": "platform"}


def test_refusing_to_retire_the_last_key_leaves_it_signing(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    only = store.ensure_key()
    with pytest.raises(KeyStoreError):
        store.retire(only.kid)
    assert store.signing_key().kid == only.kid
