"""Text that reaches a terminal: control characters from arguments, tags and
artifacts.yaml are shown escaped (as git and `cat -v` show them); JSON and piped values stay
exact."""

import json
import os
import pty
import subprocess

TITLE = "\x1b]0;pwned\x07"  # an escape sequence that retitles the terminal
CLEAR = "\x1b[2J"


def run_on_terminal(args, cwd) -> bytes:
    """Run `git gto ARGS` with stdout on a pseudo-terminal; return what it printed there."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(["git", "gto", *args], cwd=cwd, stdout=follower, stderr=subprocess.PIPE)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal is closed once the process is gone
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert process.wait() == 0, process.stderr.read()
    return out


def test_an_error_quoting_an_argument_is_one_line_with_its_controls_escaped(repo, gto):
    repo.commit("init")
    result = gto("register", f"m{TITLE}\r\nfake: line")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr and "\r" not in result.stderr
    assert "m^[]0;pwned^G^M^Jfake: line" in result.stderr, result.stderr


def test_annotations_are_escaped_on_a_terminal_and_exact_when_piped(repo, gto_e2e):
    repo.commit("index", {"artifacts.yaml": json.dumps({"m": {"description": f"{TITLE}x{CLEAR}", "path": "p\x1bq"}})})
    shown = run_on_terminal(["describe", "m", "--description"], repo.path)
    assert shown == b"^[]0;pwned^Gx^[[2J\r\n", shown
    assert run_on_terminal(["describe", "m", "--path"], repo.path) == b"p^[q\r\n"
    piped = gto_e2e("describe", "m", "--description")
    assert piped.exit_code == 0 and piped.stdout == f"{TITLE}x{CLEAR}\n"
    described = json.loads(gto_e2e("describe", "m").stdout)
    assert described["description"] == f"{TITLE}x{CLEAR}", "JSON stays exact"


def test_messages_of_a_write_are_escaped(repo, gto):
    repo.commit("init")
    result = gto("register", "m", "-m", "ok")
    assert result.exit_code == 0
    result = gto("deprecate", "m", "v0.0.1", "-m", f"bye{CLEAR}")
    assert result.exit_code == 0 and "\x1b" not in result.stderr
    shown = gto("check-ref", "m@v0.0.1!", "--json")
    assert json.loads(shown.stdout)["message"] == f"bye{CLEAR}"
