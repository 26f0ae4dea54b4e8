"""Signed tags as git writes and reads them: the tag object's bytes (`git tag -s` layout),
signing with the program git's configuration names (gpg for openpgp, gpgsm for x509,
ssh-keygen for ssh), and verifying a signature with the same programs."""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple

from git_gto.errors import GtoError
from git_gto.git.objects import Identity, split_signature

if TYPE_CHECKING:
    from git_gto.git.repo import GitRepo

ConfigValue = Callable[..., Optional[str]]  # (section, key, subsection=None) -> value
FORMATS = ("openpgp", "x509", "ssh")
X509_SIGNATURE = b"-----BEGIN SIGNED MESSAGE-----"
TRUE_WORDS = ("true", "yes", "on", "1")


class Signer(NamedTuple):
    """How to sign: `format` openpgp, x509 or ssh, the program, and user.signingKey."""

    format: str
    program: str
    key: Optional[str]


class Verdict(NamedTuple):
    """What a tag's signature says. `good`: it verifies; `key`: the key's fingerprint
    (OpenPGP primary key, X.509 certificate's SHA-1, or SSH SHA256:...); `principals`: who the allowed-signers file
    says holds an SSH key; `uid`: the OpenPGP user id (for x509 the certificate's subject);
    `reason`: why it does not verify."""

    signed: bool
    good: bool = False
    format: str = ""
    key: str = ""
    principals: Tuple[str, ...] = ()
    uid: str = ""
    reason: str = ""
    unknown_key: bool = False  # made by a key the verifier does not know (or list)

    @property
    def signer(self) -> str:
        """Who signed, in words: the principal(s) or user id, else the key."""
        return ", ".join(self.principals) or self.uid or self.key


SETTINGS = r"tag\.gpgsign|user\.signingkey|gpg\..*"  # what signing reads of git's configuration


def git_config(repo: "GitRepo") -> ConfigValue:
    """Signing settings as git reads them (`git -c`, includes, conditional includes); returns
    a lookup (section, key, subsection=None) -> value."""
    lowered = {key.lower(): value for key, value in repo.git_config(f"^({SETTINGS})$").items()}
    return lambda section, key, subsection=None: lowered.get(
        ".".join(p for p in (section, subsection, key) if p).lower())


# -- writing ---------------------------------------------------------------------------------

def signer(config_value: ConfigValue, identity: Identity, sign: Optional[bool]) -> Optional[Signer]:
    """Who signs new tags: `sign` True/False from --sign/--no-sign, None: `tag.gpgSign`.
    None when tags are not signed."""
    if sign is None:
        sign = (config_value("tag", "gpgSign") or "").strip().lower() in TRUE_WORDS
    if not sign:
        return None
    fmt = (config_value("gpg", "format") or "openpgp").strip().lower()
    if fmt not in FORMATS:
        raise GtoError(f"cannot sign: gpg.format '{fmt}' is not supported (openpgp, x509 or ssh)")
    key = config_value("user", "signingKey") or None
    if fmt == "ssh":
        program = config_value("gpg", "program", "ssh") or "ssh-keygen"
        if not key:
            raise GtoError("cannot sign: user.signingKey is not set (gpg.format=ssh needs the key)")
    else:
        program = _gpg_program(config_value, fmt)
        key = key or f"{identity.name} <{identity.email}>"  # as git: the committer's identity
    return Signer(fmt, program, key)


def _gpg_program(config_value: ConfigValue, fmt: str) -> str:
    """The program git runs for an openpgp or x509 signature (gpg.<format>.program)."""
    if fmt == "x509":
        return config_value("gpg", "program", "x509") or "gpgsm"
    return config_value("gpg", "program", "openpgp") or config_value("gpg", "program") or "gpg"


def payload(name: str, target: str, identity: Identity, message: str) -> bytes:
    """The bytes of an unsigned annotated tag of a commit, as `git tag -a -m` writes them."""
    sign = "-" if identity.offset < 0 else "+"
    minutes = abs(identity.offset) // 60
    tagger = f"{identity.name} <{identity.email}> {identity.time} {sign}{minutes // 60:02d}{minutes % 60:02d}"
    return (f"object {target}\ntype commit\ntag {name}\ntagger {tagger}\n\n".encode()
            + message.encode() + b"\n")


