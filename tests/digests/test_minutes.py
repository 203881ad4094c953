"""The 5th IMG meeting, reproduced from its notes: a draft with the seed minutes' structure."""

import datetime as dt
import io

import docx
import pytest
from sqlmodel import Session, select

from digests.minutes.actions import sync_actions
from digests.minutes.draft import build_draft
from digests.minutes.notes import NotesError, find_meeting, import_notes, parse_note, record_note
from digests.minutes.render import render_minutes
from store.engine import unit_of_work
from store.models import Deadline, MeetingNote
from tests.conftest import NOW, ROOT, run_cli

NOTES = ROOT / "examples" / "img5-notes.txt"
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
    assert d.notice == ""
    intro = d.sections[0]
    assert intro.discussion[0] == (
        "The fifth meeting of the IMG took place online on 05 October 2017, chaired by "
        "Mr. Hossein Fadaei of the Environment Management Group (EMG) Secretariat.")
    assert [s.number for s in d.items] == [3, 4, 5]
    ws1 = d.items[0]
    assert ws1.title.startswith("Work Stream 1")
    assert ws1.discussion[0].startswith("Ms. Tatiana Terekhova from the Secretariat of the "
                                        "Basel, Rotterdam and Stockholm Conventions (BRS) "
                                        "indicated that BRS is")
    assert any(c.startswith("BRS and UNITAR confirmed their interest in taking a lead on Work "
                            "Stream One") for c in ws1.conclusions)
    assert ws1.next_steps[0].endswith("by the wider IMG in November 2017.")
    assert [p.name for p in d.participants] == ANNEX
    md = render_minutes(d, "md", now=NOW).decode()
    for heading in ("## 1. Introduction", "## 2. Opening remarks and adoption of the agenda",
                    "## 3. Work Stream 1", "## 4. Work Stream 2", "## 5. Brief overview",
                    "## 6. Other matters", "## 7. Closure of the meeting",
                    "## Annex I — List of Participants", "**Conclusion:**", "**Next Steps:**"):
        assert heading in md
    assert "| 13 | Mr. Garam Bel | EMG Secretariat |" in md
    html = render_minutes(d, "html", now=NOW).decode()
    assert "<h2>3. Work Stream 1" in html and "&lt;" not in d.title
    assert "<h2>7. Closure of the meeting</h2>\n<p>The Chair closed the meeting at 17:00 GVA " \
           "time.</p>" in html


def section_text(d, number: int) -> str:
    return "\n".join(next(s for s in d.sections if s.number == number).discussion)


def test_the_report_verbs_and_the_meeting_agreed(img5):
    d = draft_of(img5)
    ws1 = d.items[0].discussion
    assert ws1[2] == ('Ms. Marit Nilses from the United Nations Economic and Social Commission '
                      'for Asia and the Pacific (UNESCAP) asked whether a "needs analysis" will '
                      'be included in Work Stream One.')
    assert ws1[1].startswith("The Chair replied that the intention is not so much to develop")
    assert ws1[4].startswith("UNESCAP suggested that a matrix of what we do")
    assert ws1[5].startswith("Mr. Nelson Manda from the United Nations Institute for Training "
                             "and Research (UNITAR) agreed that we must capture")
    assert ws1[7] == "UNITAR confirmed their interest in being involved in Work Stream One."
    # the speakers and verbs of the seed's section 3, in its order
    assert [line.split(" that ")[0].split(" whether ")[0][:30] for line in ws1] == [
        "Ms. Tatiana Terekhova from the", "The Chair replied", "Ms. Marit Nilses from the Unit",
        "The Chair highlighted", "UNESCAP suggested", "Mr. Nelson Manda from the Unit",
        "UNITAR recommended", "UNITAR confirmed their interes", "Ms. Bianca Perina from the Int",
        "Mr. Mario Castro from the Inte", "Mr. Mohammed Omotola from the ",
        "UNESCAP enquired about the sco", "The Chair requested", "UNITAR noted",
        "BRS noted their support for UN", "UNITAR indicated", "ITU concurred with UNITAR and ",
        "UNITAR raised a point"]
    assert [w for line in ws1 for w in ("indicated", "asked", "agreed", "noted", "pointed out")
            if f") {w} " in line] == ["indicated", "asked", "agreed", "noted", "pointed out"]
    assert section_text(d, 5).endswith("The meeting agreed that this tentative work plan would "
                                       "evolve as the respective terms of reference are "
                                       "developed for both work streams.")


