"""Trust: signed registry events (real gpg and ssh-keygen keys made here), the policy in the
committed `.gto`, and the pre-receive hook in a real bare repository, pushed to through
file://."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import needs, ok, refused

NO_GPG = shutil.which("gpg") is None
NO_SSH = shutil.which("ssh-keygen") is None
NO_GPGSM = shutil.which("gpgsm") is None
ZERO = "0" * 40


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Two OpenPGP keys (alice, mallory) in one GNUPGHOME, and two SSH keys."""
    assert not NO_GPG and not NO_SSH, "gpg and ssh-keygen are needed: `bash .ci/setup` installs them"
    home = tmp_path_factory.mktemp("keys")
    gnupg = home / "gnupg"
    gnupg.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(gnupg)}
    fingerprints = {}
    for who in ("alice", "mallory"):
        subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", f"{who.title()} <{who}@example.com>",
                        "ed25519", "sign", "never"], env=env, check=True, capture_output=True)
        listed = subprocess.run(["gpg", "--with-colons", "--list-keys", f"{who}@example.com"], env=env,
                                check=True, capture_output=True, text=True).stdout
        fingerprints[who] = next(l.split(":")[9] for l in listed.splitlines() if l.startswith("fpr:"))
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(home / who)], check=True)
    yield {"gnupg": gnupg, "fpr": fingerprints, "ssh": {w: home / w for w in ("alice", "mallory")}}
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)


@pytest.fixture
def gnupg(keys, monkeypatch):
    monkeypatch.setenv("GNUPGHOME", str(keys["gnupg"]))
    return keys


X509_PARAMS = """Key-Type: RSA
Key-Length: 2048
Key-Usage: sign
Name-DN: CN={name},O=git-gto tests
Name-Email: {who}@example.com
Serial: random
Not-Before: 2020-01-01
Not-After: 2099-01-01
%commit
"""


@pytest.fixture(scope="module")
def x509(tmp_path_factory):
    """Self-signed X.509 certificates made with gpgsm for alice and mallory, both trusted as
    roots (as a company CA would be) in one GNUPGHOME; and a verifier's GNUPGHOME that holds
    alice's certificate without trusting it."""
    assert not NO_GPGSM, "gpgsm is needed for gpg.format=x509: `bash .ci/setup` installs it"
    home = tmp_path_factory.mktemp("x509") / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    (home / "gpg-agent.conf").write_text("allow-loopback-pinentry\n")
    fingerprints = {}
    for who in ("alice", "mallory"):
        params = home / f"{who}.params"
        params.write_text(X509_PARAMS.format(name=who.title(), who=who))
        cert = subprocess.run(["gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
                               "--gen-key", str(params)], env=env, check=True, capture_output=True).stdout
        subprocess.run(["gpgsm", "--batch", "--import"], input=cert, env=env, check=True, capture_output=True)
        listed = subprocess.run(["gpgsm", "--with-colons", "--list-keys", f"{who}@example.com"], env=env,
                                check=True, capture_output=True, text=True).stdout
        fingerprints[who] = next(l.split(":")[9] for l in listed.splitlines() if l.startswith("fpr:"))
        if who == "alice":
            untrusting = home.parent / "untrusting"
            untrusting.mkdir(mode=0o700)
            subprocess.run(["gpgsm", "--batch", "--import"], input=cert, check=True, capture_output=True,
                           env={**os.environ, "GNUPGHOME": str(untrusting)})
    (home / "trustlist.txt").write_text("".join(f"{fpr} S relax\n" for fpr in fingerprints.values()))
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)  # it reads trustlist.txt anew
    yield {"gnupg": home, "untrusting": untrusting, "fpr": fingerprints}
    for gnupghome in (home, untrusting):
        subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(gnupghome)}, check=False)


def use_x509(repo, monkeypatch, x509, who: str) -> None:
    monkeypatch.setenv("GNUPGHOME", str(x509["gnupg"]))
    repo.git("config", "gpg.format", "x509")
    repo.git("config", "user.signingKey", f"{who}@example.com")


def ssh_line(keys, who: str, principal: str) -> str:
    return f"{principal} {(Path(str(keys['ssh'][who]) + '.pub')).read_text().strip()}\n"


def use_ssh(repo, keys, who: str) -> None:
    repo.git("config", "gpg.format", "ssh")
    repo.git("config", "user.signingKey", str(keys["ssh"][who]))


def use_gpg(repo, who: str) -> None:
    repo.git("config", "--unset-all", "gpg.format", check=False)
    repo.git("config", "user.signingKey", f"{who}@example.com")


POLICY = """stages: [dev, staging, prod]
policy:
  stage_order: [dev, staging, prod]
  branches: [main]
  protected_stages:
    prod: [alice@example.com]
"""


def commit_policy(repo, keys, gto_text: str = POLICY, signers: str = "") -> str:
    signers = signers or ssh_line(keys, "alice", "alice@example.com") + f"alice@example.com openpgp {keys['fpr']['alice']}\n"
    return repo.commit("policy", {".gto": gto_text, ".gto-signers": signers})


