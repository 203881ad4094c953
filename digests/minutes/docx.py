"""The draft as a Word document (python-docx), because the secretariat edits in Word."""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Pt

from digests.minutes.draft import MinutesDraft


def to_docx(draft: MinutesDraft) -> bytes:
    doc = Document()
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(draft.title, level=0)
    doc.add_paragraph(draft.date)
    doc.add_paragraph().add_run("Documents:").bold = True
    for item in draft.documents:
        doc.add_paragraph(item, style="List Bullet")
    doc.add_heading("1. Introduction", level=1)
    for paragraph in draft.introduction:
        doc.add_paragraph(paragraph)
    doc.add_heading("2. Opening remarks and adoption of the agenda", level=1)
    doc.add_paragraph(draft.opening)
    for section in draft.sections:
        doc.add_heading(f"{section.number}. {section.title}", level=1)
        if section.empty:
            doc.add_paragraph("No notes were recorded for this item.").runs[0].italic = True
        for line in section.discussion:
            doc.add_paragraph(line)
        for label, lines in (("Conclusion:", section.conclusions),
                             ("Next Steps:", section.next_steps)):
            if lines:
                doc.add_paragraph().add_run(label).bold = True
                for line in lines:
                    doc.add_paragraph(line, style="List Number" if label.startswith("Next")
                                      else "List Bullet")
    n = len(draft.sections)
    doc.add_heading(f"{n + 3}. Other matters", level=1)
    doc.add_paragraph(draft.other_matters)
    doc.add_heading(f"{n + 4}. Closure of the meeting", level=1)
    doc.add_paragraph(draft.closure)
    doc.add_page_break()
    doc.add_heading("Annex I — List of Participants", level=1)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("", "Name", "Organisation"), strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = bool(text) if cell.paragraphs[0].runs else False
    for p in draft.participants:
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text = str(p.number), p.name, p.organisation
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
