"""Credit claims: the physician grid, participation credit, NABP data, certificate facts."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from lti_tool.course import (
    ActivityExpired,
    CertificateKind,
    ClaimAmountInvalid,
    ClaimBelowMinimum,
    ClaimFieldMissing,
    ClaimNotAllowedYet,
    ClaimOffGrid,
    ClaimOverMaximum,
    CreditAlreadyClaimed,
    CreditClaim,
    InvalidBirthDate,
    InvalidNabpId,
    Profession,
    ProfessionNotOffered,
    acknowledge_disclosures,
    check_birth_mmdd,
    check_nabp_id,
    claim_credit,
    complete_evaluation,
    credit_options,
    load_activity,
    parse_credit_amount,
    record_credit_claim,
    skip_pretest,
    start_progress,
    submit_posttest,
    view_section,
)
from lti_tool.course.yamlsource import parse_yaml

ALL_RIGHT = {"mini-post-01": "a", "mini-post-02": "b", "mini-post-03": "b"}
EVALUATION = {
    "objective-met-1": 5,
    "objective-met-2": 5,
    "fair-balance": "yes",
    "intent-to-change": "yes",
}
# 23:30 in New York on 31 Dec 2027 is already 1 Jan 2028 in UTC.
LATE_EVENING = datetime(2028, 1, 1, 4, 30, tzinfo=UTC)


def progress_after_evaluation(activity, now):
    progress = skip_pretest(
        activity, acknowledge_disclosures(activity, start_progress(activity), now), now
    )
    for section_id in activity.section_ids:
        progress = view_section(activity, progress, section_id, now)
    progress = submit_posttest(activity, progress, "att-1", ALL_RIGHT, now)
    return complete_evaluation(activity, progress, EVALUATION, now)[0]


@pytest.fixture
def finished(mini, during):
    return progress_after_evaluation(mini, during)


# --- physicians -------------------------------------------------------------------------------


def test_physicians_choose_from_quarter_credit_steps_up_to_the_maximum(mini):
    assert credit_options(mini, "physician") == (Decimal("0.25"), Decimal("0.50"))


def test_the_model_activity_offers_0_25_to_1_25(cervical_dystonia_path, mini_path, tmp_path):
    # Only activity.yaml matters here, so the test does not wait for the content files.
    folder = mini_with_designation_of(cervical_dystonia_path, mini_path, tmp_path)
    options = credit_options(load_activity(folder), "physician")
    assert options == tuple(Decimal(n) / 4 for n in range(1, 6))
    assert [str(option) for option in options] == ["0.25", "0.50", "0.75", "1.00", "1.25"]


def mini_with_designation_of(cervical_dystonia_path, mini_path, tmp_path):
    """The mini activity carrying the model activity's physician designation and duration."""
    document, _ = parse_yaml(
        "activity.yaml", (cervical_dystonia_path / "activity.yaml").read_bytes()
    )
    assert document is not None and isinstance(document.data, dict)
    physician = document.data["credits"]["physician"]
    folder = tmp_path / "mini"
    shutil.copytree(mini_path, folder)
    text = (folder / "activity.yaml").read_text()
    text = text.replace(
        "estimated_minutes: 30", f"estimated_minutes: {document.data['estimated_minutes']}"
    )
    text = text.replace("max_credits: 0.50", f"max_credits: {physician['max_credits']}")
    text = text.replace("maximum of 0.50 AMA PRA", f"maximum of {physician['max_credits']} AMA PRA")
    (folder / "activity.yaml").write_text(text)
    return folder


def test_a_physician_claim_within_the_grid_is_accepted(mini, finished, during):
    facts = claim_credit(
        mini, finished, CreditClaim("physician", "Dr. Ada Lovelace", Decimal("0.25")), during
    )
    assert facts.kind is CertificateKind.PHYSICIAN_CREDIT
    assert facts.credits == Decimal("0.25") and facts.max_credits == Decimal("0.50")
    assert facts.accme_activity_number == "100000001"
    assert facts.accreditation_statement is not None and "ACCME" in facts.accreditation_statement


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        (Decimal("0.75"), ClaimOverMaximum),
        (Decimal("0.30"), ClaimOffGrid),
        (Decimal("0.10"), ClaimBelowMinimum),
        (Decimal("0"), ClaimBelowMinimum),
        (Decimal("-0.25"), ClaimBelowMinimum),
        (Decimal("NaN"), ClaimAmountInvalid),
        (0.25, ClaimAmountInvalid),  # a float never reaches a credit amount
        (None, ClaimFieldMissing),
    ],
)
def test_a_physician_claim_off_the_grid_is_refused(mini, finished, during, amount, error):
    with pytest.raises(error):
        claim_credit(mini, finished, CreditClaim("physician", "Dr. Ada Lovelace", amount), during)


def test_form_amounts_are_parsed_as_decimals():
    assert parse_credit_amount(" 1.25 ") == Decimal("1.25")
    for text in ("abc", "", "Infinity", "1,25"):
        with pytest.raises(ClaimAmountInvalid):
            parse_credit_amount(text)


# --- other professions ------------------------------------------------------------------------


