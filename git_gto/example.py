"""Build a local copy of the user guide's example registry (iterative/example-gto).

Usage: ``python3 -m git_gto.example DIR [--force]``

The guide's commands (``git gto show``, ``git gto show churn``, ``git gto history
churn``, ``git gto check-ref churn#prod#3``...) refer to a GitHub repository.  This
module recreates an equivalent one offline, using only the ``git`` binary: a few
commits that add ``models/*.pkl`` files (small pickled dicts), an ``artifacts.yaml``
and a ``.gto``, then the registration and assignment tags, annotated, with GTO's
default messages.

Every step is dated 100000 seconds after the previous one, so the churn events carry
the guide's timestamps.  Names, e-mails and dates are fixed and no user or system
git config is read, so every run gives the same commit and tag SHAs.
"""

import argparse
import os
import pickle
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple, Union

# 2022-08-19 10:45:30 UTC, so that churn's first commit is at the guide's 2022-08-22 22:05:30
START = 1660905930
STEP = 100_000  # seconds between two steps, as in the guide's `gto history churn`
IDENTITY = {"NAME": "GTO Example", "EMAIL": "gto-example@example.com"}

README = """# example-gto

A local copy of the registry used in the GTO user guide.
Try `git gto show`, `git gto show churn` or `git gto history churn`.
"""
GTO_CONFIG = "types: [model, dataset]\n"
ANNOTATIONS = {  # artifacts.yaml entries, in file order
    "churn": "churn:\n  type: model\n  path: models/churn.pkl\n  virtual: false\n",
    "segment": "segment:\n  type: model\n  path: models/segment.pkl\n  virtual: false\n"
    "  description: Customer segmentation\n  labels: [clustering, customers]\n",
    "cv-class": "cv-class:\n  type: model\n  path: models/cv-class.pkl\n  virtual: false\n"
    "  description: Image classifier\n  labels: [cv]\n",
    "awesome-model": 'awesome-model:\n  type: model\n  path: "s3://awesome/model.pkl"\n',
}


class Commit(NamedTuple):
    """Write model files and artifacts.yaml, then commit them as `label`."""

    label: str
    message: str
    models: Dict[str, str]  # artifact -> version of the model it writes
    annotated: Tuple[str, ...]  # artifacts listed in artifacts.yaml afterwards


class Register(NamedTuple):
    """Tag `name@version` on the commit called `label`."""

    name: str
    version: str
    label: str


class Assign(NamedTuple):
    """Tag `name#stage#N` on the commit of a registered version."""

    name: str
    stage: str
    version: str


Step = Union[Commit, Register, Assign]
ALL = ("churn", "segment", "cv-class", "awesome-model")
HISTORY: List[Step] = [
    Commit("init", "Initial commit", {}, ()),
    Commit("cv", "Add cv-class model", {"cv-class": "v0.1.12"}, ("cv-class",)),
    Register("cv-class", "v0.1.12", "cv"),
    Commit("churn", "Add churn model", {"churn": "v3.0.0"}, ("churn", "cv-class")),
    Register("churn", "v3.0.0", "churn"),
    Commit("segment", "Add segment model", {"segment": "v0.4.0"}, ALL[:3]),
    Register("segment", "v0.4.0", "segment"),
    Commit(
        "retrain",
        "Retrain models, annotate awesome-model",
        {"churn": "v3.1.0", "segment": "v0.4.1", "cv-class": "v0.1.13"},
        ALL,
    ),
    Register("churn", "v3.1.0", "retrain"),
    Assign("churn", "dev", "v3.0.0"),
    Assign("churn", "staging", "v3.1.0"),
    Assign("churn", "prod", "v3.0.0"),
    Assign("churn", "dev", "v3.1.0"),
    Register("segment", "v0.4.1", "retrain"),
    Assign("segment", "dev", "v0.4.1"),
    Register("cv-class", "v0.1.13", "retrain"),
    Register("awesome-model", "v0.0.1", "retrain"),
    Assign("awesome-model", "prod", "v0.0.1"),
]


