"""Every question about the coalition is asked in `store/`: no module elsewhere builds a
query (select, update, delete, insert, or SQL text) on the coalition's tables. A second copy of
"the next meeting" or "action items" in a surface is how they drifted apart; this test fails
the day one comes back. (Loading a row by its id, `session.get(Model, id)`, is not a query.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

TABLES = {"Organisation", "Person", "WorkStream", "WorkStreamRole", "Meeting", "AgendaItem",
          "Attendance", "Deadline", "DeadlineOwner", "MeetingNote"}
TABLE_NAMES = {name.lower() for name in TABLES}
BUILDERS = {"select", "update", "delete", "insert", "exists", "query"}
SQL = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+\"?(" + "|".join(sorted(TABLE_NAMES))
                 + r")\b\"?")
FOLDERS = ("bot", "coalition", "digests", "worker")


def _modules() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py"))


def _parts(statement: ast.stmt) -> list[ast.AST]:
    """What a statement says itself: a simple statement whole, a compound one's header (its
    body's statements are looked at one by one)."""
    if isinstance(statement, ast.If | ast.While):
        return [statement.test]
    if isinstance(statement, ast.For | ast.AsyncFor):
        return [statement.target, statement.iter]
    if isinstance(statement, ast.With | ast.AsyncWith):
        return [item.context_expr for item in statement.items]
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [*statement.decorator_list, *getattr(statement.args, "defaults", [])] \
            if not isinstance(statement, ast.ClassDef) else statement.decorator_list
    if isinstance(statement, ast.Try | ast.Match):
        return []
    return [statement]


def queries_on_coalition_tables(source: str) -> list[str]:
    """Each statement that builds a query naming one of the tables: 'line N: ...'."""
    found = []
    for statement in ast.walk(ast.parse(source)):
        if not isinstance(statement, ast.stmt):
            continue
        nodes = [n for part in _parts(statement) for n in ast.walk(part)]
        builds = any(isinstance(n, ast.Call) and (
            isinstance(n.func, ast.Name) and n.func.id in BUILDERS
            or isinstance(n.func, ast.Attribute) and n.func.attr in BUILDERS)
            for n in nodes)
        names = {n.id for n in nodes if isinstance(n, ast.Name)} & TABLES
        if builds and names:
            found.append(f"line {statement.lineno}: a query on {', '.join(sorted(names))}")
        for n in nodes:
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and SQL.search(n.value):
                found.append(f"line {n.lineno}: SQL on {SQL.search(n.value).group(1)}")
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_query_on_the_coalitions_tables_outside_store(path):
    found = queries_on_coalition_tables(path.read_text())
    assert not found, (f"{path.relative_to(ROOT)} queries the coalition's tables itself; "
                       f"ask `store/` instead (add a function there): {found}")


@pytest.mark.parametrize("snippet", [
    "rows = session.exec(select(Deadline).where(Deadline.status == 'open'))",
    "query = select(Feed.id).join(Organisation, Organisation.id == Feed.organisation_id)",
    "session.execute(update(Meeting).values(status='held'))",
    "conn.execute(text('SELECT id FROM deadline WHERE status = 1'))",
    "def f(session):\n    if True:\n        return session.exec(select(Person.email)).all()",
    "if session.exec(select(Meeting.id).where(Meeting.key == key)).first():\n    pass",
    "for row in session.exec(select(AgendaItem)):\n    print(row)",
])
def test_the_check_sees_queries_written_every_way(snippet):
    assert queries_on_coalition_tables(snippet)


@pytest.mark.parametrize("snippet", [
    "row = session.get(Person, person_id)",
    "rows = session.exec(select(Feed).where(Feed.retired_at.is_(None)))",
    "text = 'Sorry, only the secretariat can do that from Slack.'",
])
def test_the_check_lets_other_code_be(snippet):
    assert not queries_on_coalition_tables(snippet)