def to_prod(gto, version: str = "v0.0.1", *extra: str):
    for stage in ("dev", "staging"):
        ok(gto("assign", "m", "--version", version, "--stage", stage))
    return gto("assign", "m", "--version", version, "--stage", "prod", *extra)


# -- signing ----------------------------------------------------------------------------------

@needs(NO_SSH, "ssh-keygen is needed")
def test_ssh_signed_tag_is_the_one_git_tag_s_writes(repo, gto, gnupg, tmp_path):
    head = repo.commit("one")
    use_ssh(repo, gnupg, "alice")
    ok(gto("register", "m", "--sign", tick=False))
    ours = repo.git("rev-parse", "m@v0.0.1")
    clone = tmp_path / "clone"
    repo.git("clone", "-q", str(repo.path), str(clone))
    repo.git("tag", "-d", "m@v0.0.1")
    repo.git("-c", "gpg.format=ssh", "-c", f"user.signingKey={gnupg['ssh']['alice']}", "tag", "-s",
             "-m", "Registering artifact m version v0.0.1", "m@v0.0.1", head)
    assert repo.git("rev-parse", "m@v0.0.1") == ours  # Ed25519 signatures are deterministic
    (Path(repo.path) / "allowed").write_text(ssh_line(gnupg, "alice", "alice"))
    repo.git("-c", "gpg.ssh.allowedSignersFile=allowed", "verify-tag", ours)


@needs(NO_GPG, "gpg is needed")
def test_openpgp_signed_tag_verifies_and_has_git_tag_s_layout(repo, gto, gnupg):
    head = repo.commit("one")
    use_gpg(repo, "alice")
    ok(gto("register", "m", "--sign", tick=False))
    repo.git("tag", "-s", "-m", "Registering artifact m version v0.0.1", "by-git", head)
    ours, theirs = repo.git("cat-file", "-p", "m@v0.0.1"), repo.git("cat-file", "-p", "by-git")
    assert "-----BEGIN PGP SIGNATURE-----" in ours
    split = lambda text: text.split("-----BEGIN PGP SIGNATURE-----")[0]
    assert split(ours).replace("tag m@v0.0.1", "tag by-git") == split(theirs)
    repo.git("verify-tag", "m@v0.0.1")
    repo.fsck()


@needs(NO_GPG, "gpg is needed")
def test_tag_gpgsign_signs_by_default_and_no_sign_does_not(repo, gto, gnupg):
    repo.commit("one")
    use_gpg(repo, "alice")
    repo.git("config", "tag.gpgSign", "true")
    ok(gto("register", "m"))
    repo.git("verify-tag", "m@v0.0.1")
    ok(gto("assign", "m", "--stage", "dev", "--no-sign"))
    assert "SIGNATURE" not in repo.git("cat-file", "-p", "m#dev#1")


@needs(NO_GPG, "gpg is needed")
def test_signature_is_not_part_of_the_message(repo, gto, gnupg):
    repo.commit("one")
    use_gpg(repo, "alice")
    ok(gto("register", "m", "-s"))
    use_ssh(repo, gnupg, "alice")
    ok(gto("assign", "m", "--stage", "dev", "-s"))
    assert json.loads(ok(gto("check-ref", "m@v0.0.1", "--json")).stdout)["message"] == \
        "Registering artifact m version v0.0.1"
    history = json.loads(ok(gto("history", "m", "--json")).stdout)
    assert {e["message"] for e in history} == {"Registering artifact m version v0.0.1",
                                              "Assigning stage dev to artifact m version v0.0.1"}


def test_missing_signing_program_is_a_clear_error(repo, gto):
    repo.commit("one")
    repo.git("config", "gpg.program", "/nonexistent/gpg")
    before = repo.tags()
    refused(gto("register", "m", "--sign"), 1, "'/nonexistent/gpg' is not installed", repo, before)
    repo.git("config", "gpg.format", "ssh")
    repo.git("config", "gpg.ssh.program", "/nonexistent/ssh-keygen")
    repo.git("config", "user.signingKey", "/nowhere/key")
    refused(gto("register", "m", "--sign"), 1, "'/nonexistent/ssh-keygen' is not installed", repo, before)


def test_ssh_signing_without_a_key_and_unknown_format(repo, gto):
    repo.commit("one")
    repo.git("config", "gpg.format", "ssh")
    before = repo.tags()
    refused(gto("register", "m", "--sign"), 1, "user.signingKey is not set", repo, before)
    repo.git("config", "gpg.format", "x.509")
    refused(gto("register", "m", "--sign"), 1,
            "cannot sign: gpg.format 'x.509' is not supported (openpgp, x509 or ssh)", repo, before)


