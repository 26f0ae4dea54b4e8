"""Who writes a tag, and when: the tagger git would use, and the dates git accepts."""

from __future__ import annotations

import os
import re
import time
from typing import Callable, Optional, Tuple

from git_gto.errors import GtoError
from git_gto.git.objects import Identity


def tagger(config_value: Callable[[str, str], Optional[str]]) -> Identity:
    """GIT_COMMITTER_* first, then user.name/user.email (`config_value(section, key)`)."""
    name = os.environ.get("GIT_COMMITTER_NAME")
    email = os.environ.get("GIT_COMMITTER_EMAIL")
    if name is None:
        name = config_value("user", "name")
    if email is None:
        email = config_value("user", "email")
    if not name or email is None:
        raise GtoError(
            "Author identity unknown: set user.name and user.email "
            "(git config --global user.name 'Your Name')"
        )
    date = os.environ.get("GIT_COMMITTER_DATE")
    if date:
        epoch, offset = parse_git_date(date)
    else:
        epoch = int(time.time())
        offset = time.localtime(epoch).tm_gmtoff
    return Identity(name, email, epoch, offset)


def parse_git_date(value: str) -> Tuple[int, int]:
    """Parse the date forms git accepts in GIT_COMMITTER_DATE -> (epoch, offset seconds)."""
    import datetime as dt
    from email.utils import mktime_tz, parsedate_tz

    text = value.strip()
    m = re.fullmatch(r"@?(\d+)(?: ([+-]\d{4}))?", text)
    if m:
        return int(m.group(1)), _offset_of(m.group(2) or "+0000")
    m = re.fullmatch(
        r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.\d+)? ?(Z|[+-]\d\d:?\d\d)?", text
    )
    if m:
        tz = m.group(3) or None
        offset = 0 if tz in (None, "Z") else _offset_of(tz.replace(":", ""))
        if tz is None:
            offset = time.localtime().tm_gmtoff
        naive = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}")
        epoch = int(naive.replace(tzinfo=dt.timezone(dt.timedelta(seconds=offset))).timestamp())
        return epoch, offset
    parsed = parsedate_tz(text)
    if parsed:
        return int(mktime_tz(parsed)), parsed[9] or 0
    raise GtoError(f"invalid date format: {value}")


def _offset_of(tz: str) -> int:
    sign = -1 if tz[0] == "-" else 1
    return sign * (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60)
