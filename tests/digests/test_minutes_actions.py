"""A meeting's next steps as action items: once each, with every owner they name and their
whole sentence; one that says what an item already listed says updates that item."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.dispatch import Asker, answer
from bot.router import parse
from digests.minutes.actions import sync_actions
from digests.minutes.notes import parse_note, record_note
from store.deadlines import owners_of
from store.engine import unit_of_work
from store.meetings import find_meeting
from store.models import Deadline, MeetingNote
from tests.conftest import NOW


def note(engine, item: int, text: str):
    with unit_of_work(engine) as session:
        meeting = find_meeting(session=session, ref="5")
        record_note(session=session, meeting=meeting, item_number=item, note=parse_note(text),
                    source="test", now=NOW)
        made = sync_actions(session=session, meeting=meeting, now=NOW)
        return made.created, made.updated


def item_of(engine, text: str) -> tuple[Deadline, list[str]]:
    with Session(engine) as session:
        found = session.exec(select(MeetingNote).where(MeetingNote.text.startswith(text))
                             .order_by(MeetingNote.id)).first()
        item = session.get(Deadline, found.action_id)
        owners = [a for _, a in owners_of(session=session, deadline_ids=[item.id])[item.id]]
        return item, owners


def test_a_next_step_of_two_organisations_is_both_theirs_with_its_whole_sentence(
        example_engine):
    assert note(example_engine, 1, "Next step: BRS and UNITAR to circulate the revised terms "
                "of reference by 2018-01-15") == (1, 0)
    item, owners = item_of(example_engine, "circulate the revised")
    assert item.title == "BRS and UNITAR to circulate the revised terms of reference"
    assert owners == ["BRS", "UNITAR"] and item.kind == "action"
    assert (item.due_text, item.due_on.isoformat()) == ("2018-01-15", "2018-01-15")
    with Session(example_engine) as session:
        unitar = answer(parse("deadlines org UNITAR"), session=session, now=NOW, asker=Asker())
    assert item.key in [d.key for d in unitar.upcoming]
    with unit_of_work(example_engine) as session:  # drafting again makes nothing new
        again = sync_actions(session=session, meeting=find_meeting(session=session, ref="5"),
                             now=NOW)
    assert (again.created, again.updated) == (0, 0)


def test_a_next_step_due_in_a_month_keeps_the_month(example_engine):
    note(example_engine, 2, "Next step: ITU to name its new focal point in January 2018.")
    item, owners = item_of(example_engine, "name its new focal point")
    assert item.title == "ITU to name its new focal point in January 2018"
    assert (item.due_text, item.starts_on.isoformat(), item.due_on.isoformat()) == \
        ("January 2018", "2018-01-01", "2018-01-31")
    assert owners == ["ITU"]


def test_a_next_step_the_data_file_lists_updates_that_item_instead_of_adding_one(
        example_engine):
    """`from_meeting = "img-5"`: "EMG and ITU to recruit ..." is the item the file lists as
    EMG's; ITU joins its owners, its title and date stand."""
    with Session(example_engine) as session:
        before = len(session.exec(select(Deadline)).all())
    assert note(example_engine, 2, "Next step: EMG and ITU to recruit a second lead entity to "
                "support Work Stream Two.") == (0, 1)
    item, owners = item_of(example_engine, "recruit a second lead")
    assert item.key == "ws2-second-lead" and owners == ["EMG", "ITU"]
    assert (item.title, item.due_text) == ("EMG to recruit a second lead entity to support "
                                           "Work Stream Two", "Ongoing")
    with Session(example_engine) as session:
        assert len(session.exec(select(Deadline)).all()) == before


def test_a_next_step_said_again_with_a_date_updates_the_item_the_first_one_made(example_engine):
    assert note(example_engine, 3, "Next step: UNEP to map the platforms.") == (1, 0)
    assert note(example_engine, 3, "Next step: UNEP to Map the platforms by 2017-12-15.") == \
        (0, 1)
    item, _ = item_of(example_engine, "map the platforms.")
    assert item.due_on.isoformat() == "2017-12-15"  # it had none: the later note gives it
    with Session(example_engine) as session:
        notes = session.exec(select(MeetingNote).where(
            MeetingNote.text.in_(["map the platforms.", "Map the platforms."]))).all()
    assert len(notes) == 2
    assert {n.action_id for n in notes} == {item.id}