@needs(NO_GPGSM, "gpgsm is needed")
def test_x509_signed_tag_has_git_tag_s_layout_and_verifies_both_ways(repo, gto, x509, monkeypatch):
    head = repo.commit("one")
    use_x509(repo, monkeypatch, x509, "alice")
    ok(gto("register", "m", "--sign"))
    repo.git("tag", "-s", "-m", "Registering artifact m version v0.0.1", "by-git", head)
    ours, theirs = repo.git("cat-file", "-p", "m@v0.0.1"), repo.git("cat-file", "-p", "by-git")
    split = lambda text: text.split("-----BEGIN SIGNED MESSAGE-----")
    assert len(split(ours)) == 2 and split(ours)[0].replace("tag m@v0.0.1", "tag by-git") == split(theirs)[0]
    repo.git("verify-tag", "m@v0.0.1")  # git accepts ours
    repo.fsck()
    repo.git("tag", "-s", "-m", "Assigning stage dev to artifact m version v0.0.1", "m#dev#1", head)
    for tag in ("m@v0.0.1", "m#dev#1"):  # and we accept ours and git's
        data = json.loads(ok(gto("check-ref", tag, "--verify", "--json")).stdout)
        assert data["verified"] is True and data["signing_key"] == x509["fpr"]["alice"], tag
    assert "Good x509 signature by /CN=Alice/O=git-gto tests" in ok(gto("check-ref", "m@v0.0.1", "--verify")).stderr


@needs(NO_GPGSM, "gpgsm is needed")
def test_x509_untrusted_certificate_and_tampered_tag_do_not_verify(repo, gto, x509, monkeypatch):
    repo.commit("one")
    use_x509(repo, monkeypatch, x509, "alice")
    ok(gto("register", "m", "--sign"))
    ok(gto("assign", "m", "--stage", "dev", "--sign"))
    monkeypatch.setenv("GNUPGHOME", str(x509["untrusting"]))  # a verifier who does not trust alice's root
    refused(gto("check-ref", "m@v0.0.1", "--verify"), 1,
            "tag 'm@v0.0.1' does not verify: the certificate is not valid: gpgsm: invalid certification chain")
    monkeypatch.setenv("GNUPGHOME", str(x509["gnupg"]))
    raw = subprocess.run(["git", "cat-file", "tag", "m#dev#1"], cwd=repo.path, capture_output=True, check=True).stdout
    sha = subprocess.run(["git", "hash-object", "-t", "tag", "-w", "--stdin", "--literally"], cwd=repo.path,
                         input=raw.replace(b"Assigning", b"Assignin9"), capture_output=True, check=True).stdout
    repo.git("update-ref", "refs/tags/m#dev#1", sha.decode().strip())
    refused(gto("check-ref", "m#dev#1", "--verify"), 1, "tag 'm#dev#1' does not verify: bad signature")
    monkeypatch.setenv("GNUPGHOME", str(repo.path / ".nokeys"))
    (repo.path / ".nokeys").mkdir(mode=0o700)
    refused(gto("check-ref", "m@v0.0.1", "--verify"), 1, "no certificate for the signing key in the keybox")


@needs(NO_GPGSM, "gpgsm is needed")
def test_protected_stage_with_x509_fingerprints(repo, gto, x509, keys, monkeypatch):
    signers = f"alice@example.com x509 {x509['fpr']['alice']}\n"
    commit_policy(repo, keys, signers=signers)
    ok(gto("register", "m"))
    use_x509(repo, monkeypatch, x509, "alice")
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "dev", "--sign"))
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "staging", "--sign"))
    before = repo.tags()
    use_x509(repo, monkeypatch, x509, "mallory")  # signed, but not by a listed certificate
    refused(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod", "--sign"), 1,
            "stage 'prod' may be signed only by alice@example.com", repo, before)
    use_x509(repo, monkeypatch, x509, "alice")
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod", "--sign"))
    ok(gto("doctor"))
    commit_policy(repo, keys, signers="alice@example.com x509 not-a-fingerprint\n")
    refused(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod", "--sign", "--force"), 1,
            "Wrong allowed-signers file '.gto-signers on HEAD' (line 1): expected 'PRINCIPALS x509 FINGERPRINT'")


@needs(NO_GPG, "gpg is needed")
def test_git_c_settings_are_honoured(repo, gnupg, gto_e2e):
    repo.commit("one")
    ok(gto_e2e("register", "m"))
    result = subprocess.run(["git", "-c", "gpg.format=ssh", "-c", f"user.signingKey={gnupg['ssh']['alice']}",
                             "gto", "assign", "m", "--stage", "dev", "--sign"], cwd=repo.path,
                            capture_output=True, text=True)
    ok(result)
    assert "BEGIN SSH SIGNATURE" in repo.git("cat-file", "-p", "m#dev#1")


# -- verifying --------------------------------------------------------------------------------

