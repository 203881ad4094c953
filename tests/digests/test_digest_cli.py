import email
import json
import subprocess
import sys
from email import policy

from sqlalchemy import create_engine, inspect, text

from tests.conftest import EXAMPLE, ROOT, run_cli


def store_contents(store_url: str) -> dict:
    """Every row of every table, for comparing a store before and after."""
    engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return {name: sorted(map(repr, conn.execute(text(f'SELECT * FROM "{name}"'))))
                    for name in inspect(conn).get_table_names()}
    finally:
        engine.dispose()


def test_digest_send_on_the_example_fills_the_outbox_once(store_url, tmp_path):
    env = {"COALITION_STORE_URL": store_url,
           "COALITION_EMAIL_OUTBOX_DIR": str(tmp_path / "outbox")}
    if not store_url.startswith("sqlite"):
        assert run_cli("db", "upgrade", env=env).returncode == 0
    assert run_cli("sync", str(EXAMPLE), env=env).returncode == 0
    before = store_contents(store_url)
    file_before = (tmp_path / "store.db").read_bytes() if store_url.startswith("sqlite") else b""
    dry = run_cli("digest", "send", "--period", "2017-W41", "--now", "2017-10-09",
                  "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0] == "2017-W41, dry run: nothing is sent, nothing is written"
    listed = [line.split() for line in lines[1:-1]]
    assert len(listed) == 13 and all(words[0].endswith("@example.org") for words in listed)
    assert all(" ".join(words[1:]).startswith("E-waste Coalition — week 41: ")
               for words in listed)
    assert lines[-1] == "13 would be sent"
    assert "COALITION_SECRET_KEY is not set: the digest's links are unsigned" in dry.stderr
    # nothing written: no period, no delivery, no copy; the SQLite file byte for byte
    assert store_contents(store_url) == before
    if store_url.startswith("sqlite"):
        assert (tmp_path / "store.db").read_bytes() == file_before
    assert not (tmp_path / "outbox").exists()

    first = run_cli("digest", "send", "--period", "2017-W41", "--now", "2017-10-09", env=env)
    assert first.returncode == 0, first.stderr
    assert "this run 13 sent" in first.stdout
    files = sorted((tmp_path / "outbox").iterdir())
    assert len(files) == 13
    subjects = set()
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert msg.get_content_type() == "multipart/alternative"
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        subjects.add(f"{msg['To'].addresses[0].addr_spec} {msg['Subject']}")
    assert subjects == {" ".join(words) for words in listed}  # the dry run told the truth
    second = run_cli("digest", "send", "--period", "2017-W41", "--now", "2017-10-09", env=env)
    assert second.returncode == 0 and "this run nothing to do" in second.stdout
    assert len(list((tmp_path / "outbox").iterdir())) == 13
    status = json.loads(run_cli("digest", "status", "--period", "2017-W41", "--json",
                                env=env).stdout)
    assert {d["status"] for d in status["deliveries"]} == {"sent"}
    assert set(status["deliveries"][0]) == {"email", "status", "sent_at", "attempts", "error",
                                            "error_at"}
    preview = run_cli("digest", "preview", "--to", "garam.bel@example.org", "--now",
                      "2017-10-09", "--out", str(tmp_path / "p.html"), env=env)
    assert preview.returncode == 0, preview.stderr
    assert "For the secretariat" in (tmp_path / "p.html").read_text()
    bad = run_cli("digest", "send", "--period", "2017-41", env=env)
    assert bad.returncode == 2 and "--period" in bad.stderr


def test_preview_prints_the_decoded_subject_and_where_the_view_link_will_point(tmp_path):
    env = {"COALITION_STORE_URL": f"sqlite:///{tmp_path / 'store.db'}",
           "COALITION_EMAIL_BASE_URL": "https://desk.example.org",
           "COALITION_SECRET_KEY": "k" * 32}
    assert run_cli("sync", str(EXAMPLE), env=env).returncode == 0
    preview = run_cli("digest", "preview", "--to", "Sophie.Ravier@example.org", "--now",
                      "2017-10-09", env=env)
    assert preview.returncode == 0, preview.stderr
    subject, view, *_ = preview.stdout.splitlines()
    assert subject.startswith("Subject: E-waste Coalition — week 41: ") and "=?utf-8?" not in \
        subject
    assert view.startswith("View in browser, once 2017-W41 is sent: "
                           "https://desk.example.org/digest/<number>?token=")
    assert "(<number> is the number its delivery gets then)" in view
    assert "https://desk.example.org/digest/<number>?token=" in preview.stdout.split("--")[-1]


def shell(command: str, env: dict) -> subprocess.CompletedProcess:
    """`command` run by sh, then `echo "exit=$?"`: the exit code as the shell sees it."""
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith(("COALITION_", "SLACK_"))}
    full.update(env)
    return subprocess.run(["sh", "-c", f'{command}; echo "exit=$?"'], capture_output=True,
                          text=True, env=full, cwd=ROOT, timeout=120)