def tag_object(name: str, target: str, identity: Identity, message: str,
               by: Optional[Signer]) -> bytes:
    """The tag object's bytes: `git tag -a` layout, signed by `by` (as `git tag -s`)."""
    data = payload(name, target, identity, message)
    return data + sign(by, data) if by is not None else data


def sign(by: Signer, data: bytes) -> bytes:
    """The signature git would append to `data` (gpg and gpgsm take the same arguments)."""
    if by.format == "ssh":
        return _ssh_sign(by, data)
    result = _run([by.program, "--status-fd=2", "-bsau", by.key or ""], data, "sign")
    if result.returncode != 0 or b"\n[GNUPG:] SIG_CREATED " not in b"\n" + result.stderr:
        raise GtoError(f"cannot sign the tag: {by.program} failed: {_last_line(result.stderr)}")
    return result.stdout


def _ssh_sign(by: Signer, data: bytes) -> bytes:
    key = by.key or ""
    with _scratch("git-gto-sign-") as tmp:
        buffer = os.path.join(tmp, "buffer")
        with open(buffer, "wb") as f:
            f.write(data)
        args = [by.program, "-Y", "sign", "-n", "git"]
        if key.startswith("key::") or key.startswith("ssh-"):  # a literal public key: the agent signs
            keyfile = os.path.join(tmp, "key.pub")
            with open(keyfile, "w") as f:
                f.write(key.removeprefix("key::") + "\n")
            args += ["-U", "-f", keyfile]
        else:
            args += ["-f", os.path.expanduser(key)]
        result = _run(args + [buffer], b"", "sign")
        if result.returncode != 0 or not os.path.exists(buffer + ".sig"):
            raise GtoError(f"cannot sign the tag: {by.program} failed: {_last_line(result.stderr)}")
        with open(buffer + ".sig", "rb") as f:
            return f.read()


# -- reading ----------------------------------------------------------------------------------

def verify(raw: bytes, config_value: ConfigValue, allowed_signers: Optional[bytes] = None) -> Verdict:
    """Does the signature of a tag object (its raw bytes) verify? OpenPGP and X.509 with the
    program and keyring (keybox) git would use; SSH against `allowed_signers` (the file's content),
    else the file of gpg.ssh.allowedSignersFile."""
    data, signature = split_signature(raw)
    if not signature:
        return Verdict(signed=False, reason="the tag is not signed")
    if signature.startswith(b"-----BEGIN SSH SIGNATURE-----"):
        program = config_value("gpg", "program", "ssh") or "ssh-keygen"
        if allowed_signers is None:
            path = config_value("gpg", "allowedSignersFile", "ssh")
            allowed_signers = _read_allowed(path) if path else None
        if allowed_signers is None:
            return Verdict(True, format="ssh", reason="no allowed-signers file to check an SSH signature "
                           "against (the policy's allowed_signers, or gpg.ssh.allowedSignersFile)")
        return _ssh_verify(program, data, signature, allowed_signers)
    fmt = "x509" if signature.startswith(X509_SIGNATURE) else "openpgp"
    return _gpg_verify(_gpg_program(config_value, fmt), data, signature, fmt)


def _read_allowed(path: str) -> Optional[bytes]:
    try:
        with open(os.path.expanduser(path), "rb") as f:
            return f.read()
    except OSError:
        return None


