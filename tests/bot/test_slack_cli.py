"""`coalition slack manifest` and `coalition slack socket` as a user runs them."""

from __future__ import annotations

import json

from tests.conftest import ROOT, run_cli


def test_manifest_has_the_command_events_scopes_and_interactivity_at_the_given_url():
    result = run_cli("slack", "manifest", "--url", "https://desk.example.org/")
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "- command: /coalition" in lines
    assert lines.count("url: https://desk.example.org/slack/events") == 1
    assert lines.count("request_url: https://desk.example.org/slack/events") == 2
    for needed in ("- app_mention", "- app_home_opened", "- message.im", "- message.channels",
                   "- commands", "- chat:write", "- users:read.email",
                   "home_tab_enabled: true", "is_enabled: true"):
        assert needed in lines, needed
    assert "coalition.example.org" not in result.stdout


def test_manifest_follows_the_configured_command_and_socket_mode():
    result = run_cli("slack", "manifest", "--socket", env={"COALITION_SLACK_COMMAND": "/desk"})
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "- command: /desk" in lines and "socket_mode_enabled: true" in lines


def test_socket_mode_without_tokens_says_which_are_needed(tmp_path):
    result = run_cli("slack", "socket", env={"COALITION_STORE_URL": f"sqlite:///{tmp_path}/s.db"})
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_manifest_usage_hint_shows_an_example_of_each_command_that_has_one():
    from bot.commands import COMMANDS
    from bot.router import parse

    result = run_cli("slack", "manifest")
    (line,) = [x.strip() for x in result.stdout.splitlines() if x.strip().startswith("usage_")]
    hint = json.loads(line.removeprefix("usage_hint:"))
    assert hint.startswith("agenda 5 | deadlines mine | overdue | lead ws1 | who BRS")
    assert 0 < len(hint) <= 1000  # Slack's limit
    examples = hint.split(" | ")
    assert examples == [c.hint for c in COMMANDS if c.hint]
    for example in examples:
        assert parse(example).command in {c.name for c in COMMANDS if c.hint == example}
    # the file itself, for those who paste it as it is, says the same
    assert line in (ROOT / "bot" / "manifest.yml").read_text()
