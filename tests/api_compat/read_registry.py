"""Read the registry the ways a dashboard script does."""
import sys

from gto import api

from _dump import dump

repo = sys.argv[1]
dump({
    "registry": api.show(repo),
    "registry_deprecated": api.show(repo, deprecated=True),
    "churn": api.show(repo, "churn"),
    "churn_prod": [v["version"] for v in api.show(repo, "churn#prod")],
    "churn_all_stages": api.show(repo, "churn", versions_per_stage=-1),
    "registry_table": api.show(repo, table=True),
    "registry_short": api.show(repo, truncate_hexsha=True),
    "churn_table": api.show(repo, "churn", table=True, truncate_hexsha=True),
    "history_table": api.history(repo, "segment", table=True, truncate_hexsha=True),
    "history": api.history(repo),
    "history_churn": api.history(repo, "churn", ascending=True),
    "stages": api.get_stages(repo),
    "stages_used": api.get_stages(repo, used=True),
    "describe": api.describe(repo, "churn"),
    "describe_at_version": api.describe(repo, "churn@v1.1.0"),
    "describe_missing": api.describe(repo, "segment"),
    "parse": [api.parse_tag(t) for t in ("churn@v1.0.0", "churn#prod#2", "churn#dev!#5", "old@deprecated",
                                         "churn@v1.0.0!")],
})