def _gpg_verify(program: str, data: bytes, signature: bytes, fmt: str) -> Verdict:
    """gpg's or gpgsm's status lines, read as git reads them; for x509, as git, a certificate
    chain that is not trusted (gpgsm's exit status) does not verify."""
    with _scratch("git-gto-verify-") as tmp:
        sig = os.path.join(tmp, "sig")
        with open(sig, "wb") as f:
            f.write(signature)
        result = _run([program, "--status-fd=1", "--verify", sig, "-"], data, "verify")
    status: Dict[str, str] = {}
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("[GNUPG:] "):
            word, _, rest = line[9:].partition(" ")
            status.setdefault(word, rest)
    if "VALIDSIG" in status and "GOODSIG" in status:
        fields = status["VALIDSIG"].split()
        key = fields[9] if len(fields) > 9 else fields[0]  # gpg: the primary key; gpgsm: the certificate
        uid = status["GOODSIG"].partition(" ")[2]
        if "EXPKEYSIG" in status or "REVKEYSIG" in status:
            return Verdict(True, False, fmt, key, uid=uid, reason="the key has expired or was revoked")
        if fmt == "x509" and result.returncode != 0:
            return Verdict(True, False, fmt, key, uid=uid,
                           reason=f"the certificate is not valid: {_last_line(result.stderr)}")
        return Verdict(True, True, fmt, key, uid=uid)
    if "BADSIG" in status:
        return Verdict(True, False, fmt, uid=status["BADSIG"].partition(" ")[2],
                       reason="bad signature: the tag was changed after it was signed")
    if "NO_PUBKEY" in status or ("ERRSIG" in status and status["ERRSIG"].split()[5:6] == ["9"]):
        keyid = (status.get("NO_PUBKEY") or status["ERRSIG"]).split()[0]
        return Verdict(True, False, fmt, keyid, reason=f"no public key {keyid} in the keyring",
                       unknown_key=True)
    if status.get("ERROR", "").startswith("verify.findkey"):  # gpgsm: no such certificate
        return Verdict(True, False, fmt, reason="no certificate for the signing key in the keybox",
                       unknown_key=True)
    for word in ("EXPKEYSIG", "REVKEYSIG"):
        if word in status:
            return Verdict(True, False, fmt, status[word].split()[0],
                           reason="the key has expired or was revoked")
    return Verdict(True, False, fmt, reason=f"{program} could not verify it: {_last_line(result.stderr)}")


def _ssh_verify(program: str, data: bytes, signature: bytes, allowed: bytes) -> Verdict:
    with _scratch("git-gto-verify-") as tmp:
        sig, signers = os.path.join(tmp, "sig"), os.path.join(tmp, "allowed_signers")
        with open(sig, "wb") as f:
            f.write(signature)
        with open(signers, "wb") as f:
            f.write(allowed)
        principals = principals_of(signature, allowed)
        if principals is None:
            found = _run([program, "-Y", "find-principals", "-f", signers, "-s", sig], b"", "verify")
            principals = [p for p in found.stdout.decode("utf-8", "replace").split() if p] if found.returncode == 0 else []
        for principal in principals:
            result = _run([program, "-Y", "verify", "-n", "git", "-f", signers, "-I", principal, "-s", sig],
                          data, "verify")
            if result.returncode == 0:
                return Verdict(True, True, "ssh", _ssh_key(result.stdout), tuple(principals))
        check = _run([program, "-Y", "check-novalidate", "-n", "git", "-s", sig], data, "verify")
        key = _ssh_key(check.stdout)
        if check.returncode != 0:
            return Verdict(True, False, "ssh", key, reason="bad signature: the tag was changed after it was signed")
        if principals:
            return Verdict(True, False, "ssh", key, tuple(principals),
                           reason="the key is not valid for git signatures in the allowed-signers file")
        return Verdict(True, False, "ssh", key, reason=f"the key {key} is not in the allowed-signers file",
                       unknown_key=True)


ED25519 = b"ssh-ed25519"
ED25519_KEY = b"\0\0\0\x0bssh-ed25519\0\0\0\x20"  # how an Ed25519 public key starts: 32 bytes follow
SIGNATURE_ARMOR = (b"-----BEGIN SSH SIGNATURE-----", b"-----END SSH SIGNATURE-----")


