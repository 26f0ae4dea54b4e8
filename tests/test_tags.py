"""The tag-name grammar (spec §1) and SemVer rules: what we format, we parse back.

Pure tests of `git_gto.tags` and `git_gto.versions`, plus two runs through the command
line where the grammar meets real tags (the #N counter counts lightweight tags too).
"""

from __future__ import annotations

import json
import random
import re
import string

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from conftest import ok
from git_gto import tags as T
from git_gto import versions as V

# No deadline: the first example pays for imports (semver) and must not make a run flaky.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- strategies (ASCII only: the spec's classes are ASCII, `\d` in its regexes aside) ------

ALNUM = string.ascii_letters + string.digits
alnum = st.sampled_from(ALNUM)

#: `[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?`, single characters included
names = st.one_of(
    alnum,
    st.builds(lambda a, mid, b: a + mid + b, alnum, st.text(ALNUM + "-/_", max_size=12), alnum),
)
#: `[a-zA-Z0-9-_./]+`
dirnames = st.text(ALNUM + "-_./", min_size=1, max_size=12)
fullnames = st.one_of(names, st.builds(lambda d, n: f"{d}:{n}", dirnames, names))

numbers = st.integers(min_value=0, max_value=10**12)
numeric_ids = numbers.map(str)  # no leading zeros
alpha_ids = st.builds(
    lambda digits, c, rest: digits + c + rest,
    st.text(string.digits, max_size=3),
    st.sampled_from(string.ascii_letters + "-"),
    st.text(ALNUM + "-", max_size=6),
)
prereleases = st.lists(st.one_of(numeric_ids, alpha_ids), min_size=1, max_size=4).map(".".join)
builds = st.lists(st.text(ALNUM + "-", min_size=1, max_size=6), min_size=1, max_size=3).map(".".join)


@st.composite
def versions(draw, prerelease=True, build=True):
    text = f"v{draw(numbers)}.{draw(numbers)}.{draw(numbers)}"
    if prerelease and draw(st.booleans()):
        text += "-" + draw(prereleases)
    if build and draw(st.booleans()):
        text += "+" + draw(builds)
    return text


counters = st.one_of(st.none(), st.integers(min_value=0, max_value=10**9))


def fields(parsed):
    """A parse result as a plain tuple, whatever class carries it."""
    assert parsed is not None
    return (parsed.name, parsed.action, parsed.version, parsed.stage, parsed.counter)


# -- format -> parse ------------------------------------------------------------------------

@relaxed
@given(action=st.sampled_from(T.ACTIONS), name=fullnames, version=versions(), stage=names, counter=counters)
@example(action=T.UNASSIGN, name="cls/dvc.live:models/nn", version="v1.0.0", stage="prod", counter=1)
@example(action=T.DEREGISTER, name="m", version="v1.0.0-rc.1+build.5", stage="s", counter=12)
@example(action=T.ASSIGN, name="a", version="v0.0.1", stage="deprecated", counter=None)
@example(action=T.REGISTER, name="d.x:m", version="v3.4.5-pre.2-build.4", stage="s", counter=None)
def test_every_formatted_tag_parses_back_to_the_same_event(action, name, version, stage, counter):
    version = version if action in (T.REGISTER, T.DEREGISTER) else None
    stage = stage if action in (T.ASSIGN, T.UNASSIGN) else None
    tag = T.format_tag(action, name, version=version, stage=stage, counter=counter)
    assert ":" not in tag, "the dirname separator is written as '='"
    assert fields(T.parse_tag(tag)) == (name, action, version, stage, counter)


@relaxed
@given(action=st.sampled_from(T.ACTIONS), name=fullnames, version=versions(), stage=names)
def test_the_counter_form_is_the_simple_form_plus_hash_n(action, name, version, stage):
    simple = T.format_tag(action, name, version=version, stage=stage)
    assert T.format_tag(action, name, version=version, stage=stage, counter=7) == simple + "#7"


