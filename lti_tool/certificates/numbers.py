"""Certificate numbers and the verification URL printed on every certificate.

A number looks like ``CD26-7K4M-Q9XF-3T82``: a short prefix chosen by the caller (activity
code and issue year), then random characters from a CSPRNG (``secrets``) in groups of four,
the last character being a check character. The alphabet is Crockford's Base32
(https://www.crockford.com/base32.html): digits and letters without I, L, O and U, so a number
read aloud or typed from paper survives, and lookalikes typed by a person (O for 0, I or L
for 1) are folded back by ``normalize_certificate_number``.

The check character is Luhn mod N over that alphabet, which catches every single mistyped
character and most swaps of two adjacent characters before the database is asked.
With the default three groups there are 11 random characters, 55 bits: anyone can verify a
certificate they hold, nobody can enumerate certificates through the verify page.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote, urlsplit

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUP = 4
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PREFIX_RE = re.compile(rf"^[{ALPHABET}]{{2,8}}$")

VERIFY_PATH = "certificates/verify/"  # the tool route GET /certificates/verify/<number>


class InvalidCertificateNumber(ValueError):
    """Text that is not a well-formed certificate number."""


def luhn_check_character(payload: str) -> str:
    """The Luhn mod 32 check character for ``payload`` (characters of ``ALPHABET``)."""
    base = len(ALPHABET)
    total = 0
    factor = 2
    for character in reversed(payload):
        addend = factor * ALPHABET.index(character)
        total += addend // base + addend % base
        factor = 1 if factor == 2 else 2
    return ALPHABET[(base - total % base) % base]


def _group(characters: str) -> list[str]:
    return [characters[i : i + _GROUP] for i in range(0, len(characters), _GROUP)]


def new_certificate_number(prefix: str, groups: int = 3) -> str:
    """A fresh number such as ``CD26-7K4M-Q9XF-3T82``; uniqueness is still the database's job."""
    if not _PREFIX_RE.match(prefix):
        raise InvalidCertificateNumber(
            f"prefix {prefix!r} must be 2-8 characters of the Crockford Base32 alphabet"
        )
    if groups < 2:
        raise InvalidCertificateNumber("at least two groups are needed to be unguessable")
    body = "".join(secrets.choice(ALPHABET) for _ in range(groups * _GROUP - 1))
    body += luhn_check_character(prefix + body)
    return "-".join([prefix, *_group(body)])


def normalize_certificate_number(text: str) -> str:
    """The canonical form of a number typed by a person, or ``InvalidCertificateNumber``.

    Case, spaces and lookalike letters are forgiven; a wrong check character is not.
    """
    parts = [part for part in re.split(r"[\s\-]+", text.strip().upper()) if part]
    if len(parts) < 3:
        raise InvalidCertificateNumber("a certificate number has a prefix and groups of four")
    prefix, body = parts[0].translate(_LOOKALIKES), "".join(parts[1:]).translate(_LOOKALIKES)
    if not _PREFIX_RE.match(prefix) or len(body) % _GROUP or len(body) < 2 * _GROUP:
        raise InvalidCertificateNumber(f"{text!r} is not shaped like a certificate number")
    if any(character not in ALPHABET for character in body):
        raise InvalidCertificateNumber(f"{text!r} contains characters outside the alphabet")
    if luhn_check_character(prefix + body[:-1]) != body[-1]:
        raise InvalidCertificateNumber(f"{text!r} fails its check character")
    return "-".join([prefix, *_group(body)])


def is_valid_certificate_number(text: str) -> bool:
    """Whether ``text`` normalises to a well-formed number."""
    try:
        normalize_certificate_number(text)
    except InvalidCertificateNumber:
        return False
    return True


def build_verification_url(base_url: str, certificate_number: str) -> str:
    """The public URL where anyone can check ``certificate_number``.

    ``base_url`` is where the tool is served, with or without a path prefix
    (``https://cme.example.org`` or ``https://example.org/cme/``).
    """
    parts = urlsplit(base_url)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        raise ValueError(f"verification base URL {base_url!r} must be an absolute http(s) URL")
    if parts.query or parts.fragment:
        raise ValueError(f"verification base URL {base_url!r} must not carry a query or fragment")
    number = normalize_certificate_number(certificate_number)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc}{path}{VERIFY_PATH}{quote(number)}"
