"""The follow-up mail: one message, a link to answer and a link to opt out.

The opt-out is also offered the way mail clients show an "unsubscribe" button (RFC 2369
``List-Unsubscribe`` with RFC 8058 one-click ``List-Unsubscribe-Post``), which POSTs to the
same URL the page's button does: a GET never opts anyone out, because mail scanners open
links.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from lti_tool.certificates.mail import MailSettings
from lti_tool.db import utcnow


@dataclass(frozen=True)
class FollowUpLetter:
    recipient: str
    learner_name: str
    activity_title: str
    completed_on: str  # as the learner reads it, e.g. "5 October 2026"
    question: str
    answer: str
    answer_url: str
    opt_out_url: str
    provider: str


def follow_up_message(letter: FollowUpLetter, settings: MailSettings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = letter.recipient
    message["Subject"] = f"Following up: did “{letter.activity_title}” change your practice?"
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="cme.follow-up")
    if settings.reply_to:
        message["Reply-To"] = settings.reply_to
    message["List-Unsubscribe"] = f"<{letter.opt_out_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(
        f"Hello {letter.learner_name},\n\n"
        f"On {letter.completed_on} you completed “{letter.activity_title}”. Asked "
        f"“{letter.question}”, you answered “{letter.answer}”.\n\n"
        "Has anything changed in your practice since, and did anything get in the way? "
        "Three short questions, about two minutes:\n\n"
        f"{letter.answer_url}\n\n"
        "Your answers help us plan the next activities; they are reported only in aggregate. "
        "This is the only follow-up for this activity. If you would rather not answer, "
        "open this link and we will not write about it again:\n\n"
        f"{letter.opt_out_url}\n\n"
        f"{letter.provider}\n"
    )
    return message
