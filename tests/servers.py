"""Real git servers on 127.0.0.1 for the remote-registry tests, started by fixtures and
stopped after the session: `git daemon` (git://), lighttpd running `git http-backend`
(smart HTTP, with a password-protected `/private/` path) and `sshd` (ssh://, a throwaway
host key and a client key made here). `file://` needs no server.

`served(bare)` puts a bare repository under the servers' root and returns its URLs by
transport; every served repository allows partial clones (`uploadpack.allowFilter`) and
pushes over HTTP and git://. A tool that is missing fails the test (`.ci/setup` installs
them)."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

TRANSPORTS = ("file", "git", "http", "ssh")
HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
USER, PASSWORD = "gto", "s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} does not listen on {port}")


def _server_env(home: Path) -> Dict[str, str]:
    """Servers run with a home of their own and no system git config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GTO_"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", XDG_CONFIG_HOME=str(home / ".config"))
    return env


class Servers:
    def __init__(self, root: Path):
        self.root = root
        self.repos = root / "repos"
        self.repos.mkdir()
        (self.repos / "private").mkdir()
        self.home = root / "home"
        self.home.mkdir()
        self.processes: List[subprocess.Popen] = []
        self.git_port = self.http_port = self.ssh_port = 0
        self.http_log = root / "http-access.log"
        self.ssh_key = root / "client_key"

    def start(self) -> None:
        self._git_daemon()
        self._lighttpd()
        self._sshd()

    def stop(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def _spawn(self, args: List[str], log: Path, port: int, what: str) -> None:
        with open(log, "wb") as out:
            p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 env=_server_env(self.home), cwd=self.root)
        self.processes.append(p)
        _wait_for(port, p, what, log)

    def _git_daemon(self) -> None:
        self.git_port = free_port()
        self._spawn(["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", "--verbose",
                     f"--base-path={self.repos}", "--listen=127.0.0.1", f"--port={self.git_port}",
                     str(self.repos)], self.root / "git-daemon.log", self.git_port, "git daemon")

    def _lighttpd(self) -> None:
        self.http_port = free_port()
        (self.root / "htpasswd").write_text(f"{USER}:{PASSWORD}\n")
        conf = self.root / "lighttpd.conf"
        conf.write_text(f"""
server.document-root = "{self.repos}"
server.bind = "127.0.0.1"
server.port = {self.http_port}
server.errorlog = "{self.root}/http-error.log"
server.modules = ("mod_alias", "mod_setenv", "mod_cgi", "mod_auth", "mod_authn_file", "mod_accesslog")
accesslog.filename = "{self.http_log}"
alias.url = ("/" => "{HTTP_BACKEND}/")
cgi.assign = ("" => "")
setenv.add-environment = ("GIT_PROJECT_ROOT" => "{self.repos}", "GIT_HTTP_EXPORT_ALL" => "1",
                          "HOME" => "{self.home}", "GIT_CONFIG_NOSYSTEM" => "1")
auth.backend = "plain"
auth.backend.plain.userfile = "{self.root}/htpasswd"
auth.require = ("/private/" => ("method" => "basic", "realm" => "git", "require" => "valid-user"))
""")
        lighttpd = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
        self._spawn([lighttpd, "-D", "-f", str(conf)], self.root / "lighttpd.log", self.http_port, "lighttpd")

    def _sshd(self) -> None:
        self.ssh_port = free_port()
        host_key = self.root / "host_key"
        for key in (host_key, self.ssh_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        (self.root / "authorized_keys").write_text(Path(f"{self.ssh_key}.pub").read_text())
        conf = self.root / "sshd_config"
        conf.write_text(f"""
Port {self.ssh_port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {self.root}/sshd.pid
AuthorizedKeysFile {self.root}/authorized_keys
StrictModes no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
""")
        os.makedirs("/run/sshd", exist_ok=True)  # privilege separation needs it
        self._spawn(["/usr/sbin/sshd", "-D", "-e", "-f", str(conf)], self.root / "sshd.log", self.ssh_port, "sshd")

    @property
    def ssh_command(self) -> str:
        return (f"ssh -i {self.ssh_key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no "
                f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR")

    def serve(self, bare: Path, name: str) -> Dict[str, str]:
        """Move a bare repository under the root; its URL for each transport."""
        target = self.repos / name
        shutil.move(str(bare), str(target))
        for key, value in (("uploadpack.allowFilter", "true"), ("uploadpack.allowAnySHA1InWant", "true"),
                           ("http.receivepack", "true")):
            subprocess.run(["git", "config", key, value], cwd=target, check=True)
        return {
            "file": target.as_uri(),
            "git": f"git://127.0.0.1:{self.git_port}/{name}",
            "http": f"http://127.0.0.1:{self.http_port}/{name}",
            "ssh": f"ssh://{getpass.getuser()}@127.0.0.1:{self.ssh_port}{target}",
        }


@pytest.fixture(scope="session")
def servers(tmp_path_factory) -> Iterator[Servers]:
    found = Servers(tmp_path_factory.mktemp("servers"))
    try:
        found.start()
        yield found
    finally:
        found.stop()


@pytest.fixture
def served(servers, monkeypatch, request):
    """`served(bare) -> {transport: url}`; ssh:// reaches sshd with the test's key."""
    monkeypatch.setenv("GIT_SSH_COMMAND", servers.ssh_command)
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    count = [0]

    def serve(bare: Path) -> Dict[str, str]:
        count[0] += 1
        return servers.serve(bare, f"{request.node.name.replace('[', '-').rstrip(']')}-{count[0]}.git")

    return serve
