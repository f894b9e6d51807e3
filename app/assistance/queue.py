"""Service targets: how long a request may wait at a stage before it is overdue."""

import datetime as dt


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Monday-to-Friday days after `start` up to and including `end`."""
    if end <= start:
        return 0
    whole_weeks, remainder = divmod((end - start).days, 7)
    days = whole_weeks * 5
    for offset in range(1, remainder + 1):
        if (start + dt.timedelta(days=offset)).weekday() < 5:
            days += 1
    return days


def is_overdue(
    stage: str, entered_at: dt.datetime, now: dt.datetime, targets: dict[str, int]
) -> bool:
    """Past the target for its stage (in working days); stages without a target never are."""
    target = targets.get(stage)
    if target is None:
        return False
    return working_days_between(entered_at.date(), now.date()) > target
