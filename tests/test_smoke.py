"""The first thing a user does: register a version and read it back."""

import json

from conftest import ok


def test_register_and_show(repo, gto):
    commit = repo.commit("add model", {"model.pkl": "weights"})
    ok(gto("register", "model"))
    assert repo.tags() == ["model@v0.0.1"]
    assert repo.git("rev-parse", "model@v0.0.1^{commit}") == commit
    assert repo.git("cat-file", "-t", "model@v0.0.1") == "tag"
    repo.fsck()
    shown = json.loads(gto("show", "--json").stdout)
    assert shown == {"model": {"version": "v0.0.1", "stage": {}, "registered": True, "active": True}}


def test_end_to_end_through_git(repo, gto_e2e):
    repo.commit("init")
    ok(gto_e2e("register", "model", "--version", "v1.0.0"))
    result = ok(gto_e2e("show", "model@latest", "--ref"))
    assert result.stdout == "model@v1.0.0\n"
