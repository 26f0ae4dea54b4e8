"""Dates given on the command line (`history --since/--until`) -> epoch seconds."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Optional

from git_gto.errors import GtoError, UsageError

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
          "month": 30 * 86400, "year": 365 * 86400}
HINT = "use YYYY-MM-DD, an ISO date-time, @EPOCH, 'yesterday' or 'N days ago'"
_AGO = re.compile(r"(\d+)[ .]?(second|minute|hour|day|week|month|year)s?[ .]ago")


def parse_date(value: str, option: str, end_of_day: bool = False, now: Optional[float] = None) -> int:
    """`2024-01-31` (local midnight; the day's last second with `end_of_day`), an ISO or
    RFC 2822 date-time, `@EPOCH`, `now` (or `today`), `yesterday` (a day ago, as git reads
    it), or `N days ago` (seconds, minutes, hours, days, weeks, months of 30 days, years of
    365 days). A UsageError names the option otherwise."""
    from git_gto.git.identity import parse_git_date

    text = value.strip().lower()
    now = time.time() if now is None else now
    if text in ("now", "today"):
        return int(now)
    if text == "yesterday":
        return int(now) - _UNITS["day"]
    ago = _AGO.fullmatch(text)
    if ago:
        return int(now) - int(ago.group(1)) * _UNITS[ago.group(2)]
    if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
        try:
            day = dt.datetime.strptime(text, "%Y-%m-%d")
        except ValueError:
            raise UsageError(f"invalid date for {option}: '{value}' ({HINT})") from None
        if end_of_day:
            day += dt.timedelta(days=1, seconds=-1)
        return int(time.mktime(day.timetuple()))
    try:
        return parse_git_date(value.strip().replace("z", "Z"))[0]
    except (GtoError, ValueError, OverflowError):
        raise UsageError(f"invalid date for {option}: '{value}' ({HINT})") from None
