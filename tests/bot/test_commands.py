"""One row per command in `bot.commands`, and all that is built from it: each command's
examples are routed to it, dispatched to an answer, rendered as text and as Block Kit, and the
command is in the help and in README. A command missing its row, its answer function or a
renderer fails here."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys

import pytest
from sqlmodel import Session, select

from bot import commands, handlers
from bot.answers import HelpAnswer
from bot.blocks import answer_blocks, message
from bot.commands import COMMANDS, MEMBER, PUBLIC, SECRETARIAT
from bot.dispatch import Asker, Elsewhere, answer, handle
from bot.router import parse
from bot.text import HELP, render
from bot.writes import Refused
from store.engine import make_engine
from store.migrate import upgrade
from store.models import Deadline, MeetingNote, MemberUpdate, Person
from store.sync import sync_file
from tests.conftest import EXAMPLE, NOW, ROOT

BLOCK_TYPES = {"section", "header", "context", "actions", "divider"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The example, synced once for this module; each test's session is rolled back."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('commands') / 'store.db'}")
    upgrade(engine)
    with Session(engine) as session:
        sync_file(session=session, path=EXAMPLE, now=NOW)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session(store):
    with Session(store) as session:
        yield session
        session.rollback()


def person(session: Session, email: str) -> Asker:
    return Asker(person=session.exec(select(Person).where(Person.email == email)).one())


def secretariat(session: Session) -> Asker:
    return person(session, "hossein.fadaei@example.org")


def readme_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("What `ask` understands")
    return readme[start:readme.index("\n## ", start)]


def looks_like_a_repr(text: str) -> bool:
    return bool(re.search(r"\b[A-Z]\w+\(\w+=", text))


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_each_command_parses_dispatches_renders_and_is_in_help_and_readme(command, session):
    assert command.examples, f"{command.name} has no examples"
    for example in command.examples:
        request = parse(example)
        assert request.command == command.name, f"{example!r} went to {request.command}"
        result = handle(request, session=session, now=NOW, asker=secretariat(session),
                        source_id=f"test:{example}")
        kind = type(result).__name__
        assert render.dispatch(type(result)) is not render.dispatch(object), \
            f"{kind} ({example!r}) has no text renderer in bot.text"
        assert answer_blocks.dispatch(type(result)) is not answer_blocks.dispatch(object), \
            f"{kind} ({example!r}) has no Block Kit renderer in bot.blocks"
        text = render(result)
        assert text.strip() and not looks_like_a_repr(text), (example, text)
        blocks = answer_blocks(result)
        assert blocks and {b["type"] for b in blocks} <= BLOCK_TYPES, (example, blocks)
        payload = message(result, share=example)
        assert json.dumps(payload) and 0 < len(payload["text"]) <= 3900
        assert not looks_like_a_repr(json.dumps(payload["blocks"]))
    assert f"  {command.usage}  " in render(HelpAnswer())
    usage = command.usage.replace("|", "\\|")
    assert f"`{usage}`" in readme_section(), f"README does not show `{command.usage}`"


def test_every_answer_type_has_both_renderers_and_every_renderer_an_answer(session):
    """The answers the commands give, to the secretariat, to someone unknown and in the
    console, are exactly the types with a text and a Block Kit renderer."""
    given = set()
    for command in COMMANDS:
        for example in command.examples:
            request = parse(example)
            for asker in (secretariat(session), Asker()):
                given.add(type(handle(request, session=session, now=NOW, asker=asker)))
            given.add(type(answer(request, session=session, now=NOW, asker=Asker())))
    assert given == set(render.registry) - {object}
    assert given == set(answer_blocks.registry) - {object}


def test_an_answer_type_without_a_renderer_fails_instead_of_showing_its_repr():
    class Unregistered:
        pass

    for renderer in (render, answer_blocks, message):
        with pytest.raises(TypeError, match="Unregistered"):
            renderer(Unregistered())


def test_every_answer_function_has_its_row_and_every_row_its_function():
    functions = {f"bot.handlers:{name}" for name, f in vars(handlers).items()
                 if inspect.isfunction(f) and f.__module__ == "bot.handlers"
                 and not name.startswith("_")}
    assert functions == {c.answer for c in COMMANDS}
    for command in COMMANDS:
        assert callable(command.function()), command.name


def test_words_are_unique_and_each_first_word_routes_to_its_command():
    words = [w for c in COMMANDS for w in (c.name, *c.words)]
    assert len(words) == len(set(words))
    for command in COMMANDS:
        for word in command.words:
            assert commands.by_word(word) is command


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.access == SECRETARIAT],
                         ids=lambda c: c.name)
def test_secretariat_work_is_refused_to_a_focal_point_and_nothing_changes(command, session):
    tatiana = person(session, "tatiana.terekhova@example.org")
    for example in command.examples:
        result = handle(parse(example), session=session, now=NOW, asker=tatiana)
        assert isinstance(result, Refused), example
        text = render(result)
        assert f"only the secretariat can {command.action}" in text
        assert "Hossein Fadaei" in text and "Garam Bel" in text
    assert session.exec(select(MeetingNote)).all() == []
    assert session.exec(select(Deadline.status).where(
        Deadline.key == "tor-ws1-ws2-draft")).one() == "open"


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.access == MEMBER],
                         ids=lambda c: c.name)
def test_members_work_needs_a_known_member(command, session):
    for example in command.examples:
        result = handle(parse(example), session=session, now=NOW, asker=Asker())
        assert isinstance(result, HelpAnswer)
        assert "I don't know who you are in the coalition yet" in result.note
    assert session.exec(select(MemberUpdate)).all() == []


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.access != PUBLIC],
                         ids=lambda c: c.name)
def test_in_the_console_chat_commands_say_where_they_work(command, session):
    for example in command.examples:
        result = answer(parse(example), session=session, now=NOW, asker=Asker(),
                        slash="/desk")
        assert isinstance(result, Elsewhere)
        text = render(result)
        assert text.startswith(f"`{command.name}` works in Slack")
        assert f"`/desk {command.usage}`" in text and "I can answer" not in text
    assert session.exec(select(MemberUpdate)).all() == []


def test_the_help_lists_public_commands_first_then_those_of_slack_by_who_may_use_them():
    public, members, secretariat_ = (HELP.index(f"  {commands.get(name).usage}  ")
                                     for name in ("agenda", "update", "sync"))
    assert public < HELP.index("In Slack, for members") < members
    assert members < HELP.index("In Slack, for the secretariat") < secretariat_
    assert "this week, next week, this month, in November 2017, by Friday" in HELP


def test_readme_sentences_are_routed_to_their_row():
    """Each row of README's table: its command word, and the sentences quoted beside it."""
    rows = [line for line in readme_section().splitlines() if line.startswith("| `")]
    assert rows
    routed = set()
    for row in rows:
        word, sentences = row.split(" | ")[:2]
        name = word.strip("| `").split()[0]
        routed.add(name)
        for sentence in re.findall(r'"([^"]+)"', sentences):
            assert parse(sentence).command == name, f"README: {sentence!r} is not `{name}`"
    assert routed == {c.name for c in COMMANDS}


def test_the_registry_and_the_manifest_import_nothing_heavy():
    code = ("import sys; import bot.commands; from coalition.slack_cli import manifest_text; "
            "manifest_text(); heavy = {'sqlalchemy', 'sqlmodel', 'slack_bolt', 'httpx', "
            "'alembic', 'bot.answers'}; print(sorted(heavy & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_help_fits_in_a_hundred_columns():
    assert max(map(len, HELP.splitlines())) <= 100
