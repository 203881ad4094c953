"""A data file that cannot be used gets one message: every problem at once, each at the line
of the offending field, in plain words; odd input of any kind (wrong encoding, deep nesting,
dates out of range, ids defined twice, huge numbers, NUL) is one such message, exit 2, and
the store is unchanged."""

from __future__ import annotations

import re

import pytest

from store.datafile import DataFileError, load_data_file
from store.datafile_text import LineIndex
from store.engine import unit_of_work
from store.sync import sync_file
from tests.conftest import EXAMPLE, NOW, run_cli
from tests.store.test_sync import dump

TEXT = EXAMPLE.read_text()


def _line_of(text: str, needle: str, after: str = "") -> int:
    """The line number of `needle` (the first after `after`) in `text`."""
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


def _problems(path) -> str:
    with pytest.raises(DataFileError) as caught:
        load_data_file(path)
    return str(caught.value)


def test_every_problem_is_said_at_once_each_at_the_line_of_its_field(tmp_path):
    text = (TEXT.replace('acronym = "BRS"', 'acronym = "BRS"\ncolour = "blue"', 1)
            .replace('kind = "partner"', 'kind = "partnr"', 1)
            .replace('owner = "UNITAR"', 'owner = "UNITARR"', 1)
            .replace('due = "June 2018"', 'due = "soon"', 1)
            + '\n[[deadline]]\nkey = "x"\n')
    path = tmp_path / "data.toml"
    path.write_text(text)
    message = _problems(path)
    head, *lines = message.splitlines()
    assert head == f"{path}: 5 problems, nothing was imported:"
    assert lines == [
        f"  organisations[8] (BRS), line {_line_of(text, 'colour')}: unknown key 'colour'",
        f"  organisations[13] (WEF), line {_line_of(text, 'partnr')}: kind: 'partnr' is not "
        "one of 'member', 'partner', 'secretariat' (did you mean 'partner'?)",
        f"  deadlines[3] (ws1-proposal-draft), line {_line_of(text, 'UNITARR')}: owner: "
        "organisation 'UNITARR' is not defined in the file (did you mean 'UNITAR'?)",
        f"  deadlines[4] (ws2-platform-contribution), line {_line_of(text, 'soon')}: due: "
        "cannot read 'soon' as a date or period (e.g. 2017-11-30, 'November 2017', "
        "'Sept-Dec 16', 'Ongoing')",
        f"  line {_line_of(text, '[[deadline]]')}: unknown section 'deadline' (did you mean "
        "'deadlines'?)",
    ]


def test_the_words_are_plain_not_the_validators(tmp_path):
    path = tmp_path / "data.toml"
    path.write_text('[[people]]\nemail = "not an address"\nname = "X"\ntitel = "Ms."\n'
                    '[[organisations]]\nacronym = "X"\n'
                    '[[meetings]]\nkey = "Img 9"\ntitle = "T"\nstarts = "tomorrow"\n')
    message = _problems(path)
    for pydantic_says in ("Value error", "Field required", "String should match",
                          "Extra inputs", "Input should be"):
        assert pydantic_says not in message
    assert "people[1] (not an address), line 2: email: 'not an address' is not an email " \
        "address" in message
    assert "line 4: unknown key 'titel' (did you mean 'title'?)" in message
    assert "organisations[1] (X), line 5: name is missing" in message
    assert "meetings[1] (Img 9), line 8: key: 'Img 9': a key is lower-case letters" in message
    assert "line 10: starts: must be a date and time (2017-10-05T15:30:00) or a date " \
        "(2017-10-05), not 'tomorrow'" in message


def _latin1(text: str) -> bytes:
    return text.encode("latin-1", errors="replace")  # as an editor saving in latin-1


