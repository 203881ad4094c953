"""Signed links that cannot be forged: a key is required to mail them, a rotated key keeps
the links already mailed working, and without a key nothing pretends to check a signature."""

import httpx
import pytest
from sqlmodel import Session, select

from coalition.config import load_config
from coalition.web import create_app
from digests.tokens import SigningKeyMissing, check_links, sign, verify
from store.models import Person
from tests.conftest import EXAMPLE, LiveServer, run_cli, runtime_for

OLD, NEW = "old-key-" + "o" * 24, "new-key-" + "n" * 24
EMAIL = "nelson.manda@example.org"


def token_of(engine, email: str = EMAIL) -> str:
    with Session(engine) as session:
        return session.exec(select(Person.unsubscribe_token).where(Person.email == email)).one()


def page(engine, env: dict, signed: str) -> int:
    """The unsubscribe confirmation page's status for this link, on a server so configured."""
    runtime = runtime_for(engine, load_config(None, env=env))
    with LiveServer(create_app(runtime)) as server:
        return httpx.get(f"{server.url}/unsubscribe", params={"token": signed}).status_code


def test_without_a_key_only_the_bare_token_is_accepted(example_engine):
    bare = token_of(example_engine)
    assert verify(bare, "") == bare
    for forged in (f"{bare}.anything", f"{bare}.{'0' * 32}", sign(bare, OLD), f"{bare}."):
        assert verify(forged, "") is None, forged
    runtime = runtime_for(example_engine, load_config(None, env={}))
    with LiveServer(create_app(runtime)) as server:
        assert httpx.get(f"{server.url}/unsubscribe", params={"token": bare}).status_code == 200
        for forged in (f"{bare}.{'0' * 32}", sign(bare, OLD)):  # well-formed, unverifiable
            assert httpx.get(f"{server.url}/unsubscribe",
                             params={"token": forged}).status_code == 400


def test_a_rotated_key_keeps_mailed_links_working_and_forgeries_out(example_engine):
    bare = token_of(example_engine)
    mailed = sign(bare, OLD)  # a link mailed before the rotation
    assert verify(mailed, NEW, (OLD,)) == bare
    assert verify(sign(bare, NEW), NEW, (OLD,)) == bare
    assert verify(mailed, NEW) is None  # without the previous key: refused
    assert verify(sign(bare, "someone-elses-key"), NEW, (OLD,)) is None
    assert verify(bare, NEW, (OLD,)) is None  # unsigned while a key is set: refused
    rotated = {"COALITION_SECRET_KEY": NEW, "COALITION_SECRET_KEY_PREVIOUS": f" {OLD} ,older"}
    assert load_config(None, env=rotated).secrets.previous_secrets == (OLD, "older")
    assert page(example_engine, rotated, mailed) == 200
    assert page(example_engine, {"COALITION_SECRET_KEY": NEW}, mailed) == 400


def test_smtp_refuses_to_send_without_a_key_and_warns_of_plain_http():
    with pytest.raises(SigningKeyMissing, match="environment variable COALITION_SECRET_KEY"):
        check_links(transport="smtp", secret="", base_url="https://desk.example.org")
    assert check_links(transport="smtp", secret=NEW, base_url="https://desk.example.org") == []
    [plain] = check_links(transport="smtp", secret=NEW, base_url="http://desk.example.org")
    assert "not https://" in plain and "RFC 8058" in plain
    [unsigned] = check_links(transport="outbox", secret="", base_url="http://localhost:8000")
    assert "links are unsigned" in unsigned


def test_digest_send_by_smtp_without_a_key_exits_2_naming_the_variable(tmp_path, smtp):
    env = {"COALITION_STORE_URL": f"sqlite:///{tmp_path / 'store.db'}",
           "COALITION_EMAIL_TRANSPORT": "smtp", "COALITION_EMAIL_SMTP_HOST": "127.0.0.1",
           "COALITION_EMAIL_SMTP_PORT": str(smtp.port), "COALITION_EMAIL_SMTP_SECURITY": "none"}
    assert run_cli("sync", str(EXAMPLE), env=env).returncode == 0
    refused = run_cli("digest", "send", "--period", "2017-W41", "--now", "2017-10-09", env=env)
    assert refused.returncode == 2
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: transport smtp needs the environment variable COALITION_SECRET_KEY:"
                      " it signs the digest's unsubscribe and view-in-browser links, which could"
                      " be forged without it"]
    assert "COALITION_SECRET_KEY_PREVIOUS" in refused.stderr  # the hint: how to rotate later
    assert smtp.messages == []
    from sqlalchemy import create_engine, text

    engine = create_engine(env["COALITION_STORE_URL"])
    with engine.connect() as conn:  # nothing was prepared either
        assert conn.execute(text("SELECT count(*) FROM digest")).scalar() == 0
    engine.dispose()
