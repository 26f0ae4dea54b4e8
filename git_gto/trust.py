"""Whose policy counts, and judging registry events by it: the policy is the `.gto`
committed on the policy ref (the repository's default branch, or `gto.policyRef`), never a
work tree; this module gathers the facts a rule needs (who signed a tag, whether a commit
is on the allowed branches) and asks `policy` and `rules`. Local writes, the server-side
hook and `verify` all judge through here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, NamedTuple, Optional, Tuple

from git_gto import policy as P
from git_gto import registry as R
from git_gto import rules
from git_gto import tags as T
from git_gto.config import Config, config_at
from git_gto.errors import ConfigError, GtoError, RefNotFound
from git_gto.git.objects import OBJ_COMMIT, OBJ_TAG, Identity, parse_tag_object, representable, split_object

if TYPE_CHECKING:
    from git_gto.git.repo import GitRepo
    from git_gto.git.signing import Signer, Verdict
    from git_gto.loader import RegistryLoader
    from git_gto.source import PushedSource

REMOTE_DEFAULT = "refs/remotes/origin/HEAD"


class Trust:
    """The policy in force: `.gto` as committed at `commit` (named `where` in messages)."""

    def __init__(self, repo: "GitRepo", commit: Optional[str], where: str, config: Config,
                 policy: P.Policy) -> None:
        self.repo, self.commit, self.where, self.config, self.policy = repo, commit, where, config, policy
        self._signers: Optional[P.Signers] = None

    @property
    def active(self) -> bool:
        return self.policy != P.Policy()

    def signers(self) -> P.Signers:
        """The allowed-signers file as committed on the policy ref."""
        if self._signers is None:
            path = self.policy.allowed_signers
            text = self.repo.read_file(self.commit, path) if self.commit else None
            if text is None:
                raise P.Violation(P.PROTECTED, f"the allowed-signers file '{path}' is not committed on {self.where}")
            self._signers = P.parse_signers(text, f"{path} on {self.where}")
        return self._signers

    def verdict(self, raw: bytes) -> "Verdict":
        """What the signature of a tag object (raw bytes) says, SSH keys checked against the
        committed allowed-signers file."""
        from git_gto.git.signing import git_config, verify

        return verify(raw, git_config(self.repo), self.signers().ssh_text)

    def read_verdicts(self, tags: Dict[str, str]) -> Dict[str, "Verdict"]:
        """Tag name -> what its signature says (for reads: SSH keys checked against the
        committed allowed-signers file when there is one, else gpg.ssh.allowedSignersFile)."""
        from git_gto.git.signing import git_config, verify

        settings = git_config(self.repo)
        try:
            allowed: Optional[bytes] = self.signers().ssh_text or None
        except P.Violation:
            allowed = None
        raw = self.repo.raw_objects(set(tags.values()))
        return {name: verify(raw[sha][1] if sha in raw else b"", settings, allowed) for name, sha in tags.items()}

    def check_signature(self, stage: str, verdict: "Verdict") -> None:
        signers = self.signers()
        principals = signers.principals(verdict.format, verdict.key, verdict.principals) if verdict.good else set()
        if verdict.unknown_key and verdict.format != "ssh":  # a key (certificate) this keyring lacks
            P.refuse_uncheckable(self.policy, stage, verdict.key, verdict.reason)
        if verdict.unknown_key:  # signed, by a key nobody listed: not an allowed signer
            P.check_signed(self.policy, stage, True, "", f"key {verdict.key} ({verdict.reason})", set())
        P.check_signed(self.policy, stage, verdict.good, verdict.reason, verdict.signer or "an unknown key",
                       principals)


def policy_commit(repo: "GitRepo", ref: Optional[str] = None) -> Tuple[Optional[str], str]:
    """(commit, name) of the policy ref: `ref`, else git config `gto.policyRef`, else the
    remote's default branch (refs/remotes/origin/HEAD), else HEAD (in a bare repository,
    the default branch)."""
    wanted = ref or repo.git_config(r"^gto\.policyref$").get("gto.policyref")
    if wanted:
        try:
            return repo.resolve(wanted), wanted
        except RefNotFound:
            raise GtoError(f"the policy ref '{wanted}' does not exist (gto.policyRef, --policy-ref)") from None
    remote = repo.read_ref(REMOTE_DEFAULT)
    if remote:
        return remote, "origin's default branch"
    return repo.head(), "HEAD"


def load(repo: "GitRepo", ref: Optional[str] = None) -> Trust:
    """The policy in force."""
    commit, where = policy_commit(repo, ref)
    config = config_at(repo, commit, repo.commondir)
    return Trust(repo, commit, where, config, config.policy or P.Policy())


def reachable(source, trust: Trust, commit: str) -> bool:
    """Is `commit` on one of the branches the policy names (as they are in `source`)?"""
    from git_gto.ancestry import containing

    branches = source.branches()
    heads = [branches[b] for b in P.on_branches(trust.policy, sorted(branches))]
    return commit in heads or bool(containing(source, commit, heads))


# -- local writes ---------------------------------------------------------------------------

def check_write(trust: Trust, registry: R.Registry, created: Iterable[Tuple[str, str, str]],
                deleted: Iterable[str], signer: Optional["Signer"], tagger: Optional[Identity] = None) -> None:
    """Refuse a write the policy forbids, before anything is written: `created` are
    (tag, commit, message) of the new tags, `deleted` the tags to delete; protected stages
    need `signer`'s key to be one the stage allows (checked by signing the tag to be, by
    `tagger`: default, the repository's)."""
    if not trust.active:
        return
    try:
        for tag, commit, message in created:
            parsed = T.parse_tag(tag)
            if parsed is None or parsed.action is None or parsed.name is None:
                continue
            kind = R.EVENT_OF_ACTION[parsed.action]
            if P.needs_branches(trust.policy, kind):
                P.check_branches(trust.policy, kind, commit, reachable(trust.repo, trust, commit))
            if kind == R.ASSIGNMENT and parsed.stage:
                artifact = registry.artifact(parsed.name) or R.Artifact(parsed.name)
                P.check_stage_order(trust.policy, artifact, commit, parsed.stage)
            if P.protects(trust.policy, kind, parsed.stage):
                trust.check_signature(parsed.stage or "", _probe(trust, tag, commit, message, signer, tagger))
        for tag in deleted:
            parsed = T.parse_tag(tag)
            if parsed is not None and parsed.action is not None:
                P.check_deletion(trust.policy, R.EVENT_OF_ACTION[parsed.action], parsed.stage, tag)
    except P.Violation as e:
        raise GtoError(f"{e.message} (.gto on {trust.where}; --force does not bypass the policy)") from None


