"""Where configuration comes from: `.gto` in the work tree, `.gto` as committed for a bare
repository, and the keys git-gto honours or refuses; git's own words for a failed checkout."""

import json
import os
import subprocess

from conftest import refused

FAIL = "fatal: internal error"


def test_emojis_in_dot_gto_are_honoured(repo, gto, monkeypatch):
    monkeypatch.delenv("GTO_EMOJIS")
    repo.commit("init")
    assert gto("register", "m").exit_code == 0
    plain = 'Version "v0.0.1" of artifact "m" was registered\n'
    assert gto("check-ref", "m@v0.0.1").stdout == plain, "not a terminal, not asked: no emoji"
    assert "emojis: auto\n" in gto("doctor").stdout
    (repo.path / ".gto").write_text("emojis: true\n")
    assert gto("check-ref", "m@v0.0.1").stdout == "✅  " + plain
    (repo.path / ".gto").write_text("emojis: false\n")
    assert gto("check-ref", "m@v0.0.1").stdout == plain
    doctor = gto("doctor")
    assert "emojis: False\n" in doctor.stdout and doctor.stdout.endswith("\nNo issues found\n")


def test_a_key_git_gto_cannot_honour_is_refused_naming_file_and_key(repo, gto):
    repo.commit("init")
    (repo.path / ".gto").write_text("log_level: DEBUG\n")
    result = gto("show")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (f"error: Wrong config file {repo.path / '.gto'}: 'log_level': not supported by "
                             "git-gto (use -v, or GTO_LOG_LEVEL=DEBUG)\n")


def test_a_bare_repository_reads_dot_gto_as_committed_at_head(repo, gto, tmp_path):
    repo.commit("config", {".gto": "stages: [dev, prod]\n"})
    bare = tmp_path / "server.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    assert gto("stages", "--allowed", cwd=bare).stdout == "dev\nprod\n"
    refused = gto("assign", "m", "--stage", "qa", cwd=bare)
    assert refused.exit_code == 1
    assert refused.stderr == "error: Stage 'qa' is not allowed: allowed stages are ['dev', 'prod'] (.gto)\n"


def test_annotate_on_a_missing_branch_of_a_remote_says_what_git_said(repo, gto, tmp_path):
    repo.commit("init")
    bare = tmp_path / "server.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    result = gto("annotate", "m", "-r", f"file://{bare}", "--branch", "nosuch", "--type", "model")
    assert result.exit_code == 1 and FAIL not in result.stderr
    assert result.stderr == "error: git checkout failed: invalid reference: nosuch\n"
    result = gto("annotate", "m", "-r", f"file://{bare}", "--branch", "--orphan=evil")
    assert (result.exit_code, result.stderr) == (2, "error: --branch takes a branch name, not '--orphan=evil'\n")


def test_one_bad_commit_of_artifacts_yaml_is_left_out_and_named_by_doctor(repo, gto):
    repo.commit("good", {"artifacts.yaml": "m:\n  type: model\n"})
    assert gto("register", "m").exit_code == 0
    repo.commit("bad", {"artifacts.yaml": "m:\n  type: model\nnot a name:\n  type: x\n"})
    shown = gto("show", "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["m"]["version"] == "v0.0.1"
    assert gto("check-ref", "m@v0.0.1", "--event").stdout == "registration\n"
    doctor = gto("doctor")
    assert doctor.exit_code == 1
    assert "artifacts.yaml in commit" in doctor.stdout and "its annotations are left out" in doctor.stdout


def test_the_environment_overrides_a_bad_setting_of_dot_gto(repo, gto, monkeypatch):
    """As the README says, GTO_* wins over .gto: a teammate's bad `index:` is no obstacle."""
    repo.commit("init")
    (repo.path / ".gto").write_text("index: ../x.yaml\n")
    refused(gto("show"), 1, "'index': expected a path inside the work tree (not in .git), got '../x.yaml'")
    monkeypatch.setenv("GTO_INDEX", "artifacts.yaml")
    assert gto("show").exit_code == 0


def test_dot_gto_is_parsed_once_and_a_bad_yaml_cache_is_ignored(repo, gto, monkeypatch):
    """`.gto` is kept parsed by the digest of its text ($GIT_DIR/gto/yaml.cache): an edit
    is a new text; a damaged or foreign file is not believed; a text that does not parse
    is never kept (the error comes every time)."""
    import marshal

    from git_gto.cache import seal

    repo.commit("init")
    assert gto("register", "m").exit_code == 0
    memo = repo.path / ".git" / "gto" / "yaml.cache"
    (repo.path / ".gto").write_text("stages: [dev, prod]\n")
    assert gto("stages", "--allowed").stdout == "dev\nprod\n"
    assert memo.is_file()
    (repo.path / ".gto").write_text("stages: [dev, qa]\n")
    assert gto("stages", "--allowed").stdout == "dev\nqa\n"
    kept = memo.read_bytes()
    assert gto("stages", "--allowed").stdout == "dev\nqa\n"
    assert memo.read_bytes() == kept, "a text seen before is not parsed, nor written, again"
    from git_gto import __version__
    from git_gto.digests import blake2b
    from git_gto.yamlcache import FORMAT

    key = blake2b(f"{FORMAT} {__version__}\n".encode() + (repo.path / ".gto").read_bytes(), digest_size=20).digest()
    memo.write_bytes(seal(marshal.dumps({key: {"stages": ["served"]}})))
    assert gto("stages", "--allowed").stdout == "served\n", "a text kept is taken from the cache, not parsed"
    memo.write_bytes(kept)
    # another text's data under this text's digest, unsealed: ignored
    data = marshal.loads(kept[20:])
    memo.write_bytes(kept[:20] + marshal.dumps({k: {"stages": ["evil"]} for k in data}))
    assert gto("stages", "--allowed").stdout == "dev\nqa\n"
    memo.write_bytes(seal(marshal.dumps(["not", "a", "mapping"])))
    assert gto("stages", "--allowed").stdout == "dev\nqa\n"
    # what another parser (another format or version) kept for this very text: not believed
    import hashlib

    text = (repo.path / ".gto").read_bytes()
    memo.write_bytes(seal(marshal.dumps({hashlib.blake2b(text, digest_size=20).digest(): {"stages": ["old"]}})))
    assert gto("stages", "--allowed").stdout == "dev\nqa\n"
    (repo.path / ".gto").write_text("stages: [dev\n")
    for _ in range(2):
        refused(gto("stages", "--allowed"), 1, f"error: Wrong config file '{repo.path / '.gto'}': not valid YAML "
                "(line 2): did not find expected ',' or ']'")
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    memo.unlink()
    (repo.path / ".gto").write_text("stages: [prod]\n")
    assert gto("stages", "--allowed").stdout == "prod\n"
    assert not memo.exists()
