import datetime as dt

from sqlmodel import Session

from bot import answers
from bot.dispatch import Asker, answer
from bot.router import parse
from bot.text import render

OCT_1 = dt.datetime(2017, 9, 30, 22, 0, tzinfo=dt.UTC)  # 1 October 2017, 00:00 in Geneva
OCT_6 = dt.datetime(2017, 10, 6, 8, 0, tzinfo=dt.UTC)


def ask(engine, text, now=OCT_6):
    with Session(engine) as session:
        result = answer(parse(text), session=session, now=now, asker=Asker())
        return result, render(result)


def test_who_leads_work_stream_one_is_brs_and_unitar(example_engine):
    for question in ("who leads work stream 1", "lead ws1", "who leads work stream one?",
                     "who is leading the further e-waste analysis"):
        result, text = ask(example_engine, question)
        assert isinstance(result, answers.LeadAnswer), question
        assert {r.organisation for r in result.leads} == {"BRS", "UNITAR"}, question
        assert "BRS" in text and "UNITAR" in text
    support = [r.organisation for r in result.roles if r.role == "support"]
    assert "EMG" in support


def test_work_stream_two_has_no_lead_and_says_one_is_being_recruited(example_engine):
    result, text = ask(example_engine, "who leads work stream 2")
    assert result.work_stream.key == "ws2"
    assert result.no_lead
    assert "No lead yet" in text
    assert "recruit" in text.lower()
    assert "SAICM" in text


def test_knowledge_sharing_alias_finds_work_stream_two(example_engine):
    result, _ = ask(example_engine, "lead knowledge sharing")
    assert result.work_stream.key == "ws2"


def test_agenda_for_meeting_5_lists_its_three_items(example_engine):
    result, text = ask(example_engine, "agenda for meeting 5", now=OCT_1)
    meeting = result.meeting
    assert meeting.number == 5
    assert [item.number for item in meeting.agenda] == [1, 2, 3]
    assert meeting.agenda[0].work_stream == "ws1"
    assert "Work Stream 1" in text and "Work Plan 2017/18" in text
    assert "Thursday 05 October 2017, 15:30" in text


def test_next_meeting_before_the_fifth_is_the_fifth(example_engine):
    result, _ = ask(example_engine, "agenda", now=OCT_1)
    assert result.meeting.key == "img-5"


def test_next_deadlines_start_with_the_november_terms_of_reference(example_engine):
    result, text = ask(example_engine, "next deadlines")
    assert result.upcoming[0].key == "tor-ws1-ws2-draft"
    assert result.upcoming[0].due_text == "November 2017"
    assert result.upcoming[0].days_left is None  # a month: no day to count down to
    assert "due November 2017 [EMG, ws1]" in text
    assert all(not d.overdue for d in result.upcoming)
    assert all(d.overdue for d in result.overdue)
    assert text.index("Distribute draft Terms of Reference") < text.index("Overdue")


def test_deadlines_for_one_work_stream_and_one_organisation(example_engine):
    result, _ = ask(example_engine, "deadlines 3 ws ws1")
    assert result.scope == "work stream ws1"
    assert 0 < len(result.upcoming) <= 3
    assert all(d.work_stream == "ws1" for d in result.upcoming + result.overdue)
    result, _ = ask(example_engine, "deadlines org BRS")
    assert all("BRS" in d.owners for d in result.upcoming + result.overdue)
    assert "ws1-tor-comments" in [d.key for d in result.upcoming]  # with UNITAR


def test_who_is_an_organisation_and_a_person(example_engine):
    result, text = ask(example_engine, "who BRS")
    assert result.organisation.acronym == "BRS"
    assert ("ws1", "Further e-waste analysis", "lead") in [
        (k, n, r) for k, n, r in result.organisation.roles]
    result, text = ask(example_engine, "who is Tatiana Terekhova")
    assert result.person.organisation == "BRS"
    assert "Terekhova" in text


def test_unknown_questions_get_the_help(example_engine):
    result, text = ask(example_engine, "sing me a song, please")
    assert "agenda" in text and "deadlines" in text and "lead" in text
