"""The credit package's background passes, run by the worker between score rounds."""

from __future__ import annotations

from collections.abc import Callable

from lti_tool.credit.cpe_reports import submit_pending_reports
from lti_tool.credit.mail_outbox import deliver_pending_mail
from lti_tool.credit.settings import CreditSettings, mail_settings_from
from lti_tool.extensions import ToolServices


def credit_jobs(services: ToolServices) -> list[Callable[[], object]]:
    """Certificate mail retries and CPE Monitor submissions (a no-op until configured)."""
    mail = mail_settings_from(services.settings)
    credit = CreditSettings.from_settings(services.settings)

    def deliver_certificate_mail() -> int:
        return deliver_pending_mail(services.session_factory, mail)

    def submit_cpe_monitor_reports() -> int:
        return submit_pending_reports(services.session_factory, credit)

    return [deliver_certificate_mail, submit_cpe_monitor_reports]
