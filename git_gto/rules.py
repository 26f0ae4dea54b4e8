"""Whether a registry event may exist, given the registry and the configuration.

Pure functions over `registry` objects and `Config`: the plans of `changes` call them before
writing a tag, and the same rules can judge a tag written by someone else. Each refusal is a
GtoError (exit 1) or a UsageError (exit 2) whose message names the rule.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from git_gto import registry as R
from git_gto import tags as T
from git_gto.config import Config
from git_gto.errors import GtoError, UsageError


# a ref is a file named after the tag (plus `.lock` while it is written): NAME_MAX is 255
MAX_REF_COMPONENT = 250


def check_new_tag(tag: str, message: str) -> None:
    """A tag git can store: each part of its name between slashes fits a file name, and
    its message is text (a command-line argument that is not UTF-8 is refused)."""
    for part in tag.split("/"):
        if len(part.encode("utf-8", "surrogateescape")) > MAX_REF_COMPONENT:
            shown = tag if len(tag) <= 60 else tag[:57] + "..."
            raise GtoError(f"Tag name '{shown}' is too long: git stores a tag as a file, and each part "
                           f"of its name between slashes may have at most {MAX_REF_COMPONENT} bytes")
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:
        raise GtoError("The message is not valid UTF-8 text") from None


def check_fullname(name: str) -> None:
    if not T.is_fullname(name):
        raise GtoError(T.INVALID_NAME.format(name))


def check_version(version: str) -> None:
    if not T.is_version(version):
        raise GtoError(f"Version '{version}' is not valid. Example of valid version: 'v1.0.0'")


def check_stage(config: Config, stage: str) -> None:
    if not T.is_name(stage):
        raise GtoError(T.INVALID_NAME.format(stage))
    if config.stages is not None and stage not in config.stages:
        raise GtoError(f"Stage '{stage}' is not allowed: allowed stages are {config.stages} (.gto)")


def check_type(config: Config, type_: str) -> None:
    if not T.is_name(type_):
        raise GtoError(T.INVALID_NAME.format(type_))
    if config.types is not None and type_ not in config.types:
        raise GtoError(f"Type '{type_}' is not allowed: allowed types are {config.types} (.gto)")


def check_annotation(config: Config, name: str, labels: List[str], type_: Optional[str]) -> None:
    """An annotation's names (artifact, labels) and type."""
    for value in [name, *labels]:
        if not T.is_name(value):
            raise GtoError(T.INVALID_NAME.format(value))
    if type_:
        check_type(config, type_)


# -- versions -------------------------------------------------------------------------------

def registered_at(artifact: R.Artifact, commit: str) -> Optional[R.Version]:
    """The version registered on `commit`, if any; refuses when hand-made tags registered
    several (a write would have to pick one)."""
    found = artifact.find_version(commit=commit)
    if len(found) > 1:
        names = ", ".join(v.name for v in found)
        raise GtoError(f"'{artifact.name}' has several versions registered at this commit ({names}); "
                       "fix the tags first")
    return found[0] if found else None


def one_version(artifact: R.Artifact, name: str, missing: str) -> R.Version:
    """The registered version called `name`; `missing` if there is none; refuses when
    hand-made tags registered it on several commits."""
    found = artifact.find_version(name=name)
    if not found:
        raise GtoError(missing)
    if len(found) > 1:
        where = ", ".join(v.commit[:7] for v in found)
        raise GtoError(f"version {name} of '{artifact.name}' is registered on several commits ({where}); "
                       "delete the wrong tag first")
    return found[0]


def check_commit_registration(existing: Optional[R.Version], artifact: str, version: Optional[str],
                              force: bool) -> None:
    """May the commit whose registered version is `existing` get `version` (None: any)?"""
    if existing is None:
        return
    if not force and existing.is_registered and existing.is_active:
        raise GtoError(f"'{artifact}' is already registered in this commit with version '{existing.name}'")
    if version is not None and version != existing.name:
        raise GtoError(f"For this REF you can only register {existing.name}")


def check_version_name_free(artifact: R.Artifact, version: str, existing: Optional[R.Version]) -> None:
    """A version name is registered on one commit only (`existing`: the commit's version)."""
    if not T.is_version(version):
        raise GtoError(f"Supplied version '{version}' cannot be parsed (expected vX.Y.Z, e.g. v1.0.0)")
    same_name = artifact.find_version(name=version)
    if same_name and same_name != [existing]:
        raise GtoError(f"Version '{version}' already was registered.")


def check_assignment(version: Optional[R.Version], version_name: str, stage: str, force: bool) -> None:
    """May `stage` be assigned to the version (None: one registered on the way)?"""
    if not force and version is not None and any(s.stage == stage for s in version.active_vstages()):
        raise GtoError(
            f"Version '{version_name}' is already in stage '{stage}'. "
            "Use the '--force' flag to create a new Git tag nevertheless."
        )


def check_unassignment(version: R.Version, stage: str, force: bool) -> None:
    if not force and stage not in version.stages:
        raise GtoError(f"Stage '{stage}' is not assigned to a version '{version.name}'")


def deregistration_target(artifact: R.Artifact, version: str, force: bool) -> R.Version:
    """The version a deregistration of `version` applies to."""
    found = [one_version(artifact, version, "")] if artifact.find_version(name=version) else []
    if not force:
        if not found:
            raise GtoError(f"Version '{version}' of '{artifact.name}' is not registered")
        if not found[-1].is_registered:
            raise GtoError(f"Version '{version}' of '{artifact.name}' (commit {found[-1].commit[:7]}) "
                           "is not registered")
        if not found[-1].is_active:
            raise GtoError(f"Version '{version}' of '{artifact.name}' was deregistered already")
    if not found:
        raise GtoError("Can't deregister a version that has no git tags")
    return found[-1]


def check_deprecation(registry: R.Registry, artifact: Optional[R.Artifact], name: str, force: bool,
                      simple: str) -> None:
    if force:
        if simple == "true":
            raise UsageError("Can't use 'force' with 'simple=True'")
        return
    if artifact is None:
        raise GtoError(f"Cannot find artifact '{name}'")
    if not registry.active(artifact):
        raise GtoError(f"Artifact '{name}' was deprecated already")


# -- the registry as a whole ------------------------------------------------------------------

def inconsistencies(artifact: R.Artifact) -> List[str]:
    """What hand-made tags got wrong: several versions registered on one commit, one
    version registered on several commits."""
    problems = []
    commits: Dict[str, List[str]] = {}
    for v in artifact.versions:
        if v.is_registered:
            commits.setdefault(v.commit, []).append(v.name)
    for commit, names in commits.items():
        if len(names) > 1:
            problems.append(f"{artifact.name}: versions {', '.join(names)} are all registered on commit {commit[:7]}")
    seen: Dict[str, List[str]] = {}
    for v in artifact.versions:
        if not v.discovered:
            seen.setdefault(v.name, []).append(v.commit[:7])
    for name, where in seen.items():
        if len(where) > 1:
            problems.append(f"{artifact.name}: version {name} is registered on several commits ({', '.join(where)})")
    return problems
