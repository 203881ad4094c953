"""Reading a discussion note's speaker and verb, and naming organisations and people as the
secretariat's reports do: pure rules, no store."""

from dataclasses import dataclass

import pytest

from digests.minutes.names import Mentions, annex_name, full_name, short_name
from digests.minutes.notes import NotesError, parse_note, parse_notes_file, parse_place
from digests.minutes.speech import CHAIR, MEETING, report


@pytest.mark.parametrize("note, speaker, organisation, verb, text", [
    ("Ms. Marit Nilses (UNESCAP): A needs analysis could be included.",
     "Ms. Marit Nilses", "UNESCAP", "", "A needs analysis could be included."),
    ("Ms. Marit Nilses (UNESCAP) asked: a needs analysis will be included",
     "Ms. Marit Nilses", "UNESCAP", "asked", "whether a needs analysis will be included."),
    ("Ms. Marit Nilses (UNESCAP) asked whether a needs analysis will be included.",
     "Ms. Marit Nilses", "UNESCAP", "asked", "whether a needs analysis will be included."),
    ("Ms. Marit Nilses asked: if it is included", "Ms. Marit Nilses", "", "asked",
     "if it is included."),
    ("UNESCAP suggested: A matrix of what we do will not show what we need to do",
     "", "UNESCAP", "suggested", "that a matrix of what we do will not show what we need to do."),
    ("UNITAR confirmed their interest in being involved.", "", "UNITAR", "confirmed",
     "their interest in being involved."),
    ("Mr. Mario Castro (ITU) pointed out: they are interested", "Mr. Mario Castro", "ITU",
     "pointed out", "that they are interested."),
    ("Ms. Haddy Guisse (UNEP) informed: InforMEA is a platform", "Ms. Haddy Guisse", "UNEP",
     "informed", "the meeting that InforMEA is a platform."),
    ("BRS welcomed: the proposal", "", "BRS", "welcomed", "the proposal."),
    ("UNITAR proposed: to draft the terms of reference", "", "UNITAR", "proposed",
     "to draft the terms of reference."),
    ("The Chair replied: The intention is a matrix", CHAIR, "", "replied",
     "that the intention is a matrix."),
    ("Chair: The intention is a matrix", CHAIR, "", "", "The intention is a matrix."),
    ("The meeting agreed: The work plan would evolve", MEETING, "", "agreed",
     "that the work plan would evolve."),
    ("The meeting decided to share the work plan by email", MEETING, "", "decided",
     "to share the work plan by email."),
    ("Ms. X (ORG) highlighted two points: first, this", "Ms. X", "ORG", "highlighted",
     "two points: first, this."),
    ("Ms. Jane Roe highlighted two points: first, this", "Ms. Jane Roe", "", "highlighted",
     "two points: first, this."),
    ("Marit Nilses (UNESCAP): fine", "Marit Nilses", "UNESCAP", "", "fine."),
    ("BRS: The sustainability of the platform matters", "", "BRS", "",
     "The sustainability of the platform matters."),
    ("The Chair provided an overview of the work plan.", "", "", "",
     "The Chair provided an overview of the work plan."),
    ("There were no comments on the agenda", "", "", "", "There were no comments on the agenda."),
])
def test_a_discussion_note_gives_its_speaker_and_verb(note, speaker, organisation, verb, text):
    parsed = parse_note(note)
    assert (parsed.kind, parsed.speaker, parsed.organisation, parsed.verb, parsed.text) == \
        ("discussion", speaker, organisation, verb, text)


@pytest.mark.parametrize("note, time", [
    ("Closed at 17:00 GVA time.", "17:00 GVA time"),
    ("The Chair closed the meeting at 17.00", "17:00"),
    ("closed at 9:05 (Geneva time)", "09:05 (Geneva time)"),
])
def test_a_closing_time_note(note, time):
    parsed = parse_note(note)
    assert (parsed.kind, parsed.text) == ("closing", time)


def test_a_closing_time_that_is_no_time_is_refused():
    with pytest.raises(ValueError, match="25:00 is not a time of day"):
        parse_note("Closed at 25:00")


