"""A learner's CME registration: kept once per learner, prefilled from the LMS the first time.

The learner's name and email come from the launch (LTI ``name``/``email`` claims) until they
register; Canvas often sends no email, so the field may start empty. PII is sealed on the
way in (``lti_tool.pii``) and opened only to prefill the learner's own form.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.credit.forms import CmeRegistration
from lti_tool.models import LearnerProfile, User

PII_FIELDS = ("nabp_eprofile_id", "birth_mmdd", "licence_number")


def profile_of(session: Session, user: User) -> LearnerProfile | None:
    return session.scalar(select(LearnerProfile).where(LearnerProfile.user_id == user.id))


def prefill(user: User, profile: LearnerProfile | None) -> dict[str, str]:
    """The form's first values: the registration on file, else what the LMS sent."""
    if profile is None:
        return {
            "certificate_name": user.display_name if user.display_name != "Learner" else "",
            "email": user.email or "",
        }
    values = {
        "certificate_name": profile.certificate_name,
        "degree": profile.degree,
        "profession": profile.profession,
        "email": profile.email,
        "nabp_eprofile_id": profile.pii("nabp_eprofile_id") or "",
        "licence_number": profile.pii("licence_number") or "",
        "licence_state": profile.licence_state,
    }
    birth = profile.pii("birth_mmdd")
    if birth:
        values["birth_month"], values["birth_day"] = str(int(birth[:2])), str(int(birth[2:]))
    return values


def save_registration(
    session: Session, user: User, registration: CmeRegistration, now: datetime
) -> tuple[LearnerProfile, list[str]]:
    """Store ``registration`` as the learner's profile; returns it and the names of the
    fields that changed (names only: the audit log never holds PII)."""
    profile = profile_of(session, user)
    before: dict[str, str | None] = {}
    if profile is None:
        profile = LearnerProfile(user_id=user.id, created_at=now)
        session.add(profile)
    else:
        before = _current(profile)
    profile.certificate_name = registration.certificate_name
    profile.degree = registration.degree
    profile.profession = registration.profession.value
    profile.email = registration.email
    profile.licence_state = registration.licence_state or ""
    after = _plain(registration)
    for field in PII_FIELDS:
        # Only what the chosen profession needs is kept; a nurse's form never stores a
        # birth date, and a profession change drops what the old one needed. An unchanged
        # value keeps its ciphertext (and the key that sealed it).
        if before.get(field) != after[field]:
            profile.set_pii(field, after[field])
    profile.updated_at = now
    changed = sorted(name for name, value in after.items() if before.get(name) != value)
    return profile, changed


def _plain(registration: CmeRegistration) -> dict[str, str | None]:
    return {
        "certificate_name": registration.certificate_name,
        "degree": registration.degree,
        "profession": registration.profession.value,
        "email": registration.email,
        "nabp_eprofile_id": registration.nabp_eprofile_id,
        "birth_mmdd": registration.birth_mmdd,
        "licence_number": registration.licence_number,
        "licence_state": registration.licence_state or None,
    }


def _current(profile: LearnerProfile) -> dict[str, str | None]:
    return {
        "certificate_name": profile.certificate_name,
        "degree": profile.degree,
        "profession": profile.profession,
        "email": profile.email,
        "nabp_eprofile_id": profile.pii("nabp_eprofile_id"),
        "birth_mmdd": profile.pii("birth_mmdd"),
        "licence_number": profile.pii("licence_number"),
        "licence_state": profile.licence_state or None,
    }
