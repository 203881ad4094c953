"""Output made for people: on a terminal, answers wrap at its width with hanging indents and
OVERDUE is red; piped, they are the plain text; NO_COLOR means no colour."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, run_cli

COALITION = Path(sys.executable).with_name("coalition")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("output")
    env = {"COALITION_STORE_URL": f"sqlite:///{folder / 'c.db'}"}
    assert run_cli("sync", str(EXAMPLE), env=env).returncode == 0
    return env


def on_terminal(args, env, columns=60) -> str:
    """Run the installed script with a pseudo-terminal of `columns` as its output."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    full = {k: v for k, v in os.environ.items()
            if not k.startswith(("COALITION_", "SLACK_")) and k not in ("NO_COLOR", "COLUMNS")}
    full.update(env)
    proc = subprocess.Popen([str(COALITION), *args], stdout=follower, stderr=follower, env=full)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    proc.wait(timeout=60)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_on_a_terminal_answers_wrap_with_hanging_indents_and_overdue_is_red(store):
    text = on_terminal(["ask", "deadlines", "--now", "2017-10-06"], store, columns=60)
    plain = ANSI.sub("", text)
    lines = plain.splitlines()
    assert max(len(line) for line in lines) <= 60
    bullets = [i for i, line in enumerate(lines) if line.startswith("  • ")]
    continued = [lines[i + 1] for i in bullets if i + 1 < len(lines)
                 and not lines[i + 1].startswith(("  • ", "Overdue", "  …"))]
    assert continued and all(line.startswith("    ") and line[4] != " " for line in continued)
    assert "\x1b[1;31mOVERDUE\x1b[0m" in text
    assert "O\nVERDUE" not in plain


def test_no_color_and_pipes_get_no_colour(store):
    no_color = on_terminal(["ask", "deadlines", "--now", "2017-10-06"],
                           {**store, "NO_COLOR": "1"})
    assert "OVERDUE" in no_color and ";31m" not in no_color and "\x1b[31m" not in no_color
    piped = run_cli("ask", "deadlines", "--now", "2017-10-06", env=store).stdout
    assert "\x1b[" not in piped
    assert any(len(line) > 100 for line in piped.splitlines())  # a pipe gets lines whole


def test_errors_on_a_terminal_are_red_and_one_line():
    text = on_terminal(["frobnicate"], {})
    assert "\x1b[1;31merror:\x1b[0m" in text
    assert len([line for line in ANSI.sub("", text).splitlines()
                if line.startswith("error:")]) == 1
