"""Configuration: the file, then the environment, then validation, once, at start-up.

Every option `[section] key` can be set as the environment variable `COALITION_SECTION_KEY`;
the environment wins. An unknown key, in the file or as a `COALITION_*` variable, is an error
naming it. Secrets are read only from the environment (see `Secrets`). Without a file the
built-in defaults apply; they are the values written in config.example.toml.

Sections are `msgspec` structs: typed, validated in one call, and cheap to import (every
command loads the configuration, `--help`-fast ones included).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import Meta

from coalition.errors import InputError


class ConfigError(InputError):
    """The configuration is wrong; the message names the file, the key and what is expected."""


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


def _invalid(key: str, text: str) -> ValueError:
    """A problem found by a section's own check, naming its key (see `_explain`)."""
    return ValueError(f"`{key}`: {text}")


def _check_tz(key: str, value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid(key, f"expected an IANA timezone such as Europe/Zurich, got {value!r}"
                       ) from None


_STORE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg", "postgres")


def masked(url: str) -> str:
    """A URL as it may be shown: its password, if any, as ***."""
    return re.sub(r"(//[^/:@]*:)[^/@]*@", r"\1***@", url)


def store_url_problem(url: str) -> str | None:
    """What is wrong with a store URL, in plain words; None when it is one we can use."""
    shown = repr(masked(url))
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme:
        return (f"expected a store URL such as sqlite:///coalition.db or "
                f"postgresql://user@host:5432/coalition, got {shown}")
    if scheme.lower() not in _STORE_SCHEMES:
        return (f"only SQLite (sqlite:///PATH) and PostgreSQL (postgresql://...) stores are "
                f"supported, got {scheme}://")
    if scheme.lower() == "sqlite":
        if not rest.startswith("/"):
            return f"a SQLite URL reads sqlite:///PATH (three slashes), got {shown}"
    elif not rest.split("/", 1)[0]:
        return f"a PostgreSQL URL names its host: postgresql://user@host:5432/db, got {shown}"
    else:
        try:
            urlsplit(url).port  # noqa: B018  (raises on a port that is not a number 0-65535)
        except ValueError:
            return f"the port of a PostgreSQL URL is a number, as in host:5432, got {shown}"
    return None


class StoreConfig(_Section):
    url: str = "sqlite:///coalition.db"
    auto_upgrade: bool = True
    echo: bool = False

    def __post_init__(self) -> None:
        if problem := store_url_problem(self.url):
            raise _invalid("url", problem)


class CoalitionConfig(_Section):
    name: str = "E-waste Coalition"
    short_name: str = "E-waste Coalition"
    data: str = "examples/ewaste-coalition.toml"
    timezone: str = "Europe/Zurich"

    def __post_init__(self) -> None:
        _check_tz("timezone", self.timezone)


class ClockConfig(_Section):
    today: dt.date | None = None
    speed: Annotated[float, Meta(gt=0)] = 1.0


class SlackConfig(_Section):
    enabled: bool = False
    command: Annotated[str, Meta(pattern=r"^/[a-z0-9_-]+$")] = "/coalition"
    updates_channel: str = ""
    secretariat_channel: str = ""
    reminder_days: list[Annotated[int, Meta(ge=0)]] = msgspec.field(default_factory=lambda: [7, 1])
    reminders_channel: str = ""
    api_url: str = ""


class EmailConfig(_Section):
    transport: Literal["outbox", "smtp"] = "outbox"
    from_: str = msgspec.field(default="E-waste Coalition <secretariat@example.org>", name="from")
    reply_to: str = ""
    outbox_dir: str = "outbox"
    smtp_host: str = "localhost"
    smtp_port: Annotated[int, Meta(ge=1, le=65535)] = 587
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_user: str = ""
    smtp_timeout: Annotated[float, Meta(gt=0)] = 30.0
    base_url: str = "http://localhost:8000"


class DigestConfig(_Section):
    weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    time: Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "09:00"
    news_limit: Annotated[int, Meta(ge=0)] = 8
    deadline_weeks: Annotated[int, Meta(ge=1)] = 4
    send_empty: bool = False
    claim_timeout_seconds: Annotated[int, Meta(ge=1)] = 300
    catch_up_hours: Annotated[int, Meta(ge=1)] = 24
    stale_overdue_weeks: Annotated[int, Meta(ge=1)] = 8


class MinutesConfig(_Section):
    paper: Literal["A4", "Letter"] = "A4"


class FeedSource(_Section):
    url: str
    kind: Literal["news", "publication", "member"] = "news"
    organisation: str = ""
    tags: list[str] = []
    title: str = ""

    def __post_init__(self) -> None:
        self.url = self.url.strip()
        if not self.url.lower().startswith(("http://", "https://", "file:")) or " " in self.url:
            raise _invalid("url", "expected a feed address (https://...) or a local file "
                           "(file:examples/feeds/news.xml, relative to this file's folder)")


class FeedsConfig(_Section):
    allow_private: bool = False
    concurrency: Annotated[int, Meta(ge=1, le=256)] = 16
    interval_minutes: Annotated[int, Meta(ge=1)] = 60
    max_bytes: Annotated[int, Meta(ge=1024)] = 10_000_000
    timeout_seconds: Annotated[float, Meta(gt=0)] = 30.0
    connect_timeout_seconds: Annotated[float, Meta(gt=0)] = 10.0
    max_redirects: Annotated[int, Meta(ge=0, le=20)] = 5
    failure_alert_after: Annotated[int, Meta(ge=1)] = 5
    backlog_days: Annotated[int, Meta(ge=0)] = 14
    identity_window_days: Annotated[int, Meta(ge=0, le=3650)] = 30
    user_agent: str = "CoalitionDesk/0.1 (+https://github.com/coalition-desk)"
    sources: list[FeedSource] = []


class ServerConfig(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=0, le=65535)] = 8000
    max_body_bytes: Annotated[int, Meta(ge=1024)] = 1_048_576
    request_timeout_seconds: Annotated[float, Meta(gt=0, le=3600)] = 15.0