def test_a_nurse_receives_the_designated_amount_with_the_ancc_statement(mini, finished, during):
    facts = claim_credit(
        mini, finished, CreditClaim("nurse", "Grace Hopper, RN", Decimal("0.25")), during
    )
    assert facts.kind is CertificateKind.PARTICIPATION
    assert facts.credits == Decimal("0.5")  # the amount asked for is not a nurse's to choose
    assert facts.accepting_body == "ANCC"
    assert facts.acceptance_statement is not None and "ANCC" in facts.acceptance_statement


def test_other_learners_receive_a_participation_certificate(mini, finished, during):
    facts = claim_credit(mini, finished, CreditClaim(Profession.OTHER, "Sam Smith"), during)
    assert facts.kind is CertificateKind.PARTICIPATION and facts.acceptance_statement is None


def test_a_profession_without_a_designation_is_refused(mini, finished, during):
    for profession in ("physician_assistant", "dentist"):
        with pytest.raises(ProfessionNotOffered):
            claim_credit(mini, finished, CreditClaim(profession, "Pat Lee"), during)


def test_a_pharmacist_statement_carries_uan_type_hours_and_ceus(mini, finished, during):
    claim = CreditClaim("pharmacist", "Rx Jones", nabp_eprofile_id="1234567", birth_mmdd="0229")
    facts = claim_credit(mini, finished, claim, during)
    assert facts.kind is CertificateKind.PHARMACY_STATEMENT
    assert (facts.acpe_uan, facts.acpe_activity_type) == ("0000-0000-26-001-H05-P", "K")
    assert (facts.contact_hours, facts.ceus) == (Decimal("0.5"), Decimal("0.05"))
    assert (facts.nabp_eprofile_id, facts.birth_mmdd) == ("1234567", "0229")
    assert facts.accme_activity_number is None
    assert facts.accreditation_statement is not None and "ACPE" in facts.accreditation_statement


def test_a_pharmacist_must_give_nabp_id_and_birth_date(mini, finished, during):
    with pytest.raises(ClaimFieldMissing) as missing:
        claim_credit(
            mini, finished, CreditClaim("pharmacist", "Rx Jones", birth_mmdd="0101"), during
        )
    assert missing.value.field == "nabp_eprofile_id"


@pytest.mark.parametrize("value", ["123456", "1234567", " 654321 "])
def test_nabp_ids_of_six_or_seven_digits_are_accepted(value):
    assert check_nabp_id(value) == value.strip()


@pytest.mark.parametrize("value", ["12345", "12345678", "12a456", "１２３４５６"])
def test_other_nabp_ids_are_refused(value):
    with pytest.raises(InvalidNabpId):
        check_nabp_id(value)


@pytest.mark.parametrize("value", ["0101", "0229", "1231", "0430"])
def test_real_birth_dates_are_accepted(value):
    assert check_birth_mmdd(value) == value


@pytest.mark.parametrize(
    "value", ["0230", "0431", "1301", "0001", "0100", "229", "02-29", "abcd", "０２２９"]
)
def test_impossible_birth_dates_are_refused(value):
    with pytest.raises(InvalidBirthDate):
        check_birth_mmdd(value)


# --- when credit may be claimed ---------------------------------------------------------------


def test_credit_is_refused_before_the_evaluation(mini, finished, during):
    early = replace(finished, evaluation_completed_at=None)
    with pytest.raises(ClaimNotAllowedYet, match="evaluation"):
        claim_credit(mini, early, CreditClaim("nurse", "Grace Hopper"), during)


def test_credit_cannot_be_claimed_twice(mini, finished, during):
    claimed = record_credit_claim(mini, finished, during)
    with pytest.raises(CreditAlreadyClaimed):
        claim_credit(mini, claimed, CreditClaim("nurse", "Grace Hopper"), during)


def test_a_learner_name_is_required(mini, finished, during):
    with pytest.raises(ClaimFieldMissing) as missing:
        claim_credit(mini, finished, CreditClaim("nurse", "  "), during)
    assert missing.value.field == "learner_name"


def test_credit_cannot_be_earned_after_expiry(mini, during):
    late_progress = progress_after_evaluation(mini, during)
    late_progress = replace(
        late_progress, evaluation_completed_at=datetime(2028, 1, 1, 5, tzinfo=UTC)
    )
    with pytest.raises(ActivityExpired):
        claim_credit(
            mini,
            late_progress,
            CreditClaim("nurse", "Grace Hopper"),
            datetime(2028, 1, 2, tzinfo=UTC),
        )


def test_the_completion_date_is_the_providers_calendar_day(mini):
    progress = progress_after_evaluation(mini, LATE_EVENING)
    facts = claim_credit(mini, progress, CreditClaim("nurse", "Grace Hopper"), LATE_EVENING)
    assert facts.completed_on == date(2027, 12, 31)
    assert facts.completed_at == LATE_EVENING
    assert (facts.release_date, facts.expiration_date) == (date(2026, 1, 1), date(2027, 12, 31))
    assert facts.activity_version == mini.content_hash
    assert facts.commercial_support == "There is no commercial support for this activity."
