"""Who writes a tag, and when: the tagger git would use, and the dates git accepts."""

from __future__ import annotations

import re
import time
from typing import Optional, Tuple

from git_gto.errors import GtoError
from git_gto.git.discover import Location
from git_gto.git.objects import Identity, representable

_IDENT = re.compile(r"(.*) <(.*)> (\d+) ([+-])(\d+)(\d\d)")


def tagger(location: Optional[Location], name: Optional[str] = None, email: Optional[str] = None) -> Identity:
    """The tagger line `git tag -a` would write here, as git builds it: asked of git itself
    (`git var GIT_COMMITTER_IDENT`), so that GIT_COMMITTER_*, committer.* and user.* in
    every configuration file, EMAIL, user.useConfigOnly, the crud git strips from names
    and emails and every date form git reads give the same bytes, and what git refuses
    is refused with git's reason. A date the registry could not read back is refused.
    `name` and `email`, when given, are the tagger's instead of git's (as GIT_COMMITTER_NAME
    and GIT_COMMITTER_EMAIL would be, for that one `git var`)."""
    from git_gto.git.run import git, git_reason

    given = {"GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    try:
        result = git(location, "var", "GIT_COMMITTER_IDENT", check=False,
                     env={k: v for k, v in given.items() if v is not None})
    except OSError as e:
        raise GtoError(f"cannot run git to learn the tagger identity: {e.strerror}") from None
    if result.returncode != 0:
        reason = git_reason(result.stderr)
        if "Please tell me who you are" in result.stderr:
            reason += " (set it: git config --global user.name 'Your Name'; git config --global user.email you@example.com)"
        raise GtoError(reason)
    line = result.stdout.rstrip("\n")
    m = _IDENT.fullmatch(line)
    if m is None:
        raise GtoError(f"git gave an identity git-gto cannot read: {line!r}")
    name, email, epoch, sign, hours, minutes = m.groups()
    offset = (int(hours) * 3600 + int(minutes) * 60) * (-1 if sign == "-" else 1)
    if not representable(int(epoch), offset):
        raise GtoError(f"the tagger date '{epoch} {sign}{hours}{minutes}' (from GIT_COMMITTER_DATE) "
                       "is out of the range the registry reads (years 1-9999, offsets under a day)")
    return Identity(name, email, int(epoch), offset)


def parse_git_date(value: str) -> Tuple[int, int]:
    """Parse the usual date forms (`@EPOCH [+hhmm]`, ISO 8601, RFC 2822) -> (epoch, offset
    seconds); what `--since`/`--until` accept besides `N days ago`."""
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
        try:
            naive = dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}")
            epoch = int(naive.replace(tzinfo=dt.timezone(dt.timedelta(seconds=offset))).timestamp())
        except (ValueError, OverflowError):
            raise GtoError(f"invalid date format: {value}") from None
        return epoch, offset
    parsed = parsedate_tz(text)
    if parsed:
        return int(mktime_tz(parsed)), parsed[9] or 0
    raise GtoError(f"invalid date format: {value}")


def _offset_of(tz: str) -> int:
    sign = -1 if tz[0] == "-" else 1
    return sign * (int(tz[1:3]) * 3600 + int(tz[3:5]) * 60)
