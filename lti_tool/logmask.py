"""Launch tokens never reach a log line.

Pages after a launch live under ``/a/<launch_token>/``; the token is a bearer credential
for 8 hours (LTI_TOOL_LAUNCH_TTL_SECONDS), and access logs (werkzeug's in ``lti-tool
serve``, gunicorn's ``gunicorn.access`` in production) write every path. Rather than
configure each logger, every log record made in the process is masked as it is created
(``logging.setLogRecordFactory``), so any logger and any handler, ours or a server's, sees
``/a/~<8 hex>/…``: a digest that still ties one launch's requests together, but is no
credential.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

# A token is URL-safe base64 with dots (itsdangerous); it ends at the next "/", "?", space
# or quote of the request line.
_LAUNCH_PATH = re.compile(r"/a/([A-Za-z0-9_\-\.]{16,})")


def mask_launch_tokens(text: str) -> str:
    def digest(match: re.Match[str]) -> str:
        return "/a/~" + hashlib.sha256(match.group(1).encode()).hexdigest()[:8]

    return _LAUNCH_PATH.sub(digest, text)


def install() -> None:
    """Wrap the record factory once per process (create_app may run several times)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "masks_launch_tokens", False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is the handler's to report
            return record
        masked = mask_launch_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    masked_record.masks_launch_tokens = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)