ODD = [
    ("latin-1", lambda: _latin1(TEXT), r"is not UTF-8: line \d+ has the byte 0xe4 \(it reads "
     r"as Windows-1252/latin-1 there: …name = \"Jannica Pitkänen"),
    ("UTF-16", lambda: TEXT.encode("utf-16"), r"is UTF-16 .*save it as UTF-8"),
    ("deep nesting", lambda: ("x = " + "[" * 3000 + "]" * 3000 + "\n").encode(),
     r"nested too deeply"),
    ("year 9999", lambda: TEXT.replace("starts = 2017-10-05T15:30:00\nends = 2017-10-05T17:30:00",
                                       "starts = 9999-12-31T23:30:00").encode(),
     r"meetings\[1\] \(img-5\), line \d+: starts: 9999-12-31T23:30:00 is out of range "
     r"\(years 1900-2200\)"),
    ("a period in year 9999", lambda: TEXT.replace('due = "May 2018"', 'due = "May 9999"',
                                                  1).encode(),
     r"deadlines\[2\] \(ws1-analysis-results\), line \d+: due: 9999 is out of range"),
    ("a person twice", lambda: (TEXT + '\n[[people]]\nemail = "Nelson.Manda@example.org"\n'
                                'name = "N"\n').encode(),
     r"people\[14\] \(Nelson.Manda@example.org\), line \d+: email: 'Nelson.Manda@example.org' "
     r"is defined twice \(first as people\[10\]\)"),
    ("one Slack id for two people", lambda: TEXT.replace(
        'name = "Tatiana Terekhova"', 'name = "Tatiana Terekhova"\nslack_user_id = "U1"').replace(
        'name = "Nelson Manda"', 'name = "Nelson Manda"\nslack_user_id = "U1"').encode(),
     r"people\[10\] \(nelson.manda@example.org\), line \d+: slack_user_id: U1 is already the "
     r"Slack user id of tatiana.terekhova@example.org"),
    ("a participant twice", lambda: TEXT.replace('  "garam.bel@example.org",\n]',
                                                 '  "garam.bel@example.org",\n'
                                                 '  "Alfredo.Cueva@example.org",\n]').encode(),
     r"meetings\[1\] \(img-5\), line \d+: participants\[14\]: Alfredo.Cueva@example.org is "
     r"listed twice"),
    ("a role twice", lambda: TEXT.replace(
        '[[work_streams.roles]]\norganisation = "EMG"',
        '[[work_streams.roles]]\norganisation = "brs"\nrole = "lead"\n\n'
        '[[work_streams.roles]]\norganisation = "EMG"').encode(),
     r"work_streams\[1\] \(ws1\), line \d+: roles\[3\]: brs has the role 'lead' twice"),
    ("a huge number", lambda: TEXT.replace("number = 5\n", "number = 99999999999999999999999\n",
                                           1).encode(),
     r"meetings\[1\] \(img-5\), line \d+: number: 99999999999999999999999 is too large "
     r"\(at most 100000\)"),
    ("NUL", lambda: TEXT.replace('title = "5th IMG E-waste meeting"',
                                 'title = "5th IMG\\u0000 E-waste meeting"').encode(),
     r"meetings\[1\] \(img-5\), line \d+: title: contains a control character \(NUL\)"),
    ("a NUL byte", lambda: TEXT.replace('name = "UN Environment"',
                                        'name = "UN \x00Environment"').encode(),
     r"not valid TOML: .*line"),
    ("a key defined twice in TOML", lambda: TEXT.replace('name = "UN Environment"',
                                                         'name = "UN Environment"\nname = "x"'
                                                         ).encode(),
     r"not valid TOML: .*line"),
]


@pytest.mark.parametrize(("name", "make", "said"), ODD, ids=[case[0] for case in ODD])
def test_odd_input_is_one_clear_message(tmp_path, name, make, said):
    path = tmp_path / "data.toml"
    path.write_bytes(make())
    message = _problems(path)
    assert re.search(said, message), message
    assert len(message.splitlines()) == 1


def test_odd_input_leaves_the_store_unchanged(example_engine, tmp_path):
    before = dump(example_engine)
    for name, make, _ in ODD:
        path = tmp_path / f"{name}.toml"
        path.write_bytes(make())
        with pytest.raises(DataFileError), unit_of_work(example_engine) as session:
            sync_file(session=session, path=path, now=NOW)
    assert dump(example_engine) == before


def test_sync_of_an_odd_file_exits_2_with_one_error_line(tmp_path):
    path = tmp_path / "data.toml"
    path.write_bytes(("x = " + "[" * 3000 + "]" * 3000 + "\n").encode())
    result = run_cli("sync", str(path), env={"COALITION_STORE_URL":
                                             f"sqlite:///{tmp_path}/store.db"})
    assert result.returncode == 2
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == \
        [f"error: {path}: not valid TOML: values are nested too deeply (arrays or tables "
         f"inside each other hundreds of levels deep)"]
    assert "Traceback" not in result.stderr


def test_the_line_index_finds_tables_keys_and_array_elements_in_one_pass():
    text = '''# a comment with key = "value"
[[meetings]]
key = "a"
purpose = """several
lines, one with
fake = "key" and [[meetings]]"""
participants = [
  "one@example.org",  # a comment
  "two@example.org", "three@example.org",
]

[[meetings.agenda]]
number = 1
"quoted key" = 2
inline = [{ a = 1 }, { a = [2, 3] }]

[[meetings]]
key = "b"
'''
    index = LineIndex(text)
    assert index.line(("meetings", 0)) == 2
    assert index.line(("meetings", 0, "purpose")) == 4
    assert index.line(("meetings", 0, "participants", 0)) == 8
    assert index.line(("meetings", 0, "participants", 2)) == 9
    assert index.line(("meetings", 0, "agenda", 0, "number")) == 13
    assert index.line(("meetings", 0, "agenda", 0, "quoted key")) == 14
    assert index.line(("meetings", 0, "agenda", 0, "inline", 1)) == 15
    assert index.line(("meetings", 1)) == 17
    assert index.line(("meetings", 1, "key")) == 18
    assert index.line(("meetings", 1, "missing")) == 17  # a field not written: its item
