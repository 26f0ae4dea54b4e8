"""Configuration: `.gto` (in the work tree, or as committed) and `GTO_*` variables on top."""

from __future__ import annotations

import os
import posixpath
from typing import TYPE_CHECKING, Any, List, Optional

from git_gto.errors import ConfigError
from git_gto.files import CONFIG_LIMIT, UnsafeFile, read_regular
from git_gto.tags import is_name

if TYPE_CHECKING:
    from git_gto.policy import Policy

CONFIG_FILE = ".gto"
DEFAULT_INDEX = "artifacts.yaml"
FALSE_WORDS = ("0", "false", "no", "off", "n", "f")
TRUE_WORDS = ("1", "true", "yes", "on", "y", "t")


class Config:
    """What `.gto` and the environment say; None means "not restricted"."""

    def __init__(self, stages: Optional[List[str]] = None, types: Optional[List[str]] = None) -> None:
        self.stages = stages
        self.types = types
        self.index = DEFAULT_INDEX
        self.emojis: Optional[bool] = None  # None: on a terminal only
        self.policy: Optional["Policy"] = None  # `policy:` (it counts as committed on the policy ref)


def _as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ConfigError(f"{where}: expected true or false, got {value!r}")


def _as_names(value: Any, where: str) -> Optional[List[str]]:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of names, got {value!r}")
    for v in value:
        if not is_name(v):
            raise ConfigError(f"{where}: invalid name {v!r}")
    return value


def _as_index_path(value: Any, where: str) -> str:
    """A path inside the work tree: relative, without `..`, not in `.git`; normalised."""
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a file name, got {value!r}")
    path = posixpath.normpath(value)
    parts = path.split("/")
    if (posixpath.isabs(path) or "\0" in path or path in (".", "..") or parts[0] == ".."
            or any(p.lower() == ".git" for p in parts)):
        raise ConfigError(f"{where}: expected a path inside the work tree (not in .git), got {value!r}")
    return path


def _apply(config: Config, key: str, value: Any, where: str) -> None:
    """Set one setting; `where` names the file and key (or variable) in errors."""
    if key in ("stages", "types"):
        setattr(config, key, _as_names(value, where))
    elif key == "index":
        config.index = _as_index_path(value, where)
    elif key == "emojis":
        config.emojis = _as_bool(value, where)
    elif key == "policy":
        from git_gto.policy import parse

        config.policy = parse(value, where)
    elif key in UNSUPPORTED:
        raise ConfigError(f"{where}: not supported by git-gto ({UNSUPPORTED[key]})")
    else:
        raise ConfigError(f"{where}: unknown key")


# gto's keys that git-gto does not honour: refused rather than silently ignored
UNSUPPORTED = {
    "enrichments": "it has no enrichment plugins; artifacts.yaml is always read",
    "autoload_enrichments": "it has no enrichment plugins; artifacts.yaml is always read",
    "log_level": "use -v, or GTO_LOG_LEVEL=DEBUG",
    "debug": "use GTO_DEBUG=1 for tracebacks",
    "config_file_name": "the file is always .gto",
}
ENV_KEYS = ("stages", "types", "index", "emojis")  # GTO_DEBUG, GTO_LOG_LEVEL: read by the cli


def environment_config() -> Config:
    """The configuration from `GTO_*` variables alone."""
    config = Config()
    _apply_environment(config)
    return config


def _apply_environment(config: Config) -> None:
    upper = {k.upper(): v for k, v in os.environ.items()}
    for key in ENV_KEYS:
        var = f"GTO_{key.upper()}"
        if var not in upper:
            continue
        raw = upper[var]
        value: Any = raw
        if key in ("stages", "types"):
            import json

            try:
                value = json.loads(raw)
            except ValueError:
                raise ConfigError(f"{var}: expected a JSON list, got {raw!r}") from None
        _apply(config, key, value, var)


def config_from_worktree(worktree: str, git_dir: Optional[str]) -> Config:
    """`.gto` at the work-tree root (uncommitted changes count), then `GTO_*` on top;
    parsed once for the repository at `git_dir` (see `yamlcache`)."""
    path = os.path.join(worktree, CONFIG_FILE)
    try:
        text = read_regular(CONFIG_FILE, CONFIG_LIMIT, root=worktree)
    except UnsafeFile as e:
        raise ConfigError(f"Wrong config file '{path}': {e.reason}") from None
    except OSError as e:
        raise ConfigError(f"Wrong config file '{path}': {e.strerror}") from None
    return parse_config(text or b"", path, git_dir)


def config_at(source, commit: Optional[str], git_dir: Optional[str]) -> Config:
    """`.gto` as committed in `commit` (a bare repository has no work tree), then `GTO_*`."""
    text = source.read_file(commit, CONFIG_FILE) if commit else None
    return parse_config(text or b"", f"{CONFIG_FILE} in commit {commit[:7]}" if commit else CONFIG_FILE, git_dir)


def parse_config(text: bytes, where: str, git_dir: Optional[str]) -> Config:
    """The settings of a `.gto` file's text (`where` names it in errors), `GTO_*` on top
    (the YAML parsed once for the repository at `git_dir`, when given)."""
    config = Config()
    if text.strip():
        from git_gto import yamlcache

        try:
            data = yamlcache.load(text, git_dir)
        except yamlcache.Unreadable as e:
            at = f" (line {e.line})" if e.line else ""
            raise ConfigError(f"Wrong config file '{where}': not valid YAML{at}: {e.problem}") from None
        if data is not None:
            if not isinstance(data, dict):
                raise ConfigError(f"Wrong config file '{where}': expected a mapping of settings")
            overridden = {k.upper() for k in os.environ}
            for key, value in data.items():
                if f"GTO_{str(key).upper()}" in overridden and str(key).lower() in ENV_KEYS:
                    continue  # the environment's value counts, whatever the file says
                try:
                    _apply(config, str(key).lower(), value, f"{where}: '{key}'")
                except ConfigError as e:
                    raise ConfigError(f"Wrong config file {e.message}") from None
    _apply_environment(config)
    return config
