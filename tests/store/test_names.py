"""Names as people write them, matched in one place for the answers, the notes and the forms."""

from __future__ import annotations

from sqlmodel import Session

from store.names import find_organisations, find_people, find_work_streams, owners_named

OWNERS = [
    ("BRS and UNITAR", ["BRS", "UNITAR"]),
    ("EMG Secretariat", ["EMG"]),
    ("the EMG Secretariat, ITU & UNU", ["EMG", "ITU", "UNU"]),
    ("SAICM/Pollution and Health Unit (UN Environment)", ["SAICM"]),  # one alias, not two
    ("UN Environment and ITU", ["UNEP", "ITU"]),
    ("BRS and BRS Secretariat", ["BRS"]),
    ("Countries", []),
]


def test_every_organisation_a_next_steps_owner_names_in_order(shared_example_engine):
    with Session(shared_example_engine) as session:
        found = [(owner, [o.acronym for o in owners_named(session=session, text=owner)])
                 for owner, _ in OWNERS]
    assert found == OWNERS


def test_names_are_found_whatever_the_accents_titles_and_number_words(shared_example_engine):
    with Session(shared_example_engine) as session:
        assert [p.email for p in find_people(session=session, query="Ms. Jannica Pitkanen-"
                                             "Brunnsberg")] == \
            ["jannica.pitkanen-brunnsberg@example.org"]
        assert [w.key for w in find_work_streams(session=session,
                                                 query="work stream one.")] == ["ws1"]
        assert [o.acronym for o in find_organisations(session=session,
                                                      query="UN ESCAP")] == ["UNESCAP"]
