"""Configuration: the file, then the environment, then validation, once, at start-up.

Every option `[section] key` can be set as the environment variable `COALITION_SECTION_KEY`;
the environment wins. Secrets are read only from the environment (see `Secrets`).
Without a file the built-in defaults apply; they are the values written in config.example.toml.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigError(Exception):
    """The configuration is wrong; the message names the file, the key and what is expected."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError("expected an IANA timezone such as Europe/Zurich") from e
    return value


class StoreConfig(_Section):
    url: str = "sqlite:///coalition.db"
    auto_upgrade: bool = True
    echo: bool = False


class CoalitionConfig(_Section):
    name: str = "E-waste Coalition"
    short_name: str = "E-waste Coalition"
    data: str = "examples/ewaste-coalition.toml"
    timezone: str = "Europe/Zurich"

    _tz = field_validator("timezone")(_tz)


class ClockConfig(_Section):
    today: dt.date | None = None
    speed: float = Field(default=1.0, gt=0)


class SlackConfig(_Section):
    enabled: bool = False
    command: str = Field(default="/coalition", pattern=r"^/[a-z0-9_-]+$")
    updates_channel: str = ""
    secretariat_channel: str = ""
    reminder_days: list[int] = [7, 1]
    reminders_channel: str = ""
    api_url: str = ""


class EmailConfig(_Section):
    transport: Literal["outbox", "smtp"] = "outbox"
    from_: str = Field(default="E-waste Coalition <secretariat@example.org>", alias="from")
    reply_to: str = ""
    outbox_dir: str = "outbox"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_user: str = ""
    smtp_timeout: float = Field(default=30.0, gt=0)
    base_url: str = "http://localhost:8000"

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DigestConfig(_Section):
    weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    news_limit: int = Field(default=8, ge=0)
    deadline_weeks: int = Field(default=4, ge=1)
    send_empty: bool = False
    claim_timeout_seconds: int = Field(default=300, ge=1)


class FeedSource(_Section):
    url: str
    kind: Literal["news", "publication", "member"] = "news"
    organisation: str = ""
    tags: list[str] = []
    title: str = ""

    @field_validator("url")
    @classmethod
    def _feed_address(cls, value: str) -> str:
        value = value.strip()
        if not value.lower().startswith(("http://", "https://", "file:")) or " " in value:
            raise ValueError("expected a feed address (https://...) or a local file "
                             "(file:examples/feeds/news.xml, relative to this file's folder)")
        return value


class FeedsConfig(_Section):
    allow_private: bool = False
    concurrency: int = Field(default=16, ge=1, le=256)
    interval_minutes: int = Field(default=60, ge=1)
    max_bytes: int = Field(default=10_000_000, ge=1024)
    timeout_seconds: float = Field(default=30.0, gt=0)
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    failure_alert_after: int = Field(default=5, ge=1)
    backlog_days: int = Field(default=14, ge=0)
    user_agent: str = "CoalitionDesk/0.1 (+https://github.com/coalition-desk)"
    sources: list[FeedSource] = []


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)


class LogConfig(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "text"] = "auto"


