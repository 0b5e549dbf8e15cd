"""Encryption at rest of learner PII: NABP e-Profile IDs, birth dates, licence numbers.

The issue asks that these be encrypted at rest with a rotatable key kept in ``keys/``.

Keys. A keyring of AES-256-GCM keys lives in the keys folder (git-ignored), one file per key,
``pii-<key id>.key`` (mode 0600, the key base64-encoded), and ``pii-active`` names the key
that seals new values. The first use generates the first key. ``PiiKeyring.rotate`` adds a
key and makes it active; older keys stay, so every stored value still opens, and
:func:`reencrypt` rewrites old values with the active key (``lti-tool keys rotate-pii`` does
both). A key file may be deleted once no stored value names it (:func:`key_usage`).

Values. A sealed value is ``key id + nonce + ciphertext`` (the GCM tag ends the ciphertext):
``<key id>:<base64url>`` in text columns (:class:`EncryptedString`), the same bytes framed as
``<key id>:<nonce><ciphertext>`` in binary ones (:class:`EncryptedBytes`). The associated data
binds a value to its column and to the row owner (``learner_profiles.birth_mmdd`` of
``user:42``), so a value copied into another column or another learner's row does not open.

Why models seal values themselves rather than the column type doing it: a SQLAlchemy bind
processor sees the value only, never its row, so it cannot know the owner. The column types
therefore store and load :class:`Sealed` values and refuse plain strings, which keeps
plaintext out of PII columns by construction; models mix in :class:`HoldsPii` and call
``set_pii(column, text)`` / ``pii(column)``, which seal and open with the process keyring
configured once at start-up by :func:`configure_pii`.

AES-GCM with 96-bit random nonces: NIST SP 800-38D §8.2.2 (at most 2^32 values per key,
far beyond what one provider stores between rotations).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary, String, select
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker, undefer
from sqlalchemy.types import TypeDecorator

log = logging.getLogger("lti_tool.pii")

KEY_FILE_PREFIX = "pii-"
KEY_FILE_SUFFIX = ".key"
ACTIVE_FILE = "pii-active"
NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256
_KEY_ID = re.compile(r"^[0-9a-f]{8}$")
_AAD_VERSION = "lti-tool/pii/v1"


class PiiError(RuntimeError):
    """Base of the errors of this module."""


class PiiNotConfigured(PiiError):
    """``configure_pii`` was not called in this process (create_app and the CLI call it)."""


class PiiKeyMissing(PiiError):
    """A stored value names a key that is not in the keys folder."""


class PiiUnreadable(PiiError):
    """A stored value does not open: altered, or copied from another column or learner."""


@dataclass(frozen=True, slots=True)
class Sealed:
    """An encrypted value as stored: which key sealed it, then nonce and ciphertext."""

    key_id: str
    payload: bytes  # nonce (12 bytes) + ciphertext + GCM tag (16 bytes)

    def to_text(self) -> str:
        encoded = base64.urlsafe_b64encode(self.payload).rstrip(b"=").decode("ascii")
        return f"{self.key_id}:{encoded}"

    @classmethod
    def from_text(cls, text: str) -> Sealed:
        key_id, _, encoded = text.partition(":")
        if not _KEY_ID.match(key_id) or not encoded:
            raise PiiUnreadable("a PII column holds something that is not a sealed value")
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError) as error:
            raise PiiUnreadable("a sealed value is not valid base64") from error
        return cls(key_id, payload)

    def to_bytes(self) -> bytes:
        return self.key_id.encode("ascii") + b":" + self.payload

    @classmethod
    def from_bytes(cls, blob: bytes) -> Sealed:
        key_id, separator, payload = bytes(blob).partition(b":")
        if not separator or not _KEY_ID.match(key_id.decode("ascii", "replace")):
            raise PiiUnreadable("a PII column holds something that is not a sealed value")
        return cls(key_id.decode("ascii"), payload)


def associated_data(table: str, column: str, owner: str) -> bytes:
    """What a value is bound to: its column and the row owner (e.g. ``user:42``)."""
    return f"{_AAD_VERSION}|{table}.{column}|{owner}".encode()


class PiiKeyring:
    """The AES-GCM keys of one keys folder. Thread-safe; re-reads the folder when a key it
    has not seen is named (another process rotated)."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = Path(keys_dir)
        self._keys: dict[str, AESGCM] = {}
        self._lock = threading.Lock()

    # -- the folder ---------------------------------------------------------------------
    def _key_path(self, key_id: str) -> Path:
        return self.keys_dir / f"{KEY_FILE_PREFIX}{key_id}{KEY_FILE_SUFFIX}"

    def key_ids(self) -> list[str]:
        """Every key in the folder, in no particular order."""
        if not self.keys_dir.is_dir():
            return []
        found = []
        for path in self.keys_dir.glob(f"{KEY_FILE_PREFIX}*{KEY_FILE_SUFFIX}"):
            key_id = path.name[len(KEY_FILE_PREFIX) : -len(KEY_FILE_SUFFIX)]
            if _KEY_ID.match(key_id):
                found.append(key_id)
        return found

    def _write_new_key(self) -> str:
        self.keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        while True:
            key_id = secrets.token_hex(4)
            try:
                fd = os.open(self._key_path(key_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
                handle.write("\n")
            return key_id

    def _write_active(self, key_id: str) -> None:
        partial = self.keys_dir / f".{ACTIVE_FILE}.{os.getpid()}.{threading.get_ident()}"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key_id + "\n")
        # Renamed into place, so another process never reads half a key id.
        os.replace(partial, self.keys_dir / ACTIVE_FILE)

    def active_key_id(self) -> str:
        """The key that seals new values; the first call in a fresh folder creates it."""
        path = self.keys_dir / ACTIVE_FILE
        try:
            key_id = path.read_text().strip()
        except FileNotFoundError:
            key_id = self._first_key()
        if not _KEY_ID.match(key_id):
            raise PiiKeyMissing(f"{path} does not name a key")
        return key_id

    def _first_key(self) -> str:
        with self._lock:
            key_id = self._write_new_key()
            active = self.keys_dir / ACTIVE_FILE
            try:
                fd = os.open(active, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                # Another worker created the first key at the same moment: use its key.
                self._key_path(key_id).unlink()
                return active.read_text().strip()
            with os.fdopen(fd, "w") as handle:
                handle.write(key_id + "\n")
            log.info("generated the first PII key %s in %s", key_id, self.keys_dir)
            return key_id

    def rotate(self) -> str:
        """Add a key and make it the one new values are sealed with; returns its id."""
        self.active_key_id()  # a folder rotated before first use still gets its first key
        with self._lock:
            key_id = self._write_new_key()
            self._write_active(key_id)
        log.info("PII key rotated: %s now seals new values", key_id)
        return key_id

    def _cipher(self, key_id: str) -> AESGCM:
        with self._lock:
            cipher = self._keys.get(key_id)
            if cipher is not None:
                return cipher
            path = self._key_path(key_id)
            try:
                raw = base64.b64decode(path.read_text().strip(), validate=True)
            except FileNotFoundError as error:
                raise PiiKeyMissing(f"PII key {key_id} is not in {self.keys_dir}") from error
            if len(raw) != KEY_BYTES:
                raise PiiKeyMissing(f"{path} does not hold a 256-bit key")
            if path.stat().st_mode & 0o077:
                log.warning("%s is readable by other users; chmod 600 it", path)
            cipher = AESGCM(raw)
            self._keys[key_id] = cipher
            return cipher

    def has_key(self, key_id: str) -> bool:
        return key_id in self._keys or self._key_path(key_id).is_file()

    # -- sealing ------------------------------------------------------------------------
    def seal(self, plaintext: bytes, aad: bytes) -> Sealed:
        key_id = self.active_key_id()
        nonce = os.urandom(NONCE_BYTES)
        return Sealed(key_id, nonce + self._cipher(key_id).encrypt(nonce, plaintext, aad))

    def open(self, sealed: Sealed, aad: bytes) -> bytes:
        nonce, ciphertext = sealed.payload[:NONCE_BYTES], sealed.payload[NONCE_BYTES:]
        try:
            return self._cipher(sealed.key_id).decrypt(nonce, ciphertext, aad)
        except InvalidTag as error:
            raise PiiUnreadable(
                "a sealed value does not open: it was altered or belongs to another row"
            ) from error


# -- the process keyring ---------------------------------------------------------------------
# Normally one keys folder per process. Tests build several apps in one process, each with its
# own folder; values sealed under an earlier folder stay readable, new ones use the latest.
_keyrings: list[PiiKeyring] = []
_keyrings_lock = threading.Lock()


def configure_pii(keys_dir: Path) -> PiiKeyring:
    """Use the keys in ``keys_dir`` for PII from now on (create_app and the CLI call this)."""
    keys_dir = Path(keys_dir)
    with _keyrings_lock:
        existing = next((k for k in _keyrings if k.keys_dir == keys_dir), None)
        keyring = existing or PiiKeyring(keys_dir)
        if existing is not None:
            _keyrings.remove(existing)
        _keyrings.append(keyring)
    keyring.active_key_id()  # fail at start-up, not at the first learner, if unusable
    return keyring


def current_keyring() -> PiiKeyring:
    with _keyrings_lock:
        if not _keyrings:
            raise PiiNotConfigured("call lti_tool.pii.configure_pii(keys_dir) at start-up")
        return _keyrings[-1]


def _keyring_for(key_id: str) -> PiiKeyring:
    with _keyrings_lock:
        keyrings = list(reversed(_keyrings))
    if not keyrings:
        raise PiiNotConfigured("call lti_tool.pii.configure_pii(keys_dir) at start-up")
    return next((k for k in keyrings if k.has_key(key_id)), keyrings[0])


def seal(plaintext: str | bytes, aad: bytes) -> Sealed:
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    return current_keyring().seal(data, aad)


def open_bytes(sealed: Sealed, aad: bytes) -> bytes:
    return _keyring_for(sealed.key_id).open(sealed, aad)


def open_text(sealed: Sealed, aad: bytes) -> str:
    return open_bytes(sealed, aad).decode("utf-8")


# -- columns and models ----------------------------------------------------------------------
class EncryptedString(TypeDecorator[Sealed]):
    """A text column of sealed values (``<key id>:<base64url>``); refuses plain strings."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: Sealed | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Sealed):
            raise TypeError("PII must be sealed (HoldsPii.set_pii) before it is stored")
        return value.to_text()

    def process_result_value(self, value: str | None, dialect: Any) -> Sealed | None:
        return None if value is None else Sealed.from_text(value)


class EncryptedBytes(TypeDecorator[Sealed]):
    """A binary column of sealed values (e.g. a stored certificate PDF); refuses plain bytes."""

    impl = LargeBinary()
    cache_ok = True

    def process_bind_param(self, value: Sealed | None, dialect: Any) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, Sealed):
            raise TypeError("PII must be sealed (HoldsPii.set_pii) before it is stored")
        return value.to_bytes()

    def process_result_value(self, value: bytes | None, dialect: Any) -> Sealed | None:
        return None if value is None else Sealed.from_bytes(value)


class HoldsPii:
    """Mixin for models with sealed columns: the subclass says who owns the row."""

    __tablename__: str

    @property
    def pii_owner(self) -> str:
        raise NotImplementedError

    def pii_aad(self, column: str) -> bytes:
        return associated_data(self.__tablename__, column, self.pii_owner)

    def set_pii(self, column: str, value: str | bytes | None) -> None:
        """Seal ``value`` into ``column`` (``None`` or ``""`` clears it)."""
        setattr(self, column, seal(value, self.pii_aad(column)) if value else None)

    def pii(self, column: str) -> str | None:
        sealed: Sealed | None = getattr(self, column)
        return None if sealed is None else open_text(sealed, self.pii_aad(column))

    def pii_bytes(self, column: str) -> bytes | None:
        sealed: Sealed | None = getattr(self, column)
        return None if sealed is None else open_bytes(sealed, self.pii_aad(column))


def sealed_columns(base: type[DeclarativeBase]) -> Iterator[tuple[type[Any], list[str]]]:
    """Each model class with sealed columns, and the names of those columns."""
    for mapper in base.registry.mappers:
        names = [
            attribute.key
            for attribute in mapper.column_attrs
            if any(isinstance(c.type, EncryptedString | EncryptedBytes) for c in attribute.columns)
        ]
        if names:
            yield mapper.class_, sorted(names)


def key_usage(session: Session, base: type[DeclarativeBase]) -> dict[str, int]:
    """How many stored values each key id seals, over every sealed column."""
    usage: dict[str, int] = {}
    for model, columns in sealed_columns(base):
        for column in columns:
            for sealed in session.scalars(select(getattr(model, column))):
                if sealed is not None:
                    usage[sealed.key_id] = usage.get(sealed.key_id, 0) + 1
    return usage


@dataclass(frozen=True)
class Reencrypted:
    column: str  # "table.column"
    rewritten: int
    already_current: int


def reencrypt(
    session_factory: sessionmaker[Session] | Callable[[], Session],
    base: type[DeclarativeBase],
    batch_size: int = 100,
) -> list[Reencrypted]:
    """Rewrite every value not sealed with the active key, one committed batch at a time.

    Safe to run while the tool serves: a row is rewritten from what it holds when its batch
    reads it, and a value written meanwhile is already sealed with the active key.
    """
    active = current_keyring().active_key_id()
    results = []
    for model, columns in sealed_columns(base):
        (primary_key,) = model.__mapper__.primary_key
        counts = dict.fromkeys(columns, 0)
        current = dict.fromkeys(columns, 0)
        last_id: Any = None
        while True:
            with session_factory() as session:
                query = (
                    select(model)
                    .options(*(undefer(getattr(model, c)) for c in columns))
                    .order_by(primary_key)
                    .limit(batch_size)
                )
                if last_id is not None:
                    query = query.where(primary_key > last_id)
                rows = list(session.scalars(query))
                if not rows:
                    break
                for row in rows:
                    for column in columns:
                        sealed = getattr(row, column)
                        if sealed is None:
                            continue
                        if sealed.key_id == active:
                            current[column] += 1
                            continue
                        aad = row.pii_aad(column)
                        setattr(row, column, seal(open_bytes(sealed, aad), aad))
                        counts[column] += 1
                last_id = getattr(rows[-1], primary_key.key)
                session.commit()
        table = model.__tablename__
        results += [Reencrypted(f"{table}.{c}", counts[c], current[c]) for c in columns]
    return results
