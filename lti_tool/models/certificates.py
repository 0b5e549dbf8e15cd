"""CME registration, certificates, their mail and their reports to CPE Monitor.

* ``LearnerProfile`` — what a learner registered for credit (name on the certificate,
  profession, degree, email, and the PII a profession needs: NABP e-Profile ID and birth
  month/day for pharmacy, an optional licence for nurses). One per user, reused across
  activities; the PII columns hold sealed values (``lti_tool.pii``).
* ``Certificate`` — one issued certificate with its PDF, rendered once and stored sealed
  (it prints the e-Profile ID). A correction revokes it (``replaced_by``) and issues a new
  number; both rows stay, as accreditors keep six years of records. At most one
  unrevoked certificate per participation (a partial unique index).
* ``CertificateMail`` — the mail outbox: written in the certificate's transaction, delivered
  after the commit and retried by the worker (``lti_tool.credit.mail_outbox``).
* ``CpeMonitorReport`` — a pharmacy completion queued for NABP's CPE Monitor, with the
  service's verdict (``lti_tool.credit.cpe_monitor``).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Date, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.db import Base, UTCDateTime, created_at, intpk, utcnow
from lti_tool.models.course import ActivityVersion, Participation
from lti_tool.models.identity import User
from lti_tool.pii import EncryptedBytes, EncryptedString, HoldsPii, Sealed


def hundredths(amount: Decimal) -> int:
    """``Decimal("0.75")`` as 75; refuses amounts finer than a hundredth."""
    scaled = amount.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is finer than a hundredth of a credit")
    return int(scaled)


class LearnerProfile(HoldsPii, Base):
    """A learner's CME registration (the issue's item 1)."""

    __tablename__ = "learner_profiles"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # As it should appear on certificates: prefilled from the LMS, edited by the learner.
    certificate_name: Mapped[str] = mapped_column(String(120))
    degree: Mapped[str] = mapped_column(String(64), default="")
    profession: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(320))
    nabp_eprofile_id: Mapped[Sealed | None] = mapped_column(EncryptedString(), default=None)
    birth_mmdd: Mapped[Sealed | None] = mapped_column(EncryptedString(), default=None)
    licence_number: Mapped[Sealed | None] = mapped_column(EncryptedString(), default=None)
    licence_state: Mapped[str] = mapped_column(String(8), default="")
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()

    @property
    def pii_owner(self) -> str:
        return f"user:{self.user_id}"


class Certificate(HoldsPii, Base):
    """One issued certificate; its number is printed, mailed and verified."""

    __tablename__ = "certificates"
    __table_args__ = (
        # "A learner claims once per activity": one certificate in force per participation.
        Index(
            "uq_certificates_in_force",
            "participation_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_certificates_user", "user_id", "issued_at"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participations.id", ondelete="RESTRICT")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    activity_slug: Mapped[str] = mapped_column(String(128))
    activity_version_id: Mapped[int] = mapped_column(ForeignKey("activity_versions.id"))
    # What the certificate states, kept so verification never opens the PDF.
    kind: Mapped[str] = mapped_column(String(40))  # lti_tool.course CertificateKind value
    profession: Mapped[str] = mapped_column(String(32))
    learner_name: Mapped[str] = mapped_column(String(120))
    degree: Mapped[str] = mapped_column(String(64), default="")
    activity_title: Mapped[str] = mapped_column(String(1024))
    provider_name: Mapped[str] = mapped_column(String(255))
    credit_type: Mapped[str] = mapped_column(String(128))
    # Credit in hundredths (0.75 -> 75): exact on every database, never a float.
    credit_hundredths: Mapped[int]
    max_credit_hundredths: Mapped[int]
    # Physicians record the time they spent; the claim is checked against it.
    time_spent_minutes: Mapped[int | None] = mapped_column(default=None)
    completed_on: Mapped[dt.date] = mapped_column(Date())
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The PDF as rendered at issue, sealed because a pharmacist's statement prints the
    # e-Profile ID; its SHA-256 (of the PDF itself) is checked on every download.
    pdf: Mapped[Sealed] = mapped_column(EncryptedBytes(), deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL"), default=None
    )

    participation: Mapped[Participation] = relationship()
    user: Mapped[User] = relationship()
    activity_version: Mapped[ActivityVersion] = relationship()
    replaced_by: Mapped[Certificate | None] = relationship(remote_side="Certificate.id")

    @property
    def pii_owner(self) -> str:
        return f"user:{self.user_id}/certificate:{self.number}"

    @property
    def credits(self) -> Decimal:
        return Decimal(self.credit_hundredths).scaleb(-2)

    @credits.setter
    def credits(self, amount: Decimal) -> None:
        self.credit_hundredths = hundredths(amount)

    @property
    def max_credits(self) -> Decimal:
        return Decimal(self.max_credit_hundredths).scaleb(-2)

    @max_credits.setter
    def max_credits(self, amount: Decimal) -> None:
        self.max_credit_hundredths = hundredths(amount)

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None


class MailStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next_attempt_at
    SENDING = "sending"  # claimed by a sender until lease_until
    SENT = "sent"  # the SMTP server accepted it
    SAVED = "saved"  # no SMTP host: written as an .eml file (embedded default)
    FAILED = "failed"  # permanent refusal or every retry used; an operator looks
    # A corrected certificate for an address the learner has not confirmed: it waits until
    # the learner opens the confirmation link mailed there (lti_tool/credit/mail_confirmation).
    HELD = "held"


class CertificateMail(HoldsPii, Base):
    """A certificate mail to deliver; the message (with the PDF) is sealed until sent."""

    __tablename__ = "certificate_mails"
    __table_args__ = (Index("ix_certificate_mails_due", "status", "next_attempt_at"),)

    id: Mapped[intpk]
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(320))
    # The whole RFC 5322 message; dropped once delivered (the certificate keeps the PDF).
    message: Mapped[Sealed | None] = mapped_column(EncryptedBytes(), deferred=True, default=None)
    status: Mapped[MailStatus] = mapped_column(
        Enum(MailStatus, native_enum=False, length=16), default=MailStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    saved_path: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[created_at]
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    certificate: Mapped[Certificate] = relationship()

    @property
    def pii_owner(self) -> str:
        return f"user:{self.user_id}/certificate:{self.certificate_id}"


class ReportStatus(enum.StrEnum):
    QUEUED = "queued"  # to submit (again, after a transient failure or a correction)
    ACCEPTED = "accepted"  # CPE Monitor recorded the credit
    REJECTED = "rejected"  # CPE Monitor refused it; the learner must correct their details
    EXPORTED = "exported"  # written to a batch file for the provider to upload by hand


class CpeMonitorReport(HoldsPii, Base):
    """One pharmacy completion for CPE Monitor (one per participation)."""

    __tablename__ = "cpe_monitor_reports"
    __table_args__ = (Index("ix_cpe_monitor_reports_due", "status", "next_attempt_at"),)

    id: Mapped[intpk]
    participation_id: Mapped[int] = mapped_column(
        ForeignKey("participations.id", ondelete="RESTRICT"), unique=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The certificate in force, whose e-Profile ID and birth date are reported.
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    uan: Mapped[str] = mapped_column(String(32))
    participation_date: Mapped[dt.date] = mapped_column(Date())
    nabp_eprofile_id: Mapped[Sealed] = mapped_column(EncryptedString())
    birth_mmdd: Mapped[Sealed] = mapped_column(EncryptedString())
    status: Mapped[ReportStatus] = mapped_column(
        Enum(ReportStatus, native_enum=False, length=16), default=ReportStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # CPE Monitor's answer to the last try: the rejection code and text shown to the learner,
    # or why the service could not be reached.
    error_code: Mapped[str] = mapped_column(String(64), default="")
    error_text: Mapped[str] = mapped_column(Text, default="")
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    exported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[created_at]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    certificate: Mapped[Certificate] = relationship()

    @property
    def pii_owner(self) -> str:
        return f"user:{self.user_id}/participation:{self.participation_id}"
