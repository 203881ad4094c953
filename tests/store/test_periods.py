import datetime as dt

import pytest

from store.periods import parse_period

D = dt.date


@pytest.mark.parametrize(("text", "start", "end"), [
    ("Sept-Dec 16", D(2016, 9, 1), D(2016, 12, 31)),
    ("January- February 17", D(2017, 1, 1), D(2017, 2, 28)),
    ("March 17", D(2017, 3, 1), D(2017, 3, 31)),
    ("April –June 17", D(2017, 4, 1), D(2017, 6, 30)),
    ("October 16- August 17", D(2016, 10, 1), D(2017, 8, 31)),
    ("November 2017", D(2017, 11, 1), D(2017, 11, 30)),
    ("November/December 2017", D(2017, 11, 1), D(2017, 12, 31)),
    ("2018-01-15", D(2018, 1, 15), D(2018, 1, 15)),
    ("Ongoing", None, None),
])
def test_work_plan_periods_keep_text_and_dates(text, start, end):
    period = parse_period(text)
    assert (period.text, period.starts_on, period.ends_on) == (text, start, end)


@pytest.mark.parametrize("text", ["soon", "Smarch 17", "November", "Dec-Jan 2017x"])
def test_unreadable_period_names_the_text(text):
    with pytest.raises(ValueError, match="cannot read|needs a year"):
        parse_period(text)
