"""The PARS learner-row validator on hand-made rows: a good row passes, and each rule is
caught by a row that breaks it and only it (so removing a rule fails its test)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from lti_tool.outcomes.pars import (
    LearnerRow,
    RowProblem,
    learner_file,
    split_name,
    validate_learner_rows,
)

GOOD = LearnerRow(
    activity_id="203368584",
    first_name="Ada",
    last_name="Lovelace",
    birth_mmdd="03/07",
    npi="1234567893",  # CMS's example NPI: its check digit is right
    licence_state="NY",
    licence_id="MD-123456",
    board="",
    board_id="",
    completion_date="03/07/2025",
    cme_credits="1.25",
    moc_points="",
)
TODAY = date(2026, 1, 15)


def problems_of(**changes: str) -> list[tuple[str, str]]:
    row = dataclasses.replace(GOOD, **changes)
    return [(p.field, p.message) for p in validate_learner_rows([row], today=TODAY)]


def test_a_complete_row_has_no_problem() -> None:
    assert validate_learner_rows([GOOD, GOOD], today=TODAY) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"activity_id": ""}, "activity_id", "ACCME activity ID is required"),
        ({"activity_id": "20336A"}, "activity_id", "ACCME activity ID has digits only"),
        ({"first_name": ""}, "first_name", "first name is required"),
        ({"last_name": ""}, "last_name", "last name is required"),
        ({"last_name": "L" * 51}, "last_name", "last name is longer than 50 characters"),
        (
            {"first_name": "<b>Ada"},
            "first_name",
            "first name has digits or markup characters (< > @)",
        ),
        ({"birth_mmdd": ""}, "birth_mmdd", "date of birth (month and day) is required"),
        ({"birth_mmdd": "3/7"}, "birth_mmdd", "date of birth must be MM/DD, e.g. 03/07"),
        ({"birth_mmdd": "0307"}, "birth_mmdd", "date of birth must be MM/DD, e.g. 03/07"),
        ({"birth_mmdd": "02/30"}, "birth_mmdd", "02/30 is not a month and day"),
        ({"birth_mmdd": "13/01"}, "birth_mmdd", "13/01 is not a month and day"),
        ({"npi": "12345"}, "npi", "NPI has exactly 10 digits"),
        ({"npi": "1234567890"}, "npi", "NPI check digit is wrong (mistyped number)"),
        (
            {"licence_state": ""},
            "licence_state",
            "licensing state is required with a licence ID",
        ),
        (
            {"licence_state": "ZZ"},
            "licence_state",
            "licensing state must be a two-letter USPS code",
        ),
        ({"licence_id": "L" * 41}, "licence_id", "licence ID is longer than 40 characters"),
        (
            {"licence_id": "MD#1"},
            "licence_id",
            "licence ID has letters, digits, spaces, . / - only",
        ),
        (
            {"completion_date": "2025-03-07"},
            "completion_date",
            "completion date must be MM/DD/YYYY, e.g. 03/07/2026",
        ),
        ({"completion_date": "02/29/2025"}, "completion_date", "02/29/2025 is not a date"),
        ({"completion_date": "01/16/2026"}, "completion_date", "completion date is in the future"),
        ({"completion_date": ""}, "completion_date", "completion date is required"),
        ({"cme_credits": ""}, "cme_credits", "CME credits is required"),
        (
            {"cme_credits": "1.255"},
            "cme_credits",
            "CME credits must be a number with at most two decimal places, e.g. 1.25",
        ),
        (
            {"cme_credits": "one"},
            "cme_credits",
            "CME credits must be a number with at most two decimal places, e.g. 1.25",
        ),
        ({"cme_credits": "0.00"}, "cme_credits", "CME credits must be more than 0"),
        (
            {"moc_points": "1.00"},
            "moc_points",
            "MOC points need a certifying board and board ID",
        ),
        ({"board": "ABIM"}, "board_id", "certifying board ID is required with a board"),
        ({"board_id": "123456"}, "board", "certifying board is required with a board ID"),
        (
            {"last_name": "Love\tlace"},
            "last_name",
            "contains a tab or line break, which splits the row",
        ),
    ],
)
def test_each_broken_rule_is_reported_on_its_field(
    changes: dict[str, str], field: str, message: str
) -> None:
    assert problems_of(**changes) == [(field, message)]


def test_a_physician_with_neither_licence_nor_board_id_is_reported() -> None:
    assert problems_of(licence_state="", licence_id="") == [
        (
            "licence_id",
            "a state medical licence (state and ID) or a certifying board ID is required",
        )
    ]


def test_a_board_id_stands_in_for_the_licence() -> None:
    assert problems_of(licence_state="", licence_id="", board="ABIM", board_id="123456") == []


def test_an_unknown_board_is_reported() -> None:
    assert (
        "board",
        "certifying board must be one of "
        + ", ".join(sorted({"ABA", "ABIM", "ABOHNS", "ABOS", "ABPath", "ABP", "ABS", "ABTS"})),
    ) in problems_of(board="ABXYZ", board_id="1")


def test_every_problem_of_every_row_is_listed_with_its_line() -> None:
    bad = dataclasses.replace(GOOD, first_name="", birth_mmdd="", cme_credits="2.5.0")

    problems = validate_learner_rows([GOOD, bad, GOOD, bad], today=TODAY)

    assert [(p.row, p.field) for p in problems] == [
        (2, "first_name"),
        (2, "birth_mmdd"),
        (2, "cme_credits"),
        (4, "first_name"),
        (4, "birth_mmdd"),
        (4, "cme_credits"),
    ]
    assert all(isinstance(p, RowProblem) for p in problems)


def test_the_file_has_every_field_tab_separated_and_no_header() -> None:
    blank_npi = dataclasses.replace(GOOD, npi="")

    [line] = list(learner_file([blank_npi]))

    assert line == ("203368584\tAda\tLovelace\t03/07\t\tNY\tMD-123456\t\t\t03/07/2025\t1.25\t\r\n")
    assert line.count("\t") == 11


def test_a_name_is_split_at_its_last_word() -> None:
    assert split_name("Mary Ann  Smith") == ("Mary Ann", "Smith")
    assert split_name("Cher") == ("", "Cher")
