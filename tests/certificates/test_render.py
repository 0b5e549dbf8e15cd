"""Certificates rendered to PDF and read back with pypdf, as a learner's viewer would."""

from __future__ import annotations

import io
import threading
from dataclasses import replace

import pytest
from pypdf import PdfReader

from lti_tool.certificates import specimens
from lti_tool.certificates.document import CertificateDocument
from lti_tool.certificates.render import CertificateRenderer, render_certificate_pdf
from tests.certificates.conftest import pdf_text

CREDIT = "AMA PRA Category 1 Credit(s)\u2122"
SIZE_LIMIT = 100 * 1024


def render(renderer: CertificateRenderer, document: CertificateDocument) -> tuple[bytes, str]:
    pdf = renderer.render_pdf(document)
    return pdf, pdf_text(pdf)


def italic_texts(pdf: bytes) -> str:
    """The text drawn with an italic font face."""
    drawn: list[str] = []

    def visit(text, cm, tm, font_dict, font_size):  # noqa: ANN001 - pypdf visitor signature
        if font_dict and "Italic" in str(font_dict.get("/BaseFont", "")):
            drawn.append(text)

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return " ".join("".join(drawn).split())


def test_physician_certificate_states_the_credits_claimed_not_the_maximum(renderer):
    document = specimens.physician_credit()
    pdf, text = render(renderer, document)

    assert "Certificate of Credit" in text
    assert "Amelia R. Okonkwo-Lindqvist, MD" in text
    assert specimens.ACTIVITY_TITLE in text
    assert f"and is awarded 0.75 {CREDIT}." in text
    assert "awarded 1.25" not in text
    # The maximum appears only where the provider's designation statement says it.
    assert text.count("1.25") == 1
    assert len(pdf) < SIZE_LIMIT


def test_physician_certificate_prints_every_date_number_statement_and_the_verification_url(
    renderer,
):
    document = specimens.physician_credit()
    _, text = render(renderer, document)

    for expected in (
        "Completed March 2, 2026",
        "Release date January 14, 2026",
        "Expiration date January 14, 2028",
        "Learning format Enduring material",
        "Issued March 2, 2026",
        document.certificate_number,
        document.verification_url,
        specimens.ACCME_ACCREDITATION,
        specimens.DESIGNATION,
        specimens.PROVIDER,
    ):
        assert expected in text, expected


def test_credit_name_is_italic_with_the_trademark_sign(renderer):
    pdf = renderer.render_pdf(specimens.physician_credit())

    # Once in the award line, once inside the designation statement.
    assert italic_texts(pdf).count(CREDIT) == 2


@pytest.mark.parametrize(
    ("profession", "acceptance"),
    [
        ("nurse", specimens.ANCC_ACCEPTANCE),
        ("physician_assistant", specimens.AAPA_ACCEPTANCE),
        ("nurse_practitioner", specimens.AANPCB_ACCEPTANCE),
    ],
)
def test_participation_certificate_carries_the_acceptance_statement_of_the_learners_body(
    renderer, profession, acceptance
):
    document = specimens.participation(profession)
    pdf, text = render(renderer, document)

    assert "Certificate of Participation" in text
    assert document.profession_label.upper() in text
    assert f"This activity was designated for {CREDIT}." in text
    assert "Hours of participation reported: 1.25." in text
    assert specimens.DESIGNATION in text
    assert acceptance in text
    assert document.certificate_number in text
    assert document.verification_url in text
    assert len(pdf) < SIZE_LIMIT


def test_participation_certificate_for_other_professionals_has_no_acceptance_statement(
    renderer,
):
    _, text = render(renderer, specimens.participation("other"))

    assert "OTHER HEALTH CARE PROFESSIONAL" in text
    for body in ("ANCC", "AAPA", "AANPCB"):
        assert body not in text


def test_pharmacist_statement_carries_the_acpe_facts_and_cpe_monitor_instructions(renderer):
    document = specimens.pharmacist_statement()
    pdf, text = render(renderer, document)

    for expected in (
        "Statement of Participation",
        "Amelia R. Okonkwo-Lindqvist, PharmD, BCPS",
        "for 1.25 contact hours (0.125 CEUs) of continuing pharmacy education",
        "ACPE UAN 0574-0000-26-009-H01-P",
        "Activity type Application (A)",
        "NABP e-Profile ID 4123456",
        "Participation date March 2, 2026",
        specimens.ACPE_ACCREDITATION,
        specimens.CPE_MONITOR_INSTRUCTIONS,
        document.certificate_number,
        document.verification_url,
    ):
        assert expected in text, expected
    assert "AMA PRA" not in text
    assert len(pdf) < SIZE_LIMIT


def test_pdf_is_one_tagged_us_letter_landscape_page_with_title_and_language(renderer):
    pdf = renderer.render_pdf(specimens.physician_credit())
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]

    assert len(reader.pages) == 1
    assert (float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)) == (
        792,
        612,
    )
    assert catalog["/Lang"] == "en"
    assert catalog["/MarkInfo"]["/Marked"] is True
    assert "/StructTreeRoot" in catalog
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"] is True
    assert reader.metadata.title.startswith("Certificate of Credit – Amelia R. Okonkwo")


def test_pdf_has_no_raster_image_so_all_text_stays_selectable(renderer):
    pdf = renderer.render_pdf(specimens.physician_credit())

    assert b"/Subtype /Image" not in pdf
    assert pdf_text(pdf).count("Okonkwo-Lindqvist") >= 1


def test_latin_certificate_embeds_only_the_subset_certificate_faces(renderer):
    pdf = renderer.render_pdf(specimens.physician_credit())
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    base_fonts = {str(font.get_object()["/BaseFont"]).split("+", 1)[1] for font in fonts.values()}

    assert base_fonts == {
        "CME-Certificate-Serif",
        "CME-Certificate-Serif-Bold",
        "CME-Certificate-Serif-Italic",
    }


def test_name_with_markup_is_printed_as_text(renderer):
    document = replace(
        specimens.physician_credit(), learner_name="<script>alert('x')</script> O'Brien & <b>Co"
    )
    html = renderer.render_html(document)
    _, text = render(renderer, document)

    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; O&#39;Brien &amp; &lt;b&gt;Co" in html
    assert "<script>" not in html
    assert "<script>alert('x')</script> O'Brien & <b>Co, MD" in text


@pytest.mark.parametrize(
    "name", ["Nguyễn Thị Ánh", "Дмитрий Шостакович", "Zoë Ødegård-Łukasiewicz"]
)
def test_names_beyond_latin_1_render_small_and_extractable(renderer, name):
    document = replace(specimens.physician_credit(), learner_name=name)
    pdf, text = render(renderer, document)

    assert f"{name}, MD" in text
    assert len(pdf) < SIZE_LIMIT


def test_renders_from_several_threads_at_once_are_all_complete(renderer):
    documents = [replace(specimens.physician_credit(), learner_name=f"Learner {i}") for i in range(6)]
    results: dict[int, bytes] = {}

    def render_one(index: int) -> None:
        results[index] = renderer.render_pdf(documents[index])

    threads = [threading.Thread(target=render_one, args=(i,)) for i in range(len(documents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == list(range(len(documents)))
    for index, pdf in results.items():
        assert f"Learner {index}, MD" in pdf_text(pdf)


def test_module_level_render_uses_one_renderer_per_process():
    first = render_certificate_pdf(specimens.pharmacist_statement())
    second = render_certificate_pdf(specimens.pharmacist_statement())

    assert first.startswith(b"%PDF-1.7")
    assert pdf_text(first) == pdf_text(second)
