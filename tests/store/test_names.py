"""Names as people write them, matched in one place for the answers, the notes and the forms."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from store.names import find_organisations, find_people, find_work_streams, owners_named


@pytest.mark.parametrize(("owner", "acronyms"), [
    ("BRS and UNITAR", ["BRS", "UNITAR"]),
    ("EMG Secretariat", ["EMG"]),
    ("the EMG Secretariat, ITU & UNU", ["EMG", "ITU", "UNU"]),
    ("SAICM/Pollution and Health Unit (UN Environment)", ["SAICM"]),  # one alias, not two
    ("UN Environment and ITU", ["UNEP", "ITU"]),
    ("BRS and BRS Secretariat", ["BRS"]),
    ("Countries", []),
])
def test_every_organisation_a_next_steps_owner_names_in_order(example_engine, owner, acronyms):
    with Session(example_engine) as session:
        assert [o.acronym for o in owners_named(session=session, text=owner)] == acronyms


def test_names_are_found_whatever_the_accents_titles_and_number_words(example_engine):
    with Session(example_engine) as session:
        assert [p.email for p in find_people(session=session, query="Ms. Jannica Pitkanen-"
                                             "Brunnsberg")] == \
            ["jannica.pitkanen-brunnsberg@example.org"]
        assert [w.key for w in find_work_streams(session=session,
                                                 query="work stream one.")] == ["ws1"]
        assert [o.acronym for o in find_organisations(session=session,
                                                      query="UN ESCAP")] == ["UNESCAP"]
