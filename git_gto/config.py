"""Configuration (`.gto` and `GTO_*` variables) and the `artifacts.yaml` annotations."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from git_gto.errors import ConfigError, GtoError
from git_gto.tags import INVALID_NAME, is_name

CONFIG_FILE = ".gto"
DEFAULT_INDEX = "artifacts.yaml"
FALSE_WORDS = ("0", "false", "no", "off", "n", "f")
TRUE_WORDS = ("1", "true", "yes", "on", "y", "t")


@dataclass
class Config:
    """What `.gto` and the environment say; None means "not restricted"."""

    stages: Optional[List[str]] = None
    types: Optional[List[str]] = None
    index: str = DEFAULT_INDEX
    enrichments: List[Any] = field(default_factory=list)
    autoload_enrichments: bool = True
    log_level: str = "INFO"
    debug: bool = False
    emojis: bool = True

    def check_stage(self, stage: str) -> None:
        if not is_name(stage):
            raise GtoError(INVALID_NAME.format(stage))
        if self.stages is not None and stage not in self.stages:
            raise GtoError(f"Stage '{stage}' is not allowed: allowed stages are {self.stages} (.gto)")

    def check_type(self, type_: str) -> None:
        if not is_name(type_):
            raise GtoError(INVALID_NAME.format(type_))
        if self.types is not None and type_ not in self.types:
            raise GtoError(f"Type '{type_}' is not allowed: allowed types are {self.types} (.gto)")


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


def _apply(config: Config, key: str, value: Any, where: str) -> None:
    """Set one setting; `where` names the file and key (or variable) in errors."""
    if key in ("stages", "types"):
        setattr(config, key, _as_names(value, where))
    elif key == "index":
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: expected a file name, got {value!r}")
        config.index = value
    elif key == "enrichments":
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        config.enrichments = value
    elif key in ("autoload_enrichments", "debug", "emojis"):
        setattr(config, key, _as_bool(value, where))
    elif key == "log_level":
        config.log_level = str(value)
    elif key == "config_file_name":
        pass
    else:
        raise ConfigError(f"{where}: unknown key")


ENV_KEYS = ("stages", "types", "index", "enrichments", "autoload_enrichments", "log_level", "debug", "emojis")


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
        if key in ("stages", "types", "enrichments"):
            try:
                value = json.loads(raw)
            except ValueError:
                raise ConfigError(f"{var}: expected a JSON list, got {raw!r}") from None
        _apply(config, key, value, var)


def read_config(worktree: Optional[str]) -> Config:
    """`.gto` at the work-tree root (uncommitted changes count), then `GTO_*` on top."""
    config = Config()
    if worktree:
        path = os.path.join(worktree, CONFIG_FILE)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
        except OSError as e:
            raise ConfigError(f"Wrong config file '{path}': {e.strerror}") from None
        if text.strip():
            import yaml

            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as e:
                line = getattr(getattr(e, "problem_mark", None), "line", None)
                at = f" (line {line + 1})" if line is not None else ""
                raise ConfigError(f"Wrong config file '{path}': not valid YAML{at}") from None
            if data is not None:
                if not isinstance(data, dict):
                    raise ConfigError(f"Wrong config file '{path}': expected a mapping of settings")
                for key, value in data.items():
                    try:
                        _apply(config, str(key).lower(), value, f"{path}: '{key}'")
                    except ConfigError as e:
                        raise ConfigError(f"Wrong config file {e.message}") from None
    _apply_environment(config)
    return config


# -- artifacts.yaml ---------------------------------------------------------------------

ANNOTATION_FIELDS = ("type", "path", "virtual", "labels", "description", "custom")


def default_annotation() -> Dict[str, Any]:
    return {"type": None, "path": None, "virtual": True, "labels": [], "description": "", "custom": None}


def parse_index(text: bytes | str, where: str) -> Dict[str, Dict[str, Any]]:
    """Parse `artifacts.yaml`: name -> annotation with every field (defaults filled in)."""
    import yaml

    bad = ConfigError(f"{where} doesn't conform to GTO format (a mapping of artifact names to "
                      "type, path, virtual, labels, description, custom)")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise bad from None
    if not isinstance(data, dict):
        raise bad
    out: Dict[str, Dict[str, Any]] = {}
    for name, entry in data.items():
        if not isinstance(name, str) or not is_name(name):
            raise ConfigError(f"{where}: " + INVALID_NAME.format(name))
        if not isinstance(entry, dict):
            raise bad
        annotation = default_annotation()
        for key in ANNOTATION_FIELDS:
            if key in entry:
                annotation[key] = entry[key]
        if annotation["type"] is not None and not isinstance(annotation["type"], str):
            raise bad
        if annotation["path"] is not None and not isinstance(annotation["path"], str):
            raise bad
        if not isinstance(annotation["virtual"], bool):
            raise bad
        labels = annotation["labels"]
        if labels is None:
            labels = annotation["labels"] = []
        if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
            raise bad
        if annotation["description"] is None:
            annotation["description"] = ""
        if not isinstance(annotation["description"], str):
            raise bad
        out[name] = annotation
    return out


def compact_annotation(annotation: Dict[str, Any]) -> Dict[str, Any]:
    """The annotation without fields at their defaults (what `describe` prints)."""
    defaults = default_annotation()
    return {k: v for k, v in annotation.items() if v != defaults[k]}
