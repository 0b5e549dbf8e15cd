"""The CPE Monitor stand-in (lti_tool.certificates.cpe_monitor_standin) served over real HTTP
on loopback, for the certificate and the credit tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from lti_tool.certificates.cpe_monitor_standin import StandinState, create_standin_app


@contextmanager
def served_standin() -> Iterator[tuple[StandinState, str]]:
    """The stand-in's state and base URL; the server stops when the block ends."""
    app = create_standin_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: each test stops its own server, and shutdown waits one poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield app.extensions["cpe_monitor_standin"], f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
