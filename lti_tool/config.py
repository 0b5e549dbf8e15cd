"""Settings: every environment variable the tool reads, its default, and why.

The embedded default (no variables set) is a self-contained developer install:
SQLite in ``instance/``, keys generated in ``keys/``, the bundled activities, and
the sandbox LMS. ``LTI_TOOL_ENV=production`` turns the defaults that are only
safe on a laptop into errors (see :meth:`Settings.check_production`).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """A setting is missing or unsafe for the environment the tool runs in."""


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    # "development" (embedded defaults allowed) or "production" (fail fast on unsafe defaults).
    env: str = "development"
    # Where runtime files live: the SQLite database, the generated secret key, mail drop, PDFs.
    instance_dir: Path = PROJECT_ROOT / "instance"
    # SQLAlchemy URL: SQLite in the instance folder by default, postgresql+psycopg://… in prod.
    database_url: str = ""
    # Public origin of the tool as platforms reach it (no trailing slash); builds every LTI URL.
    base_url: str = "http://127.0.0.1:5000"
    # Folder of the tool's private keys (RSA signing keys, PII encryption key); git-ignored, 0600.
    keys_dir: Path = PROJECT_ROOT / "keys"
    # Flask secret for signing launch tokens and admin sessions; generated and kept in dev.
    secret_key: str = ""
    # Folder of activity folders loaded at start-up (each a configs/activities/<slug>/).
    activities_dir: Path = PROJECT_ROOT / "configs" / "activities"
    # Seconds a newly rotated key is published before the tool signs with it. Canvas caches a
    # tool's JWKS for up to 5 minutes, so 10 minutes leaves a margin.
    key_propagation_seconds: int = 600
    # Seconds an OIDC login state (and its nonce) may wait for the platform's id_token.
    login_state_ttl_seconds: int = 600
    # Seconds of clock skew accepted on a platform's iat/exp (PyJWT >= 2.6 refuses an iat a
    # fraction of a second in the future without one).
    jwt_leeway_seconds: int = 60
    # Seconds a platform's JWKS is cached before it is fetched again (an unknown kid refetches).
    platform_jwks_ttl_seconds: int = 3600
    # Hours a launch stays usable in the iframe; pages warn before it ends.
    launch_ttl_seconds: int = 8 * 3600
    # How old the outcomes page's figures may be before they are counted again (exports
    # are always counted when asked for).
    outcomes_max_age_seconds: int = 600
    # Start the sandbox LMS with `lti-tool serve` and register it (embedded default only).
    sandbox_enabled: bool = True
    # Public origin of the sandbox LMS; another *site* than the tool so cookies are third-party.
    sandbox_base_url: str = "http://localhost:5001"
    # Run the grade outbox dispatcher inside the web process (embedded default); production
    # runs `lti-tool worker` instead.
    inline_grade_worker: bool = True
    # Web processes render a specimen certificate as they start, so the first credit claim
    # each one serves does not wait about 0.8 s for WeasyPrint and its fonts (it costs about
    # 35 MiB per process; activities and templates are readied whatever this says).
    warm_certificates: bool = True
    # Request threads of `lti-tool serve` (waitress). Under gunicorn, set it to --threads.
    server_threads: int = 8
    # The provider's time zone (IANA name): learners' pages show times in the learner's zone
    # when the LMS sends it ($Person.address.timezone), in this one otherwise, named.
    timezone: str = "UTC"
    # Database connections per process; 0 = server_threads + 4 (the background workers).
    # A request holds one connection at most, so this many never wait for each other.
    database_pool_size: int = 0
    # Outgoing HTTP timeout (seconds) towards platforms: JWKS, tokens, AGS, NRPS, Dynamic
    # Registration. Each read waits at most this long, and so does the whole answer's body.
    http_timeout_seconds: int = 10
    # Seconds to open a connection to a platform (TCP and TLS); capped by the timeout above.
    http_connect_timeout_seconds: int = 5
    # Largest answer read from a platform, in bytes (a large Moodle course's NRPS page is
    # a few MB); a bigger one is refused.
    http_max_response_bytes: int = 16 * 1024 * 1024
    # Whether calls to platforms may go to private, loopback, link-local or reserved
    # addresses (checked on the addresses a host name resolves to when connecting).
    # Unset: allowed in development (the sandbox LMS is on localhost), refused in
    # production, where a platform, a launch claim or /lti/register could otherwise point
    # the tool at its own network. Set true in production only for an LMS on the
    # institution's private network.
    allow_private_addresses: bool | None = None
    # Certificate authorities trusted for HTTPS calls to platforms, as a PEM file; empty:
    # the public ones (certifi). For an LMS whose certificate an institution's own CA signed.
    ca_bundle: str = ""
    # Seconds a worker's claim on a score lasts: the scores of a worker that died mid-
    # delivery are taken over after it. Keep it several HTTP timeouts long, so a slow
    # platform's scores are not sent twice.
    score_lease_seconds: int = 120
    # SMTP for certificates; empty host = write .eml files to instance/mail (embedded default).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "CME Certificates <certificates@localhost>"
    # CPE Monitor web service URL (SubmitCPEActivityJSON). Empty (the default): pharmacists'
    # completions stay queued and `lti-tool reports cpe-monitor` exports them for upload.
    cpe_monitor_url: str = ""
    # CPE Monitor login ACPE issued to the provider; kept server-side, never sent to browsers.
    cpe_monitor_username: str = ""
    cpe_monitor_password: str = ""
    # ACPE provider number (the UAN's first block, e.g. "0574"); empty = read from each UAN.
    acpe_provider_number: str = ""
    # Reverse proxies in front of the tool that set X-Forwarded-For/-Proto/-Host (0 = none).
    # Behind one, set 1: the console's sign-in throttle and the logs then see the client's
    # address, not the proxy's. Never set it higher than the proxies you run (spoofing).
    proxy_hops: int = 0
    # Extra origins allowed to frame the tool besides registered platforms (space separated).
    extra_frame_ancestors: tuple[str, ...] = field(default_factory=tuple)
    # Refused OIDC logins (/lti/login) per client address per minute; above it, 429. Each
    # writes a refused-launch record; a genuine login writes nothing and is not counted.
    login_rate_per_minute: int = 300
    # Dynamic Registration requests (/lti/register, each fetches from the platform) per client
    # address per hour.
    register_rate_per_hour: int = 20
    # Certificate corrections per learner and activity per day (each issues a new PDF).
    corrections_per_day: int = 3
    # Refused launches kept for the console (newest first); older rows are pruned.
    launch_failures_kept: int = 5000

    @classmethod
    def from_env(cls) -> Settings:
        default = cls()
        instance_dir = Path(_env("LTI_TOOL_INSTANCE_DIR", str(default.instance_dir)))
        settings = cls(
            env=_env("LTI_TOOL_ENV", default.env),
            instance_dir=instance_dir,
            database_url=_env("LTI_TOOL_DATABASE_URL", ""),
            base_url=_env("LTI_TOOL_BASE_URL", default.base_url).rstrip("/"),
            keys_dir=Path(_env("LTI_TOOL_KEYS_DIR", str(default.keys_dir))),
            secret_key=_env("LTI_TOOL_SECRET_KEY", ""),
            activities_dir=Path(_env("LTI_TOOL_ACTIVITIES_DIR", str(default.activities_dir))),
            key_propagation_seconds=_env_int(
                "LTI_TOOL_KEY_PROPAGATION_SECONDS", default.key_propagation_seconds
            ),
            login_state_ttl_seconds=_env_int(
                "LTI_TOOL_LOGIN_STATE_TTL_SECONDS", default.login_state_ttl_seconds
            ),
            jwt_leeway_seconds=_env_int("LTI_TOOL_JWT_LEEWAY_SECONDS", default.jwt_leeway_seconds),
            platform_jwks_ttl_seconds=_env_int(
                "LTI_TOOL_PLATFORM_JWKS_TTL_SECONDS", default.platform_jwks_ttl_seconds
            ),
            launch_ttl_seconds=_env_int("LTI_TOOL_LAUNCH_TTL_SECONDS", default.launch_ttl_seconds),
            outcomes_max_age_seconds=_env_int(
                "LTI_TOOL_OUTCOMES_MAX_AGE_SECONDS", default.outcomes_max_age_seconds
            ),
            sandbox_enabled=_env_bool("LTI_TOOL_SANDBOX", default.sandbox_enabled),
            sandbox_base_url=_env("LTI_TOOL_SANDBOX_BASE_URL", default.sandbox_base_url).rstrip(
                "/"
            ),
            inline_grade_worker=_env_bool(
                "LTI_TOOL_INLINE_GRADE_WORKER", default.inline_grade_worker
            ),
            warm_certificates=_env_bool("LTI_TOOL_WARM_CERTIFICATES", default.warm_certificates),
            server_threads=_env_int("LTI_TOOL_SERVER_THREADS", default.server_threads),
            timezone=_env("LTI_TOOL_TIMEZONE", default.timezone),
            database_pool_size=_env_int("LTI_TOOL_DATABASE_POOL_SIZE", default.database_pool_size),
            http_timeout_seconds=_env_int(
                "LTI_TOOL_HTTP_TIMEOUT_SECONDS", default.http_timeout_seconds
            ),
            http_connect_timeout_seconds=_env_int(
                "LTI_TOOL_HTTP_CONNECT_TIMEOUT_SECONDS", default.http_connect_timeout_seconds
            ),
            http_max_response_bytes=_env_int(
                "LTI_TOOL_HTTP_MAX_RESPONSE_BYTES", default.http_max_response_bytes
            ),
            allow_private_addresses=(
                _env_bool("LTI_TOOL_ALLOW_PRIVATE_ADDRESSES", False)
                if os.environ.get("LTI_TOOL_ALLOW_PRIVATE_ADDRESSES", "").strip()
                else None
            ),
            ca_bundle=_env("LTI_TOOL_CA_BUNDLE", ""),
            score_lease_seconds=_env_int(
                "LTI_TOOL_SCORE_LEASE_SECONDS", default.score_lease_seconds
            ),
            smtp_host=_env("LTI_TOOL_SMTP_HOST", ""),
            smtp_port=_env_int("LTI_TOOL_SMTP_PORT", default.smtp_port),
            smtp_username=_env("LTI_TOOL_SMTP_USERNAME", ""),
            smtp_password=_env("LTI_TOOL_SMTP_PASSWORD", ""),
            smtp_starttls=_env_bool("LTI_TOOL_SMTP_STARTTLS", default.smtp_starttls),
            mail_from=_env("LTI_TOOL_MAIL_FROM", default.mail_from),
            cpe_monitor_url=_env("LTI_TOOL_CPE_MONITOR_URL", "").strip(),
            cpe_monitor_username=_env("LTI_TOOL_CPE_MONITOR_USERNAME", ""),
            cpe_monitor_password=_env("LTI_TOOL_CPE_MONITOR_PASSWORD", ""),
            acpe_provider_number=_env("LTI_TOOL_ACPE_PROVIDER_NUMBER", "").strip(),
            proxy_hops=_env_int("LTI_TOOL_PROXY_HOPS", default.proxy_hops),
            extra_frame_ancestors=tuple(_env("LTI_TOOL_FRAME_ANCESTORS", "").split()),
            login_rate_per_minute=_env_int(
                "LTI_TOOL_LOGIN_RATE_PER_MINUTE", default.login_rate_per_minute
            ),
            register_rate_per_hour=_env_int(
                "LTI_TOOL_REGISTER_RATE_PER_HOUR", default.register_rate_per_hour
            ),
            corrections_per_day=_env_int(
                "LTI_TOOL_CORRECTIONS_PER_DAY", default.corrections_per_day
            ),
            launch_failures_kept=_env_int(
                "LTI_TOOL_LAUNCH_FAILURES_KEPT", default.launch_failures_kept
            ),
        )
        return settings.resolved()

    @property
    def pool_size(self) -> int:
        """Connections for this process: one per request thread, plus the background workers."""
        return self.database_pool_size or self.server_threads + 4

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def resolved(self) -> Settings:
        """Fill the embedded defaults that depend on other settings, then check them."""
        database_url = self.database_url or f"sqlite:///{self.instance_dir / 'lti_tool.sqlite3'}"
        settings = replace(self, database_url=database_url)
        if settings.allow_private_addresses is None:
            settings = replace(settings, allow_private_addresses=not settings.is_production)
        if not settings.secret_key:
            if settings.is_production:
                raise ConfigurationError(
                    "LTI_TOOL_SECRET_KEY is required in production (a long random string)."
                )
            settings = replace(settings, secret_key=_instance_secret(settings.instance_dir))
        if settings.is_production:
            settings.check_production()
        return settings

    def check_production(self) -> None:
        problems = []
        if self.database_url.startswith("sqlite"):
            problems.append("LTI_TOOL_DATABASE_URL must name a server database (PostgreSQL).")
        if not self.base_url.startswith("https://"):
            problems.append("LTI_TOOL_BASE_URL must be https:// (LMS iframes need secure cookies).")
        if self.sandbox_enabled:
            problems.append("LTI_TOOL_SANDBOX must be off in production.")
        if len(self.secret_key) < 32:
            problems.append("LTI_TOOL_SECRET_KEY must be at least 32 characters.")
        if problems:
            raise ConfigurationError(" ".join(problems))


def _instance_secret(instance_dir: Path) -> str:
    """A secret generated once and kept in the instance folder, for the embedded default."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race; use its secret
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
