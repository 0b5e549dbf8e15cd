"""CertificateDocument refuses values that could not make a truthful certificate."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from lti_tool.certificates import specimens
from lti_tool.certificates.document import InvalidCertificateDocument


def test_statements_given_as_a_list_are_kept_as_a_tuple():
    document = replace(specimens.physician_credit(), accreditation_statements=["A.", "B."])

    assert document.accreditation_statements == ("A.", "B.")
    assert hash(document)


def test_each_kind_has_its_own_title():
    assert specimens.physician_credit().title == "Certificate of Credit"
    assert specimens.participation().title == "Certificate of Participation"
    assert specimens.pharmacist_statement().title == "Statement of Participation"


def test_credits_as_float_are_refused():
    with pytest.raises(InvalidCertificateDocument):
        replace(specimens.physician_credit(), credits_claimed=0.75)


def test_zero_credits_are_refused():
    with pytest.raises(InvalidCertificateDocument):
        replace(specimens.physician_credit(), credits_claimed=Decimal("0"))


def test_pharmacist_statement_without_pharmacist_facts_is_refused():
    with pytest.raises(InvalidCertificateDocument):
        replace(specimens.pharmacist_statement(), pharmacist=None)


def test_pharmacist_facts_on_a_physician_certificate_are_refused():
    with pytest.raises(InvalidCertificateDocument):
        replace(
            specimens.physician_credit(), pharmacist=specimens.pharmacist_statement().pharmacist
        )


def test_unknown_kind_is_refused():
    with pytest.raises(InvalidCertificateDocument):
        replace(specimens.physician_credit(), kind="diploma")


def test_blank_learner_name_is_refused():
    with pytest.raises(InvalidCertificateDocument):
        replace(specimens.physician_credit(), learner_name="  ")


def test_release_after_expiration_is_refused():
    document = specimens.physician_credit()
    with pytest.raises(InvalidCertificateDocument):
        replace(document, release_date=document.expiration_date.replace(year=2029))
