import datetime as dt
from pathlib import Path

import pytest

from coalition.config import ConfigError, load_config
from tests.conftest import ROOT, run_cli

EXAMPLE_CONFIG = ROOT / "config.example.toml"


def comparable(config):
    return config.settings()


def test_built_in_defaults_are_the_example_config():
    assert comparable(load_config(None, env={})) == comparable(load_config(EXAMPLE_CONFIG, env={}))


def test_environment_overrides_the_file(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text('[store]\nurl = "sqlite:///file.db"\n[feeds]\nconcurrency = 4\n')
    config = load_config(file, env={
        "COALITION_STORE_URL": "postgresql+psycopg://x@db/coalition",
        "COALITION_FEEDS_ALLOW_PRIVATE": "true",
        "COALITION_CLOCK_TODAY": "2017-10-06",
        "COALITION_EMAIL_FROM": "Desk <desk@example.org>",
    })
    assert config.store.url == "postgresql+psycopg://x@db/coalition"
    assert config.feeds.allow_private is True
    assert config.feeds.concurrency == 4
    assert config.clock.today == dt.date(2017, 10, 6)
    assert config.email.from_ == "Desk <desk@example.org>"


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    file = tmp_path / "conf" / "c.toml"
    file.parent.mkdir()
    file.write_text('[store]\nurl = "sqlite:///data/c.db"\n')
    config = load_config(file, env={})
    assert config.store_url == f"sqlite:///{tmp_path / 'conf' / 'data' / 'c.db'}"
    assert config.path(config.coalition.data) == tmp_path / "conf" / "examples" / \
        "ewaste-coalition.toml"


def test_secrets_come_from_the_environment_and_stay_out_of_repr():
    config = load_config(None, env={"SLACK_BOT_TOKEN": "xoxb-secret-value"})
    assert config.secrets.slack_bot_token == "xoxb-secret-value"
    assert "xoxb-secret-value" not in repr(config)


@pytest.mark.parametrize(("content", "env", "expected"), [
    ('[store]\nurls = "x"\n', {}, r"unknown key 'urls' in \[store\]"),
    ('[stor]\nurl = "x"\n', {}, r"unknown section \[stor\]"),
    ('[feeds]\nconcurrency = "many"\n', {}, r"\[feeds\] concurrency: .*integer.*'many'"),
    ('[coalition]\ntimezone = "Mars/Olympus"\n', {}, r"\[coalition\] timezone: .*IANA"),
    ('[slack]\nenabled = true\n', {}, r"SLACK_BOT_TOKEN"),
    ('[store\n', {}, r"not valid TOML"),
    ("", {"COALITION_FEEDS_CONCURRENCY": "lots"},
     r"environment variable COALITION_FEEDS_CONCURRENCY: .*integer"),
])
def test_wrong_config_gets_one_clear_message(tmp_path, content, env, expected):
    file = tmp_path / "bad.toml"
    file.write_text(content)
    with pytest.raises(ConfigError, match=expected) as info:
        load_config(file, env=env)
    if not env:
        assert str(file) in str(info.value)


def test_wrong_config_exits_2_without_traceback(tmp_path):
    file = tmp_path / "bad.toml"
    file.write_text('[feeds]\nconcurrency = "many"\n')
    result = run_cli("--config", str(file), "ask", "who leads ws1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{file}: [feeds] concurrency" in result.stderr


def test_missing_config_file_is_named(tmp_path):
    result = run_cli("ask", "help", env={"COALITION_CONFIG": str(tmp_path / "nope.toml")})
    assert result.returncode == 2
    assert "nope.toml: config file not found" in result.stderr


def test_every_config_key_is_documented_in_the_example():
    text = Path(EXAMPLE_CONFIG).read_text()
    config = load_config(None, env={})
    for section, values in config.settings().items():
        assert f"[{section}]" in text
        for key in values:
            assert f"\n{key} = " in text or f"\n# {key} = " in text, f"[{section}] {key}"
