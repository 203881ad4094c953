"""The 5th IMG meeting, reproduced from its notes: a draft with the seed minutes' structure."""

import io
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from sqlmodel import Session, select

from digests.minutes.actions import sync_actions
from digests.minutes.draft import build_draft
from digests.minutes.notes import NotesError, find_meeting, import_notes, parse_note
from digests.minutes.render import render_minutes
from store.engine import unit_of_work
from store.models import Deadline, MeetingNote
from tests.conftest import NOW, ROOT, run_cli

NOTES = ROOT / "examples" / "img5-notes.txt"
OUTPUT = Path(__file__).resolve().parent.parent / "output"
ANNEX = ["Mr. Alfredo Cueva", "Ms. Tatiana Terekhova", "Ms. Haddy Guisse", "Ms. Marit Nilses",
         "Ms. Bianca Perina", "Ms. Sophie Ravier", "Mr. Mario Castro", "Mr. Mohammed Omotola",
         "Ms. Doris Maritza Delgado", "Mr. Nelson Manda", "Mr. Hossein Fadaei (Chair)",
         "Ms. Jannica Pitkänen-Brunnsberg", "Mr. Garam Bel"]


@pytest.fixture
def img5(example_engine):
    with unit_of_work(example_engine) as session:
        meeting = find_meeting(session, "5")
        import_notes(session=session, meeting=meeting, path=NOTES, now=NOW)
        sync_actions(session=session, meeting=meeting, now=NOW)
    return example_engine


def draft_of(engine):
    with Session(engine) as session:
        return build_draft(session=session, meeting=find_meeting(session, "5"), now=NOW)


def test_notes_lines_are_read_as_discussion_conclusion_and_next_step():
    note = parse_note("Ms. Tatiana Terekhova (BRS): The draft terms of reference were circulated")
    assert (note.kind, note.speaker, note.organisation) == \
        ("discussion", "Ms. Tatiana Terekhova", "BRS")
    assert parse_note("Conclusion: The draft terms of reference were endorsed.").kind == \
        "conclusion"
    step = parse_note("Next step: UNITAR to circulate the revised terms of reference by "
                      "2018-01-15.")
    assert (step.kind, step.owner, step.due_on.isoformat()) == \
        ("next_step", "UNITAR", "2018-01-15")
    assert step.text == "circulate the revised terms of reference."


def test_draft_follows_the_house_style_of_the_seed_minutes(img5):
    d = draft_of(img5)
    assert d.documents == ["Provisional Agenda", "Possible Work Plan 2017/18"]
    assert d.introduction[0].startswith("The fifth meeting of the IMG took place online on "
                                        "05 October 2017, chaired by Mr. Hossein Fadaei of the "
                                        "EMG Secretariat")
    assert [s.number for s in d.sections] == [3, 4, 5]
    ws1 = d.sections[0]
    assert ws1.title.startswith("Work Stream 1")
    assert ws1.discussion[0].startswith("Ms. Tatiana Terekhova from BRS noted that BRS is")
    assert any(c.startswith("BRS and UNITAR confirmed their interest in taking a lead on Work "
                            "Stream One") for c in ws1.conclusions)
    assert ws1.next_steps[0].endswith("by the wider IMG in November 2017.")
    assert [p.name for p in d.participants] == ANNEX
    assert d.closure == "The Chair closed the meeting at 17:30 (Europe/Zurich time)."
    md = render_minutes(d, "md").decode()
    for heading in ("## 1. Introduction", "## 2. Opening remarks and adoption of the agenda",
                    "## 3. Work Stream 1", "## 4. Work Stream 2", "## 5. Brief overview",
                    "## 6. Other matters", "## 7. Closure of the meeting",
                    "## Annex I — List of Participants", "**Conclusion:**", "**Next Steps:**"):
        assert heading in md
    assert "| 13 | Mr. Garam Bel | EMG |" in md
    html = render_minutes(d, "html").decode()
    assert "<h2>3. Work Stream 1" in html and "&lt;" not in d.title


def test_an_item_without_notes_says_so(example_engine):
    d = draft_of(example_engine)
    assert all(s.empty for s in d.sections)
    assert render_minutes(d, "md").decode().count("No notes were recorded for this item.") == 3


def test_next_steps_are_the_data_files_action_items_once_after_two_drafts(img5):
    """The example lists the 5th meeting's next steps (`from_meeting = "img-5"`): its notes'
    next steps update those items, and two more drafts add none."""
    for _ in range(2):
        with unit_of_work(img5) as session:
            made = sync_actions(session=session, meeting=find_meeting(session, "5"), now=NOW)
            assert (made.created, made.updated) == (0, 0)  # every next step is linked
        draft_of(img5)
    with Session(img5) as session:
        actions = session.exec(select(Deadline).where(Deadline.kind == "action")).all()
        linked = {n.action_id for n in session.exec(select(MeetingNote).where(
            MeetingNote.kind == "next_step"))}
    assert len(actions) == 5 and {a.origin for a in actions} == {"data"}
    assert linked == {a.id for a in actions}
    tor = next(a for a in actions if "Work Stream One" in a.title)
    assert (tor.key, tor.due_text) == ("ws1-tor-comments", "November 2017")


