"""The draft as a Word document (python-docx), because the secretariat edits in Word.

Ready to circulate: A4 (or US Letter) with 2.5 cm margins, conclusions and next steps as
bullets under each section, the annex's number column narrow and the others shared in the
measure of their longest entries, the document's properties its own (title, author = the
secretariat, created now, subject = the meeting), and headings kept with what follows them, so
that no page ends on a heading and the closing sections never stand alone on a page.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from digests.minutes.draft import MinutesDraft

PAPERS = {"A4": (Mm(210), Mm(297)), "Letter": (Mm(215.9), Mm(279.4))}
MARGIN = Cm(2.5)
NUMBER_COLUMN = Cm(1.2)


@dataclass(frozen=True)
class Layout:
    """What the document looks like, from `[minutes]` in the configuration."""

    paper: str = "A4"  # A4 | Letter
    author: str = "Secretariat"  # when the store names no secretariat organisation


A4 = Layout()


def to_docx(draft: MinutesDraft, *, now: dt.datetime, layout: Layout = A4) -> bytes:
    doc = Document()
    _page(doc, layout.paper)
    _properties(doc, draft, now, draft.secretariat or layout.author)
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(draft.title, level=0)
    if draft.notice:
        run = doc.add_paragraph().add_run(draft.notice)
        run.bold, run.font.size, run.font.color.rgb = True, Pt(13), RGBColor(0x8A, 0x1C, 0x1C)
    doc.add_paragraph(draft.date)
    _label(doc, "Documents:")
    for item in draft.documents:
        _bullet(doc, item)
    chain_from = len(draft.sections) - 2  # the last sections keep with what comes before
    for index, section in enumerate(draft.sections):
        if index == chain_from and len(doc.paragraphs):
            doc.paragraphs[-1].paragraph_format.keep_with_next = True
        doc.add_heading(f"{section.number}. {section.title}", level=1) \
            .paragraph_format.keep_with_next = True
        if section.empty:
            doc.add_paragraph("No notes were recorded for this item.").runs[0].italic = True
        for line in section.discussion:
            doc.add_paragraph(line)
        for label, lines in (("Conclusion:", section.conclusions),
                             ("Next Steps:", section.next_steps)):
            if lines:
                _label(doc, label)
                for line in lines:
                    _bullet(doc, line)
        if index >= chain_from and index < len(draft.sections) - 1:
            doc.paragraphs[-1].paragraph_format.keep_with_next = True
    heading = doc.add_heading("Annex I — List of Participants", level=1)
    heading.paragraph_format.page_break_before = True
    _annex(doc, draft, layout.paper)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page(doc, paper: str) -> None:
    width, height = PAPERS[paper]
    for section in doc.sections:
        section.page_width, section.page_height = width, height
        section.left_margin = section.right_margin = MARGIN
        section.top_margin = section.bottom_margin = MARGIN


def _properties(doc, draft: MinutesDraft, now: dt.datetime, author: str) -> None:
    props = doc.core_properties
    props.title = draft.title
    props.subject = draft.title.removesuffix(" — Draft Report")
    props.author = props.last_modified_by = author
    props.created = props.modified = now.astimezone(dt.UTC).replace(tzinfo=None)
    props.comments = draft.notice or "Minutes draft"
    props.keywords = "minutes, draft"
    props.category = "Meeting report"
    props.revision = 1


def _label(doc, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.add_run(text).bold = True
    paragraph.paragraph_format.keep_with_next = True


def _bullet(doc, text: str) -> None:
    doc.add_paragraph(text, style="List Bullet").paragraph_format.keep_together = True


def _annex(doc, draft: MinutesDraft, paper: str) -> None:
    rest = PAPERS[paper][0] - 2 * MARGIN - NUMBER_COLUMN
    names = max([len("Name"), *(len(p.name) for p in draft.participants)])
    orgs = max([len("Organisation"), *(len(p.organisation) for p in draft.participants)])
    name_width = int(rest * min(max(names / (names + orgs), 0.3), 0.7))  # as long as they are
    widths = (NUMBER_COLUMN, name_width, rest - name_width)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    table.autofit = False
    for column, w in zip(table.columns, widths, strict=True):
        column.width = w
    header = table.rows[0]
    _repeat_header(header)
    for cell, text in zip(header.cells, ("", "Name", "Organisation"), strict=True):
        cell.text = text
        if text:
            cell.paragraphs[0].runs[0].bold = True
    for p in draft.participants:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = str(p.number), p.name, p.organisation
        cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = w


def _repeat_header(row) -> None:
    """The header row repeats on every page of a long list."""
    properties = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)