# The spec's tag regex (§1.2), written out independently of git_gto.tags, with counters
# without leading zeros (`#007` parses as 7 and is written back as `#7`).
SPEC_NAME = r"[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?"
SPEC_SEMVER = (
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(-((0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(\+([0-9a-zA-Z-]+(\.[0-9a-zA-Z-]+)*))?"
)
SPEC_TAG = (
    rf"([a-zA-Z0-9-_./]+=)?{SPEC_NAME}"
    rf"(((#{SPEC_NAME}|@v{SPEC_SEMVER})!?)|@deprecated)(#(0|[1-9][0-9]*))?"
)


@relaxed
@given(tag=st.from_regex(SPEC_TAG, fullmatch=True))
def test_every_tag_of_the_spec_grammar_is_parsed_and_formatted_back(tag):
    parsed = T.parse_tag(tag)
    assert parsed is not None, tag
    assert T.format_tag(parsed.action, parsed.name, version=parsed.version, stage=parsed.stage,
                        counter=parsed.counter) == tag


@relaxed
@given(text=st.text(ALNUM + "-_./:=@#!+ ", max_size=30))
def test_parse_tag_never_raises_and_accepts_only_what_it_can_format(text):
    parsed = T.parse_tag(text)
    if parsed is None or parsed.action == T.CREATE:
        return
    assert parsed.action in T.ACTIONS
    assume(not re.search(r"#0[0-9]", text))
    assert T.format_tag(parsed.action, parsed.name, version=parsed.version, stage=parsed.stage,
                        counter=parsed.counter) == text


@pytest.mark.parametrize("tag, expected", [
    ("nn@v1.0.0", ("nn", T.REGISTER, "v1.0.0", None, None)),
    ("nn@v1.0.0!", ("nn", T.DEREGISTER, "v1.0.0", None, None)),
    ("nn#prod", ("nn", T.ASSIGN, None, "prod", None)),
    ("nn#prod!", ("nn", T.UNASSIGN, None, "prod", None)),
    ("nn@deprecated", ("nn", T.DEPRECATE, None, None, None)),
    ("nn#prod#3", ("nn", T.ASSIGN, None, "prod", 3)),
    ("nn@v1.0.0!#1", ("nn", T.DEREGISTER, "v1.0.0", None, 1)),
    ("nn#prod!#2", ("nn", T.UNASSIGN, None, "prod", 2)),
    ("nn@deprecated#2", ("nn", T.DEPRECATE, None, None, 2)),
    ("cls/dvc.live=models/nn#prod#1", ("cls/dvc.live:models/nn", T.ASSIGN, None, "prod", 1)),
    ("m@v1.0.0+b", ("m", T.REGISTER, "v1.0.0+b", None, None)),
    ("nn#deprecated", ("nn", T.ASSIGN, None, "deprecated", None)),
])
def test_parse_tag_examples(tag, expected):
    assert fields(T.parse_tag(tag)) == expected


def test_parse_tag_json_shape_of_parse_tag_command():
    assert T.parse_tag("a/b=c/d#prod!#3").as_dict() == {
        "name": "a/b:c/d", "stage": "prod", "action": "unassign", "counter": 3,
    }
    assert T.parse_tag("m@v0.0.1").as_dict() == {"name": "m", "version": "v0.0.1", "action": "register"}
    # `@created` parses, but has no action (gto 1.10.1 prints {"name": "x"})
    assert T.parse_tag("x@created").as_dict() == {"name": "x"}
    assert T.parse_tag("x@created").action == T.CREATE


def test_name_conversion_between_tag_and_user_forms_replaces_every_separator():
    assert T.name_to_tag("some/folder:some/model") == "some/folder=some/model"
    assert T.tag_to_name("some/folder=some/model") == "some/folder:some/model"


# -- the spec's example lists (§1.1, §1.2) -----------------------------------------------------

VALID_NAMES = ["1", "m", "nn", "m1", "1nn", "model-prod", "model-prod-v1", "model_prod_v1",
               "dvclive/model", "model_A", "DVCLive/Model"]
INVALID_NAMES = ["", "m/", "/m", "###", "@@@", "a model", "_model", "-model", "model-",
                 "model@1", "model#1", "@namespace/model", "a.b", "m:", "m=n", "é"]
VALID_FULLNAMES = ["model", "dvclive:model", "some/folder:some/model", "some/Other_Folder:some/model",
                   "d.x:m", "cls/dvc.live:models/nn", "-:m", "./x:m"]
INVALID_FULLNAMES = ["x:", ":x", "a:b:c", "bad name", "_m", "", "d=x:m", "d@x:m", "d x:m", "d:_m",
                     "d;x:m", "d#x:m"]
VALID_VERSIONS = ["v0.0.1", "v1.0.0", "v10.20.30", "v3.4.5-pre.2+build.4", "v3.4.5-pre.2-build.4",
                  "v1.0.0-alpha+001", "v1.0.0-rc.2", "v1.0.0-alpha.beta", "v1.0.0+b", "v1.0.0-0",
                  "v1.0.0--", "v1.0.0-0a"]
INVALID_VERSIONS = ["V1.0.0", "1.0.0", "v1", "v1.2", "v03.0.0", "v3.0.0-01", "v1.0.0-", "v1.0.0+",
                    "v1.0.0-a..b", "v1.0.0+a..b", "v1.0.0-a_b", "vv1.0.0", "v1.0.0 ", "latest", ""]
VALID_TAGS = ["nn#prod", "nn#prod!", "nn#prod#1", "nn@v1.0.0", "nn#prod!#2", "nn@v1.0.0!",
              "nn@v1.0.0#1", "nn@v1.0.0!#1", "nn@v1.0.0-rc.2", "nn@v1.0.0-alpha", "nn@v1.0.0-alpha.1",
              "nn@v1.0.0-alpha.beta", "new-artifact@v1.0.1!", "m@deprecated", "m@deprecated#12",
              "d.x=m@v1.0.0", "1#2", "m@v1.0.0+b!#3"]
INVALID_TAGS = ["", "###", "@@@", "model@v1", "nn#prod#-1", "model@v111", "model-prod", "model@0.0.1",
                "model-prod-v1", "model#prod#-1", "model#prod#1-2", "model#prod?#1-2", "model#prod@v1.2.3",
                "model@v1.2.3#prod", "model-prod-v1-stage", "model@prod@v1@stage-1",
                "namespace/model@0.0.1", "@namespace/model@0.0.1", "model#prod#v1#stage#1-",
                "model#prod-v1-stage@1-2", "model#prod-v1-stage@1-2#@",
                # `!` only after a stage or a version, and before the counter
                "m@deprecated!", "m#prod#1!", "m@v1.0.0#1!",
                # the user form of a dirname is not a tag
                "d:m@v1.0.0", "m#", "m@", "m@v1.0.0##1", "m#prod#", "m@latest", "m#bad stage"]


GRAMMAR_EXAMPLES = (
    [(T.is_name, v, True) for v in VALID_NAMES]
    + [(T.is_fullname, v, True) for v in VALID_NAMES]  # every name is a fullname
    + [(T.is_name, v, False) for v in INVALID_NAMES]
    + [(T.is_fullname, v, True) for v in VALID_FULLNAMES]
    + [(T.is_fullname, v, False) for v in INVALID_FULLNAMES]
    + [(T.is_version, v, True) for v in VALID_VERSIONS]
    + [(T.is_version, v, False) for v in INVALID_VERSIONS]
)


@pytest.mark.parametrize("predicate, value, valid", GRAMMAR_EXAMPLES,
                         ids=[f"{p.__name__}-{v!r}-{ok}" for p, v, ok in GRAMMAR_EXAMPLES])
def test_grammar_examples_of_the_spec(predicate, value, valid):
    assert bool(predicate(value)) is valid


@pytest.mark.parametrize("value", VALID_TAGS)
def test_valid_tag_name(value):
    parsed = T.parse_tag(value)
    assert parsed is not None and parsed.action in T.ACTIONS


@pytest.mark.parametrize("value", INVALID_TAGS)
def test_invalid_tag_name(value):
    assert T.parse_tag(value) is None


@pytest.mark.parametrize("value, expected", [
    ("0" * 40, True), ("b22d51d9827a1ca5b90dfdfb259e363407c2200f", True),
    ("B22D51D9827A1CA5B90DFDFB259E363407C2200F", True), ("b22d51d", False), ("g" * 40, False),
    ("0" * 41, False), ("v1.0.0", False),
])
def test_hexsha(value, expected):
    assert T.is_hexsha(value) is expected


@relaxed
@given(fullnames)
def test_generated_fullnames_are_valid(name):
    assert T.is_fullname(name)


@relaxed
@given(versions())
def test_generated_versions_are_valid(version):
    assert T.is_version(version)


# -- next_counter -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, tags, expected", [
    ("nn", [], 1),
    ("nn", ["nn@v1.0.0", "nn#prod", "nn@deprecated", "nn#prod!"], 1),  # simple forms carry no counter
    ("nn", ["nn#prod#1", "nn#staging#2"], 3),  # shared across stages...
    ("nn", ["nn#prod#1", "nn@v1.0.0!#4", "nn#prod!#2", "nn@deprecated#3"], 5),  # ...and actions
    ("nn", ["nn#a#5", "nn#b#2"], 6),  # the highest, not the last
    ("nn", ["nn#prod#0010"], 11),
    ("nn", ["nn2#prod#5", "n#prod#9", "xnn#prod#8", "d=nn#prod#4", "nn#prod#x", "nn#prod#-3", "nn"], 1),
    ("d:nn", ["d=nn#prod#4", "nn#prod#9", "d=nn2#prod#7", "e=nn#prod#8", "d/e=nn#prod#6"], 5),
    ("nn", ["nn#prod#2", "other#prod#100", "nn-x@v1.0.0#50"], 3),
])
def test_next_counter(name, tags, expected):
    assert T.next_counter(name, tags) == expected


@relaxed
@given(name=fullnames, other=fullnames, data=st.data())
def test_next_counter_is_one_more_than_the_artifacts_highest(name, other, data):
    assume(other != name)
    own = data.draw(st.lists(st.tuples(st.sampled_from(T.ACTIONS), st.integers(1, 500)), max_size=6))
    foreign = data.draw(st.lists(st.tuples(st.sampled_from(T.ACTIONS), st.integers(1, 1000)), max_size=6))
    tags = [T.format_tag(a, name, version="v1.0.0", stage="s", counter=n) for a, n in own]
    tags += [T.format_tag(a, other, version="v1.0.0", stage="s", counter=n) for a, n in foreign]
    random.Random(0).shuffle(tags)
    assert T.next_counter(name, tags) == max([n for _, n in own], default=0) + 1


def test_lightweight_tags_count_for_the_next_counter(repo, gto):
    repo.commit("init")
    repo.tag("lw#prod#7")  # lightweight
    repo.tag("lwx#prod#20", "another artifact")
    repo.tag("d=lw#prod#30", "another artifact too")
    ok(gto("assign", "lw", "--stage", "dev"))
    assert "lw#dev#8" in repo.tags()
    assert "lw@v0.0.1" in repo.tags(), "the implicit registration uses the simple form"
    # lightweight tags are not events, though
    shown = json.loads(gto("show", "lw", "--json").stdout)
    assert [s["stage"] for v in shown for s in v["stages"]] == ["dev"]


def test_counter_is_shared_between_actions_of_one_artifact(repo, gto):
    repo.commit("init")
    for args in (["assign", "nn", "--stage", "prod"], ["assign", "nn", "--stage", "staging", "--version", "v0.0.1"],
                 ["deprecate", "nn", "v0.0.1", "staging"], ["assign", "other", "--stage", "prod"]):
        ok(gto(*args))
    assert repo.tags() == ["nn#prod#1", "nn#staging!#3", "nn#staging#2", "nn@v0.0.1",
                           "other#prod#1", "other@v0.0.1"]


# -- shortcuts (show NAME@latest, NAME@vX.Y.Z, NAME#STAGE) --------------------------------------

@pytest.mark.parametrize("value, name, version, stage, latest", [
    ("nn@latest", "nn", None, None, True),
    ("nn@greatest", "nn", None, None, True),
    ("nn@v1.0.0", "nn", "v1.0.0", None, False),
    ("nn@v1.0.0-rc.1+b.2", "nn", "v1.0.0-rc.1+b.2", None, False),
    ("nn#prod", "nn", None, "prod", False),
    ("some/folder:some/model#prod", "some/folder:some/model", None, "prod", False),
    ("d.x:m@latest", "d.x:m", None, None, True),
])
def test_shortcuts(value, name, version, stage, latest):
    shortcut = T.parse_shortcut(value)
    assert (shortcut.name, shortcut.version, shortcut.stage, shortcut.latest) == (name, version, stage, latest)
    assert shortcut.is_shortcut


@pytest.mark.parametrize("value", [
    "nn", "nn@v1.0", "nn#bad stage", "x=y", "d=m@latest", "d=m#prod", "nn@v1.0.0#prod", "nn#prod#1",
    "nn@latest!", "nn#prod!", "nn@deprecated", "nn@", "nn#", "d:m", "nn@LATEST", "@latest",
])
def test_anything_else_is_taken_literally(value):
    shortcut = T.parse_shortcut(value)
    assert shortcut.name == value
    assert not shortcut.is_shortcut
    assert (shortcut.version, shortcut.stage, shortcut.latest) == (None, None, False)


@relaxed
@given(name=fullnames, version=versions(), stage=names)
def test_generated_shortcuts(name, version, stage):
    assert T.parse_shortcut(f"{name}#{stage}").stage == stage
    assert T.parse_shortcut(f"{name}#{stage}").name == name
    assert T.parse_shortcut(f"{name}@{version}").version == version
    assert T.parse_shortcut(f"{name}@{version}").name == name
    assert T.parse_shortcut(f"{name}@latest").latest
    assert not T.parse_shortcut(name).is_shortcut


# -- versions.py: SemVer order and bumping --------------------------------------------------------

# SemVer 2.0.0 §11's own example, in increasing precedence
PRECEDENCE = ["v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta", "v1.0.0-beta.2",
              "v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.0.1-0", "v1.0.1", "v1.1.0", "v2.0.0",
              "v10.0.0"]
SHA_A = "1" * 40
SHA_B = "a" * 40


def by_name(items):
    return V.sort_versions(items, name=lambda n: n)


def test_semver_precedence_descending_by_default():
    shuffled = PRECEDENCE[:]
    random.Random(1).shuffle(shuffled)
    assert by_name(shuffled) == PRECEDENCE[::-1]
    assert V.sort_versions(shuffled, name=lambda n: n, descending=False) == PRECEDENCE


def test_prerelease_sorts_before_its_release():
    assert V.greatest(["v1.0.0", "v1.0.0-rc.9", "v0.9.9"]) == "v1.0.0"
    assert V.greatest(["v1.0.1-rc.1", "v1.0.0"]) == "v1.0.1-rc.1"
    assert V.semver_key("v1.0.0-rc.1") < V.semver_key("v1.0.0")


def test_numbers_compare_as_numbers_not_strings():
    assert V.greatest(["v1.9.0", "v1.10.0", "v1.2.0"]) == "v1.10.0"
    assert V.greatest(["v1.0.0-rc.9", "v1.0.0-rc.10"]) == "v1.0.0-rc.10"


def test_build_metadata_is_ignored_for_ordering():
    assert V.semver_key("v1.0.0+a") == V.semver_key("v1.0.0+zzz") == V.semver_key("v1.0.0")
    assert V.greatest(["v1.0.0+zzz", "v1.0.1+aaa"]) == "v1.0.1+aaa"
    # equal precedence: neither is greater, so the order is that of the input, reversed
    assert by_name(["v1.0.0+b", "v1.0.0+a"]) == ["v1.0.0+a", "v1.0.0+b"]


def test_commit_shas_come_after_versions_by_string():
    assert by_name([SHA_A, "v0.0.1", SHA_B, "v1.0.0"]) == ["v1.0.0", "v0.0.1", SHA_B, SHA_A]
    assert V.sort_versions([SHA_B, "v0.0.1", SHA_A], name=lambda n: n, descending=False) == [
        "v0.0.1", SHA_A, SHA_B]
    assert V.greatest([SHA_A]) == SHA_A
    assert V.greatest([]) is None


@relaxed
@given(st.lists(versions(), max_size=8))
def test_sort_agrees_with_semver_precedence(names):
    ordered = by_name(names)
    assert sorted(ordered) == sorted(names)
    keys = [V.semver_key(n) for n in ordered]
    assert all(a >= b for a, b in zip(keys, keys[1:]))


@pytest.mark.parametrize("version, part, expected", [
    ("v0.0.1", "patch", "v0.0.2"),
    ("v0.0.1", "minor", "v0.1.0"),
    ("v0.0.1", "major", "v1.0.0"),
    ("v1.2.3", "minor", "v1.3.0"),
    ("v1.2.3", "major", "v2.0.0"),
    ("v10.20.30-rc.1+build.5", "patch", "v10.20.31"),
    ("v10.20.30-rc.1+build.5", "minor", "v10.21.0"),
    ("v10.20.30-rc.1+build.5", "major", "v11.0.0"),
    ("v1.0.0+build", "patch", "v1.0.1"),
    ("v1.0.0-alpha", "patch", "v1.0.1"),
])
def test_bump(version, part, expected):
    assert V.bump(version, part) == expected


@relaxed
@given(version=versions(), part=st.sampled_from(["major", "minor", "patch"]))
def test_bump_drops_prerelease_and_build_and_goes_up(version, part):
    bumped = V.bump(version, part)
    assert T.is_version(bumped)
    assert "-" not in bumped and "+" not in bumped
    assert V.semver_key(bumped) > V.semver_key(version)
    old = [int(x) for x in re.match(r"v(\d+)\.(\d+)\.(\d+)", version).groups()]
    new = [int(x) for x in bumped[1:].split(".")]
    index = ["major", "minor", "patch"].index(part)
    assert new[:index] == old[:index]
    assert new[index] == old[index] + 1
    assert new[index + 1:] == [0] * (2 - index)
