"""Learner PII at rest: ciphertext in the database (read with raw SQL), bound to its column and
learner, keys in the keys folder, rotation and re-encryption."""

from __future__ import annotations

import re
import stat
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from lti_tool.credit.commands import rotate_pii
from lti_tool.db import make_engine, make_session_factory
from lti_tool.migrate import upgrade
from lti_tool.models import Base, LearnerProfile, User
from lti_tool.pii import (
    ACTIVE_FILE,
    PiiKeyring,
    PiiUnreadable,
    Sealed,
    configure_pii,
    current_keyring,
    key_usage,
    reencrypt,
)

from .support import (
    NABP_ID,
    claim_form,
    eligible_participation,
    issue,
    launch_learner,
    make_eligible,
)

SEALED_TEXT = re.compile(r"^[0-9a-f]{8}:[A-Za-z0-9_-]+$")


def user_id_of(credit_tool, participation_id):
    from lti_tool.models import Participation

    with credit_tool.services.session_factory() as session:
        return session.get(Participation, participation_id).user_id


def test_pii_columns_hold_ciphertext_in_the_database(credit_tool, credit_config):
    factory = credit_tool.services.session_factory
    pharmacist = issue(
        factory, credit_config, eligible_participation(factory), claim_form("pharmacist")
    )
    nurse = issue(factory, credit_config, eligible_participation(factory), claim_form("nurse"))

    with credit_tool.services.engine.connect() as connection:
        profile = connection.execute(
            text("SELECT nabp_eprofile_id, birth_mmdd FROM learner_profiles WHERE user_id = :u"),
            {"u": pharmacist.certificate.user_id},
        ).one()
        licence = connection.execute(
            text("SELECT licence_number FROM learner_profiles WHERE user_id = :u"),
            {"u": nurse.certificate.user_id},
        ).scalar_one()
        report = connection.execute(
            text("SELECT nabp_eprofile_id, birth_mmdd FROM cpe_monitor_reports WHERE id = :i"),
            {"i": pharmacist.report.id},
        ).one()
        pdf = connection.execute(
            text("SELECT pdf FROM certificates WHERE id = :i"), {"i": pharmacist.certificate.id}
        ).scalar_one()
        message = connection.execute(
            text("SELECT message FROM certificate_mails WHERE id = :i"), {"i": pharmacist.mail.id}
        ).scalar_one()

    for stored, plain in (
        (profile[0], NABP_ID),
        (profile[1], "0314"),
        (licence, "RN-204518"),
        (report[0], NABP_ID),
        (report[1], "0314"),
    ):
        assert SEALED_TEXT.match(stored), stored
        assert plain not in stored
    assert profile[0] != report[0]  # a fresh nonce for every value, even the same ID
    for blob in (bytes(pdf), bytes(message)):
        assert not blob.startswith(b"%PDF")
        assert NABP_ID.encode() not in blob and b"%PDF" not in blob


def test_a_value_copied_to_another_learner_or_column_does_not_open(credit_tool, credit_config):
    factory = credit_tool.services.session_factory
    first = eligible_participation(factory)
    second = eligible_participation(factory)
    issue(factory, credit_config, first, claim_form("pharmacist"))
    issue(factory, credit_config, second, claim_form("pharmacist", nabp_eprofile_id="4200001"))
    first_user, second_user = user_id_of(credit_tool, first), user_id_of(credit_tool, second)

    with factory.begin() as session:
        session.execute(
            text(
                "UPDATE learner_profiles SET nabp_eprofile_id = "
                "(SELECT nabp_eprofile_id FROM learner_profiles WHERE user_id = :a), "
                "licence_number = birth_mmdd WHERE user_id = :b"
            ),
            {"a": first_user, "b": second_user},
        )
    with factory() as session:
        stolen = session.scalar(select(LearnerProfile).where(LearnerProfile.user_id == second_user))
        original = session.scalar(
            select(LearnerProfile).where(LearnerProfile.user_id == first_user)
        )

        assert original.pii("nabp_eprofile_id") == NABP_ID
        with pytest.raises(PiiUnreadable):
            stolen.pii("nabp_eprofile_id")
        with pytest.raises(PiiUnreadable):
            stolen.pii("licence_number")
        assert stolen.pii("birth_mmdd") == "0314"


