"""``lti-tool serve``: the embedded default, everything on one laptop.

Creates the database and keys, serves the tool, and (unless turned off) serves the
sandbox LMS on another *site* (``localhost`` against the tool's ``127.0.0.1``), so the
browser treats the tool as a third party inside the sandbox's iframe exactly as it
does inside a real LMS. The sandbox and the tool register with each other.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server

from lti_tool.config import Settings

log = logging.getLogger("lti_tool.serve")


def serve_in_thread(app: Any, host: str, port: int) -> tuple[str, Callable[[], None]]:
    """Serve a WSGI app from a daemon thread; returns (base URL, stop)."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"http-{port}", daemon=True)
    thread.start()
    actual_port = server.server_port

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://{host}:{actual_port}", stop


def prepare(settings: Settings) -> None:
    """Everything the tool needs before its first request: schema and keys."""
    from lti_tool.catalog import load_activities, who_ran
    from lti_tool.db import make_engine, make_session_factory, transaction
    from lti_tool.keys import KeyStore
    from lti_tool.migrate import upgrade

    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    KeyStore(settings.keys_dir, settings.key_propagation_seconds).ensure_key()
    engine = make_engine(settings.database_url)
    with transaction(make_session_factory(engine)) as session:
        loaded = load_activities(
            session, settings.activities_dir, loaded_by=who_ran("serve (start-up load)")
        )
    engine.dispose()
    for version in loaded:
        print(f"  Activity:    {version.slug} (version {version.content_hash[:12]})")


def run_dev(settings: Settings, *, host: str, port: int, sandbox_port: int) -> None:
    from lti_tool import create_app
    from lti_tool.warm import warm_up

    prepare(settings)
    app = create_app(settings)
    warm_up(app)
    if settings.sandbox_enabled:
        from lti_tool.sandbox_link import start_sandbox

        sandbox_url = start_sandbox(app, settings, port=sandbox_port)
        print(f"\n  Sandbox LMS: {sandbox_url}/  (launch as a learner or an instructor)\n")
    print(f"  Tool:        {settings.base_url}/\n")
    # waitress, not werkzeug's server: a fixed pool of request threads (werkzeug starts a
    # thread per connection, without bound), which the database pool is sized to, and idle
    # keep-alive connections that hold no thread.
    import waitress

    server = waitress.create_server(
        app, host=host, port=port, threads=settings.server_threads, ident="lti-tool"
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