@needs(NO_GPG, "gpg is needed")
def test_check_ref_verify(repo, gto, gnupg):
    repo.commit("one")
    ok(gto("register", "m"))
    refused(gto("check-ref", "m@v0.0.1", "--verify"), 1, "tag 'm@v0.0.1' does not verify: the tag is not signed")
    # a gate never passes on nothing: a typo, a shortcut, a tag that is not an event
    for missing in ("m#dev#99", "refs/tags/m#dev#99", "m#dev"):
        refused(gto("check-ref", missing, "--verify"), 1, f"error: tag '{missing.removeprefix('refs/tags/')}' not found")
    repo.git("tag", "-a", "-m", "x", "release-1")
    refused(gto("check-ref", "release-1", "--verify"), 1, "tag 'release-1' is not a registry event: nothing to verify")
    assert ok(gto("check-ref", "m#dev#99")).stdout == ""  # without --verify, as gto: nothing, successfully
    use_gpg(repo, "alice")
    ok(gto("assign", "m", "--stage", "dev", "--sign"))
    result = ok(gto("check-ref", "m#dev#1", "--verify", "--json"))
    data = json.loads(result.stdout)
    assert data["verified"] is True and data["signing_key"] == gnupg["fpr"]["alice"]
    assert data["signer"] == "Alice <alice@example.com>"
    assert "Good openpgp signature by Alice <alice@example.com>" in result.stderr
    # without --verify, nothing about signatures (and no gpg run)
    assert "verified" not in json.loads(ok(gto("check-ref", "m#dev#1", "--json")).stdout)


@needs(NO_GPG, "gpg is needed")
def test_check_ref_verify_refuses_a_tampered_tag(repo, gto, gnupg):
    repo.commit("one")
    use_gpg(repo, "alice")
    ok(gto("register", "m", "--sign"))
    raw = subprocess.run(["git", "cat-file", "tag", "m@v0.0.1"], cwd=repo.path, capture_output=True, check=True).stdout
    forged = raw.replace(b"Registering", b"Registerinh")
    sha = subprocess.run(["git", "hash-object", "-t", "tag", "-w", "--stdin", "--literally"], cwd=repo.path,
                         input=forged, capture_output=True, check=True).stdout.decode().strip()
    repo.git("update-ref", "refs/tags/m#dev#1", sha)
    refused(gto("check-ref", "m#dev#1", "--verify"), 1, "bad signature")


@needs(NO_SSH, "ssh-keygen is needed")
def test_check_ref_verify_ssh_needs_an_allowed_signers_file(repo, gto, gnupg, tmp_path):
    repo.commit("one")
    use_ssh(repo, gnupg, "alice")
    ok(gto("register", "m", "--sign"))
    refused(gto("check-ref", "m@v0.0.1", "--verify"), 1, "no allowed-signers file")
    allowed = tmp_path / "allowed"
    allowed.write_text(ssh_line(gnupg, "mallory", "mallory"))
    repo.git("config", "gpg.ssh.allowedSignersFile", str(allowed))
    refused(gto("check-ref", "m@v0.0.1", "--verify"), 1, "is not in the allowed-signers file")
    allowed.write_text(ssh_line(gnupg, "alice", "alice"))
    assert json.loads(ok(gto("check-ref", "m@v0.0.1", "--verify", "--json")).stdout)["signer"] == "alice"


@needs(NO_GPG, "gpg is needed")
def test_history_and_show_verify(repo, gto, gnupg):
    repo.commit("one")
    ok(gto("register", "m"))
    use_gpg(repo, "alice")
    ok(gto("assign", "m", "--stage", "dev", "--sign"))
    plain = ok(gto("history", "m", "--verify", "--plain")).stdout.splitlines()
    assert plain[0].split()[-1] == "signature"
    assert plain[1].endswith("verified: Alice <alice@example.com>") and plain[2].endswith("unsigned")
    data = json.loads(ok(gto("history", "m", "--verify", "--json")).stdout)
    assert [e["verified"] for e in data] == [True, False]
    shown = json.loads(ok(gto("show", "m", "--verify", "--json")).stdout)
    assert shown[0]["registrations"][0]["verified"] is False
    assert shown[0]["stages"][0]["assignments"][0]["signer"] == "Alice <alice@example.com>"
    assert ok(gto("show", "m", "--verify", "--plain")).stdout.splitlines()[0].split()[-1] == "signature"
    refused(gto("show", "--verify"), 2, "--verify goes with NAME")


# -- the policy on local writes -------------------------------------------------------------

def test_malformed_policy_names_file_and_key(repo, gto, keys):
    repo.commit("policy", {".gto": "policy:\n  stage_order: prod\n"})
    line = refused(gto("register", "m"), 1, "'policy.stage_order': expected a list of stage names")
    assert "Wrong config file" in line and ".gto" in line
    repo.commit("policy", {".gto": "policy:\n  protect: [prod]\n"})
    refused(gto("register", "m"), 1, "'policy.protect': unknown key")
    repo.commit("policy", {".gto": "policy:\n  protected_stages: {prod: []}\n"})
    refused(gto("register", "m"), 1, "'policy.protected_stages.prod': expected a list of principals")


def test_malformed_allowed_signers_names_file_and_line(repo, gto, keys):
    commit_policy(repo, keys, signers="alice@example.com openpgp nothex\n")
    for stage in ("dev", "staging"):
        ok(gto("assign", "m", "--stage", stage)) if stage == "dev" else ok(gto("assign", "m", "--version", "v0.0.1", "--stage", stage))
    refused(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod"), 1,
            "Wrong allowed-signers file '.gto-signers on HEAD' (line 1)")