def test_importing_twice_adds_nothing_and_a_bad_line_stores_nothing(img5, tmp_path):
    with unit_of_work(img5) as session:
        again = import_notes(session=session, meeting=find_meeting(session, "5"), path=NOTES,
                             now=NOW)
    assert again == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("1 Conclusion: fine.\n2 Next step: nobody knows what\n")
    with pytest.raises(NotesError, match=r"bad.txt, line 2: a next step reads"), \
            unit_of_work(img5) as session:
        import_notes(session=session, meeting=find_meeting(session, "5"), path=bad, now=NOW)
    bad.write_text("9 Conclusion: no such item.\n")
    with pytest.raises(NotesError, match=r"line 1: .* has no agenda item 9"), \
            unit_of_work(img5) as session:
        import_notes(session=session, meeting=find_meeting(session, "5"), path=bad, now=NOW)
    with Session(img5) as session:
        texts = {n.text for n in session.exec(select(MeetingNote))}
    assert "fine." not in texts


def test_docx_has_the_headings_and_the_participants_table(img5):
    data = render_minutes(draft_of(img5), "docx")
    document = docx.Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "1. Introduction" in headings and "7. Closure of the meeting" in headings
    assert "Annex I — List of Participants" in headings
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["", "Name", "Organisation"]
    assert [r.cells[1].text for r in table.rows[1:]] == ANNEX


@pytest.mark.skipif(shutil.which("libreoffice") is None,
                    reason="LibreOffice is not installed (apt-get install libreoffice-writer)")
def test_docx_opens_in_libreoffice_and_its_first_page_is_saved(img5, tmp_path):
    path = tmp_path / "img5.docx"
    path.write_bytes(render_minutes(draft_of(img5), "docx"))
    subprocess.run(["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)], check=True,
                   capture_output=True, timeout=180)
    pdf = tmp_path / "img5.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftoppm"):
        OUTPUT.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf),
                        str(OUTPUT / "minutes-img5")], check=True, timeout=60)
        assert list(OUTPUT.glob("minutes-img5*.png"))


def test_minutes_commands_on_the_example(store_url, tmp_path):
    env = {"COALITION_STORE_URL": store_url}
    if not store_url.startswith("sqlite"):
        assert run_cli("db", "upgrade", env=env).returncode == 0
    assert run_cli("sync", env=env).returncode == 0
    imported = run_cli("minutes", "import", "5", str(NOTES), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "0 action items created, 5 next steps matched" in " ".join(imported.stdout.split())
    out = tmp_path / "img5.md"
    result = run_cli("minutes", "draft", "5", "--format", "md", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "BRS and UNITAR confirmed their interest in taking a lead" in text
    assert "Annex I" in text and "Mr. Alfredo Cueva" in text
    noted = run_cli("minutes", "note", "img-5", "2", "Conclusion: A platform it is.", env=env)
    assert noted.returncode == 0 and "noted" in noted.stdout
    bad = run_cli("minutes", "draft", "42", env=env)
    assert bad.returncode == 2 and "no meeting '42'" in bad.stderr
    deadlines = run_cli("ask", "deadlines org BRS", "--now", "2017-10-06", env=env)
    assert "establishing a draft Terms of Reference for Work Stream One" in deadlines.stdout


def test_minutes_send_circulates_each_version_once(img5, smtp):
    from digests.minutes.circulate import circulate
    from digests.transport import make_transport
    from tests.smtp_server import smtp_config

    config = smtp_config(smtp.port)

    def send():
        transport = make_transport(config)
        try:
            return circulate(engine=img5, config=config, ref="5", now=NOW, transport=transport)
        finally:
            transport.close()

    assert "sent to 3" in send()  # the three secretariat members
    assert "sent to 0, already sent to 3" in send()
    message = smtp.messages[0]
    parts = [p.get_content_type() for p in message.iter_parts()]
    assert parts == ["text/html", "application/vnd.openxmlformats-officedocument."
                     "wordprocessingml.document"]
    attachment = list(message.iter_parts())[1]
    assert docx.Document(io.BytesIO(attachment.get_content())).tables
    with unit_of_work(img5) as session:
        from digests.minutes.notes import parse_note, record_note

        record_note(session=session, meeting=find_meeting(session, "5"), item_number=3,
                    note=parse_note("Conclusion: The work plan will evolve."), source="test",
                    now=NOW)
    assert "sent to 3" in send()  # a new version
    assert len(smtp.messages) == 6
