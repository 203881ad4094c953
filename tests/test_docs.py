"""Keep the docs honest: every command has help, README shows the two commands."""

import re

import typer.main

from coalition.cli import app
from tests.conftest import ROOT


def _commands(group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_command_has_help():
    root = typer.main.get_command(app)
    names = []
    for name, command in _commands(root):
        names.append(name)
        assert (command.help or "").strip(), f"`coalition {name}` has no help"
        for param in command.params:
            if getattr(param, "param_type_name", "") in ("option", "argument"):
                assert param.help, f"`coalition {name} {param.opts[0]}` has no help"
    assert {"sync", "ask", "db upgrade"} <= set(names)


def test_readme_names_every_command_and_the_test_command():
    readme = (ROOT / "README.md").read_text()
    root = typer.main.get_command(app)
    for name, command in _commands(root):
        if not hasattr(command, "commands"):
            assert f"coalition {name}" in readme, f"README does not mention `coalition {name}`"
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = re.search(r"<!-- test-command -->\n```sh\n(.+?)\n```", readme, re.S).group(1)
    assert test_command.strip() in ci
