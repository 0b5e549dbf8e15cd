"""The Content-Security-Policy every page of the tool sends.

XSS protection must not rest on escaping alone: ``default-src 'self'`` keeps every fetch on
the tool's origin, scripts and ``<style>`` elements run only from the tool's static files or
with this response's nonce (``{{ csp_nonce() }}`` in a template), ``object-src 'none'`` and
``base-uri 'none'`` close the classic bypasses, and ``form-action`` lets forms post only to
the tool and to the LMS URLs the launch itself named (the Deep Linking return URL). Each
area adds its own ``frame-ancestors``: registered platforms for launch pages, the
registering platform for Dynamic Registration, nobody for the console.
https://www.w3.org/TR/CSP3/
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from flask import g, has_request_context


def nonce() -> str:
    """This response's nonce (made on first use); empty outside a request (PDF rendering)."""
    if not has_request_context():
        return ""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    value: str = g.csp_nonce
    return value


def form_target(url: object) -> str | None:
    """An LMS URL as a CSP source: scheme, host and path (CSP ignores queries; ";" and ","
    would end the directive, so they are escaped as CSP3 §2.3.1 asks)."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}{quote(parts.path or '/', safe='/-._~%!$&()*+=:@')}"


def policy(frame_ancestors: str, form_action: Iterable[str] = ()) -> str:
    value = nonce()
    scripts = f"'self' 'nonce-{value}'" if value else "'self'"
    targets = " ".join(["'self'", *sorted(set(form_action))])
    return (
        f"frame-ancestors {frame_ancestors}; default-src 'self'; script-src {scripts}; "
        f"style-src {scripts}; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        f"form-action {targets}"
    )