def test_plain_text_is_refused_by_a_pii_column(credit_tool):
    factory = credit_tool.services.session_factory
    with factory() as session:
        user = User(issuer="https://lms.credit-tests.example", sub=uuid.uuid4().hex)
        session.add(user)
        session.flush()
        profile = LearnerProfile(
            user_id=user.id, certificate_name="A", profession="nurse", email="a@example.org"
        )
        profile.nabp_eprofile_id = "4123456"  # type: ignore[assignment]
        session.add(profile)

        with pytest.raises(StatementError, match="PII must be sealed"):
            session.flush()
        session.rollback()


def test_keys_live_in_the_keys_folder_readable_by_the_owner_only(credit_tool):
    keyring = current_keyring()
    active = keyring.active_key_id()
    key_file = keyring.keys_dir / f"pii-{active}.key"

    assert keyring.keys_dir == credit_tool.services.settings.keys_dir
    assert (keyring.keys_dir / ACTIVE_FILE).read_text().strip() == active
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) == 44  # 32 bytes, base64


@pytest.fixture
def private_database(tmp_path, credit_tool):
    """A database and a keys folder of their own, so rotating touches no other test."""
    url = f"sqlite:///{tmp_path / 'pii.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    keys_dir = tmp_path / "keys"
    configure_pii(keys_dir)
    yield url, make_session_factory(engine), keys_dir
    engine.dispose()
    configure_pii(credit_tool.services.settings.keys_dir)


def add_profile(factory, nabp_id):
    with factory.begin() as session:
        user = User(issuer="https://lms.example", sub=uuid.uuid4().hex)
        session.add(user)
        session.flush()
        profile = LearnerProfile(
            user_id=user.id,
            certificate_name="Pat",
            profession="pharmacist",
            email="pat@example.org",
        )
        profile.set_pii("nabp_eprofile_id", nabp_id)
        profile.set_pii("birth_mmdd", "1102")
        session.add(profile)
        return user.id


def stored_key_ids(factory):
    with factory() as session:
        return {p.nabp_eprofile_id.key_id for p in session.scalars(select(LearnerProfile))}


def test_rotation_seals_new_values_with_the_new_key_and_reencrypt_rewrites_old_ones(
    private_database,
):
    _url, factory, keys_dir = private_database
    old_user = add_profile(factory, "4123456")
    old_key = current_keyring().active_key_id()

    new_key = current_keyring().rotate()
    new_user = add_profile(factory, "4200001")
    before = stored_key_ids(factory)
    results = {r.column: r for r in reencrypt(factory, Base)}
    (keys_dir / f"pii-{old_key}.key").unlink()
    fresh = PiiKeyring(keys_dir)  # a process that never saw the old key

    assert new_key != old_key
    assert before == {old_key, new_key}
    assert results["learner_profiles.nabp_eprofile_id"].rewritten == 1
    assert results["learner_profiles.nabp_eprofile_id"].already_current == 1
    assert stored_key_ids(factory) == {new_key}
    with factory() as session:
        profiles = {p.user_id: p for p in session.scalars(select(LearnerProfile))}
        for user_id, expected in ((old_user, "4123456"), (new_user, "4200001")):
            sealed: Sealed = profiles[user_id].nabp_eprofile_id
            assert fresh.open(sealed, profiles[user_id].pii_aad("nabp_eprofile_id")).decode() == (
                expected
            )
        assert key_usage(session, Base) == {new_key: 4}


def test_rotate_pii_command_adds_a_key_and_reencrypts(private_database, tmp_path):
    url, factory, keys_dir = private_database
    add_profile(factory, "4123456")
    old_key = current_keyring().active_key_id()

    result = CliRunner().invoke(
        rotate_pii,
        [],
        env={
            "LTI_TOOL_DATABASE_URL": url,
            "LTI_TOOL_KEYS_DIR": str(keys_dir),
            "LTI_TOOL_INSTANCE_DIR": str(tmp_path / "instance"),
        },
    )

    assert result.exit_code == 0, result.output
    new_key = current_keyring().active_key_id()
    assert new_key != old_key
    assert f"new PII key {new_key}" in result.output
    assert "learner_profiles.nabp_eprofile_id: 1 re-encrypted" in result.output
    assert f"No stored value uses key(s) {old_key} any more" in result.output
    assert stored_key_ids(factory) == {new_key}


def test_registration_prefills_the_learners_own_pii_on_the_next_form(credit_tool):
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)
    claimed = learner.claim(claim_form("pharmacist"))
    number = re.search(r"Certificate number</dt><dd>([0-9A-Z-]+)<", claimed.text).group(1)

    correction = learner.get(f"/certificates/{number}/correct").text

    assert f'value="{NABP_ID}"' in correction
    assert '<option value="3" selected>March</option>' in correction
    assert '<option value="14" selected>14</option>' in correction
