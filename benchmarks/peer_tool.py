"""A minimal PEER LTI 1.3 tool, written only as a yardstick for ``benchmarks/launch.py``.

It follows the shape of pylti1p3's own Flask example (pylti1p3.contrib.flask:
FlaskOIDCLogin, FlaskMessageLaunch, FlaskRequest, FlaskCacheDataStorage on a Flask-Caching
cache) with a ToolConfDict holding one platform registration and the peer's own key pair:
the OIDC login redirects to the platform, the launch validates the id_token (state cookie,
signature against the platform's JWKS, nonce, deployment, message) and renders a small
HTML page in the launch response. It keeps no database and no learner records.

Two choices differ from the example, both so the comparison is fair, not flattering:

* the cache is a FileSystemCache shared by every gunicorn worker (the example's in-process
  "simple" cache would lose the nonce whenever login and launch reach different workers);
* the platform's key set is cached (pylti1p3's ``set_public_key_caching``), as our tool
  caches it, so neither tool fetches the JWKS on every launch.

Its page is compiled once, as Flask keeps a compiled template file (the example renders
files); compiling it on every launch, as ``render_template_string`` does, cost the PEER about
0.85 ms a launch and flattered our tool in every ratio measured before 2026-12-06.

The cookie check page (``enable_check_cookies``) is not used: it needs JavaScript and our
tool's login answers with a plain redirect too.

Configured from the environment (``launch.py`` sets it):

    PEER_TOOL_CONFIG   JSON file: {"tool_conf": <ToolConfDict dict>, "private_key_file": ...,
                       "cache_dir": ..., "secret_key": ..., "store": "file" | "database",
                       "store_database_url": ...}

With ``"store": "database"`` (``launch.py --peer-store database``) the state, nonce and
launch data live in a database table instead of the FileSystemCache (``peer_store``): the
store a pylti1p3 tool needs once a login and its launch can reach different hosts.

Served by gunicorn as ``peer_tool:app`` with ``--pythonpath benchmarks``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template
from flask_caching import Cache
from pylti1p3.contrib.flask import (
    FlaskCacheDataStorage,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.exception import LtiException
from pylti1p3.tool_config import ToolConfDict

MARKER = "PEER tool: launch validated"

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>PEER tool</title></head>
<body>
<h1>{{ marker }}</h1>
<p>Hello {{ name }}.</p>
<p>Resource link: {{ link_title }} ({{ link_id }}) in {{ context_title }}.</p>
<p>Launch id: <code>{{ launch_id }}</code></p>
</body>
</html>
"""

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


def _sibling(name: str) -> str:
    """``name`` in this folder, imported as gunicorn imports this module (``peer_tool``) or
    as the tests do (``benchmarks.peer_tool``)."""
    package = __name__.rpartition(".")[0]
    return f"{package}.{name}" if package else name


def _tool_conf(config: dict[str, Any]) -> ToolConfDict:
    conf = ToolConfDict(config["tool_conf"])
    private_key = Path(config["private_key_file"]).read_text()
    public_key = Path(config["public_key_file"]).read_text()
    for issuer, registrations in config["tool_conf"].items():
        for registration in registrations:
            conf.set_private_key(issuer, private_key, client_id=registration["client_id"])
            conf.set_public_key(issuer, public_key, client_id=registration["client_id"])
    return conf


def create_app(config: dict[str, Any]) -> Flask:
    app = Flask("peer-tool")
    # Compiled once, as Flask compiles and keeps a template file (pylti1p3's example renders
    # files): render_template_string would compile it on every launch (about 0.85 ms).
    page = app.jinja_env.from_string(PAGE)
    app.config.from_mapping(
        SECRET_KEY=config["secret_key"],
        CACHE_TYPE="FileSystemCache",
        CACHE_DIR=config["cache_dir"],
        CACHE_DEFAULT_TIMEOUT=600,
        # No pruning during a benchmark run: the directory lives as long as the run.
        CACHE_THRESHOLD=0,
    )
    if config.get("store") == "database":
        # State, nonce and launch data in a database table (peer_store); the platform's
        # key set in each process's memory, as our tool keeps it.
        app.config.update(
            CACHE_TYPE=_sibling("peer_store.DatabaseCache"),
            PEER_STORE_DATABASE_URL=config["store_database_url"],
        )
        cache = Cache(app)
        key_cache = Cache(app, config={"CACHE_TYPE": "SimpleCache"})
    else:
        cache = key_cache = Cache(app)
    tool_conf = _tool_conf(config)

    def launch_data_storage() -> FlaskCacheDataStorage:
        return FlaskCacheDataStorage(cache)

    @app.errorhandler(LtiException)
    def refused(error: LtiException) -> tuple[str, int]:
        return f"Launch refused: {error}", 403

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    @app.get("/.well-known/jwks.json")
    def jwks() -> Response:
        return jsonify(tool_conf.get_jwks())

    @app.route("/lti/login", methods=["GET", "POST"])
    def login() -> Any:
        flask_request = FlaskRequest()
        target_link_uri = flask_request.get_param("target_link_uri")
        if not target_link_uri:
            return Response("missing target_link_uri", status=400)
        oidc_login = FlaskOIDCLogin(
            flask_request, tool_conf, launch_data_storage=launch_data_storage()
        )
        return oidc_login.redirect(target_link_uri)

    @app.post("/lti/launch")
    def launch() -> str:
        flask_request = FlaskRequest()
        storage = launch_data_storage()
        message_launch = FlaskMessageLaunch(flask_request, tool_conf, launch_data_storage=storage)
        message_launch.set_public_key_caching(FlaskCacheDataStorage(key_cache), cache_lifetime=7200)
        claims = message_launch.get_launch_data()  # validates, then stores the launch
        return render_template(
            page,
            marker=MARKER,
            name=claims.get("name", ""),
            link_title=claims.get(CLAIM + "resource_link", {}).get("title", ""),
            link_id=claims.get(CLAIM + "resource_link", {}).get("id", ""),
            context_title=claims.get(CLAIM + "context", {}).get("title", ""),
            launch_id=message_launch.get_launch_id(),
        )

    return app


def _app_from_environment() -> Flask | None:
    path = os.environ.get("PEER_TOOL_CONFIG")
    if not path:
        return None
    return create_app(json.loads(Path(path).read_text()))


app = _app_from_environment()
