"""Python's period arithmetic (pipelines/periods.py) agrees with the SQL macros the models use
(sql/macros.sql `period_start`, `period_next`), run in DuckDB on the same days: ISO-week year boundaries,
month ends and leap days included (SPEC §5: a week is an ISO week from Monday, a month a calendar month)."""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.build.models import MACROS
from pipelines.periods import (
    GRAINS,
    is_complete,
    latest_complete,
    period_last_day,
    period_next,
    period_shift,
    period_start,
)

# Every day of these spans: 2020 ends on a Thursday (ISO week 2020-53 runs to Sunday 3 January 2021),
# 2024 has 29 February, 2026-12-28 is the Monday of ISO week 2026-53, 2027-01-04 the first of 2027.
SPANS = [(dt.date(2019, 12, 20), dt.date(2021, 3, 10)), (dt.date(2023, 12, 20), dt.date(2024, 3, 10)),
         (dt.date(2026, 12, 1), dt.date(2027, 1, 20)), (dt.date(2099, 12, 25), dt.date(2100, 3, 5))]
DAYS = sorted({a + dt.timedelta(days=i) for a, b in SPANS for i in range((b - a).days + 1)})
# A moment just before and at the edges of a day: a week or month ends at 00:00 of the next one.
TIMES = [dt.time(0, 0), dt.time(12, 30), dt.time(23, 59, 59, 999999)]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute(MACROS.read_text(encoding="utf-8"))
    yield c
    c.close()


def _sql_starts(con, grain: str, moments: list[dt.datetime]) -> list[dt.date]:
    con.execute("CREATE OR REPLACE TEMP TABLE moments (i INTEGER, ts TIMESTAMP)")
    con.executemany("INSERT INTO moments VALUES (?, ?)", list(enumerate(moments)))
    return [r[0] for r in con.execute("SELECT period_start(?, ts) FROM moments ORDER BY i", [grain]).fetchall()]


@pytest.mark.parametrize("grain", GRAINS)
def test_period_start_agrees_with_the_sql_macro(con, grain):
    moments = [dt.datetime.combine(d, t) for d in DAYS for t in TIMES]
    assert [period_start(grain, m) for m in moments] == _sql_starts(con, grain, moments)
    assert [period_start(grain, d) for d in DAYS] == [period_start(grain, dt.datetime.combine(d, dt.time()))
                                                      for d in DAYS]


@pytest.mark.parametrize("grain", GRAINS)
def test_period_next_agrees_with_the_sql_macro(con, grain):
    starts = sorted({period_start(grain, d) for d in DAYS})
    sql = [r[0] for r in con.execute("SELECT period_next(?, p) FROM unnest(?::DATE[]) t(p)", [grain, starts]).fetchall()]
    assert [dt.datetime.combine(period_next(grain, p), dt.time()) for p in starts] == sql


def test_the_year_boundaries_and_month_ends_by_hand():
    assert period_start("week", dt.date(2020, 12, 31)) == dt.date(2020, 12, 28)    # ISO week 2020-53
    assert period_start("week", dt.date(2021, 1, 3)) == dt.date(2020, 12, 28)      # its Sunday, in 2021
    assert period_start("week", dt.date(2021, 1, 4)) == dt.date(2021, 1, 4)        # week 2021-01
    assert period_start("week", dt.datetime(2027, 1, 3, 23, 59)) == dt.date(2026, 12, 28)
    assert period_next("week", dt.date(2026, 12, 28)) == dt.date(2027, 1, 4)
    assert period_last_day("week", dt.date(2020, 12, 28)) == dt.date(2021, 1, 3)
    assert period_start("month", dt.date(2024, 2, 29)) == dt.date(2024, 2, 1)
    assert period_next("month", dt.date(2024, 2, 1)) == dt.date(2024, 3, 1)
    assert period_last_day("month", dt.date(2024, 2, 1)) == dt.date(2024, 2, 29)
    assert period_last_day("month", dt.date(2100, 2, 1)) == dt.date(2100, 2, 28)   # 2100 is no leap year
    assert period_next("month", dt.date(2020, 12, 1)) == dt.date(2021, 1, 1)


@pytest.mark.parametrize("grain", GRAINS)
def test_a_shift_is_that_many_next_periods_either_way(grain):
    start = period_start(grain, dt.date(2020, 11, 17))
    p = start
    for n in range(1, 30):
        p = period_next(grain, p)
        assert period_shift(grain, start, n) == p
        assert period_shift(grain, p, -n) == start
    assert period_shift("month", dt.date(2021, 1, 1), -1) == dt.date(2020, 12, 1)
    assert period_shift("week", dt.date(2021, 1, 4), -1) == dt.date(2020, 12, 28)


def test_a_period_is_complete_when_the_data_reaches_its_last_day():
    # SPEC §6: an event on or after the period's last day (Sunday 15 June for the week of 9 June)
    week = dt.date(2025, 6, 9)
    assert not is_complete("week", week, dt.datetime(2025, 6, 14, 23, 59))
    assert is_complete("week", week, dt.datetime(2025, 6, 15, 0, 0))
    assert is_complete("week", week, dt.datetime(2025, 6, 15, 23, 59))   # the demo's data ends so
    assert not is_complete("week", week, None)
    assert latest_complete("week", [dt.date(2025, 6, 2), week], dt.datetime(2025, 6, 12, 15)) == dt.date(2025, 6, 2)
    assert latest_complete("month", [dt.date(2025, 6, 1)], dt.datetime(2025, 6, 29, 23)) is None
    assert latest_complete("month", [dt.date(2025, 6, 1)], dt.datetime(2025, 6, 30, 8)) == dt.date(2025, 6, 1)


def test_an_unknown_grain_is_refused():
    with pytest.raises(ValueError):
        period_start("quarter", dt.date(2025, 6, 9))
