"""The public page behind a mail-confirmation link: ``/certificates/mail/confirm/<token>``.

Opened from the learner's mailbox, outside the LMS, so it needs no launch: the signed token
is the proof. GET only shows a button (mail scanners fetch links; they must not confirm);
the POST releases the held certificate mail (lti_tool/credit/mail_confirmation.py).
"""

from __future__ import annotations

from flask import Blueprint, render_template

from lti_tool.credit.mail_confirmation import ConfirmationInvalid, held_mail, release
from lti_tool.credit.queues import deliver_after_commit
from lti_tool.credit.settings import credit_config
from lti_tool.db import utcnow
from lti_tool.extensions import after_commit, db, services

bp = Blueprint("mail_confirmation", __name__)

TITLE = "Confirm your email address"


@bp.errorhandler(ConfirmationInvalid)
def _invalid(_error: ConfirmationInvalid) -> tuple[str, int]:
    return render_template(
        "credit/confirm_mail.html",
        title="This link cannot be used",
        confirm=False,
        message="The link is incomplete, has expired (links last three days) or was already "
        "used. Your certificate is always in your transcript: open the activity from your "
        "course to download it or to correct it again.",
    ), 404


@bp.get("/certificates/mail/confirm/<token>")
def ask(token: str) -> str:
    mail = held_mail(db(), token, services().settings.secret_key)
    return render_template(
        "credit/confirm_mail.html", title=TITLE, confirm=True, recipient=mail.recipient
    )


@bp.post("/certificates/mail/confirm/<token>")
def confirm(token: str) -> str:
    session = db()
    mail = held_mail(session, token, services().settings.secret_key)
    release(session, mail, utcnow())
    outbox, config, mail_id = services().outbox, credit_config(), mail.id
    after_commit(lambda: deliver_after_commit(outbox, config, mail_id))
    return render_template(
        "credit/confirm_mail.html",
        title="Address confirmed",
        confirm=False,
        message=f"Thank you. Your certificate is being emailed to {mail.recipient}.",
    )
