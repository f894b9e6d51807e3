"""Service targets: how long a request may wait at a stage before it is overdue."""

import datetime as dt

UNIX_EPOCH = dt.date(1970, 1, 1)  # a Thursday: day 3 is the first Sunday


def weekdays_through(day: dt.date) -> int:
    """Monday-to-Friday days from the first Monday after 1 January 1970 up to `day` inclusive.
    Analytics computes the same number in SQL (`app/analytics/assistance.py`)."""
    since_sunday = (day - UNIX_EPOCH).days - 3
    return 5 * (since_sunday // 7) + min(since_sunday % 7, 5)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Monday-to-Friday days after `start` up to and including `end`."""
    return max(0, weekdays_through(end) - weekdays_through(start))


def is_overdue(
    stage: str, entered_at: dt.datetime, now: dt.datetime, targets: dict[str, int]
) -> bool:
    """Past the target for its stage (in working days); stages without a target never are."""
    target = targets.get(stage)
    if target is None:
        return False
    return working_days_between(entered_at.date(), now.date()) > target
