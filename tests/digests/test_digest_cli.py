import email
import json
from email import policy

from tests.conftest import EXAMPLE, run_cli


def test_digest_send_on_the_example_fills_the_outbox_once(store_url, tmp_path):
    env = {"COALITION_STORE_URL": store_url,
           "COALITION_EMAIL_OUTBOX_DIR": str(tmp_path / "outbox")}
    if not store_url.startswith("sqlite"):
        assert run_cli("db", "upgrade", env=env).returncode == 0
    assert run_cli("sync", str(EXAMPLE), env=env).returncode == 0
    dry = run_cli("digest", "send", "--period", "2017-W41", "--now", "2017-10-09",
                  "--dry-run", env=env)
    assert dry.returncode == 0 and "13 pending" in dry.stdout
    assert not (tmp_path / "outbox").exists()
    first = run_cli("digest", "send", "--period", "2017-W41", "--now", "2017-10-09", env=env)
    assert first.returncode == 0, first.stderr
    assert "this run 13 sent" in first.stdout
    files = sorted((tmp_path / "outbox").iterdir())
    assert len(files) == 13
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert msg.get_content_type() == "multipart/alternative"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    second = run_cli("digest", "send", "--period", "2017-W41", "--now", "2017-10-09", env=env)
    assert "this run nothing to do" in second.stdout
    assert len(list((tmp_path / "outbox").iterdir())) == 13
    status = json.loads(run_cli("digest", "status", "--period", "2017-W41", "--json",
                                env=env).stdout)
    assert {d["status"] for d in status["deliveries"]} == {"sent"}
    preview = run_cli("digest", "preview", "--to", "garam.bel@example.org", "--now",
                      "2017-10-09", "--out", str(tmp_path / "p.html"), env=env)
    assert preview.returncode == 0, preview.stderr
    assert "For the secretariat" in (tmp_path / "p.html").read_text()
    bad = run_cli("digest", "send", "--period", "2017-41", env=env)
    assert bad.returncode == 2 and "--period" in bad.stderr