def test_stage_order(repo, gto, keys):
    commit_policy(repo, keys)
    ok(gto("register", "m"))
    before = repo.tags()
    refused(gto("assign", "m", "--version", "v0.0.1", "--stage", "staging", "--force"), 1,
            "policy stage_order: 'staging' goes only to a version that holds or held 'dev' first", repo, before)
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "dev"))
    ok(gto("deprecate", "m", "v0.0.1", "dev"))
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "staging"))  # held dev once


def test_branches(repo, gto, keys):
    commit_policy(repo, keys)
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("experiment")
    before = repo.tags()
    refused(gto("register", "m"), 1, "policy branches: commit", repo, before)
    refused(gto("assign", "m", "--stage", "dev"), 1, "is on none of the branches ['main']", repo, before)
    ok(gto("register", "m", "main"))


@needs(NO_SSH, "ssh-keygen is needed")
def test_protected_stage_needs_an_allowed_signature(repo, gto, gnupg):
    commit_policy(repo, gnupg)
    ok(gto("register", "m"))
    before = repo.tags()
    refused(to_prod(gto), 1, "policy protected_stages: events of stage 'prod' must be signed by alice@example.com")
    before = repo.tags()
    use_ssh(repo, gnupg, "mallory")
    refused(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod", "--sign", "--force"), 1,
            "stage 'prod' may be signed only by alice@example.com", repo, before)
    use_ssh(repo, gnupg, "alice")
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod", "--sign"))
    before = repo.tags()
    refused(gto("deprecate", "m", "v0.0.1", "prod", "--delete", "--force"), 1,
            "the tags of protected stage 'prod' are never deleted", repo, before)
    refused(gto("deprecate", "m", "v0.0.1", "prod"), 1, "must be signed", repo, before)
    ok(gto("deprecate", "m", "v0.0.1", "prod", "--sign"))


@needs(NO_GPG, "gpg is needed")
def test_protected_stage_with_openpgp_fingerprints(repo, gto, gnupg):
    commit_policy(repo, gnupg)
    ok(gto("register", "m"))
    use_gpg(repo, "mallory")
    refused(to_prod(gto, "v0.0.1", "--sign"), 1, "not by Mallory <mallory@example.com>")
    use_gpg(repo, "alice")
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "prod", "--sign"))
    ok(gto("doctor"))


def test_policy_of_the_default_branch_counts_not_the_work_tree(repo, gto, keys):
    commit_policy(repo, keys)
    (repo.path / ".gto").write_text("stages: [dev, staging, prod]\n")  # the pusher's own copy
    ok(gto("register", "m"))
    refused(gto("assign", "m", "--version", "v0.0.1", "--stage", "staging"), 1, "policy stage_order")
    repo.git("config", "gto.policyRef", "refs/heads/nowhere")
    repo.commit("two")
    refused(gto("register", "m", "--bump-minor"), 1, "the policy ref 'refs/heads/nowhere' does not exist")


# -- the server-side hook -----------------------------------------------------------------------

@pytest.fixture
def server(repo, gto, tmp_path):
    """A bare repository with the hook installed, `origin` of `repo`."""
    bare = tmp_path / "server.git"
    repo.git("init", "-q", "--bare", str(bare))
    ok(gto("hook", "install", "-r", str(bare)))
    repo.git("remote", "add", "origin", f"file://{bare}")
    return bare


def push(repo, *refspecs: str, atomic: bool = True):
    args = ["git", "push", "--porcelain", *(["--atomic"] if atomic else []), "origin", *refspecs]
    return subprocess.run(args, cwd=repo.path, capture_output=True, text=True)


def server_tags(bare: Path):
    out = subprocess.run(["git", "for-each-ref", "--format=%(refname:strip=2)", "refs/tags"], cwd=bare,
                         capture_output=True, text=True, check=True).stdout
    return sorted(out.split())


def refused_push(result, *messages: str) -> None:
    """git push refused by the hook: git's exit 1, each message among its lines."""
    assert result.returncode == 1, result.stderr
    for message in messages:
        assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr


@needs(NO_SSH, "ssh-keygen is needed")
def test_hook_accepts_what_the_policy_allows(repo, gto, gnupg, server):
    commit_policy(repo, gnupg)
    ok(gto("register", "m"))
    use_ssh(repo, gnupg, "alice")
    ok(to_prod(gto, "v0.0.1", "--sign"))
    result = push(repo, "main", "--tags")
    assert result.returncode == 0, result.stderr
    assert server_tags(server) == repo.tags()
    assert "pre-receive" in (server / "hooks" / "pre-receive").read_text()