def test_the_report_sentence_uses_the_verb_or_noted_that():
    assert report("UNESCAP", "asked", "whether it is included.") == \
        "UNESCAP asked whether it is included."
    assert report("UNESCAP", "", "The needs must be understood.") == \
        "UNESCAP noted that the needs must be understood."
    assert report("UNESCAP", "", "InforMEA is a platform.") == \
        "UNESCAP noted that InforMEA is a platform."
    assert report("", "", "there were no comments.") == "There were no comments."


@pytest.mark.parametrize("word, place", [("0", "opening"), ("opening", "opening"),
                                         ("Other", "other"), ("closure", "closure"),
                                         ("introduction", "introduction"), ("3", 3)])
def test_a_note_goes_to_an_item_or_a_section(word, place):
    assert parse_place(word) == place


def test_a_place_that_is_neither_is_refused(tmp_path):
    with pytest.raises(ValueError, match="neither an agenda item number nor one of the sections"):
        parse_place("later")
    notes = tmp_path / "notes.txt"
    notes.write_text("opening There were no comments.\nlater Conclusion: no.\n")
    with pytest.raises(NotesError, match=r"line 2: a note starts with its agenda item number "
                                         r"or section \(introduction, opening, other, closure\)"):
        parse_notes_file(notes)


@dataclass
class Org:
    id: int
    acronym: str
    name: str
    kind: str = "member"
    unit: str = ""
    parent_id: int | None = None


UNEP = Org(1, "UNEP", "UN Environment")
SAICM = Org(2, "SAICM", "Strategic Approach to International Chemicals Management Secretariat",
            unit="Pollution and Health Unit", parent_id=1)
BRS = Org(3, "BRS", "Secretariat of the Basel, Rotterdam and Stockholm Conventions")
ILO = Org(4, "ILO", "International Labour Organization")
EMG = Org(5, "EMG", "Environment Management Group Secretariat", kind="secretariat")
BANK = Org(6, "WB", "World Bank")


@pytest.mark.parametrize("org, parent, written, short, annex", [
    (ILO, None, "the International Labour Organization (ILO)", "ILO", "ILO"),
    (BRS, None, "the Secretariat of the Basel, Rotterdam and Stockholm Conventions (BRS)", "BRS",
     "BRS Secretariat"),
    (SAICM, UNEP, "the Strategic Approach to International Chemicals Management (SAICM) "
     "Secretariat and the Pollution and Health Unit of UN Environment", "SAICM",
     "SAICM/Pollution and Health Unit (UN Environment)"),
    (EMG, None, "the Environment Management Group (EMG) Secretariat", "EMG", "EMG Secretariat"),
    (UNEP, None, "UN Environment", "UN Environment", "UN Environment"),
    (BANK, None, "the World Bank", "the World Bank", "World Bank"),
])
def test_organisations_are_named_as_the_report_names_them(org, parent, written, short, annex):
    assert full_name(org, parent) == written
    assert short_name(org) == short
    assert annex_name(org, parent) == annex


def test_the_first_mention_is_written_out_and_later_ones_are_short():
    mentions = Mentions({o.id: o for o in (UNEP, SAICM, BRS, ILO, EMG)})
    assert mentions.chair("Mr. Hossein Fadaei", EMG.id) == \
        "Mr. Hossein Fadaei of the Environment Management Group (EMG) Secretariat"
    assert mentions.chair("Mr. Hossein Fadaei", EMG.id) == "The Chair"
    assert mentions.person("Ms. Tatiana Terekhova", BRS.id) == \
        "Ms. Tatiana Terekhova from the Secretariat of the Basel, Rotterdam and Stockholm " \
        "Conventions (BRS)"
    assert mentions.person("Ms. Tatiana Terekhova", BRS.id) == "Ms. Tatiana Terekhova"
    assert mentions.org(BRS.id) == "BRS"
    assert mentions.org(ILO.id) == "the International Labour Organization (ILO)"
    assert mentions.person("Ms. Bianca Perina", ILO.id) == "Ms. Bianca Perina from ILO"
    assert mentions.person("Mr. Garam Bel", EMG.id) == "Mr. Garam Bel from EMG"
