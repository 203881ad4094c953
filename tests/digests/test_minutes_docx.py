"""The 5th meeting's draft as a Word document ready to circulate: read back with python-docx,
and laid out by LibreOffice (its first page saved as a PNG in tests/output/ for a person to
look at)."""

import copy
import io
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.shared import Twips
from sqlmodel import Session

from digests.minutes.actions import sync_actions
from digests.minutes.docx import Layout
from digests.minutes.draft import build_draft
from digests.minutes.notes import find_meeting, import_notes
from digests.minutes.render import render_minutes
from store.engine import make_engine, unit_of_work
from store.migrate import upgrade
from store.sync import sync_file
from tests.conftest import EXAMPLE, NOW, ROOT

NOTES = ROOT / "examples" / "img5-notes.txt"
OUTPUT = Path(__file__).resolve().parent.parent / "output"
ANNEX = ["Mr. Alfredo Cueva", "Ms. Tatiana Terekhova", "Ms. Haddy Guisse", "Ms. Marit Nilses",
         "Ms. Bianca Perina", "Ms. Sophie Ravier", "Mr. Mario Castro", "Mr. Mohammed Omotola",
         "Ms. Doris Maritza Delgado", "Mr. Nelson Manda", "Mr. Hossein Fadaei (Chair)",
         "Ms. Jannica Pitkänen-Brunnsberg", "Mr. Garam Bel"]


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    """The example's draft, once (the document does not depend on the store's backend)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('docx') / 'store.db'}")
    upgrade(engine)
    with unit_of_work(engine) as session:
        sync_file(session=session, path=EXAMPLE, now=NOW)
        meeting = find_meeting(session, "5")
        import_notes(session=session, meeting=meeting, path=NOTES, now=NOW)
        sync_actions(session=session, meeting=meeting, now=NOW)
    with Session(engine) as session:
        made = build_draft(session=session, meeting=find_meeting(session, "5"), now=NOW)
    engine.dispose()
    return made


def document(draft, layout: Layout | None = None):
    return docx.Document(io.BytesIO(render_minutes(draft, "docx", now=NOW,
                                                   layout=layout or Layout())))


def test_docx_has_the_headings_and_the_participants_table(draft):
    doc = document(draft)
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["1. Introduction", "2. Opening remarks and adoption of the agenda",
                            "3. Work Stream 1: Interactive discussion on undertaking a "
                            "programmatic analysis"]
    assert headings[-3:] == ["6. Other matters", "7. Closure of the meeting",
                             "Annex I — List of Participants"]
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["", "Name", "Organisation"]
    assert [r.cells[1].text for r in table.rows[1:]] == ANNEX
    assert table.rows[11].cells[2].text == "EMG Secretariat"


def test_docx_is_a4_by_default_and_letter_when_configured(draft):
    a4 = document(draft).sections[0]
    assert (round(a4.page_width.mm), round(a4.page_height.mm)) == (210, 297)
    assert round(a4.left_margin.cm, 1) == round(a4.right_margin.cm, 1) == 2.5
    letter = document(draft, Layout(paper="Letter")).sections[0]
    assert (round(letter.page_width.inches, 2), round(letter.page_height.inches, 2)) == \
        (8.5, 11.0)


def test_docx_properties_are_the_documents_own(draft):
    props = document(draft).core_properties
    assert props.title == "5th IMG E-waste meeting — Draft Report"
    assert props.subject == "5th IMG E-waste meeting"
    assert props.author == props.last_modified_by == "Environment Management Group Secretariat"
    assert props.created.replace(tzinfo=NOW.tzinfo) == NOW  # not python-docx's 2013-12-23
    assert props.revision == 1
    assert "python-docx" not in " ".join(str(getattr(props, name)) for name in (
        "author", "comments", "last_modified_by", "keywords", "category", "title"))


def test_conclusions_and_next_steps_are_bullets_under_each_section(draft):
    doc = document(draft)
    assert not [p for p in doc.paragraphs if "Number" in p.style.name]
    lists: dict[str, list[str]] = {}
    section = label = None
    for p in doc.paragraphs:
        if p.style.name == "Heading 1":
            section, label = p.text.split(".")[0], None
        elif p.text in ("Conclusion:", "Next Steps:"):
            label = p.text
            assert p.paragraph_format.keep_with_next  # never the last line of a page
        elif label and p.style.name == "List Bullet":
            lists.setdefault(f"{section} {label}", []).append(p.text)
        else:
            label = None
    assert {k: len(v) for k, v in lists.items()} == {
        "3 Conclusion:": 4, "3 Next Steps:": 1, "4 Conclusion:": 3, "4 Next Steps:": 3,
        "5 Next Steps:": 1}
    assert lists["5 Next Steps:"] == ["EMG to share the possible Work Plan 2017/18 by email for "
                                      "finalisation with IMG Members."]


def test_annex_columns_are_fitted(draft):
    doc = document(draft)
    table = doc.tables[0]
    grid = [int(c.get(docx.oxml.ns.qn("w:w"))) for c in
            table._tbl.tblGrid.findall(docx.oxml.ns.qn("w:gridCol"))]
    number, name, organisation = (round(Twips(w).cm, 1) for w in grid)
    assert number == 1.2
    assert name < organisation  # "SAICM/Pollution and Health Unit (UN Environment)" is longest
    assert round(number + name + organisation, 1) == 16.0  # the text width of A4
    for row in table.rows:
        assert [round(c.width.cm, 1) for c in row.cells] == [number, name, organisation]


def _variants(draft, count: int):
    """The draft with 0..count-1 more lines in its introduction: the sections land at every
    height of a page."""
    for extra in range(count):
        variant = copy.deepcopy(draft)
        variant.sections[0].discussion[1:1] = [f"Line {n} of the introduction." for n in
                                              range(extra)]
        yield variant


@pytest.mark.skipif(shutil.which("libreoffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and poppler are not installed (apt-get install "
                           "libreoffice-writer-nogui poppler-utils)")
def test_docx_in_libreoffice_keeps_headings_with_their_text_and_its_first_page_is_saved(
        draft, tmp_path):
    paths = []
    for n, variant in enumerate(_variants(draft, 14)):
        path = tmp_path / f"img5-{n:02d}.docx"
        path.write_bytes(render_minutes(variant, "docx", now=NOW))
        paths.append(path)
    subprocess.run(["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, paths)],
                   check=True, capture_output=True, timeout=240)
    first = tmp_path / "img5-00.pdf"
    info = subprocess.run(["pdfinfo", str(first)], check=True, capture_output=True,
                          text=True).stdout
    assert re.search(r"Page size:\s+595.* x 841.* \(A4\)", info), info
    headings = [p.text for p in document(draft).paragraphs if p.style.name == "Heading 1"]
    ends = [re.sub(r"\s+", " ", h) for h in headings] + ["Conclusion:", "Next Steps:"]
    for path in paths:
        text = subprocess.run(["pdftotext", str(path.with_suffix(".pdf")), "-"], check=True,
                              capture_output=True, text=True).stdout
        pages = [re.sub(r"\s+", " ", page).strip() for page in text.split("\f")]
        pages = [page for page in pages if page]
        for number, page in enumerate(pages, start=1):
            assert not any(page.endswith(end) for end in ends), \
                f"{path.name}, page {number} ends on a heading: ...{page[-80:]}"
        closing = next(page for page in pages if "7. Closure of the meeting" in page)
        assert not closing.startswith(("6. Other matters", "7. Closure")), \
            f"{path.name}: the closing sections stand alone on a page"
    OUTPUT.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(first),
                    str(OUTPUT / "minutes-img5")], check=True, timeout=60)
    assert list(OUTPUT.glob("minutes-img5*.png"))