def principals_of(signature: bytes, allowed: bytes) -> Optional[List[str]]:
    """What `ssh-keygen -Y find-principals` prints for an SSH signature (the principals of
    the first line holding its key), read here for an Ed25519 key (one encoding a key, so
    equal keys are equal bytes) when the signature and every line of the allowed-signers
    file up to that one are plain: principals in UTF-8, `ssh-ed25519`, the key in canonical
    base64, a comment; no options, patterns, quotes, empty principals, control characters.
    None (ask ssh-keygen) for anything else. ssh-keygen still verifies the signature for the
    principal, so this only saves a process."""
    lines = signature.split(b"\n")
    if lines[-1:] == [b""]:
        lines.pop()
    if len(lines) < 3 or (lines[0], lines[-1]) != SIGNATURE_ARMOR:
        return None
    blob = _canonical_base64(b"".join(lines[1:-1])) or b""
    if blob[:10] != b"SSHSIG\0\0\0\1" or int.from_bytes(blob[10:14], "big") != 51:
        return None
    key = blob[14:65]
    if not key.startswith(ED25519_KEY):
        return None
    for line in allowed.split(b"\n"):
        if any(c < 0x20 and c != 0x09 or c == 0x7F for c in line):
            return None  # a control character ssh-keygen may read otherwise than split() does
        fields = line.split()
        if not fields or fields[0].startswith(b"#"):
            continue
        if len(fields) < 3 or fields[1] != ED25519 or any(c in fields[0] for c in b'*?!"'):
            return None  # another key type, options, patterns, quotes: ssh-keygen's to read
        principals = fields[0].split(b",")
        line_key = _canonical_base64(fields[2])
        if not all(principals) or line_key is None or len(line_key) != 51 or not line_key.startswith(ED25519_KEY):
            return None  # an empty principal, a key ssh-keygen may read otherwise
        if line_key == key:
            try:
                return [p.decode("utf-8") for p in principals]
            except UnicodeDecodeError:
                return None
    return None


def _canonical_base64(text: bytes) -> Optional[bytes]:
    """The bytes that base64 `text` encodes, if encoding them gives `text` back exactly (no
    stray padding, no bits beyond them, nothing but the alphabet), else None."""
    import binascii

    try:
        data = binascii.a2b_base64(text)
    except binascii.Error:
        return None
    return data if binascii.b2a_base64(data, newline=False) == text else None


def _ssh_key(output: bytes) -> str:
    """The `SHA256:...` fingerprint ssh-keygen names in its "Good signature" line."""
    words = output.decode("utf-8", "replace").split()
    return next((w for w in words if w.startswith("SHA256:")), "")


def _run(args: List[str], stdin: bytes, what: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise GtoError(f"cannot {what} the tag: '{args[0]}' is not installed (see gpg.program, "
                       "gpg.ssh.program)") from None
    except OSError as e:
        raise GtoError(f"cannot {what} the tag: cannot run '{args[0]}': {e.strerror}") from None


@contextmanager
def _scratch(prefix: str) -> Iterator[str]:
    """A new directory only this user can enter, in the first usable of $TMPDIR, $TEMP, $TMP,
    /tmp, /var/tmp (as tempfile.mkdtemp, whose import a server would pay on every push),
    removed with its files afterwards (as far as it can be: its removal never hides why the
    signing failed)."""
    bases = [os.environ.get(v) for v in ("TMPDIR", "TEMP", "TMP")] + ["/tmp", "/var/tmp"]
    path = ""
    for base in (os.path.abspath(b) for b in bases if b):
        path = os.path.join(base, prefix + os.urandom(8).hex())
        try:
            os.mkdir(path, 0o700)
            break
        except OSError:  # absent, read-only, full, not ours: the next one
            path = ""
    if not path:
        raise GtoError("no usable temporary directory (set TMPDIR)")
    try:
        yield path
    finally:
        with suppress(OSError):  # each file, then the directory, as far as they can go
            for name in os.listdir(path):
                with suppress(OSError):
                    os.unlink(os.path.join(path, name))
            os.rmdir(path)


def _last_line(stderr: bytes) -> str:
    lines = [l.strip() for l in stderr.decode("utf-8", "replace").splitlines()
             if l.strip() and not l.startswith("[GNUPG:]")]
    return lines[-1] if lines else "no reason given"
