"""No input gives a traceback: bad invocations of the installed `coalition` console script,
each with its exit code (2 bad usage, configuration or input; 1 an operation failed) and one
`error:` line.

`.ci/run` runs this file twice: with the locked versions, and with the newest releases that
`pyproject.toml`'s ranges allow (so a release that changes the CLI framework's errors, as
typer 0.27 did, is seen before users see it). All cases run at once, a few at a time, in one
fixture; each case is then checked by its own test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE

pytestmark = pytest.mark.timeout(600)  # the first test waits for every case to have run

COALITION = Path(sys.executable).with_name("coalition")
NOT_THERE = "/nonexistent-folder/out.txt"
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/coalition"  # nothing listens on port 1


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    env: dict = field(default_factory=dict, hash=False)
    says: str = ""  # a word the error line must have
    store: str = "synced"  # synced | none (an empty folder, no store)


def case(id, *args, code, env=None, says="", store="synced"):
    return Case(id, tuple(args), code, env or {}, says, store)


def unreachable(id, *args):
    return case(f"unreachable-store-{id}", *args, code=1, env={"COALITION_STORE_URL": UNREACHABLE},
                says="cannot reach the store")


CASES = [
    # the command line itself
    case("unknown-option", "--nope", code=2, says="--nope"),
    case("unknown-command", "frobnicate", code=2, says="frobnicate"),
    case("bare", code=2, says="which command"),
    case("bare-group", "digest", code=2, says="which command"),
    case("unknown-subcommand", "feeds", "frobnicate", code=2, says="frobnicate"),
    case("missing-argument", "ask", code=2, says="Missing argument"),
    case("unknown-option-of-a-command", "ask", "help", "--frob", code=2, says="--frob"),
    case("option-without-its-value", "ask", "help", "--now", code=2, says="--now"),
    case("port-not-a-number", "serve", "--port", "abc", code=2, says="--port"),
    case("port-too-big", "serve", "--port", "99999", code=2, says="--port"),
    case("port-negative", "serve", "--port", "-1", code=2, says="--port"),
    case("bad-date", "ask", "help", "--now", "yesterday", code=2, says="--now"),
    case("impossible-date", "ask", "help", "--now", "2017-13-45", code=2, says="--now"),
    case("bad-period", "digest", "status", "--period", "2017-W99", code=2, says="--period"),
    case("period-not-a-week", "digest", "send", "--period", "last week", code=2,
         says="--period"),
    case("bad-format", "minutes", "draft", "5", "--format", "pdf", code=2, says="--format"),
    case("docx-without-out", "minutes", "draft", "5", "--format", "docx", code=2,
         says="--out"),
    case("agenda-item-not-a-number", "minutes", "note", "5", "two", "text", code=2,
         says="ITEM"),
    case("feed-not-a-url", "feeds", "add", "ftp://example.org/feed", code=2, says="http"),
    case("feed-kind", "feeds", "add", "https://example.org/feed", "--kind", "weird", code=2,
         says="kind"),
    case("manifest-url", "slack", "manifest", "--url", "desk.example.org", code=2,
         says="--url"),
    # files named on the command line
    case("missing-data-file", "sync", "/nonexistent/coalition.toml", code=2,
         says="cannot read"),
    case("data-file-latin-1", "sync", "{latin1}", code=2, says="UTF-8"),
    case("data-file-utf-16", "sync", "{utf16}", code=2, says="UTF-8"),
    case("data-file-not-toml", "sync", "{garbage}", code=2, says="TOML"),
    case("missing-notes-file", "minutes", "import", "5", "/nonexistent/notes.txt", code=2,
         says="cannot read"),
    case("notes-file-latin-1", "minutes", "import", "5", "{latin1}", code=2, says="UTF-8"),
    case("missing-opml", "feeds", "import-opml", "/nonexistent/feeds.opml", code=2,
         says="cannot read"),
    case("opml-not-xml", "feeds", "import-opml", "{garbage}", code=2, says="XML"),
    case("out-into-missing-folder-calendar", "calendar", "export", "--out", NOT_THERE, code=2,
         says="--out"),
    case("out-into-missing-folder-minutes", "minutes", "draft", "5", "--out", NOT_THERE,
         code=2, says="--out"),
    case("out-into-missing-folder-opml", "feeds", "export-opml", "--out", NOT_THERE, code=2,
         says="--out"),
    case("out-onto-a-folder", "calendar", "export", "--out", "/tmp", code=2, says="--out"),
    case("out-disk-full-calendar", "calendar", "export", "--out", "/dev/full", code=1,
         says="--out"),
    case("out-disk-full-minutes", "minutes", "draft", "5", "--out", "/dev/full", code=1,
         says="--out"),
    # things named that do not exist
    case("unknown-meeting", "minutes", "draft", "99", code=2, says="99"),
    case("unknown-person", "ask", "deadlines", "--as", "nobody@example.org", code=2,
         says="nobody@example.org"),
    case("unknown-reader", "digest", "preview", "--to", "nobody@example.org", code=2,
         says="nobody@example.org"),
    case("unknown-feed", "feeds", "remove", "https://example.org/not-followed", code=2,
         says="not following"),
    # configuration
    case("missing-config-file", "--config", "/nonexistent/c.toml", "ask", "help", code=2,
         says="config file not found"),
    case("config-not-toml", "--config", "{garbage}", "ask", "help", code=2, says="TOML"),
    case("config-unknown-key", "--config", "{typo_config}", "ask", "help", code=2,
         says="did you mean 'weekday'"),
    case("config-latin-1", "--config", "{latin1}", "ask", "help", code=2, says="UTF-8"),
    case("config-wrong-type", "--config", "{wrong_type_config}", "ask", "help", code=2,
         says="[feeds] concurrency"),
    case("unknown-environment-variable", "ask", "help", code=2,
         env={"COALITION_DIGEST_WEEKDY": "monday"}, says="COALITION_DIGEST_WEEKDAY"),
    case("environment-wrong-type", "ask", "help", code=2,
         env={"COALITION_FEEDS_CONCURRENCY": "lots"}, says="COALITION_FEEDS_CONCURRENCY"),
    case("slack-without-tokens", "ask", "help", code=2,
         env={"COALITION_SLACK_ENABLED": "true"}, says="SLACK_BOT_TOKEN"),
    # every shape of store URL
    case("store-url-mysql", "ask", "help", code=2,
         env={"COALITION_STORE_URL": "mysql://u@db/c"}, says="PostgreSQL"),
    case("store-url-not-a-url", "ask", "help", code=2,
         env={"COALITION_STORE_URL": "notaurl"}, says="store URL"),
    case("store-url-empty", "ask", "help", code=2, env={"COALITION_STORE_URL": ""},
         says="store URL"),
    case("store-url-two-slashes", "ask", "help", code=2,
         env={"COALITION_STORE_URL": "sqlite://coalition.db"}, says="three slashes"),
    case("store-url-no-host", "ask", "help", code=2,
         env={"COALITION_STORE_URL": "postgresql:///coalition"}, says="host"),
    case("store-url-bad-port", "ask", "help", code=2,
         env={"COALITION_STORE_URL": "postgresql://u:secret@db:port/c"}, says="port"),
    case("store-url-postgres-scheme-unreachable", "ask", "help", code=1,
         env={"COALITION_STORE_URL": "postgres://nobody@127.0.0.1:1/c"},
         says="cannot reach the store"),
    case("store-folder-cannot-be-made", "sync", code=1,
         env={"COALITION_STORE_URL": "sqlite:////proc/nope/coalition.db"}, says="store"),
    # an unreachable store, for each command that uses one
    unreachable("db-upgrade", "db", "upgrade"),
    unreachable("sync", "sync", str(EXAMPLE)),
    unreachable("ask", "ask", "next deadlines"),
    unreachable("feeds-list", "feeds", "list"),
    unreachable("feeds-poll", "feeds", "poll"),
    unreachable("feeds-add", "feeds", "add", "https://example.org/feed"),
    unreachable("digest-status", "digest", "status"),
    unreachable("digest-send", "digest", "send"),
    unreachable("digest-preview", "digest", "preview", "--to", "a@example.org"),
    unreachable("calendar-export", "calendar", "export"),
    unreachable("minutes-draft", "minutes", "draft", "5"),
    unreachable("serve", "serve", "--port", "0"),
    unreachable("worker", "worker"),
    unreachable("run", "run", "--port", "0"),
    # no store where the configuration says
    case("no-store-ask", "ask", "next deadlines", code=1, says="no store", store="none"),
    case("no-store-feeds-list", "feeds", "list", code=1, says="no store", store="none"),
    case("no-store-calendar", "calendar", "export", code=1, says="no store", store="none"),
]


def _files(folder: Path) -> dict[str, str]:
    files = {
        "latin1": ("# Réunion\n".encode("latin-1")),
        "utf16": '[[organisations]]\nacronym = "BRS"\n'.encode("utf-16"),
        "garbage": b"\x00\x01 not [[ anything }",
        "typo_config": b'[digest]\nweekdy = "monday"\n',
        "wrong_type_config": b'[feeds]\nconcurrency = "many"\n',
    }
    paths = {}
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths[name] = str(path)
    return paths


def _env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_", "SLACK_"))}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every case run against the installed console script, four at a time."""
    assert COALITION.exists(), f"the console script is not installed at {COALITION}"
    root = tmp_path_factory.mktemp("cli-errors")
    files = _files(root)
    synced = root / "synced"
    synced.mkdir()
    shutil.copytree(EXAMPLE.parent, synced / "examples")
    subprocess.run([str(COALITION), "sync"], cwd=synced, env=_env({}), check=True,
                   capture_output=True, timeout=120)

    def run(c: Case):
        cwd = synced
        if c.store == "none":
            cwd = root / f"empty-{c.id}"
            cwd.mkdir()
        args = [a.format(**files) for a in c.args]
        proc = subprocess.run([str(COALITION), *args], cwd=cwd, env=_env(c.env),
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        return c.id, (proc, cwd)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(run, CASES))


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_invocation_gets_one_error_line_and_its_exit_code(results, c):
    proc, cwd = results[c.id]
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert c.says.lower() in proc.stderr.lower(), proc.stderr  # the error line or its hint
    assert "unexpected" not in errors[0], proc.stderr  # an error we meant, not a bug caught
    assert proc.returncode == c.code, proc.stderr
    assert "secret" not in proc.stderr  # a password in a URL is never shown
    if c.store == "none":
        assert not (cwd / "coalition.db").exists(), "a read command made an empty store"


def test_version_and_help_exit_0():
    for args in (["--version"], ["--help"], ["ask", "--help"], ["digest", "send", "--help"]):
        proc = subprocess.run([str(COALITION), *args], env=_env({}), capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
    version = subprocess.run([str(COALITION), "--version"], env=_env({}), capture_output=True,
                             text=True, timeout=60).stdout
    assert version.startswith("coalition ") and version.strip().split()[1][0].isdigit()