def test_the_chair_is_named_once_then_the_chair(img5):
    d = draft_of(img5)
    body = [line for s in d.sections for line in s.discussion]
    assert sum("Hossein Fadaei" in line for line in body) == 1  # the introduction
    assert sum(line.startswith("The Chair ") for line in body) == 8
    assert "Mr. Hossein Fadaei (Chair)" in [p.name for p in d.participants]


def test_organisations_are_written_out_on_first_mention(img5):
    d = draft_of(img5)
    md = render_minutes(d, "md", now=NOW).decode()
    ws1, ws2 = d.items[0].discussion, d.items[1].discussion
    assert ws1[10].startswith(
        "Mr. Mohammed Omotola from the Strategic Approach to International Chemicals Management "
        "(SAICM) Secretariat and the Pollution and Health Unit of UN Environment noted that it "
        "is important")
    assert ws2[0].startswith("Mr. Mohammed Omotola noted that from a knowledge management")
    assert ws2[1].startswith("Ms. Haddy Guisse from UN Environment mentioned InforMEA")
    assert ws1[8].startswith("Ms. Bianca Perina from the International Labour Organization "
                             "(ILO) noted that they see")
    assert "UNEP" not in md and "(UNESCAP) " in md and md.count("United Nations Economic") == 1
    # Annex I lists the organisations as the seed does (its "UN ESCAP" is the one spelling of
    # UNESCAP the report's own text does not use)
    assert [p.organisation for p in d.participants] == [
        "UNIDO", "BRS Secretariat", "UN Environment", "UNESCAP", "ILO", "DFS", "ITU",
        "SAICM/Pollution and Health Unit (UN Environment)", "ITU", "UNITAR",
        "EMG Secretariat", "EMG Secretariat", "EMG Secretariat"]


def test_every_section_takes_notes_and_the_closure_its_time(img5):
    d = draft_of(img5)
    opening = next(s for s in d.sections if s.kind == "opening").discussion
    assert opening[0] == "There were no comments on the agenda, which was subsequently adopted."
    assert opening[3].startswith("The Chair highlighted that the third proposed work area")
    assert len(opening) == 5 and len(d.sections[0].discussion) == 5
    assert d.sections[0].discussion[1].startswith("The meeting discussed the two work streams")
    assert section_text(d, 6) == "No other matters were raised."
    assert section_text(d, 7) == "The Chair closed the meeting at 17:00 GVA time."
    assert "17:30" not in render_minutes(d, "md", now=NOW).decode()


def test_sections_without_notes_keep_their_sentences_and_no_scheduled_end(example_engine):
    with unit_of_work(example_engine) as session:
        meeting = find_meeting(session, "5")
        record_note(session=session, meeting=meeting, item_number="other",
                    note=parse_note("Conclusion: The next meeting is in December."), source="t",
                    now=NOW)
    d = draft_of(example_engine)
    assert section_text(d, 2) == "There were no comments on the agenda, which was " \
                                 "subsequently adopted."
    assert d.sections[0].discussion[1].startswith("The purpose of the meeting was to discuss")
    other = next(s for s in d.sections if s.kind == "other")
    assert other.conclusions == ["The next meeting is in December."] and not other.discussion
    assert section_text(d, 7) == "The Chair closed the meeting."  # not its 17:30 schedule
    with unit_of_work(example_engine) as session:
        record_note(session=session, meeting=find_meeting(session, "5"), item_number=0,
                    note=parse_note("The Chair closed the meeting at 16:45."), source="t",
                    now=NOW)
    d = draft_of(example_engine)
    assert section_text(d, 7) == "The Chair closed the meeting at 16:45 (Zurich time)."
    assert section_text(d, 2) == section_text(draft_of(example_engine), 2)