def _probe(trust: Trust, tag: str, commit: str, message: str, signer: Optional["Signer"],
           tagger: Optional[Identity]) -> "Verdict":
    """The verdict on the tag about to be written, signed as it will be."""
    from git_gto.git.signing import Verdict, payload, sign

    if signer is None:
        return Verdict(signed=False, reason="the tag would not be signed (use --sign, or set tag.gpgSign)")
    data = payload(tag, commit, tagger or trust.repo.tagger(), message)
    return trust.verdict(data + sign(signer, data))


# -- judging tags written by anyone (the hook, verify) ---------------------------------------

ZERO = "0" * 40


class Judgement(NamedTuple):
    ref: str
    problem: str = ""  # "" when the event may exist

    @property
    def ok(self) -> bool:
        return not self.problem


def judge_push(repo: "GitRepo", updates: List[Tuple[str, str, str]], quarantine: Optional[str],
               policy_ref: Optional[str] = None) -> List[Judgement]:
    """Judge every pushed tag ref that looks like a registry event ((old, new, ref) as
    git's hooks give them) against the registry as it would be after the push: of the
    registry, only the pushed artifacts' tags are read (their rules need no other)."""
    from git_gto.source import PushedSource

    tags = [(old, new, ref) for old, new, ref in updates if ref.startswith("refs/tags/")]
    if not any(_looks_like_event(ref[len("refs/tags/"):]) for _, _, ref in tags):
        return []
    trust = load(repo, policy_ref)
    source = PushedSource(repo, {ref: (None if new == ZERO else new) for _, new, ref in updates}, quarantine)
    reader = _PushedArtifacts(source, repo, trust.config)
    out = []
    for old, new, ref in tags:
        name = ref[len("refs/tags/"):]
        if not _looks_like_event(name):
            continue
        problem = ""
        if new == ZERO:
            parsed = T.parse_tag(name)
            if parsed is not None and parsed.action is not None:
                try:
                    P.check_deletion(trust.policy, R.EVENT_OF_ACTION[parsed.action], parsed.stage, name)
                except P.Violation as e:
                    problem = e.message
        elif old != ZERO:
            problem = "immutable: registry events are never moved or rewritten (a new event is a new tag)"
        else:
            problem = judge_tag(trust, source, reader, name, new)
        out.append(Judgement(ref, problem))
    return out


