"""The digest's HTML rendered in headless Chromium, saved as a PNG for a person to look at."""

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlmodel import Session, select

from coalition.config import load_config
from digests.compose import compose
from digests.content import Shared
from digests.message import body
from digests.period import period_at
from store.models import Person

OUTPUT = Path(__file__).resolve().parent.parent / "output"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOW = dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                    "(apt-get install chromium)")
@pytest.mark.parametrize("width", [800, 380])
def test_digest_html_renders_in_chromium(example_engine, tmp_path, width):
    config = load_config(None, env={})
    with Session(example_engine) as session:
        person = session.exec(select(Person).where(Person.email == "garam.bel@example.org")).one()
        shared = Shared.load(session, now=NOW, since=NOW - dt.timedelta(days=7),
                             coalition=config.coalition.name)
    message = compose(person=person, shared=shared, config=config,
                      period=period_at(NOW, config.coalition.timezone), now=NOW, delivery_id=1)
    page = tmp_path / "digest.html"
    page.write_text(body(message, "html"), encoding="utf-8")
    OUTPUT.mkdir(exist_ok=True)
    png = OUTPUT / f"digest-{width}.png"
    png.unlink(missing_ok=True)
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
                    f"--window-size={width},1800", f"--screenshot={png}", page.as_uri()],
                   check=True, capture_output=True, timeout=90)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000  # a rendered page, not a blank one
