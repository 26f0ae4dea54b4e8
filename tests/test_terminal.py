"""Text that reaches a terminal: control characters from arguments, tags and
artifacts.yaml are shown escaped (as git and `cat -v` show them); JSON and piped values stay
exact."""

import json
import re
import os
import pty
import subprocess

import pytest

TITLE = "\x1b]0;pwned\x07"  # an escape sequence that retitles the terminal
CLEAR = "\x1b[2J"


def run_on_terminal(args, cwd, env=None) -> bytes:
    """Run `git gto ARGS` with stdout on a pseudo-terminal; return what it printed there."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(["git", "gto", *args], cwd=cwd, stdout=follower, stderr=subprocess.PIPE,
                               env={**os.environ, **(env or {})})
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


GREEN = b"\x1b[32m"


def colour_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "GTO_EMOJIS")}
    env["TERM"] = "xterm-256color"
    return env


def test_colour_and_emojis_follow_git_config_on_a_terminal(repo, gto_e2e, monkeypatch):
    repo.commit("init")
    assert gto_e2e("register", "m").exit_code == 0
    for var in ("NO_COLOR", "GTO_EMOJIS"):
        monkeypatch.delenv(var)
    monkeypatch.setenv("TERM", "xterm-256color")
    shown = run_on_terminal(["check-ref", "m@v0.0.1"], repo.path)
    assert shown.startswith(GREEN + "✅".encode()), "auto: colour and emoji on a terminal"
    repo.git("config", "color.ui", "never")
    assert run_on_terminal(["check-ref", "m@v0.0.1"], repo.path).startswith("✅".encode())
    repo.git("config", "color.gto", "auto")  # color.gto wins over color.ui
    assert run_on_terminal(["check-ref", "m@v0.0.1"], repo.path).startswith(GREEN)
    assert GREEN not in run_on_terminal(["check-ref", "m@v0.0.1"], repo.path, {"NO_COLOR": "1"})


def test_color_always_colours_a_pipe(repo, gto_e2e, monkeypatch):
    repo.commit("init")
    monkeypatch.delenv("NO_COLOR")
    repo.git("config", "--global", "color.ui", "always")
    result = gto_e2e("register", "bad name")
    assert result.exit_code == 1 and result.stderr.startswith("\x1b[31merror: "), result.stderr
    repo.git("config", "--global", "color.ui", "auto")
    assert gto_e2e("register", "bad name").stderr.startswith("error: ")


def test_tables_fit_the_terminal_in_the_stated_order(repo, gto_e2e, monkeypatch):
    repo.commit("init")
    for version in ("v1.0.0", "v1.1.0-rc.1+build.5"):
        repo.commit(version)
        assert gto_e2e("register", "a-long-artifact-name", "--version", version).exit_code == 0
    assert gto_e2e("assign", "a-long-artifact-name", "--version", "v1.0.0", "--stage", "production").exit_code == 0
    monkeypatch.setenv("GIT_PAGER", "cat")
    piped = gto_e2e("history").stdout
    assert max(map(len, piped.splitlines())) > 80, "piped: never narrowed"
    for columns in ("100", "80", "70"):
        shown = run_on_terminal(["history"], repo.path, {"COLUMNS": columns}).decode()
        lines = shown.splitlines()
        assert max(map(len, lines)) <= int(columns), (columns, shown)
        assert "│ timestamp" in lines[1]
        if columns == "100":  # tags whole: times and the other columns give way first
            assert "│ a-long-artifact-name@v1.1.0-rc.1+build.5 │" in shown, shown
            assert re.search(r"│ 2024-01-01 +│", shown), shown
        assert "+00:00" not in shown and "commit" not in lines[1], "the commit column goes first"
    assert "…" in run_on_terminal(["history"], repo.path, {"COLUMNS": "70"}).decode()


def test_long_output_goes_through_the_pager_as_git_does(repo, gto_e2e, monkeypatch, tmp_path):
    repo.commit("init")
    assert gto_e2e("register", "m").exit_code == 0
    log = tmp_path / "pager.log"
    monkeypatch.setenv("GIT_PAGER", f"tee {log} | sed 's/^/PAGED: /'")
    shown = run_on_terminal(["history", "--plain"], repo.path).decode()
    assert shown.splitlines()[0].startswith("PAGED: timestamp"), shown
    assert log.read_text().startswith("timestamp")
    repo.git("config", "pager.gto", "false")
    assert not run_on_terminal(["history", "--plain"], repo.path).decode().startswith("PAGED")
    repo.git("config", "--unset", "pager.gto")
    assert gto_e2e("history", "--plain").stdout.startswith("timestamp"), "never when piped"
    assert not run_on_terminal(["check-ref", "m@v0.0.1"], repo.path).decode().startswith("PAGED")


def test_an_ascii_stream_gets_utf_8_as_before(repo, gto):
    """PYTHONIOENCODING=ascii (a misconfigured locale): names and the ✅ mark are written in
    UTF-8, as click.echo wrote them, not as ? or \\xNN."""
    repo.commit("one")
    assert gto("register", "m").exit_code == 0
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "GTO_EMOJIS": "true"}
    shown = subprocess.run(["git-gto", "check-ref", "m@v0.0.1"], cwd=repo.path, env=env, capture_output=True)
    assert (shown.returncode, shown.stdout) == (0, "✅  Version \"v0.0.1\" of artifact \"m\" was registered\n".encode())
    refused = subprocess.run(["git-gto", "deprecate", "modèle"], cwd=repo.path, env=env, capture_output=True)
    assert refused.returncode == 1 and refused.stderr.startswith("error: Invalid value 'modèle'.".encode()), refused.stderr


@pytest.mark.parametrize("argv", [["check-ref", "nope@v1.0.0", "--verify"], ["history", "nope"]],
                         ids=["direct", "click"])
def test_with_stderr_closed_nothing_meant_for_it_reaches_stdout(repo, argv):
    """`git gto ... 2>&-`: the refusal is not said at all, and stdout keeps only the data."""
    repo.commit("one")
    shown = subprocess.run(["git-gto", *argv], cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           preexec_fn=lambda: os.close(2))
    assert (shown.returncode, shown.stdout) == (1, b"")


@pytest.mark.parametrize("stderr", ["closed", "/dev/full"])
def test_a_success_stays_one_whatever_happens_to_stderr(repo, stderr):
    """As git: what cannot be said on stderr (closed, a full disk) does not fail the command."""
    repo.commit("one")
    if stderr == "closed":
        done = subprocess.run(["git-gto", "register", "m"], cwd=repo.path, preexec_fn=lambda: os.close(2))
    else:
        with open(stderr, "w") as full:
            done = subprocess.run(["git-gto", "register", "m"], cwd=repo.path, stderr=full)
    assert done.returncode == 0
    assert repo.git("tag", "--list").split() == ["m@v0.0.1"]


def test_v_explains_in_one_line_whatever_a_path_holds(repo, tmp_path):
    weird = tmp_path / "we\nird"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(weird)], check=True)
    shown = subprocess.run(["git-gto", "-v", "show"], cwd=weird, capture_output=True, text=True)
    assert shown.returncode == 0
    assert f"git-gto: repository: {tmp_path}/we^Jird\n" in shown.stderr, shown.stderr