@needs(NO_SSH, "ssh-keygen is needed")
def test_hook_refuses_an_unsigned_or_wrongly_signed_prod_and_applies_nothing(repo, gto, gnupg, server):
    commit_policy(repo, gnupg)
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "dev"))
    ok(gto("assign", "m", "--version", "v0.0.1", "--stage", "staging"))
    assert push(repo, "main", "--tags").returncode == 0
    before = server_tags(server)
    repo.commit("two")
    ok(gto("register", "m"))
    # made by hand: the tagger claims to be Alice, the key is Mallory's
    repo.git("-c", "gpg.format=ssh", "-c", f"user.signingKey={gnupg['ssh']['mallory']}",
             "-c", "user.name=Alice", "-c", "user.email=alice@example.com",
             "tag", "-s", "-m", "prod", "m#prod#4", "m@v0.0.1^{}")
    repo.git("tag", "-a", "-m", "prod", "m#prod#5", "m@v0.0.1^{}")
    result = push(repo, "main", "m@v0.0.2", "m#prod#4", "m#prod#5")
    refused_push(result, "refusing refs/tags/m#prod#4: policy protected_stages: stage 'prod' may be signed only by "
                 "alice@example.com, not by key SHA256:", "refusing refs/tags/m#prod#5: policy protected_stages: events of stage "
                 "'prod' must be signed by alice@example.com: the tag is not signed")
    assert "m@v0.0.2" not in result.stderr.split("refusing")[-1]
    assert server_tags(server) == before  # nothing half-applied
    assert subprocess.run(["git", "rev-parse", "main"], cwd=server, capture_output=True, text=True).stdout.strip() \
        != repo.git("rev-parse", "main")


@needs(NO_SSH, "ssh-keygen is needed")
def test_hook_reads_a_push_that_stays_packed_in_quarantine(repo, gto, gnupg, server):
    """With receive.unpackLimit=1 the pushed objects stay in a pack in the quarantine (not
    loose): the hook reads them there, and judges them the same."""
    subprocess.run(["git", "config", "receive.unpackLimit", "1"], cwd=server, check=True)
    commit_policy(repo, gnupg)
    ok(gto("register", "m"))
    use_ssh(repo, gnupg, "alice")
    ok(to_prod(gto, "v0.0.1", "--sign"))
    assert push(repo, "main", "--tags").returncode == 0, "an allowed push, packed"
    assert server_tags(server) == repo.tags()
    assert list((server / "objects" / "pack").glob("*.pack"))
    before = server_tags(server)
    repo.commit("two")
    ok(gto("register", "m"))
    repo.git("tag", "-a", "-m", "prod", "m#prod#9", "m@v0.0.2^{}")
    refused_push(push(repo, "main", "m@v0.0.2", "m#prod#9"),
                 "refusing refs/tags/m#prod#9: policy stage_order: 'prod' goes only to a version that holds or "
                 "held 'dev', 'staging' first")
    assert server_tags(server) == before


@needs(NO_SSH, "ssh-keygen is needed")
def test_hook_refuses_a_deletion_of_a_protected_tag_and_rewrites(repo, gto, gnupg, server):
    commit_policy(repo, gnupg)
    ok(gto("register", "m"))
    use_ssh(repo, gnupg, "alice")
    ok(to_prod(gto, "v0.0.1", "--sign"))
    assert push(repo, "main", "--tags").returncode == 0
    refused_push(push(repo, ":refs/tags/m#prod#3"), "refusing refs/tags/m#prod#3: policy protected_stages: the tags "
                 "of protected stage 'prod' are never deleted")
    assert push(repo, ":refs/tags/m#dev#1").returncode == 0  # not protected
    repo.git("tag", "-f", "-a", "-m", "rewritten", "m@v0.0.1", "HEAD")
    refused_push(push(repo, "+refs/tags/m@v0.0.1"), "refusing refs/tags/m@v0.0.1: immutable")


def test_hook_refuses_what_git_gto_writes_refuse(repo, gto, keys, server):
    repo.commit("one")
    ok(gto("register", "m"))
    assert push(repo, "main", "--tags").returncode == 0
    repo.tag("m@v0.0.2", "second version on a registered commit")
    repo.tag("m@v0.0.9", None)  # lightweight
    repo.tag("m#nope#1", "counter taken")
    repo.tag("m@1.0", "grammar")
    repo.tag("x#dev", "ok: a simple assignment")
    result = push(repo, "--tags", atomic=False)
    refused_push(result, "refusing refs/tags/m@v0.0.2: registry: For this REF you can only register v0.0.1",
                 "refusing refs/tags/m@v0.0.9: annotated", "refusing refs/tags/m@1.0: grammar")
    assert server_tags(server) == ["m@v0.0.1"]  # pre-receive refuses the whole push


def test_hook_refuses_a_copied_tag_object(repo, gto, keys, server):
    repo.commit("one")
    ok(gto("register", "m"))
    ok(gto("assign", "m", "--stage", "dev"))
    assert push(repo, "main", "--tags").returncode == 0
    repo.git("update-ref", "refs/tags/m#dev#7", repo.git("rev-parse", "m#dev#1"))
    refused_push(push(repo, "m#dev#7"), "refusing refs/tags/m#dev#7: tag-name: the tag object is named 'm#dev#1'")


def test_hook_judges_a_new_branch_pushed_with_its_registration(repo, gto, keys, server):
    commit_policy(repo, keys)
    assert push(repo, "main").returncode == 0
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("experiment")
    repo.tag("m@v0.0.1", "by hand, not on main")
    refused_push(push(repo, "feature", "m@v0.0.1"), "refusing refs/tags/m@v0.0.1: policy branches")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "feature")
    result = push(repo, "main", "m@v0.0.1")  # main moves in the same push: now it is on main
    assert result.returncode == 0, result.stderr


