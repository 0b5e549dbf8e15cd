"""An LTI 1.3 tool for accredited continuing medical education.

``create_app`` is the only place things are wired together.
"""

from __future__ import annotations

import logging

from flask import Flask, Response

from lti_tool import logmask
from lti_tool.config import PROJECT_ROOT, Settings
from lti_tool.db import make_engine, make_session_factory
from lti_tool.events import EventBus
from lti_tool.extensions import ToolServices, outbound_policy
from lti_tool.followup.schedule import subscribe as follow_up_subscriptions
from lti_tool.grades.outbox import subscribe as score_subscriptions
from lti_tool.keys import KeyStore
from lti_tool.launch.context import LaunchTokens
from lti_tool.launch.platform_keys import PlatformKeyCache
from lti_tool.launch.service import LaunchService
from lti_tool.launch.storage import LoginStates
from lti_tool.launch.tool_conf import DatabaseToolConf
from lti_tool.launch.validation import LaunchValidator
from lti_tool.outbound import PlatformHttp
from lti_tool.outbox import Outbox, OutboxWorker


def build_services(settings: Settings) -> ToolServices:
    engine = make_engine(settings.database_url, pool_size=settings.pool_size)
    session_factory = make_session_factory(engine)
    # What the journey announces; the grades package queues scores for it.
    bus = EventBus()
    bus.attach(session_factory)
    score_subscriptions(bus)
    follow_up_subscriptions(bus)
    key_store = KeyStore(settings.keys_dir, settings.key_propagation_seconds)
    outbound = outbound_policy(settings)
    http = PlatformHttp(outbound)
    tool_conf = DatabaseToolConf(session_factory, key_store)
    platform_keys = PlatformKeyCache(
        session_factory,
        http,
        ttl_seconds=settings.platform_jwks_ttl_seconds,
        timeout_seconds=settings.http_timeout_seconds,
    )
    tokens = LaunchTokens(settings.secret_key, settings.launch_ttl_seconds)
    login_states = LoginStates(settings.secret_key, settings.login_state_ttl_seconds)
    validator = LaunchValidator(
        tool_conf,
        key_cache=platform_keys,
        leeway_seconds=settings.jwt_leeway_seconds,
        tool_origin=settings.base_url,
    )
    return ToolServices(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        key_store=key_store,
        tool_conf=tool_conf,
        platform_keys=platform_keys,
        tokens=tokens,
        login_states=login_states,
        outbound=outbound,
        http=http,
        outbox=Outbox(session_factory),
        launches=LaunchService(
            validator,
            login_states,
            tokens,
            session_factory,
            base_url=settings.base_url,
        ),
    )


def register_queues(app: Flask, services: ToolServices) -> None:
    """The outbox's queues: scores to gradebooks, certificate mail, CPE Monitor reports."""
    from lti_tool.credit.queues import CertificateMailQueue, CpeMonitorQueue
    from lti_tool.credit.settings import credit_config
    from lti_tool.followup.queue import FollowUpQueue
    from lti_tool.grades.worker import dispatcher_for

    services.outbox.register(dispatcher_for(services))
    services.outbox.register(
        CertificateMailQueue(services.session_factory, lambda: credit_config(app))
    )
    services.outbox.register(CpeMonitorQueue(services.session_factory, lambda: credit_config(app)))
    services.outbox.register(
        FollowUpQueue(
            services.session_factory,
            lambda: credit_config(app).mail,
            services.settings.base_url,
        )
    )


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(settings.instance_dir),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Launch tokens in paths are bearer credentials: masked in every log line, access logs too.
    logmask.install()
    services = build_services(settings)
    services.key_store.ensure_key()
    from lti_tool.pii import configure_pii

    # Learner PII columns are sealed with the AES-GCM keyring in the keys folder.
    configure_pii(settings.keys_dir)
    app.extensions["lti_tool"] = services
    register_queues(app, services)
    # The embedded default delivers from a thread of this process; production runs
    # `lti-tool worker` (LTI_TOOL_INLINE_GRADE_WORKER=false).
    worker = None
    if settings.inline_grade_worker:
        worker = OutboxWorker(services.outbox, name="inline")
        worker.start()
    app.extensions["lti_tool_worker"] = worker

    from lti_tool import admin, web
    from lti_tool.credit.confirm import bp as mail_confirmation_bp
    from lti_tool.credit.verify import bp as verification_bp
    from lti_tool.credit.views import bp as certificates_bp
    from lti_tool.dashboard.views import bp as dashboard_bp
    from lti_tool.followup.views import bp as follow_up_bp
    from lti_tool.home.views import bp as home_bp
    from lti_tool.journey.views import bp as journey_bp
    from lti_tool.launch.pages import template_globals
    from lti_tool.launch.views import bp as launch_bp
    from lti_tool.placement.views import bp as placement_bp
    from lti_tool.registration.views import bp as registration_bp

    web.install(app)
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.context_processor(template_globals)
    for blueprint in (
        launch_bp,
        home_bp,
        journey_bp,
        placement_bp,
        dashboard_bp,
        registration_bp,
        certificates_bp,
        verification_bp,
        mail_confirmation_bp,
        follow_up_bp,
        admin.bp,
    ):
        app.register_blueprint(blueprint)

    @app.route("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.route("/favicon.ico")
    def favicon() -> Response:
        # Browsers ask for /favicon.ico on their own; answer with the page icon, not a 404.
        return app.send_static_file("favicon.svg")

    @app.route("/")
    def index() -> str:
        from flask import render_template

        return render_template(
            "home/index.html",
            base_url=settings.base_url,
            sandbox_url=settings.sandbox_base_url if settings.sandbox_enabled else None,
        )

    return app
