"""Benchmark: the weekly digest for 10,000 recipients, rendered and sent to a local SMTP server,
against bare smtplib sending 10,000 pre-built messages of the same size over one connection.

Prints JSON. Both sides talk to the same aiosmtpd sink, in its own process. Our figure includes
everything a real run does: preparing the deliveries, building each digest, rendering text and
HTML, inlining CSS, two commits per message (sending, then sent) and the SMTP exchange.

    python bench/digest.py [--recipients 10000]
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coalition.config import load_config  # noqa: E402
from digests.delivery import send_period  # noqa: E402
from digests.period import parse_period_key  # noqa: E402
from digests.transport import SMTP_POLICY, SmtpTransport  # noqa: E402
from store.engine import make_engine, unit_of_work  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import DigestDelivery, Organisation, Person  # noqa: E402
from store.sync import sync_file  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the SMTP sink did not start")


def populate(engine, n: int) -> None:
    import datetime as dt

    with unit_of_work(engine) as session:
        sync_file(session=session, path=ROOT / "examples" / "ewaste-coalition.toml",
                  now=dt.datetime(2017, 10, 6, tzinfo=dt.UTC))
        orgs = [o.id for o in session.exec(__import__("sqlmodel").select(Organisation))]
        session.add_all(Person(email=f"r{i:05d}@example.org", name=f"Recipient {i}",
                               organisation_id=orgs[i % len(orgs)],
                               unsubscribe_token=f"bench-token-{i:05d}-{'x' * 20}")
                        for i in range(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    args = parser.parse_args()
    port = free_port()
    sink = start_sink(port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            upgrade(engine)
            populate(engine, args.recipients)
            config = load_config(None, env={
                "COALITION_EMAIL_TRANSPORT": "smtp", "COALITION_EMAIL_SMTP_HOST": "127.0.0.1",
                "COALITION_EMAIL_SMTP_PORT": str(port), "COALITION_EMAIL_SMTP_SECURITY": "none"})
            period = parse_period_key("2017-W41", config.coalition.timezone)
            import datetime as dt

            now = dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)
            transport = SmtpTransport(host="127.0.0.1", port=port, security="none")
            t0 = time.perf_counter()
            report = send_period(engine=engine, config=config, period=period, now=now,
                                 transport=transport)
            ours = time.perf_counter() - t0
            transport.close()
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            sent = report.this_run.get("sent", 0)
            sample = _sample_message(engine, config, period, now)
        bare = _bare_send(port, sample, sent)
    finally:
        sink.terminate()
        sink.wait(10)
    print(json.dumps({
        "benchmark": "digest",
        "recipients": args.recipients,
        "sent": sent,
        "ours_seconds": round(ours, 3),
        "bare_smtplib_seconds": round(bare, 3),
        "ratio_ours_to_bare": round(ours / bare, 3),
        "target_ratio": 1.5,
        "peak_rss_mb": round(peak_mb, 1),
        "target_peak_rss_mb": 300,
        "message_bytes": len(sample.as_bytes()),
    }, indent=2))


def _sample_message(engine, config, period, now):
    """One of the digests we sent, rebuilt: the size the bare sender sends."""
    from sqlmodel import Session, select

    from digests.compose import compose
    from digests.delivery import load_shared

    with Session(engine) as session:
        delivery = session.exec(select(DigestDelivery)).first()
        person = session.get(Person, delivery.person_id)
        shared = load_shared(session=session, config=config, period=period, now=now)
    return compose(person=person, shared=shared, config=config, period=period, now=now,
                   delivery_id=delivery.id)


def _bare_send(port: int, sample, n: int) -> float:
    """The floor: n pre-built messages of the same size over one smtplib connection."""
    messages = []
    for i in range(n):
        msg = copy.copy(sample)
        del msg["To"]
        msg["To"] = f"r{i:05d}@example.org"
        messages.append(msg.as_bytes(policy=SMTP_POLICY))
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i, data in enumerate(messages):
            smtp.sendmail("secretariat@example.org", [f"r{i:05d}@example.org"], data)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
