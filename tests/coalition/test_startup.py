"""Start-up is part of every command a person types: `--help`, `--version`, `slack manifest`
and the parsing of any command line import nothing heavy (the commands import what they use)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "slack_bolt", "slack_sdk", "httpx", "pydantic",
         "jinja2", "feedparser", "uvicorn", "starlette")

PROBE = """
import contextlib, io, json, sys
from coalition.cli import run_cli
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = run_cli(sys.argv[1:])
print(json.dumps([code, sorted({m.split(".")[0] for m in sys.modules})]))
"""


@pytest.mark.parametrize("args", [
    ["--help"], ["--version"], ["slack", "manifest"], ["slack", "manifest", "--socket"],
    ["ask", "--help"], ["digest", "send", "--help"],
    ["ask"],  # a usage error is found by the parser alone
    ["serve", "--port", "abc"],
], ids=" ".join)
def test_light_commands_import_nothing_heavy(args, tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    code, modules = json.loads(done.stdout.splitlines()[-1])
    assert code in (0, 2)
    assert not set(HEAVY) & set(modules), sorted(set(HEAVY) & set(modules))
