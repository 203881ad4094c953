import json

import pytest

from tests.conftest import EXAMPLE, run_cli


@pytest.fixture
def synced_env(store_url, tmp_path):
    env = {"COALITION_STORE_URL": store_url}
    if not store_url.startswith("sqlite"):
        assert run_cli("db", "upgrade", env=env).returncode == 0
    result = run_cli("sync", str(EXAMPLE), env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "added" in result.stdout
    return env


def test_ask_answers_the_three_everyday_questions(synced_env):
    result = run_cli("ask", "who leads work stream 1", env=synced_env)
    assert result.returncode == 0, result.stderr
    assert "BRS" in result.stdout and "UNITAR" in result.stdout
    result = run_cli("ask", "agenda for meeting 5", "--now", "2017-10-01", env=synced_env)
    assert "1. Work Stream 1" in result.stdout and "3. Brief overview" in result.stdout
    result = run_cli("ask", "next deadlines", "--now", "2017-10-06", "--json", env=synced_env)
    payload = json.loads(result.stdout)
    assert payload["command"] == "deadlines"
    assert payload["answer"]["upcoming"][0]["key"] == "tor-ws1-ws2-draft"
    assert payload["answer"]["upcoming"][0]["due_on"] == "2017-11-30"
    result = run_cli("ask", "who leads work stream 2", "--json", env=synced_env)
    payload = json.loads(result.stdout)
    assert payload["answer"]["no_lead"] is True
    assert "recruit" in payload["text"].lower()


def test_second_sync_reports_no_changes(synced_env, tmp_path):
    result = run_cli("sync", str(EXAMPLE), env=synced_env, cwd=tmp_path)
    assert result.returncode == 0
    assert "no changes" in result.stdout


def test_ask_as_a_person_uses_their_organisation(synced_env):
    result = run_cli("ask", "deadlines mine", "--as", "tatiana.terekhova@example.org",
                     "--now", "2017-10-06", "--json", env=synced_env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["answer"]["scope"] == "BRS"
    result = run_cli("ask", "deadlines", "--as", "nobody@example.org", env=synced_env)
    assert result.returncode == 2
    assert "no such person" in result.stderr


def test_bad_now_and_bad_data_file_exit_2(synced_env, tmp_path):
    result = run_cli("ask", "agenda", "--now", "yesterday", env=synced_env)
    assert result.returncode == 2 and "--now" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[[organisations]]\nacronym = "X"\n')
    result = run_cli("sync", str(bad), env=synced_env)
    assert result.returncode == 2
    assert "organisations[1] (X), line 1: name is missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_postgres_store_without_schema_asks_for_db_upgrade(store_url):
    if store_url.startswith("sqlite"):
        pytest.skip("SQLite upgrades itself")
    result = run_cli("ask", "agenda", env={"COALITION_STORE_URL": store_url})
    assert result.returncode == 1
    assert "coalition db upgrade" in result.stderr


def test_feeds_poll_exits_1_when_no_feed_could_be_read(tmp_path):
    env = {"COALITION_STORE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    assert run_cli("sync", str(EXAMPLE), env=env).returncode == 0
    assert run_cli("feeds", "add", f"file://{tmp_path / 'gone.xml'}", env=env).returncode == 0
    result = run_cli("feeds", "poll", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    (tmp_path / "gone.xml").write_text(
        '<rss version="2.0"><channel><title>t</title><item><title>x</title>'
        '<link>https://example.org/x</link></item></channel></rss>')
    result = run_cli("feeds", "poll", "--all", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
