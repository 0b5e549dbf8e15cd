"""Certificates rendered to PDF and read back with pypdf, as a learner's viewer would."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import replace

import pytest
import segno
from pypdf import PdfReader
from pypdf.generic import BooleanObject

from lti_tool.certificates import specimens
from lti_tool.certificates.document import CertificateDocument
from lti_tool.certificates.fonts import load_font_faces
from lti_tool.certificates.render import QR_MASK, CertificateRenderer, render_certificate_pdf

CREDIT = "AMA PRA Category 1 Credit(s)\u2122"
SIZE_LIMIT = 100 * 1024

Render = Callable[[CertificateDocument], tuple[bytes, str]]


@pytest.fixture
def render(renderer: CertificateRenderer, pdf_text: Callable[[bytes], str]) -> Render:
    """Render a document; return the PDF and its extracted text."""

    def render_and_read(document: CertificateDocument) -> tuple[bytes, str]:
        pdf = renderer.render_pdf(document)
        return pdf, pdf_text(pdf)

    return render_and_read


def italic_text(pdf: bytes) -> str:
    """The text drawn with an italic face, whitespace collapsed."""
    drawn: list[str] = []

    def visit(text, cm, tm, font_dict, font_size):  # pypdf's visitor signature
        if font_dict and "Italic" in str(font_dict.get("/BaseFont", "")):
            drawn.append(text)

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return " ".join("".join(drawn).split())


def test_physician_certificate_states_the_credits_claimed_not_the_maximum(render):
    pdf, text = render(specimens.physician_credit())

    assert "Certificate of Credit" in text
    assert "Amelia R. Okonkwo-Lindqvist, MD" in text
    assert specimens.ACTIVITY_TITLE in text
    assert f"and is awarded 0.75 {CREDIT}." in text
    # The maximum appears only where the provider's designation statement says it.
    assert text.count("1.25") == 1
    assert len(pdf) < SIZE_LIMIT


def test_physician_certificate_prints_dates_number_statements_and_verification_url(render):
    document = specimens.physician_credit()
    _, text = render(document)

    for expected in (
        # Labels of the facts row are set in capitals by the stylesheet.
        "COMPLETED March 2, 2026",
        "RELEASE DATE January 14, 2026",
        "EXPIRATION DATE January 14, 2028",
        "LEARNING FORMAT Enduring material",
        "Issued March 2, 2026",
        f"Certificate number {document.certificate_number}",
        f"Verify at {document.verification_url}",
        specimens.ACCME_ACCREDITATION,
        specimens.DESIGNATION,
        specimens.PROVIDER.upper(),
    ):
        assert expected in text, expected


def test_credit_name_is_italic_with_the_trademark_sign(renderer):
    pdf = renderer.render_pdf(specimens.physician_credit())

    # Once in the award line, once inside the designation statement.
    assert italic_text(pdf).count(CREDIT) == 2


@pytest.mark.parametrize(
    ("profession", "acceptance"),
    [
        ("nurse", specimens.ANCC_ACCEPTANCE),
        ("physician_assistant", specimens.AAPA_ACCEPTANCE),
        ("nurse_practitioner", specimens.AANPCB_ACCEPTANCE),
    ],
)
def test_participation_certificate_carries_the_acceptance_statement_of_the_learners_body(
    render, profession, acceptance
):
    document = specimens.participation(profession)
    pdf, text = render(document)

    assert "Certificate of Participation" in text
    assert f"{document.learner_name}, {document.degree}" in text
    assert document.profession_label.upper() in text
    assert f"This activity was designated for {CREDIT}." in text
    assert "Hours of participation reported: 1.25." in text
    assert specimens.DESIGNATION in text
    assert acceptance in text
    assert document.certificate_number in text
    assert document.verification_url in text
    assert len(pdf) < SIZE_LIMIT


def test_participation_certificate_for_other_professionals_has_no_acceptance_statement(render):
    _, text = render(specimens.participation("other"))

    assert "OTHER HEALTH CARE PROFESSIONAL" in text
    for body in ("ANCC", "AAPA", "AANPCB"):
        assert body not in text


def test_pharmacist_statement_carries_the_acpe_facts_and_cpe_monitor_instructions(render):
    document = specimens.pharmacist_statement()
    pdf, text = render(document)

    for expected in (
        "Statement of Participation",
        "Amelia R. Okonkwo-Lindqvist, PharmD, BCPS",
        "for 1.25 contact hours (0.125 CEUs) of continuing pharmacy education",
        "0574-0000-26-009-H01-P",
        "Application (A)",
        "4123456",
        "March 2, 2026",
        specimens.ACPE_ACCREDITATION,
        specimens.CPE_MONITOR_INSTRUCTIONS,
        document.certificate_number,
        document.verification_url,
    ):
        assert expected in text, expected
    for label in ("ACPE UAN", "ACTIVITY TYPE", "NABP E-PROFILE ID", "PARTICIPATION DATE"):
        assert label in text, label
    assert "AMA PRA" not in text
    assert len(pdf) < SIZE_LIMIT


def test_pdf_is_one_tagged_us_letter_landscape_page_with_title_and_language(renderer):
    pdf = renderer.render_pdf(specimens.physician_credit())
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    page = reader.pages[0]

    assert len(reader.pages) == 1
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (792, 612)
    assert catalog["/Lang"] == "en"
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in catalog
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title.startswith("Certificate of Credit – Amelia R. Okonkwo")


def test_the_only_image_is_the_qr_code_sharp_and_readable_so_all_text_stays_text(
    renderer, pdf_text
):
    document = specimens.physician_credit()
    pdf = renderer.render_pdf(document)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    images = [
        image.get_object()
        for image in page["/Resources"]["/XObject"].values()
        if image.get_object()["/Subtype"] == "/Image"
    ]

    assert len(images) == 1
    qr = images[0]
    symbol = segno.make(document.verification_url, error="m", micro=False, mask=QR_MASK)
    size = symbol.symbol_size(border=4)[0]  # one pixel per module, 4-module quiet zone
    assert (qr["/Width"], qr["/Height"]) == (size, size)
    assert qr["/Interpolate"] == BooleanObject(False)  # no smoothing: sharp printed edges
    # Dark pixels are exactly the dark modules of the verification URL's QR code.
    pixels = qr.get_data()
    channels = len(pixels) // (size * size)
    drawn = [
        [pixels[channels * (size * row + column)] < 128 for column in range(size)]
        for row in range(size)
    ]
    assert drawn == [[bool(module) for module in row] for row in symbol.matrix_iter(border=4)]
    assert "Okonkwo-Lindqvist" in pdf_text(pdf)
    assert f"Verify at {document.verification_url}" in " ".join(pdf_text(pdf).split())
    # Tagged as a figure whose alternative text says where it leads (PDF/UA).
    tree = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/StructTreeRoot"]
    assert figures_alt_text(tree) == [f"QR code linking to {document.verification_url}"]


def figures_alt_text(node) -> list[str]:
    """The /Alt of every /Figure element of a PDF structure tree, in document order."""
    node = node.get_object()
    if isinstance(node, list):
        return [alt for child in node for alt in figures_alt_text(child)]
    if not isinstance(node, dict):
        return []
    found = [str(node["/Alt"])] if node.get("/S") == "/Figure" and "/Alt" in node else []
    children = node.get("/K")
    return found + (figures_alt_text(children) if children is not None else [])


def test_presubset_faces_are_the_only_fonts_of_a_latin_certificate(pdf_text):
    renderer = CertificateRenderer(font_faces=load_font_faces())
    pdf = renderer.render_pdf(specimens.physician_credit())
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    names = {str(font.get_object()["/BaseFont"]).partition("+")[2] for font in fonts.values()}

    assert names == {
        "CME-Certificate-Serif",
        "CME-Certificate-Serif-Bold",
        "CME-Certificate-Serif-Italic",
    }
    # Without ligatures the "fi" of "certificates" maps back to two letters.
    assert "/certificates/verify/" in pdf_text(pdf)
    assert len(pdf) < SIZE_LIMIT


def test_every_embedded_font_is_a_subset(renderer):
    pdf = renderer.render_pdf(specimens.physician_credit())
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    base_fonts = [str(font.get_object()["/BaseFont"]) for font in fonts.values()]

    assert len(base_fonts) == 3  # regular, bold, italic
    for base_font in base_fonts:
        tag, _, name = base_font.lstrip("/").partition("+")
        assert len(tag) == 6 and tag.isupper(), base_font
        assert "Serif" in name, base_font


def test_name_with_markup_is_printed_as_text(renderer, render):
    document = replace(
        specimens.physician_credit(), learner_name="<script>alert('x')</script> O'Brien & <b>Co"
    )
    html = renderer.render_html(document)
    _, text = render(document)

    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; O&#39;Brien &amp; &lt;b&gt;Co" in html
    assert "<script>" not in html
    assert "<script>alert('x')</script> O'Brien & <b>Co, MD" in text


@pytest.mark.parametrize("name", ["Nguyễn Thị Ánh", "Дмитрий Шостакович", "Zoë Ødegård-Łukasz"])
def test_names_beyond_latin_render_small_and_extractable(render, name):
    pdf, text = render(replace(specimens.physician_credit(), learner_name=name))

    assert f"{name}, MD" in text
    assert len(pdf) < SIZE_LIMIT


def test_renders_from_several_threads_at_once_are_all_complete(renderer, pdf_text):
    documents = [
        replace(specimens.physician_credit(), learner_name=f"Learner {index}") for index in range(6)
    ]
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


def test_module_level_render_gives_the_same_certificate_each_time(pdf_text):
    first = render_certificate_pdf(specimens.pharmacist_statement())
    second = render_certificate_pdf(specimens.pharmacist_statement())

    assert first.startswith(b"%PDF-1.7")
    assert pdf_text(first) == pdf_text(second)