def test_a_meeting_not_yet_held_says_so_and_invents_no_date(example_engine):
    with Session(example_engine) as session:
        img6 = build_draft(session=session, meeting=find_meeting(session, "6"), now=NOW)
        early = build_draft(session=session, meeting=find_meeting(session, "5"),
                            now=NOW - dt.timedelta(days=5))
        later = build_draft(session=session, meeting=find_meeting(session, "6"),
                            now=dt.datetime(2018, 1, 1, tzinfo=dt.UTC))
    assert img6.notice == "Draft — meeting not yet held" == early.notice
    assert img6.date == "December 2017 (date to be confirmed)"
    assert img6.sections[0].discussion[0] == (
        "The sixth meeting of the IMG is to take place in December 2017 (date to be confirmed), "
        "to be chaired by Mr. Hossein Fadaei of the Environment Management Group (EMG) "
        "Secretariat.")
    for fmt in ("md", "html"):
        text = render_minutes(img6, fmt, now=NOW).decode()
        assert "Draft — meeting not yet held" in text and "01 December" not in text
    docx_text = "\n".join(p.text for p in docx.Document(io.BytesIO(
        render_minutes(img6, "docx", now=NOW))).paragraphs)
    assert "Draft — meeting not yet held" in docx_text and "01 December" not in docx_text
    assert early.sections[0].discussion[0].startswith(
        "The fifth meeting of the IMG is to take place online on 05 October 2017")
    assert later.notice == "" and later.title == "6th IMG E-waste meeting — Draft Report"
    assert later.sections[0].discussion[0].startswith(
        "The sixth meeting of the IMG took place in December 2017, chaired by")
    # the 5th meeting is over at its end (17:30 in Geneva), not at its start
    with Session(example_engine) as session:
        during = build_draft(session=session, meeting=find_meeting(session, "5"),
                             now=dt.datetime(2017, 10, 5, 15, 0, tzinfo=dt.UTC))
        after = build_draft(session=session, meeting=find_meeting(session, "5"),
                            now=dt.datetime(2017, 10, 5, 15, 30, tzinfo=dt.UTC))
    assert (during.notice, after.notice) == ("Draft — meeting not yet held", "")


def test_an_item_without_notes_says_so(example_engine):
    d = draft_of(example_engine)
    assert all(s.empty for s in d.items) and not any(s.empty for s in d.sections
                                                     if s.kind != "item")
    assert render_minutes(d, "md", now=NOW).decode().count(
        "No notes were recorded for this item.") == 3


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


def test_minutes_commands_on_the_example(store_url, tmp_path):
    env = {"COALITION_STORE_URL": store_url}
    if not store_url.startswith("sqlite"):
        assert run_cli("db", "upgrade", env=env).returncode == 0
    assert run_cli("sync", env=env).returncode == 0
    imported = run_cli("minutes", "import", "5", str(NOTES), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "0 action items created, 5 next steps matched" in " ".join(imported.stdout.split())
    out = tmp_path / "img5.docx"
    result = run_cli("minutes", "draft", "5", "--format", "docx", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    document = docx.Document(out)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BRS and UNITAR confirmed their interest in taking a lead" in text
    assert "Ms. Marit Nilses from the United Nations Economic and Social Commission for Asia " \
           "and the Pacific (UNESCAP) asked whether" in text
    assert "The Chair replied that" in text and "The meeting agreed that" in text
    assert "The Chair closed the meeting at 17:00 GVA time." in text
    assert round(document.sections[0].page_width.mm) == 210
    assert sum(p.style.name == "List Bullet" for p in document.paragraphs) == 14  # 2 documents
    assert [r.cells[2].text for r in document.tables[0].rows[1:4]] == \
        ["UNIDO", "BRS Secretariat", "UN Environment"]
    noted = run_cli("minutes", "note", "img-5", "2", "Conclusion: A platform it is.", env=env)
    assert noted.returncode == 0 and "noted" in noted.stdout
    opening = run_cli("minutes", "note", "5", "0", "The Chair welcomed: the participants.",
                      env=env)
    assert opening.returncode == 0 and "noted" in opening.stdout
    later = run_cli("minutes", "note", "5", "later", "Conclusion: no.", env=env)
    assert later.returncode == 2 and later.stderr.startswith("error: ITEM: 'later' is neither")
    md = run_cli("minutes", "draft", "5", env=env).stdout
    assert "The Chair welcomed the participants.\n\n## 3. Work Stream 1" in md
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
