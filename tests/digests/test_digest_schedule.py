"""When the scheduler sends the weekly digest: at its time, for `catch_up_hours` after it, and
never as a surprise (a store that has never sent a digest sends none when the service starts)."""

import datetime as dt
import email
import logging
from email import policy

import pytest
from sqlmodel import Session, select

from coalition.config import load_config
from coalition.service import WeeklyDigest
from digests.period import due_period, parse_period_key, scheduled_at
from digests.tokens import SigningKeyMissing
from store.models import Digest
from tests.conftest import runtime_for
from worker.loop import Job, Worker

ZURICH = "Europe/Zurich"


def at(text: str) -> dt.datetime:
    """A Geneva wall-clock time as UTC."""
    from zoneinfo import ZoneInfo

    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZURICH)).astimezone(dt.UTC)


def decide(now, started_at, ever_sent=True, hours=24):
    asked = []

    def sent_before():
        asked.append(True)
        return ever_sent

    decision = due_period(now=at(now), started_at=at(started_at), ever_sent=sent_before,
                          timezone=ZURICH, weekday="monday", time="09:00",
                          catch_up=dt.timedelta(hours=hours))
    return decision, bool(asked)


def test_the_digest_is_due_at_its_weekday_and_time_in_the_coalitions_timezone():
    w41, w44 = (parse_period_key(k, ZURICH) for k in ("2017-W41", "2017-W44"))
    assert scheduled_at(w41, weekday="monday", time="09:00", timezone=ZURICH) == \
        dt.datetime(2017, 10, 9, 7, 0, tzinfo=dt.UTC)  # summer time
    assert scheduled_at(w44, weekday="monday", time="09:00", timezone=ZURICH) == \
        dt.datetime(2017, 10, 30, 8, 0, tzinfo=dt.UTC)  # winter time, from 29 October
    assert scheduled_at(w41, weekday="friday", time="16:30", timezone=ZURICH) == \
        at("2017-10-13T16:30")


@pytest.mark.parametrize(("now", "started", "ever_sent", "sends", "says"), [
    ("2017-10-09T08:59", "2017-10-02T12:00", True, False, "2017-W41 is due Mon 09 Oct 2017 09:00"),
    ("2017-10-09T09:00", "2017-10-02T12:00", False, True, "2017-W41 is due since"),
    ("2017-10-10T08:59", "2017-10-02T12:00", True, True, "2017-W41 is due since"),
    ("2017-10-10T09:00", "2017-10-02T12:00", True, False, "more than 24 hours ago"),
    ("2017-10-10T08:00", "2017-10-10T07:59", True, True, "catching up: 2017-W41 was due"),
    ("2017-10-10T09:00", "2017-10-10T07:59", True, False, "([digest] catch_up_hours)"),
    ("2017-10-10T08:00", "2017-10-10T07:59", False, False,
     "has never sent a digest: the first goes Mon 16 Oct 2017 09:00 (Europe/Zurich)"),
    ("2017-10-09T09:00", "2017-10-09T09:00", False, True, "2017-W41 is due since"),
])
def test_the_schedulers_rule(now, started, ever_sent, sends, says):
    decision, asked = decide(now, started, ever_sent)
    assert (decision.period is not None) == sends, decision.reason
    assert says in decision.reason
    if decision.period is not None:
        assert decision.period.key == "2017-W41"
    assert asked == (at(started) > at("2017-10-09T09:00") and at(now) < at("2017-10-10T09:00"))


def test_only_the_current_week_is_caught_up_after_a_long_downtime():
    decision, _ = decide("2017-10-17T10:00", "2017-10-17T10:00", hours=200)
    assert decision.period.key == "2017-W42"  # W41 is never sent late, whatever the window


def sent_weeks(outbox) -> dict[str, int]:
    weeks: dict[str, int] = {}
    for path in outbox.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        week = msg["Message-ID"].split("-")[1] + "-" + msg["Message-ID"].split("-")[2]
        weeks[week] = weeks.get(week, 0) + 1
    return weeks


def start_worker(engine, config, now):
    """A worker with the digest job, started at `now` (its first pass runs every job once)."""
    clock = {"now": now}
    job = WeeklyDigest(runtime_for(engine, config), started_at=now)
    worker = Worker(engine=engine, jobs=[Job("weekly-digest", 60, job, exclusive=False)],
                    now=lambda: clock["now"])
    return worker, clock


def test_no_surprise_sends_first_start_then_schedule_then_catch_up(example_engine, tmp_path,
                                                                     caplog):
    config = load_config(None, env={"COALITION_EMAIL_OUTBOX_DIR": str(tmp_path / "out")})
    caplog.set_level(logging.INFO, logger="coalition.worker")
    # First start on a freshly synced store, on Tuesday (inside the catch-up window): nothing
    worker, clock = start_worker(example_engine, config, at("2017-10-10T08:00"))
    worker.run_job(worker.jobs[0])
    with Session(example_engine) as session:
        assert session.exec(select(Digest)).all() == []
    assert "has never sent a digest: the first goes Mon 16 Oct 2017 09:00" in caplog.text
    assert sent_weeks(tmp_path / "out") == {}
    # The same process at the next scheduled time: the first digest goes.
    clock["now"] = at("2017-10-16T09:01")
    worker.run_job(worker.jobs[0])
    assert sent_weeks(tmp_path / "out") == {"2017-W42": 13}
    assert "2017-W42 is due since Mon 16 Oct 2017 09:00" in caplog.text
    # Down over the next Monday, started again 3 hours after its time: caught up, once.
    worker, clock = start_worker(example_engine, config, at("2017-10-23T12:00"))
    worker.run_job(worker.jobs[0])
    worker.run_job(worker.jobs[0])
    assert sent_weeks(tmp_path / "out") == {"2017-W42": 13, "2017-W43": 13}
    assert "catching up: 2017-W43 was due" in caplog.text
    # Down for longer than catch_up_hours: that week is not sent by the scheduler.
    worker, clock = start_worker(example_engine, config, at("2017-10-31T10:00"))
    worker.run_job(worker.jobs[0])
    assert "2017-W44" not in sent_weeks(tmp_path / "out")
    assert "more than 24 hours ago ([digest] catch_up_hours)" in caplog.text


def test_the_scheduled_job_refuses_smtp_without_a_signing_key(example_engine, smtp):
    config = load_config(None, env={"COALITION_EMAIL_TRANSPORT": "smtp",
                                    "COALITION_EMAIL_SMTP_HOST": "127.0.0.1",
                                    "COALITION_EMAIL_SMTP_PORT": str(smtp.port),
                                    "COALITION_EMAIL_SMTP_SECURITY": "none"})
    job = WeeklyDigest(runtime_for(example_engine, config), started_at=at("2017-10-01T12:00"))
    assert job(at("2017-10-09T08:00"), None).startswith("nothing to send")  # not due: no fuss
    with pytest.raises(SigningKeyMissing, match="COALITION_SECRET_KEY"):
        job(at("2017-10-09T09:05"), None)
    assert smtp.messages == []
    with Session(example_engine) as session:
        assert session.exec(select(Digest)).all() == []
