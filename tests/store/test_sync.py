import datetime as dt
import json
import shutil

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from store.datafile import DataFileError
from store.engine import unit_of_work
from store.models import Deadline, Meeting, Organisation, Person, WorkStreamRole
from store.sync import sync_file
from tests.conftest import EXAMPLE, NOW, run_cli


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
     r"organisations\[\d+\] \(BRS\), line \d+: unknown key 'colour'"),
    (lambda t: t + '\n[[deadlines]]\nkey = "x"\ntitle = "X"\ndue = "soon"\n',
     r"deadlines\[\d+\] \(x\), line \d+: due: cannot read 'soon'"),
    (lambda t: t + '\n[[deadlines]]\nkey = "y"\ntitle = "Y"\ndue = "May 2018"\nowner = "NOPE"\n',
     r"deadlines\[\d+\] \(y\), line \d+: owner: organisation 'NOPE' is not defined"),
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


def _entry(text_: str, key: str) -> tuple[int, int]:
    """Where the `[[...]]` entry holding `key = "..."` starts and ends in the file's text."""
    at = text_.index(f'key = "{key}"')
    return text_.rfind("[[", 0, at), text_.find("\n[[", at) + 1


def _sync(engine, path, **kw):
    with unit_of_work(engine) as session:
        return sync_file(session=session, path=path, now=NOW, **kw)


def _deadline(engine, key) -> Deadline:
    with Session(engine) as session:
        return session.exec(select(Deadline).where(Deadline.key == key)).one()


def test_an_edit_made_in_the_store_lasts_until_the_files_entry_changes(example_engine,
                                                                        tmp_path):
    """Done in Slack, re-opened in Slack, added in Slack, a meeting moved in Slack: syncs of
    the unchanged file leave them be; a changed entry is the secretariat's word again."""
    data = tmp_path / "data.toml"
    text_ = EXAMPLE.read_text()
    text_ = text_.replace('status = "done"\nsource = "EMG work plan 2017 (EMG/SOM.22/5), '
                          'activity 1 a)"', 'status = "done"\nsource = "EMG work plan 2017 '
                          '(EMG/SOM.22/5), activity 1 a)"')  # unchanged: done in the file
    data.write_text(text_)
    _sync(example_engine, data)
    moved = dt.datetime(2017, 12, 7, 9, 0, tzinfo=dt.UTC)
    with unit_of_work(example_engine) as session:  # what the Slack handlers write
        done = session.exec(select(Deadline).where(Deadline.key == "tor-ws1-ws2-draft")).one()
        done.status, done.done_at = "done", NOW
        reopened = session.exec(select(Deadline).where(Deadline.key == "wp2017-a-mapping")).one()
        reopened.status, reopened.done_at = "open", None
        meeting = session.exec(select(Meeting).where(Meeting.key == "img-6")).one()
        meeting.starts_at, meeting.precision = moved, "minute"
        session.add(Deadline(key="slack-item", title="Added in Slack", origin="slack"))
    for _ in range(3):
        assert not _sync(example_engine, data).changed
    assert _deadline(example_engine, "tor-ws1-ws2-draft").status == "done"
    assert _deadline(example_engine, "wp2017-a-mapping").status == "open"
    assert _deadline(example_engine, "slack-item").retired_at is None
    with Session(example_engine) as session:
        img6 = session.exec(select(Meeting).where(Meeting.key == "img-6")).one()
        assert (img6.starts_at, img6.precision) == (moved, "minute")
    start, end = _entry(text_, "tor-ws1-ws2-draft")
    entry = text_[start:end].replace('due = "November 2017"', 'due = "December 2017"')
    data.write_text(text_[:start] + entry + text_[end:])
    report = _sync(example_engine, data)
    assert report.updated == {"deadlines": 1}
    tor = _deadline(example_engine, "tor-ws1-ws2-draft")
    assert (tor.status, tor.due_text, tor.done_at) == ("open", "December 2017", None)


