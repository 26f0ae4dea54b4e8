"""How the scripts print what the API returned: JSON, with gto's objects made plain
(datetimes as ISO strings, enums as their value, models through dict_state)."""

import datetime
import enum
import json


def plain(o):
    if isinstance(o, datetime.datetime):
        return o.isoformat()
    if isinstance(o, enum.Enum):
        return o.value
    if hasattr(o, "dict_state"):
        return o.dict_state()
    if hasattr(o, "model_dump"):
        return o.model_dump()
    raise TypeError(f"cannot print {type(o).__name__}")


def dump(data) -> None:
    print(json.dumps(data, default=plain, indent=1))
