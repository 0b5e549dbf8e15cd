"""Serving a WSGI app on a loopback port in a background thread (tests, local demos).

Port 0 asks the OS for a free port. When the app is a sandbox whose base_url was not known
(empty, or port 0), the bound URL becomes its base_url, keeping a configured host name such
as ``localhost`` so that the sandbox and the tool stay on different sites.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from werkzeug.serving import make_server

from lti_tool.sandbox.sandbox import EXTENSION_KEY, Sandbox


def serve_in_thread(
    app: Flask, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Start ``app`` on host:port in a daemon thread; returns (base_url, stop)."""
    server = make_server(host, port, app, threaded=True)
    served_url = f"http://{host}:{server.server_port}"
    sandbox = app.extensions.get(EXTENSION_KEY)
    base_url = sandbox.bind_base_url(served_url) if isinstance(sandbox, Sandbox) else served_url
    thread = threading.Thread(target=server.serve_forever, name=f"serve {base_url}", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        if isinstance(sandbox, Sandbox):
            sandbox.dispose()

    return base_url, stop
