"""`coalition slack ...`: the Slack app's manifest, and the bot in Socket Mode."""

from __future__ import annotations

import json
import re
import sys
from importlib.resources import files
from typing import Annotated

import typer

from coalition.clikit import UsageError, config_from, out, runtime_from

slack_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="The Slack app: manifest and Socket Mode.")

_PLACEHOLDER = "https://coalition.example.org"


def manifest_text(*, url: str | None = None, command: str = "/coalition",
                  socket_mode: bool = False) -> str:
    """The manifest, its usage hint from the command registry (`bot.commands`, which imports
    nothing heavy: printing the manifest needs no store)."""
    from bot.commands import usage_hint

    text = files("bot").joinpath("manifest.yml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(\s*usage_hint: ).*$", lambda m: m.group(1) + json.dumps(usage_hint()),
                  text, count=1)
    if url:
        text = text.replace(_PLACEHOLDER, url.rstrip("/"))
    if command != "/coalition":
        text = text.replace("- command: /coalition", f"- command: {command}")
    if socket_mode:
        text = text.replace("socket_mode_enabled: false", "socket_mode_enabled: true")
    return text


@slack_app.command("manifest")
def manifest(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Option(
        "--url", help="The public address of `coalition serve`, e.g. https://desk.example.org"
    )] = None,
    socket: Annotated[bool, typer.Option(
        "--socket", help="A manifest for Socket Mode (no public address needed).")] = False,
) -> None:
    """Print the Slack app manifest (YAML) to paste into api.slack.com/apps."""
    if url and not url.startswith(("https://", "http://")):
        raise UsageError(f"--url: expected an address such as https://desk.example.org, "
                         f"got {url!r}")
    config = config_from(ctx)
    sys.stdout.write(manifest_text(url=url, command=config.slack.command, socket_mode=socket))


@slack_app.command("socket")
def socket(ctx: typer.Context) -> None:
    """Run the bot in Socket Mode (needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN): no public
    address needed."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_bolt_app

    rt = runtime_from(ctx)
    secrets = rt.config.secrets
    if not secrets.slack_app_token or not secrets.slack_bot_token:
        raise UsageError("Socket Mode needs the environment variables SLACK_APP_TOKEN "
                         "(xapp-...) and SLACK_BOT_TOKEN (xoxb-...)")
    rt.engine  # noqa: B018  (fail fast: reach and upgrade the store before connecting)
    out.print("Coalition Desk: connecting to Slack in Socket Mode (Ctrl-C stops)")
    SocketModeHandler(create_bolt_app(rt), secrets.slack_app_token).start()