def test_a_store_whose_rows_have_no_entry_hash_yet_is_unchanged_by_the_same_file(engine):
    """After the upgrade that brings entry hashes, the first sync writes the hashes and
    reports (and changes) nothing else."""
    _sync(engine, EXAMPLE)
    with engine.begin() as conn:
        for table in ("organisation", "person", "workstream", "workstreamrole", "meeting",
                      "agendaitem", "attendance", "deadline"):
            conn.execute(text(f"UPDATE {table} SET entry_hash = ''"))
    before = json.loads(dump(engine))
    assert not _sync(engine, EXAMPLE).changed
    after = json.loads(dump(engine))
    before.pop("dataversion"), after.pop("dataversion")  # the hashes were written
    hashed = [row for rows in after.values() for row in rows if "entry_hash" in row]
    assert hashed and all(row["entry_hash"] for row in hashed)
    for row in hashed:
        row["entry_hash"] = ""
    assert after == before


def test_co_owners_and_the_meeting_that_agreed_an_action_item(example_engine):
    from store.deadlines import owners_of

    with Session(example_engine) as session:
        tor = session.exec(select(Deadline).where(Deadline.key == "ws1-tor-comments")).one()
        img5 = session.exec(select(Meeting).where(Meeting.key == "img-5")).one()
        assert [a for _, a in owners_of(session=session, deadline_ids=[tor.id])[tor.id]] == \
            ["BRS", "UNITAR"]
        assert (tor.kind, tor.from_meeting_id, tor.owner_organisation_id) == \
            ("action", img5.id, session.exec(select(Organisation.id).where(
                Organisation.acronym == "BRS")).one())


def test_a_file_that_would_retire_more_than_half_is_refused_unless_allowed(example_engine,
                                                                          tmp_path):
    from store.sync import SyncRefused

    before = dump(example_engine)
    empty = tmp_path / "empty.toml"
    empty.write_text("# cut short while being edited\n")
    with pytest.raises(SyncRefused, match=r"would retire 14 of 14 organisations, 13 of 13 "
                       r"people, 7 of 7 work streams, 7 of 7 meetings, 22 of 22 deadlines"):
        _sync(example_engine, empty)
    assert dump(example_engine) == before
    half = tmp_path / "half.toml"
    text_ = EXAMPLE.read_text()
    half.write_text(text_[:text_.index("# Next steps agreed at the 5th IMG")])  # 9 of 22 kept
    with pytest.raises(SyncRefused, match=r"13 of 22 deadlines \(more than half"):
        _sync(example_engine, half)
    report = _sync(example_engine, half, allow_retire=True)
    assert report.retired == {"deadlines": 13}
    assert _sync(example_engine, EXAMPLE).updated == {"deadlines": 13}  # back to life


def test_sync_cli_refuses_an_empty_file_with_the_counts_and_allow_retire_imports_it(
        store_url, tmp_path):
    env = {"COALITION_STORE_URL": store_url}
    if not store_url.startswith("sqlite"):
        assert run_cli("db", "upgrade", env=env).returncode == 0
    assert run_cli("sync", str(EXAMPLE), env=env).returncode == 0
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    refused = run_cli("sync", str(empty), env=env)
    assert refused.returncode == 2, refused.stderr
    lines = refused.stderr.splitlines()
    assert lines[0].startswith(f"error: {empty} would retire 14 of 14 organisations")
    assert lines[1] == "hint: if the file is right, run `coalition sync --allow-retire`"
    assert "Traceback" not in refused.stderr
    allowed = run_cli("sync", "--allow-retire", str(empty), env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert "retired 7 agenda items, 22 deadlines" in " ".join(allowed.stdout.split())


def test_a_slack_id_the_file_gives_moves_from_whoever_the_bot_remembered_with_it(example_engine,
                                                                              tmp_path):
    with unit_of_work(example_engine) as session:
        nelson = session.exec(select(Person).where(
            Person.email == "nelson.manda@example.org")).one()
        nelson.slack_user_id = "U0TATIANA"  # remembered from Slack, before an address change
    data = tmp_path / "data.toml"
    data.write_text(EXAMPLE.read_text().replace(
        'name = "Tatiana Terekhova"', 'name = "Tatiana Terekhova"\nslack_user_id = "U0TATIANA"'))
    assert _sync(example_engine, data).updated == {"people": 1}
    with Session(example_engine) as session:
        holders = session.exec(select(Person.email).where(
            Person.slack_user_id == "U0TATIANA")).all()
    assert holders == ["tatiana.terekhova@example.org"]
