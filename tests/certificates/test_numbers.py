"""Certificate numbers: unguessable, typo-proof, and the verification URL built from them."""

from __future__ import annotations

import re

import pytest

from lti_tool.certificates.numbers import (
    ALPHABET,
    InvalidCertificateNumber,
    build_verification_url,
    is_valid_certificate_number,
    new_certificate_number,
    normalize_certificate_number,
)


def test_new_number_has_the_prefix_and_three_groups_of_four():
    number = new_certificate_number("CD26")

    assert re.fullmatch(rf"CD26(-[{ALPHABET}]{{4}}){{3}}", number)
    assert normalize_certificate_number(number) == number


def test_new_numbers_do_not_repeat():
    numbers = {new_certificate_number("CD26") for _ in range(2000)}

    assert len(numbers) == 2000


def test_every_single_mistyped_character_is_caught_by_the_check_character():
    number = new_certificate_number("CD26")
    positions = [index for index, character in enumerate(number) if character != "-"]

    for index in positions:
        for replacement in ALPHABET:
            if replacement == number[index]:
                continue
            typo = number[:index] + replacement + number[index + 1 :]
            assert not is_valid_certificate_number(typo), typo


def test_typing_in_lower_case_with_spaces_and_lookalike_letters_is_forgiven():
    number = "CD26-7K4M-Q9XF-3T82"

    assert normalize_certificate_number(" cd26 7k4m q9xf 3t82 ") == number
    assert normalize_certificate_number("CD26-7K4M-Q9XF-3T82".replace("0", "O")) == number
    assert normalize_certificate_number("CD26 7K4M-Q9XF3T82") == number


def test_oh_and_ell_typed_for_zero_and_one_are_read_as_digits():
    number = new_certificate_number("CD26")
    typed = number[:5] + number[5:].replace("0", "O").replace("1", "l")

    assert normalize_certificate_number(typed) == number


@pytest.mark.parametrize(
    "text", ["", "CD26", "CD26-7K4M", "CD26-7K4M-Q9XF-3T8", "CD26-7K4M-Q9XF-3T8U", "<script>"]
)
def test_text_that_is_not_a_number_is_refused(text):
    with pytest.raises(InvalidCertificateNumber):
        normalize_certificate_number(text)


@pytest.mark.parametrize("prefix", ["", "C", "CD-26", "TOOLONGPREFIX", "ÜB"])
def test_prefix_outside_the_alphabet_or_length_is_refused(prefix):
    with pytest.raises(InvalidCertificateNumber):
        new_certificate_number(prefix)


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://cme.example.org", "https://cme.example.org/certificates/verify/"),
        ("https://cme.example.org/", "https://cme.example.org/certificates/verify/"),
        ("https://example.org/cme", "https://example.org/cme/certificates/verify/"),
        ("http://127.0.0.1:5000/", "http://127.0.0.1:5000/certificates/verify/"),
    ],
)
def test_verification_url_joins_the_base_url_and_the_canonical_number(base_url, expected):
    url = build_verification_url(base_url, "cd26 7k4m q9xf 3t82")

    assert url == expected + "CD26-7K4M-Q9XF-3T82"


@pytest.mark.parametrize(
    "base_url",
    ["cme.example.org", "ftp://cme.example.org", "https://x.org/?next=1", "https://x.org/#a"],
)
def test_verification_url_needs_an_absolute_http_base_without_query(base_url):
    with pytest.raises(ValueError):
        build_verification_url(base_url, "CD26-7K4M-Q9XF-3T82")


def test_verification_url_refuses_a_malformed_number():
    with pytest.raises(InvalidCertificateNumber):
        build_verification_url("https://cme.example.org", "CD26-7K4M-Q9XF-3T83")
