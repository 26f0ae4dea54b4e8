"""What a deploy job asks: which version is in prod, what did this tag do, what is latest."""
import sys

from gto import api

from _dump import dump

repo = sys.argv[1]
latest = api.find_latest_version(repo, "churn")
every = api.find_latest_version(repo, "churn", all=True)
unregistered = api.find_latest_version(repo, "churn", registered=False)
prod = api.find_versions_in_stage(repo, "churn", "prod")
staging = api.find_versions_in_stage(repo, "segment", "staging")
events = {tag: api.check_ref(repo, tag) for tag in ("churn#prod#2", "refs/tags/churn@v1.1.0", "churn#dev!#5",
                                                     "old@deprecated", "not-a-tag", "segment@v0.1.0")}
dump({
    "latest_version": latest.version,
    "latest_commit": latest.commit_hexsha,
    "latest": latest,
    "all": [v.version for v in every],
    "unregistered": unregistered.version,
    "prod": [(s.version, s.stage, s.commit_hexsha) for s in prod],
    "prod_full": prod,
    "staging": [s.version for s in staging],
    "nothing_in_stage": api.find_versions_in_stage(repo, "churn", "qa"),
    "events": {tag: [(e.event, e.artifact, getattr(e, "version", None), getattr(e, "stage", None)) for e in found]
               for tag, found in events.items()},
    "events_full": events,
})