class Secrets(BaseModel):
    """Read only from the environment, never from a file; never logged (repr hides them)."""

    slack_bot_token: str = Field(default="", repr=False)
    slack_signing_secret: str = Field(default="", repr=False)
    slack_app_token: str = Field(default="", repr=False)
    smtp_password: str = Field(default="", repr=False)
    unsubscribe_secret: str = Field(default="", repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Secrets:
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            slack_app_token=env.get("SLACK_APP_TOKEN", ""),
            smtp_password=env.get("COALITION_SMTP_PASSWORD", ""),
            unsubscribe_secret=env.get("COALITION_SECRET_KEY", ""),
        )


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: StoreConfig = Field(default_factory=StoreConfig)
    coalition: CoalitionConfig = Field(default_factory=CoalitionConfig)
    clock: ClockConfig = Field(default_factory=ClockConfig)
    slack: SlackConfig = Field(default_factory=SlackConfig)
    email: EmailConfig = Field(default_factory=EmailConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    feeds: FeedsConfig = Field(default_factory=FeedsConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    log: LogConfig = Field(default_factory=LogConfig)
    secrets: Secrets = Field(default_factory=Secrets, exclude=True)
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    source: str = Field(default="built-in defaults", exclude=True)

    def path(self, value: str) -> Path:
        """A path from the config, resolved against the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def store_url(self) -> str:
        """The store URL with a relative SQLite path resolved against the config's folder."""
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and url[len(prefix):] not in ("", ":memory:"):
            return prefix + str(self.path(url[len(prefix):]))
        return url


_SECTIONS = [name for name in Config.model_fields if name not in ("secrets", "base_dir", "source")]


def _env_key(section: str, field: str, info: Any) -> str:
    name = info.alias or field
    return f"COALITION_{section}_{name}".upper()


def _env_overrides(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for section in _SECTIONS:
        model = Config.model_fields[section].annotation
        for field, info in model.model_fields.items():
            value = env.get(_env_key(section, field, info))
            if value is None or field == "sources":
                continue
            if field == "reminder_days":
                value = [v.strip() for v in value.split(",") if v.strip()]
            elif field == "today" and value == "":
                value = None
            overrides.setdefault(section, {})[info.alias or field] = value
    if env.get("SLACK_API_URL") and "api_url" not in overrides.get("slack", {}):
        overrides.setdefault("slack", {})["api_url"] = env["SLACK_API_URL"]
    return overrides


def _explain(err: dict, source: str, env_keys: set[str]) -> str:
    loc = [str(p) for p in err["loc"]]
    section = loc[0] if loc else ""
    key = ".".join(loc[1:])
    if len(loc) >= 2 and f"{loc[0]}.{loc[1]}" in env_keys:
        where = "environment variable " + f"COALITION_{loc[0]}_{loc[1]}".upper()
    else:
        where = f"{source}: [{section}] {key}" if key else f"{source}: [{section}]"
    if err["type"] == "extra_forbidden":
        if not key:
            return f"{source}: unknown section [{section}]"
        return f"{source}: unknown key '{key}' in [{section}]"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    if got is not None and not isinstance(got, dict | list):
        msg += f" (got {got!r})"
    return f"{where}: {msg}"


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Load the configuration: file (or built-in defaults), environment, validation, secrets."""
    env = dict(os.environ) if env is None else env
    if path is None and env.get("COALITION_CONFIG"):
        path = env["COALITION_CONFIG"]
    raw: dict[str, Any] = {}
    source = "built-in defaults"
    base_dir = Path.cwd()
    if path is not None:
        file = Path(path).expanduser()
        source = str(file)
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ConfigError(f"{file}: config file not found") from e
        except OSError as e:
            raise ConfigError(f"{file}: cannot read the config file ({e.strerror})") from e
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{file}: not valid TOML: {e}") from e
        base_dir = file.resolve().parent
    for section, value in raw.items():
        if section in _SECTIONS and not isinstance(value, dict):
            raise ConfigError(f"{source}: [{section}] must be a table, got {value!r}")
    overrides = _env_overrides(env)
    env_keys = {f"{s}.{k}" for s, keys in overrides.items() for k in keys}
    for section, values in overrides.items():
        raw.setdefault(section, {}).update(values)
    try:
        config = Config.model_validate(raw)
    except ValidationError as e:
        raise ConfigError("; ".join(_explain(err, source, env_keys) for err in e.errors())) from e
    config.secrets = Secrets.from_env(env)
    config.base_dir = base_dir
    config.source = source
    _check_secrets(config)
    return config


def _check_secrets(config: Config) -> None:
    missing = []
    if config.slack.enabled:
        if not config.secrets.slack_bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not config.secrets.slack_signing_secret and not config.secrets.slack_app_token:
            missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
    if missing:
        raise ConfigError(
            f"{config.source}: [slack] enabled = true needs the environment variable(s) "
            + ", ".join(missing)
        )
    if (config.email.transport == "smtp" and config.email.smtp_user
            and not config.secrets.smtp_password):
        raise ConfigError(
            f"{config.source}: [email] smtp_user is set, so the environment variable "
            "COALITION_SMTP_PASSWORD is needed"
        )
