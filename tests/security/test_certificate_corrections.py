"""Issue 10, scenario 6: certificate corrections are limited, and a corrected certificate
(PDF with the e-Profile ID, birth date, licence) goes only to an address known to be the
learner's. Before, 20 corrections mailed 20 PDFs to 20 typed addresses in 2.4 s.
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from dataclasses import replace
from email import policy
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from lti_tool.models import Certificate, CertificateMail
from lti_tool.models.certificates import MailStatus
from tests.credit.conftest import CreditTool, credit_config, credit_tool  # noqa: F401  (fixtures)
from tests.credit.support import NABP_ID, Learner, claim_form, launch_learner, make_eligible

CORRECTIONS_PER_DAY = 3


@pytest.fixture
def corrections_limited(credit_tool: CreditTool) -> Iterator[None]:  # noqa: F811
    """The served tool with the production limit of corrections (the suite raises it)."""
    services = credit_tool.services
    before = services.settings
    services.settings = replace(before, corrections_per_day=CORRECTIONS_PER_DAY)
    yield
    services.settings = before


def _claimed(credit_tool: CreditTool, form: dict[str, str]) -> tuple[Learner, str]:  # noqa: F811
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)
    response = learner.claim(form)
    found = re.search(r"Certificate number</dt><dd>([0-9A-Z-]+)<", response.text)
    assert found, response.text[:500]
    return learner, found.group(1)


def _correct(learner: Learner, number: str, form: dict[str, str]) -> requests.Response:
    return learner.post(
        f"/certificates/{number}/correct",
        {"csrf_token": learner.csrf, **form},
        allow_redirects=False,
    )


def _rows(credit_tool: CreditTool, model: type, participation_id: int) -> int:  # noqa: F811
    with credit_tool.services.session_factory() as session:
        query = select(func.count()).select_from(model)
        if model is Certificate:
            query = query.where(Certificate.participation_id == participation_id)
        else:
            query = query.join(Certificate, CertificateMail.certificate_id == Certificate.id).where(
                Certificate.participation_id == participation_id
            )
        return session.scalar(query) or 0


def _messages(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in sorted(folder.glob("*.eml"))
    ]


def test_corrections_beyond_the_daily_limit_are_refused_with_429(
    credit_tool: CreditTool,  # noqa: F811
    corrections_limited: None,
) -> None:
    form = claim_form("nurse")
    learner, number = _claimed(credit_tool, form)

    statuses = []
    for attempt in range(CORRECTIONS_PER_DAY + 2):
        answer = _correct(learner, number, {**form, "certificate_name": f"Amelia {attempt}"})
        statuses.append(answer.status_code)
        if answer.status_code == 303:
            number = answer.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

    assert statuses == [303] * CORRECTIONS_PER_DAY + [429, 429]
    assert 0 < int(answer.headers["Retry-After"]) <= 24 * 3600 + 1
    assert "Too many requests" in answer.text and "Nothing was changed" in answer.text
    # The claim and the allowed corrections, nothing from the refused ones.
    assert _rows(credit_tool, Certificate, learner.participation_id) == 1 + CORRECTIONS_PER_DAY
    assert _rows(credit_tool, CertificateMail, learner.participation_id) == 1 + CORRECTIONS_PER_DAY


def test_a_corrected_certificate_is_not_mailed_to_a_new_address_until_it_is_confirmed(
    credit_tool: CreditTool,  # noqa: F811
    credit_config,  # noqa: F811
) -> None:
    form = claim_form("pharmacist", email="learner@example.org")
    learner, number = _claimed(credit_tool, form)
    folder = credit_config.mail.outbox_dir
    assert [m["To"] for m in _messages(folder)] == ["learner@example.org"]

    answer = _correct(learner, number, {**form, "email": "someone-else@example.net"})

    assert answer.status_code == 303
    pdfs_to_new_address = [
        m for m in _messages(folder) if m["To"] == "someone-else@example.net" and m.is_multipart()
    ]
    assert not [m for m in pdfs_to_new_address if list(m.iter_attachments())]
    page = learner.get(answer.headers["Location"])
    assert "not an address we know is yours" in page.text
    with credit_tool.services.session_factory() as session:
        held = session.scalars(
            select(CertificateMail)
            .join(Certificate, CertificateMail.certificate_id == Certificate.id)
            .where(Certificate.participation_id == learner.participation_id)
            .order_by(CertificateMail.id.desc())
        ).first()
        assert held is not None
        assert (held.recipient, held.status) == ("someone-else@example.net", MailStatus.HELD)
        held_id = held.id
    messages = _messages(folder)
    assert [m["To"] for m in messages] == ["learner@example.org", "someone-else@example.net"]
    confirmation = messages[1]
    body = confirmation.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert not list(confirmation.iter_attachments())
    assert NABP_ID not in confirmation.as_string() and "Okonkwo" not in confirmation.as_string()
    link = re.search(r"http\S+/certificates/mail/confirm/\S+", body)
    assert link

    # Opened from the mailbox: a page with a button, no launch needed; the POST sends it.
    asked = requests.get(link.group(0), timeout=10)
    assert asked.status_code == 200 and "someone-else@example.net" in asked.text
    assert len(_messages(folder)) == 2  # a link fetch (a mail scanner) confirms nothing
    confirmed = requests.post(link.group(0), timeout=30)

    assert confirmed.status_code == 200
    assert "being emailed to someone-else@example.net" in confirmed.text
    sent = _messages(folder)[-1]
    assert sent["To"] == "someone-else@example.net"
    assert next(sent.iter_attachments()).get_content().startswith(b"%PDF")
    with credit_tool.services.session_factory() as session:
        assert session.get(CertificateMail, held_id).status is MailStatus.SAVED  # type: ignore[union-attr]
    # The link is single use.
    assert requests.post(link.group(0), timeout=10).status_code == 404


def test_a_forged_confirmation_link_sends_nothing(credit_tool: CreditTool) -> None:  # noqa: F811
    answer = requests.post(
        credit_tool.base_url + "/certificates/mail/confirm/eyJtYWlsIjoxfQ.forged.sig", timeout=10
    )

    assert answer.status_code == 404
    assert "This link cannot be used" in answer.text