def judge_existing(repo: "GitRepo", names: Optional[List[str]], policy_ref: Optional[str] = None) -> List[Judgement]:
    """Judge tags of the repository as if each were pushed now on top of all the others
    (`names` None: every tag that looks like a registry event)."""
    trust = load(repo, policy_ref)
    refs = repo.tag_refs()
    reader = _RegistryArtifacts(repo, refs, trust.config)
    out = []
    for name in names if names is not None else sorted(n for n in refs if _looks_like_event(n)):
        if name not in refs:
            raise RefNotFound(f"tag '{name}' not found")
        out.append(Judgement(f"refs/tags/{name}", judge_tag(trust, repo, reader, name, refs[name])))
    reader.loader.save()
    return out


class _RegistryArtifacts:
    """Artifacts for judging many tags of the repository: the whole registry, cached."""

    def __init__(self, repo: "GitRepo", refs: Dict[str, str], config: Config):
        from git_gto.cache import RegistryCache, enabled
        from git_gto.loader import RegistryLoader

        self.names = list(refs)
        self.loader = RegistryLoader(repo, RegistryCache(repo.commondir, enabled()), config.index)

    def tags(self, artifact: str) -> Tuple[Optional[List[str]], List[str]]:
        """(tag names before the push (None: not a push), tag names now) of the artifact's tags."""
        return None, self.names

    def without(self, artifact: str, tag: str) -> R.Artifact:
        return self.loader.build_without(artifact, [tag])


class _PushedArtifacts:
    """The artifacts of pushed tags, each read from its own tags only (as they are before
    and after the push); an artifact of many tags through the registry cache, read-only
    (what a push would change is not the repository's yet)."""

    def __init__(self, source: "PushedSource", repo: "GitRepo", config: Config):
        self.source = source
        self.repo = repo
        self.config = config
        self._read: Dict[str, Tuple[Dict[str, str], Dict[str, str], "RegistryLoader"]] = {}

    def _of(self, artifact: str) -> Tuple[Dict[str, str], Dict[str, str], "RegistryLoader"]:
        """(its tags before the push, after it, its loader), read once for all its pushed tags."""
        if artifact not in self._read:
            from git_gto.loader import RegistryLoader

            before = T.tags_of(self.repo, artifact)  # as they are: what the cache may have
            loader = RegistryLoader.for_artifact(self.source, self.repo.commondir, self.config.index, before)
            self._read[artifact] = (before, T.tags_of(self.source, artifact), loader)
        return self._read[artifact]

    def tags(self, artifact: str) -> Tuple[Optional[List[str]], List[str]]:
        before, after, _ = self._of(artifact)
        return list(before), list(after)

    def without(self, artifact: str, tag: str) -> R.Artifact:
        before, after, loader = self._of(artifact)
        return loader.artifact_of(artifact, {r: s for r, s in after.items() if r != tag}, before)


def _looks_like_event(name: str) -> bool:
    """A tag name meant as a registry event: it parses, or has an artifact part before @ or #."""
    return T.parse_tag(name) is not None or ("@" in name or "#" in name) and name[:1] not in "@#"