class LogConfig(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "text"] = "auto"


@dataclass(frozen=True)
class Secrets:
    """Read only from the environment, never from a file; never logged (repr hides them)."""

    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    smtp_password: str = field(default="", repr=False)
    unsubscribe_secret: str = field(default="", repr=False)
    # Keys signed with before the current one: still accepted when verifying a link.
    previous_secrets: tuple[str, ...] = field(default=(), repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Secrets:
        return cls(
            slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            slack_app_token=env.get("SLACK_APP_TOKEN", ""),
            smtp_password=env.get("COALITION_SMTP_PASSWORD", ""),
            unsubscribe_secret=env.get("COALITION_SECRET_KEY", ""),
            previous_secrets=tuple(k.strip() for k in env.get(
                "COALITION_SECRET_KEY_PREVIOUS", "").split(",") if k.strip()),
        )

    def values(self) -> list[str]:
        """Every secret's value, for masking in logs."""
        return [self.slack_bot_token, self.slack_signing_secret, self.slack_app_token,
                self.smtp_password, self.unsubscribe_secret, *self.previous_secrets]


# The environment variables that are not `[section] key` settings. COALITION_TEST_* is the
# test suite's own (e.g. COALITION_TEST_POSTGRES_URL).
SECRET_VARIABLES = ("COALITION_SMTP_PASSWORD", "COALITION_SECRET_KEY",
                    "COALITION_SECRET_KEY_PREVIOUS")
OTHER_VARIABLES = ("COALITION_CONFIG", *SECRET_VARIABLES)
_RESERVED_PREFIX = "COALITION_TEST_"


class Config(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    store: StoreConfig = msgspec.field(default_factory=StoreConfig)
    coalition: CoalitionConfig = msgspec.field(default_factory=CoalitionConfig)
    clock: ClockConfig = msgspec.field(default_factory=ClockConfig)
    slack: SlackConfig = msgspec.field(default_factory=SlackConfig)
    email: EmailConfig = msgspec.field(default_factory=EmailConfig)
    digest: DigestConfig = msgspec.field(default_factory=DigestConfig)
    minutes: MinutesConfig = msgspec.field(default_factory=MinutesConfig)
    feeds: FeedsConfig = msgspec.field(default_factory=FeedsConfig)
    server: ServerConfig = msgspec.field(default_factory=ServerConfig)
    log: LogConfig = msgspec.field(default_factory=LogConfig)
    # Not settings: where the configuration came from, and the environment's secrets.
    secrets: Secrets = msgspec.field(default_factory=Secrets)
    base_dir: Path = msgspec.field(default_factory=Path.cwd)
    source: str = "built-in defaults"

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

    def settings(self) -> dict[str, dict[str, Any]]:
        """The settings as plain values, by section and key as the file writes them."""
        return {name: msgspec.to_builtins(getattr(self, name)) for name in SECTIONS}


SECTIONS = ("store", "coalition", "clock", "slack", "email", "digest", "minutes", "feeds", "server",
            "log")
_NOT_SETTINGS = {"secrets", "base_dir", "source"}


def _section_type(section: str) -> type[msgspec.Struct]:
    return get_type_hints(Config)[section]


def _keys(section: str) -> dict[str, str]:
    """The section's keys as the file writes them (`from`), to their attribute (`from_`)."""
    return {f.encode_name: f.name for f in msgspec.structs.fields(_section_type(section))}


def env_name(section: str, key: str) -> str:
    return f"COALITION_{section}_{key}".upper()


def _list_value(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _env_overrides(env: dict[str, str]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The settings the environment gives, and the variable each came from (by 'section.key').
    An unknown COALITION_* variable is an error, as an unknown key in the file is."""
    overrides: dict[str, dict[str, Any]] = {}
    origin: dict[str, str] = {}
    known: dict[str, tuple[str, str]] = {}
    for section in SECTIONS:
        for key in _keys(section):
            if key != "sources":
                known[env_name(section, key)] = (section, key)
    for name, value in env.items():
        if not name.startswith("COALITION_") or name in OTHER_VARIABLES \
                or name.startswith(_RESERVED_PREFIX):
            continue
        if name not in known:
            close = difflib.get_close_matches(name, [*known, *OTHER_VARIABLES], n=1,
                                              cutoff=0.8)
            raise ConfigError(f"environment variable {name}: not a setting of Coalition Desk",
                              hint=f"did you mean {close[0]}?" if close else
                              "every setting is COALITION_<SECTION>_<KEY>, as in "
                              "config.example.toml")
        section, key = known[name]
        typed: Any = value
        if key == "reminder_days":
            typed = _list_value(value)
        elif key == "today" and value == "":
            typed = None
        overrides.setdefault(section, {})[key] = typed
        origin[f"{section}.{key}"] = name
    if env.get("SLACK_API_URL") and "api_url" not in overrides.get("slack", {}):
        overrides.setdefault("slack", {})["api_url"] = env["SLACK_API_URL"]
        origin["slack.api_url"] = "SLACK_API_URL"
    return overrides, origin


_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_OWN_KEY = re.compile(r"^`(?P<key>\w+)`: (?P<msg>.*)$", re.S)
_EXPECTED = re.compile(r"^Expected `(?P<type>[^`]+)`(?P<bound> [<>=!]+ \S+)?(?:, got `\w+`)?$")
_TYPE_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false",
               "str": "a text in quotes", "array": "a list", "object": "a table",
               "date": "a date such as 2017-10-06"}


def _lookup(raw: dict, parts: list[str]) -> Any:
    value: Any = raw
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _choices(section: str, key: str) -> list[str]:
    attr = _keys(section).get(key)
    hint = get_type_hints(_section_type(section), include_extras=True).get(attr) if attr else None
    while hint is not None and get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    return list(get_args(hint)) if get_origin(hint) is Literal else []


def _explain(error: msgspec.ValidationError, raw: dict, source: str,
             origin: dict[str, str]) -> str:
    """msgspec's message as one line in the file's words: the key, what was expected, and
    what was given."""
    m = _AT.match(str(error))
    msg, path = m.group("msg"), m.group("path") or ""
    parts = [p for p in re.split(r"\.|\[(\d+)\]", path) if p]
    if own := _OWN_KEY.match(msg):
        parts.append(own.group("key"))
        msg = own.group("msg")
    if unknown := re.match(r"Object contains unknown field `(?P<key>[^`]+)`", msg):
        key = unknown.group("key")
        if not parts:
            close = difflib.get_close_matches(key, SECTIONS, n=1)
            guess = f" (did you mean [{close[0]}]?)" if close else ""
            return f"{source}: unknown section [{key}]{guess}"
        section = parts[0]
        names = list(_keys(section)) if section in SECTIONS else []
        close = difflib.get_close_matches(key, names, n=1)
        guess = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{source}: unknown key '{key}' in [{'.'.join(parts)}]{guess}"
    got = _lookup(raw, parts)
    if expected := _EXPECTED.match(msg):
        words = _TYPE_WORDS.get(expected.group("type"), expected.group("type"))
        msg = f"expected {words}{expected.group('bound') or ''}"
    elif msg.startswith("Invalid enum value"):
        msg = "expected one of " + ", ".join(repr(c) for c in _choices(parts[0], parts[-1]))
    elif msg.startswith("Invalid RFC3339"):
        msg = "expected a date such as 2017-10-06"
    elif msg.startswith("Expected `str` matching regex"):
        msg = {"time": "expected a time such as 09:00",
               "command": "expected a slash command such as /coalition"}.get(
                   parts[-1] if parts else "", msg)
    if got is not None and not isinstance(got, dict | list) and "got " not in msg:
        msg += f", got {got!r}"
    dotted = ".".join(parts[:2])
    if dotted in origin:
        return f"environment variable {origin[dotted]}: {msg}"
    if len(parts) >= 2:
        return f"{source}: [{parts[0]}] {'.'.join(parts[1:])}: {msg}"
    return f"{source}: {'[' + parts[0] + '] ' if parts else ''}{msg}"


def _read_file(path: str | Path) -> tuple[dict[str, Any], str, Path]:
    from store.textfile import read_text

    file = Path(path).expanduser()
    if not file.exists():
        raise ConfigError(f"{file}: config file not found")
    text = read_text(file, what="config file", error=ConfigError)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{file}: not valid TOML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{file}: not valid TOML: nested too deeply") from None
    return raw, str(file), file.resolve().parent


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Load the configuration: file (or built-in defaults), environment, validation, secrets."""
    env = dict(os.environ) if env is None else env
    if path is None and env.get("COALITION_CONFIG"):
        path = env["COALITION_CONFIG"]
    raw: dict[str, Any] = {}
    source, base_dir = "built-in defaults", Path.cwd()
    if path is not None:
        raw, source, base_dir = _read_file(path)
    for name in _NOT_SETTINGS & set(raw):
        raise ConfigError(f"{source}: unknown section [{name}]")
    for section, value in raw.items():
        if section in SECTIONS and not isinstance(value, dict):
            raise ConfigError(f"{source}: [{section}] must be a table, got {value!r}")
    overrides, origin = _env_overrides(env)
    merged = {section: dict(values) if isinstance(values, dict) else values
              for section, values in raw.items()}
    for section, values in overrides.items():
        merged.setdefault(section, {}).update(values)
    try:
        config = msgspec.convert(merged, Config, strict=False)
    except msgspec.ValidationError as e:
        raise ConfigError(_explain(e, merged, source, origin)) from None
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
