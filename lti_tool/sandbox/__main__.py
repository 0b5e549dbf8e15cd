"""Run the sandbox LMS by hand: ``python -m lti_tool.sandbox --port 5001 --tool-url http://127.0.0.1:5000``.

Serves on 127.0.0.1 but names itself http://localhost:<port>, a different site from a tool
on 127.0.0.1, as an LMS and a tool are in real life. Prints what the tool needs to register
each flavour.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from werkzeug.serving import make_server

from lti_tool.sandbox import (
    SandboxSettings,
    ToolSettings,
    create_sandbox_app,
    platform_registration,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lti_tool.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument(
        "--public-host", default="localhost", help="host name in the sandbox's URLs"
    )
    parser.add_argument(
        "--public-url", default="", help="the sandbox's own URL, e.g. behind an HTTPS proxy"
    )
    parser.add_argument("--tool-url", default="http://127.0.0.1:5000", help="the tool's base URL")
    parser.add_argument("--database", type=Path, default=Path("instance/sandbox.sqlite"))
    parser.add_argument("--keys-dir", type=Path, default=Path("keys"))
    args = parser.parse_args(argv)
    base_url = args.public_url.rstrip("/") or f"http://{args.public_host}:{args.port}"
    app = create_sandbox_app(
        SandboxSettings(
            base_url=base_url,
            database_path=args.database,
            keys_dir=args.keys_dir,
            tool=ToolSettings(args.tool_url),
        )
    )
    for flavour in ("canvas", "moodle"):
        print(f"--- {flavour}: register this platform in the tool ---")
        print(json.dumps(platform_registration(app, flavour), indent=2))
    print(f"Sandbox LMS on {base_url}/ (Ctrl-C to stop)")
    server = make_server(args.host, args.port, app, threaded=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
