"""YAML as gto reads it (ruamel.yaml's safe loader, YAML 1.2): `yes`, `on`, `1:30` and `017`
stay what 1.2 says (strings, the decimal 17), duplicate keys are refused; and written so that
YAML 1.1 and 1.2 readers both read back the same strings.

Values JSON cannot hold are read as text: a timestamp as its ISO form (what gto prints for
one), `!!binary` as its base64 text, `!!set` as the list of its members."""

from __future__ import annotations

import re
from typing import Any, Optional

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

try:  # libyaml's parser, when PyYAML has it (the resolver and constructor stay ours)
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


class YamlError(Exception):
    """Not YAML gto reads: `line` (1-based) where it is known."""

    def __init__(self, problem: str, line: Optional[int] = None):
        super().__init__(problem)
        self.problem = problem
        self.line = line


# The YAML 1.2 core schema as ruamel.yaml resolves plain scalars (tags, first characters)
_STR = "tag:yaml.org,2002:str"
RULES_1_2 = [
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("tag:yaml.org,2002:float", r"""[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN)""", "-+0123456789."),
    ("tag:yaml.org,2002:int", r"""[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+""",
     "-+0123456789"),
    ("tag:yaml.org,2002:merge", r"<<", "<"),
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", "~nN") ,
    ("tag:yaml.org,2002:timestamp", r"""[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?""", "0123456789"),
]


class Resolver12(BaseResolver):
    yaml_implicit_resolvers: dict = {}

    def resolve(self, kind, value, implicit):
        """BaseResolver's answer without its path resolvers (unused; this runs per scalar)."""
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return "tag:yaml.org,2002:seq" if kind is SequenceNode else "tag:yaml.org,2002:map"


for _tag, _pattern, _first in RULES_1_2:
    Resolver12.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$", re.X), list(_first))
Resolver12.add_implicit_resolver("tag:yaml.org,2002:null", re.compile("^$"), [""])


class Constructor12(SafeConstructor):
    """SafeConstructor with YAML 1.2 integers, duplicate keys refused, and JSON-able values."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:
                    raise ConstructorError("while constructing a mapping", node.start_mark,
                                           "found an unhashable key", key_node.start_mark) from None
                if duplicate:
                    raise ConstructorError("while constructing a mapping", node.start_mark,
                                           f"found duplicate key {key!r}", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node) -> int:
        text = str(self.construct_scalar(node)).replace("_", "")
        sign = -1 if text[:1] == "-" else 1
        text = text.lstrip("+-")
        for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)):
            if text.startswith(prefix):
                return sign * int(text[2:], base)
        return sign * int(text)  # 1.2: `017` is seventeen, `1:30` never gets here

    def construct_yaml_timestamp(self, node) -> str:  # type: ignore[override]
        return super().construct_yaml_timestamp(node).isoformat()

    def construct_yaml_binary(self, node) -> str:  # type: ignore[override]
        return "".join(str(self.construct_scalar(node)).split())

    def construct_yaml_set(self, node):
        members: list = []
        yield members
        members.extend(self.construct_mapping(node))


for _tag, _method in (("int", Constructor12.construct_yaml_int), ("timestamp", Constructor12.construct_yaml_timestamp),
                      ("binary", Constructor12.construct_yaml_binary), ("set", Constructor12.construct_yaml_set)):
    Constructor12.add_constructor(f"tag:yaml.org,2002:{_tag}", _method)  # type: ignore[type-var]


class Loader(_Parser, Constructor12, Resolver12):
    def __init__(self, stream):
        _Parser.__init__(self, stream)
        Constructor12.__init__(self)
        Resolver12.__init__(self)


def load(text: bytes | str) -> Any:
    """The document's data, read as gto reads it; YamlError if it is not such YAML."""
    loader = Loader(text)
    try:
        return loader.get_single_data()
    except yaml.reader.ReaderError as e:
        raise YamlError(f"not UTF-8 text (byte {e.position})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = str(getattr(e, "problem", None) or "not valid YAML")
        raise YamlError("nested too deeply" if "nesting depth" in problem else problem, line) from None
    except RecursionError:
        raise YamlError("nested too deeply") from None
    except (ValueError, OverflowError) as e:  # a scalar its tag cannot hold (`_` as an int...)
        raise YamlError(f"a value that cannot be read ({e})") from None
    finally:
        loader.dispose()


class Dumper(yaml.SafeDumper):
    """Quotes a string whenever a YAML 1.1 or a 1.2 reader would read it as something else."""


for _tag, _pattern, _first in RULES_1_2:
    Dumper.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$", re.X), list(_first))


def dump(data: Any) -> str:
    """Block style, keys sorted, unicode kept."""
    return yaml.dump(data, Dumper=Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True)