def judge_tag(trust: Trust, source, artifacts, name: str, sha: str) -> str:
    """Why the tag `name` (object `sha`) may not be a registry event, "" if it may: what
    git gto's own writes refuse, and the policy. `artifacts` gives an artifact's tag names
    (before a push, a new counter must come after theirs) and the artifact without a tag."""
    parsed = T.parse_tag(name)
    if parsed is None or parsed.action is None or parsed.name is None:
        return "grammar: not a valid registry tag name (NAME@vX.Y.Z, NAME#STAGE#N, NAME@deprecated, ...)"
    if parsed.action == T.CREATE:
        return "grammar: '@created' tags are not registry events"
    found = source.raw_objects([sha]).get(sha)
    if found is None:
        return f"object: {sha} is missing"
    if found[0] != OBJ_TAG:
        return "annotated: a registry event is an annotated tag (git tag -a), not a lightweight one"
    tag = parse_tag_object(name, sha, found[1])
    inner = split_object(found[1])[0].get(b"tag", b"").decode("utf-8", "replace")
    if inner != name:
        return f"tag-name: the tag object is named '{inner}' (a copy of another tag)"
    if tag.target_type != OBJ_COMMIT:
        return "target: a registry event points to a commit"
    try:
        source.read_commit(tag.target)
    except KeyError:
        return f"target: commit {tag.target} is missing"
    if tag.tagger is None or not representable(tag.tagger.time, tag.tagger.offset):
        return "tagger: the tag object has no usable tagger line"
    if parsed.counter is not None:
        problem = _counter_problem(parsed, name, *artifacts.tags(parsed.name))
        if problem:
            return problem
    kind = R.EVENT_OF_ACTION[parsed.action]
    artifact = artifacts.without(parsed.name, name)
    try:
        _event_rules(trust, artifact, kind, parsed, tag.target)
    except GtoError as e:
        return f"registry: {e.message}"
    try:
        if P.needs_branches(trust.policy, kind):
            P.check_branches(trust.policy, kind, tag.target, reachable(source, trust, tag.target))
        if kind == R.ASSIGNMENT and parsed.stage:
            P.check_stage_order(trust.policy, artifact, tag.target, parsed.stage, until=tag.tagger.time)
        if P.protects(trust.policy, kind, parsed.stage):
            trust.check_signature(parsed.stage or "", trust.verdict(found[1]))
    except P.Violation as e:
        return e.message
    return ""


def _counter_problem(parsed: T.TagName, name: str, before: Optional[List[str]], after: List[str]) -> str:
    others: Dict[int, str] = {}
    for other in after:
        o = T.parse_tag(other) if other != name and other.startswith(T.name_to_tag(parsed.name or "")) else None
        if o is not None and o.name == parsed.name and o.counter is not None:
            others.setdefault(o.counter, other)
    if parsed.counter in others:
        return f"counter: #{parsed.counter} is taken by '{others[parsed.counter]}'"
    if before is not None:
        highest = T.next_counter(parsed.name or "", before) - 1
        if parsed.counter is not None and parsed.counter <= highest:
            return f"counter: #{parsed.counter} is not after the artifact's highest counter, #{highest}"
    return ""


def _event_rules(trust: Trust, artifact: R.Artifact, kind: str, parsed: T.TagName, commit: str) -> None:
    """What every git gto write refuses (even with --force), for an event on `commit`."""
    if parsed.stage is not None:
        rules.check_stage(trust.config, parsed.stage)
    if kind == R.REGISTRATION and parsed.version:
        existing = rules.registered_at(artifact, commit)
        rules.check_commit_registration(existing, artifact.name, parsed.version, force=True)
        rules.check_version_name_free(artifact, parsed.version, existing)
    elif kind == R.DEREGISTRATION and parsed.version:
        target = rules.deregistration_target(artifact, parsed.version, force=True)
        if target.commit != commit:
            raise GtoError(f"version {parsed.version} of '{artifact.name}' is registered on commit "
                           f"{target.commit[:7]}, not {commit[:7]}")


def policy_problems(repo: "GitRepo") -> List[str]:
    """For doctor: events on protected stages whose signature does not verify as the
    policy wants (nothing when no stage is protected)."""
    try:
        trust = load(repo)
    except (ConfigError, GtoError) as e:
        return [f"policy: {e.message}"]
    if not trust.policy.protected_stages:
        return []
    names = [n for n in repo.tag_names() if (p := T.parse_tag(n)) is not None
             and P.protects(trust.policy, R.EVENT_OF_ACTION.get(p.action or "", ""), p.stage)]
    return [f"{j.ref[len('refs/tags/'):]}: {j.problem}" for j in judge_existing(repo, names) if not j.ok]