class Builder:
    """Replays HISTORY into a fresh repository, one step per STEP seconds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.commits: Dict[str, str] = {}  # commit label -> SHA
        self.versions: Dict[Tuple[str, str], str] = {}  # (artifact, version) -> SHA
        self.counters: Dict[str, int] = {}  # artifact -> last assignment number
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self.env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
        for role in ("AUTHOR", "COMMITTER"):
            for key, value in IDENTITY.items():
                self.env[f"GIT_{role}_{key}"] = value

    def git(self, *args: str, date: int = START) -> str:
        """Run git in the repository at the given epoch time; return stdout."""
        stamp = f"@{date} +0000"
        env = dict(self.env, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        flags = ["-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false"]
        result = subprocess.run(
            ["git", *flags, *args], cwd=self.root, env=env,
            check=True, capture_output=True, text=True,
        )
        return result.stdout.strip()

    def write(self, path: str, data: Union[str, bytes]) -> None:
        """Write a file of the working tree."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")

    def tag(self, name: str, message: str, sha: str, date: int) -> None:
        """Create an annotated tag, message stored without a newline like GTO does."""
        self.git("tag", "-a", "--cleanup=verbatim", "-m", message, name, sha, date=date)

    def run(self) -> None:
        """Initialise the repository and replay every step."""
        self.root.mkdir(parents=True)
        self.git("init", "--quiet", "-b", "main")
        self.write("README.md", README)
        self.write(".gto", GTO_CONFIG)
        for index, step in enumerate(HISTORY):
            date = START + index * STEP
            if isinstance(step, Commit):
                for name, version in step.models.items():
                    model = {"artifact": name, "version": version}
                    self.write(f"models/{name}.pkl", pickle.dumps(model, protocol=2))
                if step.annotated:
                    yaml = "".join(ANNOTATIONS[n] for n in ALL if n in step.annotated)
                    self.write("artifacts.yaml", yaml)
                self.git("add", "--all", date=date)
                self.git("commit", "--quiet", "-m", step.message, date=date)
                self.commits[step.label] = self.git("rev-parse", "HEAD")
            elif isinstance(step, Register):
                sha = self.commits[step.label]
                self.versions[step.name, step.version] = sha
                message = f"Registering artifact {step.name} version {step.version}"
                self.tag(f"{step.name}@{step.version}", message, sha, date)
            else:
                number = self.counters[step.name] = self.counters.get(step.name, 0) + 1
                message = (f"Assigning stage {step.stage} to artifact {step.name} "
                           f"version {step.version}")
                sha = self.versions[step.name, step.version]
                self.tag(f"{step.name}#{step.stage}#{number}", message, sha, date)


def summary() -> List[str]:
    """One line per artifact: its versions and the stages assigned to each."""
    lines = []
    for name in ALL:
        versions = [s.version for s in HISTORY if isinstance(s, Register) and s.name == name]
        stages = [f"{s.stage}={s.version}" for s in HISTORY
                  if isinstance(s, Assign) and s.name == name]
        lines.append(f"  {name:<14} versions: {', '.join(versions):<16} "
                     f"assignments: {', '.join(stages) or '-'}")
    return lines


def main() -> None:
    """Parse arguments, build the repository and print what was built."""
    parser = argparse.ArgumentParser(
        prog="python3 -m git_gto.example", description=__doc__.splitlines()[0]
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="directory to create")
    parser.add_argument("--force", action="store_true", help="replace DIR if it exists")
    args = parser.parse_args()
    if args.dir.exists() or args.dir.is_symlink():
        if not args.force:
            parser.error(f"{args.dir} already exists (use --force to replace it)")
        if args.dir.is_dir() and not args.dir.is_symlink():
            shutil.rmtree(args.dir)
        else:
            args.dir.unlink()
    Builder(args.dir).run()
    print(f"Built example registry in {args.dir}:")
    print("\n".join(summary()))
    print(f"Try: cd {args.dir} && git gto show")


if __name__ == "__main__":
    main()