def test_send_exit_codes_reach_the_shell_and_resend_is_the_explicit_way(tmp_path, smtp,
                                                                        down_port):
    coalition = f"{sys.executable} -m coalition.cli"
    period = "--period 2017-W41 --now 2017-10-09"
    env = {"COALITION_STORE_URL": f"sqlite:///{tmp_path / 'store.db'}",
           "COALITION_EMAIL_TRANSPORT": "smtp", "COALITION_EMAIL_SMTP_HOST": "127.0.0.1",
           "COALITION_EMAIL_SMTP_PORT": str(down_port), "COALITION_EMAIL_SMTP_SECURITY": "none",
           "COALITION_EMAIL_SMTP_TIMEOUT": "1", "COALITION_EMAIL_BASE_URL":
           "https://desk.example.org", "COALITION_SECRET_KEY": "k" * 32}
    assert shell(f"{coalition} sync {EXAMPLE}", env).stdout.endswith("exit=0\n")

    stopped = shell(f"{coalition} digest send {period}", env)  # the mail server is down
    assert stopped.stdout.endswith("2017-W41: this run 1 deferred; in all 13 pending\nexit=1\n")
    assert "not every digest is sent: 13 pending (the mail server cannot be reached)" in \
        stopped.stderr
    assert "Traceback" not in stopped.stderr

    env["COALITION_EMAIL_SMTP_PORT"] = str(smtp.port)
    smtp.drop_after = 0  # the first message's line drops before the server keeps it
    dropped = shell(f"{coalition} digest send {period}", env)
    assert "this run 1 ambiguous, 12 sent; in all 1 ambiguous, 12 sent" in dropped.stdout
    assert dropped.stdout.endswith("exit=1\n"), dropped.stderr
    [lost] = [a for a in dropped.stdout.rsplit(": ", 1)[1].split() if "@" in a]
    again = shell(f"{coalition} digest send {period}", env)  # never re-sent by itself
    assert "this run nothing to do" in again.stdout and again.stdout.endswith("exit=1\n")
    assert smtp.count_for(lost) == 0 and len(smtp.messages) == 12

    unasked = shell(f"{coalition} digest resend --period 2017-W41 --to {lost} < /dev/null",
                    env)
    assert unasked.stdout.endswith("exit=2\n") and "add --yes" in unasked.stderr
    assert f"About to send the 2017-W41 digest to {lost} again. It is ambiguous" in \
        unasked.stdout
    resent = shell(f"{coalition} digest resend --period 2017-W41 --to {lost} --yes", env)
    assert resent.stdout.endswith("exit=0\n"), resent.stderr
    assert f"sent again to {lost}: 250 2.0.0 queued as 13" in resent.stdout
    assert smtp.count_for(lost) == 1
    done = shell(f"{coalition} digest send {period}", env)
    assert done.stdout.endswith("in all 13 sent\nexit=0\n")
    twice = shell(f"{coalition} digest resend --period 2017-W41 --to {lost} --yes", env)
    assert twice.stdout.endswith("exit=2\n") and "was sent" in twice.stderr
    assert smtp.count_for(lost) == 1
