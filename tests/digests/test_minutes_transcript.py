"""`coalition minutes transcript`: a Teams WebVTT transcript of the 5th meeting (3 participants
who speak, one guest the data file does not know, two agenda items) becomes the notes file
that is expected, and importing it gives a draft."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session

from digests.minutes.notes import find_meeting
from digests.minutes.transcript import (
    TranscriptError,
    Turn,
    clean,
    match_speaker,
    parse_speaker_options,
    read_cues,
    split_by_item,
    transcript_notes,
)
from tests.conftest import run_cli

HERE = Path(__file__).resolve().parent / "transcripts"
TEAMS = HERE / "img5-teams.vtt"
ITEMS = {1: "Work Stream 1: Interactive discussion on undertaking a programmatic analysis",
         2: "Work Stream 2: Interactive discussion on the systematic sharing of knowledge",
         3: "Brief overview of the draft Work Plan 2017/18"}


def notes_of(engine, text: str, speakers: dict | None = None):
    with Session(engine) as session:
        return transcript_notes(session=session, meeting=find_meeting(session, "5"), text=text,
                                name="img5-teams.vtt", speakers=speakers or {}, ref="5")


def test_a_teams_transcript_gives_the_expected_notes_file(example_engine):
    notes = notes_of(example_engine, TEAMS.read_text(encoding="utf-8"))
    assert notes.text == (HERE / "img5-teams.expected.txt").read_text(encoding="utf-8")
    assert {raw: p.email for raw, p in notes.matched.items()} == {
        "Hossein Fadaei": "hossein.fadaei@example.org",
        "Terekhova, Tatiana (BRS)": "tatiana.terekhova@example.org",
        "Jannica Pitkanen-Brunnsberg": "jannica.pitkanen-brunnsberg@example.org"}
    assert dict(notes.unmatched) == {"Helen Carter": 1} and notes.warnings == []


def test_a_speaker_given_by_email_is_matched(example_engine):
    notes = notes_of(example_engine, TEAMS.read_text(encoding="utf-8"),
                     {"helen carter": "Garam.Bel@example.org"})
    assert notes.matched["Helen Carter"].email == "garam.bel@example.org"
    assert not notes.unmatched
    assert "1 Mr. Garam Bel (EMG): Could the analysis include the needs of countries, as under " \
           "item 3?" in \
        notes.text.splitlines()


@pytest.mark.parametrize("speakers, message", [
    ({"Helen Karter": "garam.bel@example.org"}, "--speaker 'Helen Karter': nobody of that name"),
    ({"Helen Carter": "nobody@example.org"}, "no person has the email 'nobody@example.org'"),
])
def test_a_speaker_option_that_cannot_be_used_is_refused(example_engine, speakers, message):
    with pytest.raises(TranscriptError, match=message) as refused:
        notes_of(example_engine, TEAMS.read_text(encoding="utf-8"), speakers)
    assert refused.value.exit_code == 2


@pytest.mark.parametrize("option", ["Helen Carter", "=garam.bel@example.org", "Helen=garam"])
def test_a_speaker_option_reads_raw_name_equals_email(option):
    with pytest.raises(TranscriptError, match='expected "Raw Name=email"'):
        parse_speaker_options([option])


@pytest.mark.parametrize("text", ["", "Hossein Fadaei: hello", "WEBVTT\n\n00:01.000 --> bad\nx\n"])
def test_what_is_not_a_transcript_is_refused(text):
    with pytest.raises(TranscriptError, match="not a WebVTT transcript|no spoken text"):
        read_cues(text, name="x.vtt")


def test_zoom_cues_name_their_speaker_before_a_colon_and_a_cue_without_continues_it():
    cues = read_cues("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nHossein Fadaei: Good "
                     "afternoon.\n\n2\n00:00:03.000 --> 00:00:05.000\nthe point is: we start."
                     "\n\n3\n00:00:05.000 --> 00:00:07.000\nMarit Nilses: Thank you.\n")
    assert [(c.speaker, c.text) for c in cues] == [
        ("Hossein Fadaei", "Good afternoon."), ("Hossein Fadaei", "the point is: we start."),
        ("Marit Nilses", "Thank you.")]


@pytest.mark.parametrize("said, kept", [
    ("So, um, the plan is ready.", "So, the plan is ready."),
    ("Uh, we would like to follow this.", "We would like to follow this."),
    ("BRS is, you know, interested.", "BRS is interested."),
    ("You know, it matters.", "It matters."),
    ("It matters, you know.", "It matters."),
    ("As you know, it matters.", "As you know, it matters."),
    ("What the the work will involve, uh, a report.", "What the work will involve, a report."),
    ("Hmm. Erm, yes.", "Yes."),
    ("The number of members is umbrella-wide.", "The number of members is umbrella-wide."),
])
def test_filler_is_dropped_and_the_words_kept(said, kept):
    assert clean(said) == kept


def test_turns_go_under_the_item_the_chair_moves_on_to():
    turns = [Turn("chair", "Welcome. Let us start with agenda item one."),
             Turn("ms", "A point on the work stream."),
             Turn("ms", "As said under item 3, later."),  # not the chair: no move
             Turn("chair", "Thank you. Moving on to work stream two, the sharing of knowledge."),
             Turn("ms", "A second point."),
             Turn("chair", "We now come to the next item."),
             Turn("chair", "Any other business? No. I close the meeting.")]
    assert split_by_item(turns, ITEMS, mover=lambda t: t.speaker == "chair")
    assert [(t.place, t.text) for t in turns] == [
        ("opening", "Welcome."), (1, "Let us start with agenda item one."),
        (1, "A point on the work stream."), (1, "As said under item 3, later."),
        (1, "Thank you."), (2, "Moving on to work stream two, the sharing of knowledge."),
        (2, "A second point."), (3, "We now come to the next item."),
        ("other", "Any other business? No."), ("closure", "I close the meeting.")]


def test_without_a_move_every_turn_is_under_item_one():
    turns = [Turn("chair", "Welcome."), Turn("ms", "A point.")]
    assert not split_by_item(turns, ITEMS, mover=lambda t: True)
    assert [t.place for t in turns] == [1, 1]
    turns = [Turn("chair", "Welcome. Moving on to item 2.")]
    split_by_item(turns, ITEMS, mover=lambda t: True)
    assert [(t.place, t.text) for t in turns] == [(1, "Welcome."), (2, "Moving on to item 2.")]


@dataclass
class P:
    id: int
    name: str


PEOPLE = [P(1, "Hossein Fadaei"), P(2, "Doris Maritza Delgado"),
          P(3, "Jannica Pitkänen-Brunnsberg"), P(4, "Marit Nilses"), P(5, "Marit Olsen")]


@pytest.mark.parametrize("raw, person", [
    ("Hossein Fadaei", 1), ("FADAEI Hossein", 1), ("Fadaei, Hossein (EMG)", 1),
    ("Mr. Hossein Fadaei", 1), ("Doris Delgado", 2), ("Jannica Pitkanen-Brunnsberg", 3),
    ("Marit", None), ("Helen Carter", None), ("Hossein", None),
])
def test_speakers_are_matched_by_name_titles_dropped_accents_folded(raw, person):
    found = match_speaker(raw, PEOPLE)
    assert (found.id if found else None) == person


def test_the_command_writes_notes_that_import_into_a_draft(tmp_path):
    """On SQLite: the queries behind it run on both backends in the tests above."""
    env = {"COALITION_STORE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    assert run_cli("sync", env=env).returncode == 0
    out = tmp_path / "notes.txt"
    made = run_cli("minutes", "transcript", "5", str(TEAMS), "--out", str(out), env=env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == f"wrote {out}: 8 turns, 3 speakers matched, 1 not matched"
    assert made.stderr.strip() == ('not matched: Helen Carter (1 turn); give --speaker '
                                   '"Helen Carter=EMAIL" or edit its lines')
    imported = run_cli("minutes", "import", "5", str(out), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "8 notes added" in imported.stdout
    draft = run_cli("minutes", "draft", "5", env=env).stdout
    ws1 = draft.split("## 3. ")[1].split("## 4. ")[0]
    assert "Ms. Tatiana Terekhova from the Secretariat of the Basel, Rotterdam and Stockholm " \
           "Conventions (BRS) noted that Thank you, Chair. BRS is interested" in ws1
    assert "Helen Carter: Could the analysis include the needs of countries, as under item 3?" \
        in ws1
    assert "InforMEA is a good platform & it is already maintained" in draft.split("## 4. ")[1]
    assert "The Chair noted that Thank you all, I close the meeting." in \
        draft.split("## 7. Closure of the meeting")[1]
    latin = tmp_path / "latin.vtt"
    latin.write_bytes("WEBVTT\n\n00:01.000 --> 00:02.000\n<v Jannica Pitkänen>Hej\n"
                      .encode("latin-1"))
    refused = run_cli("minutes", "transcript", "5", str(latin), env=env)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines()[0].startswith(
        f"error: {latin}: the transcript is not UTF-8: line 4 has the byte 0xe4")
