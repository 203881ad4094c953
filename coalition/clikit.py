"""What every `coalition` sub-command shares: the runtime from the global options, errors."""

from __future__ import annotations

import typer
from rich.console import Console

from coalition.config import load_config
from coalition.logs import setup_logging
from coalition.runtime import Runtime

out = Console(soft_wrap=True)
err = Console(soft_wrap=True, stderr=True)


class UsageError(Exception):
    """Bad input from the user: `coalition` exits with code 2 and this message."""


def runtime_from(ctx: typer.Context, *, now: str | None = None, upgrade: bool = True) -> Runtime:
    """The Runtime for this invocation: config from --config / COALITION_CONFIG, `--now`."""
    root = ctx.find_root()
    config = load_config((root.obj or {}).get("config_path"))
    secrets = config.secrets
    setup_logging(level=config.log.level, fmt=config.log.format, secrets=[
        secrets.slack_bot_token, secrets.slack_signing_secret, secrets.slack_app_token,
        secrets.smtp_password, secrets.unsubscribe_secret])
    if now is not None:
        from coalition.clock import parse_instant

        try:
            parse_instant(now, config.coalition.timezone)
        except ValueError as e:
            raise UsageError(f"--now: {e}") from e
    return Runtime(config, now=now, upgrade_schema=upgrade)