def test_hook_judges_an_artifact_of_many_tags_the_same_with_and_without_the_cache(tmp_path, monkeypatch):
    """An artifact of more than CACHED_ARTIFACT_MIN tags is judged from the registry cache
    (read-only: the hook leaves it as it was); the judgements are those of a read from the
    tags alone."""
    from git_gto.loader import CACHED_ARTIFACT_MIN
    from registry_builder import build_registry

    path = tmp_path / "big"
    build_registry(path, artifacts=1, versions=700, stages=3, layout="packed", commits=1500)
    names = subprocess.run(["git", "tag", "-l", "model-0000*"], cwd=path, capture_output=True, text=True,
                           check=True).stdout.split()
    assert len(names) > CACHED_ARTIFACT_MIN
    stage_tag = next(n for n in names if "#" in n and "!" not in n)
    counter = max(int(n.rsplit("#", 1)[1]) for n in names if n.rsplit("#", 1)[-1].isdigit())
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=True).stdout.strip()
    def pushed(name: str, target: str) -> str:
        """A hook input line for a new tag object (its ref is not written: the hook is asked)."""
        git("tag", "-a", "-m", "by hand", name, target)
        sha = git("rev-parse", name)
        git("update-ref", "-d", f"refs/tags/{name}")
        return f"{ZERO} {sha} refs/tags/{name}\n"
    first = "model-0000@v0.1.0"
    taken = stage_tag.rsplit("#", 1)[1]
    push = (pushed(f"model-0000#{stage_tag.split('#')[1]}#{counter + 1}", first + "^{}")
            + pushed(f"model-0000#qa#{taken}", first + "^{}")
            + pushed("model-0000@v99.0.0", first + "^{}"))
    def hook(**env: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "gto", "hook", "pre-receive"], cwd=path / ".git", input=push,
                              capture_output=True, text=True, env={**os.environ, "GIT_DIR": str(path / ".git"), **env})
    uncached = hook(GTO_NO_CACHE="1")
    assert uncached.returncode == 1
    assert uncached.stderr.splitlines() == [
        f"git-gto: refusing refs/tags/model-0000#qa#{taken}: counter: #{taken} is taken by '{stage_tag}'",
        "git-gto: refusing refs/tags/model-0000@v99.0.0: registry: For this REF you can only register v0.1.0"]
    assert subprocess.run(["git", "gto", "show"], cwd=path, capture_output=True).returncode == 0
    cache = path / ".git" / "gto" / "tags.cache"
    before = cache.read_bytes()
    cached = hook()
    assert (cached.returncode, cached.stderr) == (uncached.returncode, uncached.stderr)
    assert cache.read_bytes() == before, "the hook does not write what a push would change"
    told = hook(GTO_LOG_LEVEL="DEBUG").stderr
    assert f"model-0000: {len(names)} tags from the cache, 2 read" in told, told


def test_hook_install_chains_an_existing_hook_and_the_update_hook(repo, gto, tmp_path):
    bare = tmp_path / "chained.git"
    repo.git("init", "-q", "--bare", str(bare))
    old = bare / "hooks" / "pre-receive"
    old.write_text("#!/bin/sh\nwhile read o n r; do echo \"old hook saw $r\" >&2; done\n")
    old.chmod(0o755)
    result = ok(gto("hook", "install", "-r", str(bare)))
    assert "runs first, as pre-receive.git-gto-chained" in result.stderr
    ok(gto("hook", "install", "-r", str(bare)))  # again: still chained, not chained twice
    assert (bare / "hooks" / "pre-receive.git-gto-chained").read_text() == \
        "#!/bin/sh\nwhile read o n r; do echo \"old hook saw $r\" >&2; done\n"
    ok(gto("hook", "install", "--hook", "update", "-r", str(bare)))
    repo.git("remote", "add", "origin", f"file://{bare}")
    repo.commit("one")
    repo.tag("m@v0.0.1", "fine")
    repo.tag("m@1", "grammar")
    result = push(repo, "main", "m@v0.0.1", "m@1", atomic=False)
    refused_push(result, "old hook saw refs/tags/m@v0.0.1", "refusing refs/tags/m@1: grammar")
    ok(gto("hook", "install", "-r", str(bare)))
    old.with_name("pre-receive").unlink()
    (bare / "hooks" / "pre-receive.git-gto-chained").unlink()
    result = push(repo, "main", "m@v0.0.1", "m@1", atomic=False)  # update hook alone: per ref
    assert "refusing refs/tags/m@1: grammar" in result.stderr
    assert server_tags(bare) == ["m@v0.0.1"]


def test_hook_update_on_the_command_line(repo, gto, keys):
    repo.commit("one")
    repo.tag("m@1", "grammar")
    sha = repo.git("rev-parse", "m@1")
    refused(gto("hook", "update", "refs/tags/m@1", ZERO, sha), 1, "refusing refs/tags/m@1: grammar")
    ok(gto("hook", "update", "refs/heads/main", ZERO, repo.git("rev-parse", "HEAD")))


