"""The pre-subset certificate faces, cut from the DejaVu files Debian installs."""

from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont

from lti_tool.certificates.fonts import (
    REPERTOIRE,
    CertificateFontsMissing,
    find_font_file,
    load_font_faces,
    within_repertoire,
)


def test_faces_cover_the_repertoire_and_stay_small():
    faces = load_font_faces()

    assert [(face.weight, face.style) for face in faces] == [
        ("normal", "normal"),
        ("bold", "normal"),
        ("normal", "italic"),
    ]
    for face in faces:
        cmap = TTFont(io.BytesIO(face.data)).getBestCmap()
        assert set(cmap) >= REPERTOIRE, face.file_name
        assert len(face.data) < 40 * 1024, face.file_name


def test_latin_text_with_the_trademark_sign_is_within_the_repertoire():
    assert within_repertoire("Zoë Ødegård-Łukasz, MD – AMA PRA Category 1 Credit(s)™\n")


@pytest.mark.parametrize("text", ["Nguyễn", "Дмитрий", "王", "ŉ"])  # ŉ upper-cases to ʼN
def test_other_scripts_are_outside_the_repertoire(text):
    assert not within_repertoire(text)


def test_a_missing_font_file_names_the_debian_packages(tmp_path):
    with pytest.raises(CertificateFontsMissing, match="fonts-dejavu-extra"):
        find_font_file("DejaVuSerif-Italic.ttf", directories=[tmp_path])
