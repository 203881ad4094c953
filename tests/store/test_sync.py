import json
import shutil

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from store.datafile import DataFileError
from store.engine import unit_of_work
from store.models import Deadline, Meeting, Organisation, Person, WorkStreamRole
from store.sync import sync_file
from tests.conftest import EXAMPLE, NOW


def dump(engine) -> str:
    """Every row of every table, in key order: the store's content, byte for byte."""
    tables = sorted(t for t in inspect(engine).get_table_names() if t != "alembic_version")
    out = {}
    with engine.connect() as conn:
        for table in tables:
            rows = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY id')).mappings().all()
            out[table] = [{k: str(v) for k, v in row.items()} for row in rows]
    return json.dumps(out, sort_keys=True)


def test_example_syncs_every_kind_of_reference_data(example_engine):
    with Session(example_engine) as session:
        acronyms = {o.acronym for o in session.exec(select(Organisation))}
        assert {"EMG", "UNEP", "ITU", "UNU", "UNITAR", "ILO", "UNIDO", "BRS", "SAICM",
                "UNESCAP", "DFS", "IETC", "WEF", "WBCSD"} <= acronyms
        emails = {p.email for p in session.exec(select(Person))}
        assert "tatiana.terekhova@example.org" in emails
        meeting = session.exec(select(Meeting).where(Meeting.key == "img-5")).one()
        assert meeting.starts_at.tzinfo is not None
        assert meeting.starts_at.isoformat() == "2017-10-05T13:30:00+00:00"


def test_second_sync_changes_nothing(engine):
    with unit_of_work(engine) as session:
        first = sync_file(session=session, path=EXAMPLE, now=NOW)
    assert first.changed
    before = dump(engine)
    with unit_of_work(engine) as session:
        second = sync_file(session=session, path=EXAMPLE, now=NOW.replace(hour=12))
    assert not second.changed, second.summary()
    assert dump(engine) == before


def test_edited_file_updates_rows_and_removed_items_are_retired(engine, tmp_path):
    edited = tmp_path / "data.toml"
    shutil.copy(EXAMPLE, edited)
    with unit_of_work(engine) as session:
        sync_file(session=session, path=edited, now=NOW)
    text_ = edited.read_text()
    text_ = text_.replace('title = "Distribute draft Terms of Reference for Work Stream 1 and 2"',
                          'title = "Distribute the draft ToR"')
    start = text_.index('acronym = "WBCSD"')
    block_start = text_.rfind("[[organisations]]", 0, start)
    block_end = text_.index("[[", start)
    edited.write_text(text_[:block_start] + text_[block_end:])
    with unit_of_work(engine) as session:
        report = sync_file(session=session, path=edited, now=NOW)
    assert report.updated["deadlines"] == 1
    assert report.retired["organisations"] == 1
    with Session(engine) as session:
        tor = session.exec(select(Deadline).where(Deadline.key == "tor-ws1-ws2-draft")).one()
        assert tor.title == "Distribute the draft ToR"
        wbcsd = session.exec(select(Organisation).where(Organisation.acronym == "WBCSD")).one()
        assert wbcsd.retired_at is not None
    shutil.copy(EXAMPLE, edited)
    with unit_of_work(engine) as session:
        sync_file(session=session, path=edited, now=NOW)
    with Session(engine) as session:
        wbcsd = session.exec(select(Organisation).where(Organisation.acronym == "WBCSD")).one()
        assert wbcsd.retired_at is None


@pytest.mark.parametrize(("mutation", "message"), [
    (lambda t: t.replace('acronym = "BRS"', 'acronym = "BRS"\ncolour = "blue"', 1),
     r"organisations\[\d+\] \(BRS\), line \d+: colour: Extra inputs are not permitted"),
    (lambda t: t + '\n[[deadlines]]\nkey = "x"\ntitle = "X"\ndue = "soon"\n',
     r"deadlines\[\d+\] \(x\), line \d+: due: .*cannot read 'soon'"),
    (lambda t: t + '\n[[deadlines]]\nkey = "y"\ntitle = "Y"\ndue = "May 2018"\nowner = "NOPE"\n',
     r"deadlines\[\d+\] \(y\), line \d+: organisation 'NOPE' is not defined"),
    (lambda t: t + "\n[[people]\n", r"not valid TOML: .*line"),
])
def test_bad_data_file_names_the_item_and_changes_nothing(example_engine, tmp_path, mutation,
                                                          message):
    before = dump(example_engine)
    bad = tmp_path / "bad.toml"
    bad.write_text(mutation(EXAMPLE.read_text()))
    with pytest.raises(DataFileError, match=message), unit_of_work(example_engine) as session:
        # Rename a row first: the failed sync must roll this back too.
        session.exec(select(WorkStreamRole)).first().note = "changed in the failed unit"
        sync_file(session=session, path=bad, now=NOW)
    assert dump(example_engine) == before
