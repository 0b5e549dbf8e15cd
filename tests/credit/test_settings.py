"""What the credit package reads from the environment and from the tool's settings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lti_tool.config import Settings
from lti_tool.credit.settings import CreditSettings, mail_settings_from


def test_cpe_monitor_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LTI_TOOL_CPE_MONITOR_URL", " https://cpe.example/submit ")
    monkeypatch.setenv("LTI_TOOL_CPE_MONITOR_USERNAME", "provider")
    monkeypatch.setenv("LTI_TOOL_CPE_MONITOR_PASSWORD", "s3cret")
    monkeypatch.setenv("LTI_TOOL_ACPE_PROVIDER_NUMBER", "0574")

    settings = CreditSettings.from_env()
    service = settings.cpe_monitor("0574")

    assert settings.cpe_monitor_configured
    assert (service.endpoint_url, service.username, service.password) == (
        "https://cpe.example/submit",
        "provider",
        "s3cret",
    )
    assert service.provider_number == "0574"


def test_without_a_url_cpe_monitor_is_off_and_the_provider_number_comes_from_the_uan(
    monkeypatch,
):
    for name in ("LTI_TOOL_CPE_MONITOR_URL", "LTI_TOOL_ACPE_PROVIDER_NUMBER"):
        monkeypatch.delenv(name, raising=False)

    settings = CreditSettings.from_env()

    assert not settings.cpe_monitor_configured
    assert settings.provider_number_for("0574-0000-26-009-H01-P") == "0574"


def test_mail_settings_follow_the_tools_smtp_settings(tmp_path: Path):
    base = Settings(instance_dir=tmp_path, secret_key="x" * 40)

    embedded = mail_settings_from(base)
    submission = mail_settings_from(replace(base, smtp_host="smtp.example", smtp_port=587))
    implicit_tls = mail_settings_from(replace(base, smtp_host="smtp.example", smtp_port=465))
    plain = mail_settings_from(replace(base, smtp_host="relay", smtp_starttls=False))

    assert (embedded.smtp_host, embedded.outbox_dir) == ("", tmp_path / "mail")
    assert submission.security == "starttls"
    assert implicit_tls.security == "ssl"
    assert plain.security == "none"
    assert embedded.sender == base.mail_from
