"""The backoff rule on its own: what a failed or a good poll makes of a feed."""

import datetime as dt

import pytest

from worker.backoff import MAX_BACKOFF, MAX_RETRY_AFTER, after_failure, after_read

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize(("before", "wait", "status"), [
    (0, 2 * HOUR, "error"), (1, 4 * HOUR, "error"), (2, 8 * HOUR, "error"),
    (3, 16 * HOUR, "error"), (4, MAX_BACKOFF, "failing"), (40, MAX_BACKOFF, "failing"),
])
def test_failures_in_a_row_double_the_wait_up_to_a_day_and_flag_the_feed(before, wait, status):
    after = after_failure(error_count=before, interval_minutes=60, now=NOW, alert_after=5)
    assert (after.error_count, after.status, after.next_poll_at) == (before + 1, status,
                                                                     NOW + wait)


def test_a_server_asking_to_wait_longer_is_heard_up_to_a_week():
    asked = after_failure(error_count=0, interval_minutes=60, now=NOW, alert_after=5,
                          retry_after=7200 + 1)
    assert asked.next_poll_at == NOW + dt.timedelta(seconds=7201)
    shorter = after_failure(error_count=0, interval_minutes=60, now=NOW, alert_after=5,
                            retry_after=60)
    assert shorter.next_poll_at == NOW + 2 * HOUR  # the backoff, not sooner
    absurd = after_failure(error_count=0, interval_minutes=60, now=NOW, alert_after=5,
                           retry_after=10 ** 9)
    assert absurd.next_poll_at == NOW + MAX_RETRY_AFTER


def test_a_feed_gone_for_good_is_retired():
    gone = after_failure(error_count=2, interval_minutes=60, now=NOW, alert_after=5, gone=True)
    assert (gone.error_count, gone.status, gone.next_poll_at) == (3, "retired", None)


def test_a_feed_read_fine_is_ok_or_warning_and_polled_after_its_interval():
    assert after_read(interval_minutes=30, now=NOW, warning="") == \
        ("ok", "", NOW + dt.timedelta(minutes=30))
    assert after_read(interval_minutes=30, now=NOW, warning="mismatched tag") == \
        ("warning", "parsed with a warning: mismatched tag", NOW + dt.timedelta(minutes=30))
