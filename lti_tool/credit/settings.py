"""What the credit package runs with: CPE Monitor access, mail delivery, the public URL.

``CreditSettings`` holds the CPE Monitor settings (``LTI_TOOL_CPE_MONITOR_*`` and
``LTI_TOOL_ACPE_PROVIDER_NUMBER`` in ``lti_tool.config.Settings``). ``CreditConfig`` joins
them with the tool's own settings (SMTP, instance folder, base URL) once per app; views read
it through :func:`credit_config`, background senders receive it as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from flask import Flask, current_app

from lti_tool.config import Settings

if TYPE_CHECKING:
    from lti_tool.certificates.cpe_monitor import CpeMonitorSettings
    from lti_tool.certificates.mail import MailSettings

EXTENSION = "lti_tool.credit"
# Implicit TLS submission port (RFC 8314); any other port uses STARTTLS when enabled.
SMTPS_PORT = 465


@dataclass(frozen=True)
class CreditSettings:
    cpe_monitor_url: str = ""
    cpe_monitor_username: str = ""
    cpe_monitor_password: str = ""
    acpe_provider_number: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> CreditSettings:
        return cls(
            cpe_monitor_url=settings.cpe_monitor_url,
            cpe_monitor_username=settings.cpe_monitor_username,
            cpe_monitor_password=settings.cpe_monitor_password,
            acpe_provider_number=settings.acpe_provider_number,
        )

    @classmethod
    def from_env(cls) -> CreditSettings:
        return cls.from_settings(Settings.from_env())

    @property
    def cpe_monitor_configured(self) -> bool:
        return bool(self.cpe_monitor_url)

    def provider_number_for(self, uan: str) -> str:
        return self.acpe_provider_number or uan.split("-", 1)[0]

    def cpe_monitor(self, provider_number: str) -> CpeMonitorSettings:
        from lti_tool.certificates.cpe_monitor import CpeMonitorSettings

        return CpeMonitorSettings(
            endpoint_url=self.cpe_monitor_url,
            provider_number=provider_number,
            username=self.cpe_monitor_username,
            password=self.cpe_monitor_password,
        )


@dataclass(frozen=True)
class CreditConfig:
    base_url: str  # where verification URLs point
    mail: MailSettings
    credit: CreditSettings = field(default_factory=CreditSettings)
    # Tries made right after the claim, on a background thread; the worker goes on later.
    mail_attempts_at_once: int = 3
    mail_backoff_seconds: float = 2.0


def mail_settings_from(settings: Settings) -> MailSettings:
    """The certificate mail settings of the tool's ``Settings`` (LTI_TOOL_SMTP_*)."""
    from lti_tool.credit.rendering import certificate_mail

    security: Literal["starttls", "ssl", "none"]
    if settings.smtp_port == SMTPS_PORT:
        security = "ssl"
    elif settings.smtp_starttls:
        security = "starttls"
    else:
        security = "none"
    return certificate_mail.MailSettings(
        sender=settings.mail_from,
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        security=security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        outbox_dir=mail_folder(settings.instance_dir),
    )


def mail_folder(instance_dir: Path) -> Path:
    """Where messages go without an SMTP host (the embedded default)."""
    return instance_dir / "mail"


def config_from(settings: Settings, credit: CreditSettings | None = None) -> CreditConfig:
    return CreditConfig(
        base_url=settings.base_url,
        mail=mail_settings_from(settings),
        credit=credit or CreditSettings.from_settings(settings),
    )


def credit_config(app: Flask | None = None) -> CreditConfig:
    """The app's credit configuration, built from its settings on first use."""
    app = app or current_app
    config: CreditConfig | None = app.extensions.get(EXTENSION)
    if config is None:
        config = config_from(app.extensions["lti_tool"].settings)
        app.extensions[EXTENSION] = config
    return config
