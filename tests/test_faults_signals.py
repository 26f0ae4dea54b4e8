"""Interrupted commands leave nothing behind: the temporary clone of `-r URL` is removed on
SIGINT, SIGTERM and SIGHUP (while cloning, and while pushing back); `annotate --commit`
that git cannot commit leaves artifacts.yaml as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ok, refused


@pytest.fixture
def slow_remote(repo, tmp_path):
    """An ssh:// URL served by the local git through GIT_SSH_COMMAND, slow in one phase."""
    repo.commit("one")
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    ssh = tmp_path / "ssh"
    ssh.write_text('#!/bin/sh\nfor a; do cmd=$a; done\n'  # MARK, when set, is made once the slow phase starts
                   'case "$cmd" in *"$SLOW"*) ${MARK:+touch "$MARK"}; sleep 10;; esac\nexec sh -c "$cmd"\n')
    ssh.chmod(0o755)
    return f"ssh://localhost{bare}", str(ssh)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("phase", ["upload-pack", "receive-pack"])
def test_the_temporary_clone_goes_on_a_signal(slow_remote, tmp_path, signum, phase):
    url, ssh = slow_remote
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "GIT_SSH_COMMAND": ssh, "SLOW": phase, "TMPDIR": str(tmp)}
    proc = subprocess.Popen(["git-gto", "annotate", "m", "--type", "model", "-r", url], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not list(tmp.glob("git-gto-*")) or (phase == "receive-pack" and not _pushing(proc.pid)):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode in (130, 128 + signum), err
    assert "Traceback" not in err
    assert list(tmp.iterdir()) == []


def _pushing(pid: int) -> bool:
    """Is a `git push` running below process `pid`?"""
    out = subprocess.run(["ps", "-o", "args=", "--ppid", str(pid)], stdout=subprocess.PIPE, text=True).stdout
    return "push" in out


def test_annotate_commit_with_a_stale_index_lock_leaves_the_file(repo, gto):
    repo.commit("one")
    lock = repo.path / ".git" / "index.lock"
    lock.write_text("")
    result = gto("annotate", "m", "--type", "model", "--commit")
    refused(result, 1, "'artifacts.yaml' is left as it was")
    assert "index.lock" in result.stderr
    assert not (repo.path / "artifacts.yaml").exists()
    lock.unlink()
    ok(gto("annotate", "m", "--type", "model", "--commit"))  # not "nothing to commit"
    assert repo.git("show", "HEAD:artifacts.yaml") == "m:\n  type: model"


def test_annotate_commit_that_fails_restores_the_previous_file(repo, gto):
    repo.commit("one", files={"artifacts.yaml": "m:\n  type: dataset\n"})
    lock = repo.path / ".git" / "index.lock"
    lock.write_text("")
    refused(gto("annotate", "m", "--type", "model", "--commit"), 1, "'artifacts.yaml' is left as it was")
    assert (repo.path / "artifacts.yaml").read_text() == "m:\n  type: dataset\n"
    assert repo.git("status", "--porcelain") == "?? .git/index.lock" or repo.git("status", "--porcelain") == ""


@pytest.mark.parametrize("argv", [["check-ref", "m@v0.0.1"], ["show"]], ids=["direct", "click"])
def test_ctrl_c_through_git_is_one_line_on_both_paths(slow_remote, repo, tmp_path, argv):
    """A terminal's Ctrl-C reaches `git` and `git-gto` alike, and git passes it on once more:
    the command (parsed by direct.py, or by click) says one line and never a traceback."""
    url, ssh = slow_remote
    mark = tmp_path / "fetching"
    env = {**os.environ, "GIT_SSH_COMMAND": ssh, "SLOW": "upload-pack", "MARK": str(mark),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen(["git", "gto", *argv, "-r", url], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 20
    while not mark.exists():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal does: to every process of the command
    _, err = proc.communicate(timeout=20)
    assert proc.returncode in (130, -signal.SIGINT), err
    assert err.splitlines()[-1] == "fatal: interrupted" and "Traceback" not in err, err


@pytest.mark.parametrize("argv", [["check-ref", "m@v0.0.1", "--json"], ["show", "--json"]], ids=["direct", "click"])
def test_a_closed_pipe_ends_the_command_as_git_does(repo, gto, argv):
    """`git gto ... | head -0`: exit 141, as a git command killed by SIGPIPE, and nothing said."""
    repo.commit("one")
    ok(gto("register", "m"))
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first write
    proc = subprocess.run(["git-gto", *argv], cwd=repo.path, stdout=write, stderr=subprocess.PIPE, text=True)
    os.close(write)
    assert (proc.returncode, proc.stderr) == (141, "")


def _in_syscall(pid: int, number: int, fd: int) -> bool:
    """Is process `pid` blocked in system call `number` (0 read, 1 write) on `fd`?"""
    try:
        words = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return len(words) > 1 and words[0] == str(number) and int(words[1], 16) == fd


def test_a_second_ctrl_c_does_not_break_into_the_first_ones_message(repo):
    """git passes the terminal's Ctrl-C on, so git-gto gets it twice or more: the later ones
    arrive here while the first one's message is being written (to a full pipe, so that it
    waits), and must change nothing: the message once, then exit 130, no traceback."""
    repo.commit("one")
    read, write = os.pipe()
    os.set_blocking(write, False)
    filled = 0
    try:
        while True:
            filled += os.write(write, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(write, True)
    proc = subprocess.Popen(["git-gto", "hook", "pre-receive"], cwd=repo.path, stdin=subprocess.PIPE,
                            stderr=write)
    os.close(write)
    deadline = time.monotonic() + 20
    # reading its input; writing the message (waiting: the pipe is full); and once more, when
    # a second Ctrl-C, had it been taken, would have sent it to the shim's own message
    for number, fd, settle in ((0, 0, 0), (1, 2, 0), (1, 2, 0.2)):
        while not _in_syscall(proc.pid, number, fd):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        time.sleep(settle)
        proc.send_signal(signal.SIGINT)
    said = b""
    with os.fdopen(read, "rb") as pipe:
        while chunk := pipe.read(65536):
            said += chunk
    assert proc.wait(timeout=20) == 130
    assert said[filled:] == b"\nfatal: interrupted\n"


def test_a_mirror_clone_killed_with_kill_9_leaves_nothing_the_next_command_keeps(slow_remote, tmp_path):
    """`show -r URL` killed (-9, with its git) while it makes the mirror: the next command makes
    it again, and what the killed one left in the cache goes."""
    url, ssh = slow_remote
    cache = tmp_path / "cache"
    env = {**os.environ, "GIT_SSH_COMMAND": ssh, "SLOW": "upload-pack", "XDG_CACHE_HOME": str(cache)}
    proc = subprocess.Popen(["git-gto", "show", "-r", url], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    root = cache / "git-gto"
    deadline = time.monotonic() + 20
    while not (root.is_dir() and any(p.name.startswith(".new-") for p in root.iterdir())):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    again = subprocess.run(["git-gto", "show", "-r", url], env={**env, "SLOW": "nothing"}, capture_output=True,
                           text=True)
    assert again.returncode == 0, again.stderr
    assert [p.name for p in root.iterdir() if p.name.startswith(".new-")] == []