# -- verify, for CI on hosts without custom hooks -----------------------------------------------

@needs(NO_SSH, "ssh-keygen is needed")
def test_verify(repo, gto, gnupg):
    commit_policy(repo, gnupg)
    ok(gto("register", "m"))
    use_ssh(repo, gnupg, "alice")
    ok(to_prod(gto, "v0.0.1", "--sign"))
    assert "4 registry event(s) follow the rules" in ok(gto("verify", "--all")).stderr
    repo.tag("m#prod#9", "unsigned, by hand")
    refused(gto("verify", "m#prod#9"), 1, "m#prod#9: policy protected_stages: events of stage 'prod' must be signed")
    result = gto("verify", "--all", "--json")
    assert result.exit_code == 1
    data = {d["tag"]: d for d in json.loads(result.stdout)}
    assert data["m#prod#3"]["ok"] and not data["m#prod#9"]["ok"]
    assert "policy protected_stages" in gto("doctor").stdout
    refused(gto("verify"), 2, "Name the tags to verify, or --all")
    refused(gto("verify", "nope@v1.0.0"), 1, "tag 'nope@v1.0.0' not found")


@needs(NO_GPG, "gpg is needed")
def test_a_signature_the_keyring_cannot_check_is_not_called_someone_elses(repo, gto, gnupg, monkeypatch, tmp_path):
    """Alice's OpenPGP key missing from the verifier's keyring: the assignment is refused,
    and the message says the signature cannot be checked here (not that another signed it)."""
    commit_policy(repo, gnupg)
    ok(gto("register", "m"))
    use_gpg(repo, "alice")
    ok(to_prod(gto, "v0.0.1", "--sign"))
    empty = tmp_path / "empty-gnupg"
    empty.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(empty))
    line = refused(gto("verify", "m#prod#3"), 1, "m#prod#3: policy protected_stages: stage 'prod' may be signed "
                   "only by alice@example.com: the signature by key ")
    assert "cannot be checked here (no public key " in line and "in the keyring)" in line, line
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={**os.environ, "GNUPGHOME": str(empty)}, check=False)


@needs(NO_SSH, "ssh-keygen is needed")
@pytest.mark.parametrize("lines, plain", [
    (["alice@example.com {alice}"], True),
    (["alice@example.com,ops@example.com {alice} alice's laptop"], True),
    (["# the team", "", "mallory@example.com {mallory}", "alice@example.com {alice}", "second@example.com {alice}"],
     True),
    (["mallory@example.com {mallory}"], True),  # not found: ssh-keygen says so
    (['alice@example.com namespaces="git" {alice}'], False),
    (["*@example.com {alice}"], False),
    (['"alice@example.com" {alice}'], False),
    (["alice@example.com cert-authority {alice}"], False),
    (["alice@example.com ssh-ed25519 not*base64"], False),
    (["mallory@example.com {mallory}", "alice@example.com valid-after=20200101 {alice}"], False),
    (["wrong@example.com ssh-rsa {alice_key}", "alice@example.com {alice}"], False),  # mislabelled key
    ([",alice@example.com {alice}"], False),
    (["alice@example.com,,ops@example.com {alice}"], False),
    (["alice@example.com\x0b {alice}"], False),
    (["mallory@example.com {mallory} laptop\ralice@example.com {alice}"], False),  # CR: not a line end
    (["alice@example.com ssh-ed25519 {alice_key}===="], False),  # base64 that is not canonical
    (["alice@example.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7", "alice@example.com {alice}"], False),
])
def test_principals_are_those_ssh_keygen_finds(keys, tmp_path, lines, plain):
    """The principals of a signature read in-process are ssh-keygen's own answer, or None
    (ssh-keygen is asked) for every file it does not read as plainly as a server's."""
    from git_gto.git.signing import principals_of

    public = {w: (Path(str(keys["ssh"][w]) + ".pub")).read_text().split()[:2] for w in ("alice", "mallory")}
    text = "".join(line.format(alice_key=public["alice"][1], **{w: " ".join(k) for w, k in public.items()}) + "\n"
                   for line in lines)
    (tmp_path / "allowed").write_text(text)
    (tmp_path / "data").write_bytes(b"object 0000\n")
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", str(keys["ssh"]["alice"]),
                    str(tmp_path / "data")], check=True)
    signature = (tmp_path / "data.sig").read_bytes()
    found = subprocess.run(["ssh-keygen", "-Y", "find-principals", "-f", str(tmp_path / "allowed"), "-s",
                            str(tmp_path / "data.sig")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ours = principals_of(signature, text.encode())
    if plain and found.returncode == 0:
        assert ours == found.stdout.decode().split()
    else:
        assert ours is None, (ours, found.stdout)
    for changed in (signature.replace(b"SSH SIGNATURE", b"PGP SIGNATURE"), signature.replace(b"\n", b"\r\n"),
                    signature.replace(b"\n", b"\n ")):
        assert principals_of(changed, text.encode()) is None
