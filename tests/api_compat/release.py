"""A release script: register, promote, retire; report what each call returned."""
import sys

from gto import api

from _dump import dump


def said(event):
    return None if event is None else {k: getattr(event, k, None) for k in
                                       ("event", "artifact", "version", "stage", "tag", "commit_hexsha",
                                        "message", "author", "author_email")}


repo = sys.argv[1]
out = {}
out["register"] = said(api.register(repo, "segment", "HEAD"))
out["register_minor"] = said(api.register(repo, "churn", "HEAD", bump_minor=True, message="nightly"))
out["assign"] = said(api.assign(repo, "segment", "prod", version="v0.1.1"))
out["assign_ref"] = said(api.assign(repo, "churn", "qa", ref="HEAD~1"))
out["unassign"] = said(api.unassign(repo, "churn", version="v1.1.0", stage="prod"))
out["deregister"] = said(api.deregister(repo, "churn", version="v1.0.0"))
out["deleted"] = said(api.deregister(repo, "churn", version="v2.0.0-rc.1", delete=True))
try:
    api.deprecate(repo, "old", delete=True)
    out["refused_deprecated"] = False
except Exception:
    out["refused_deprecated"] = True
try:
    api.register(repo, "segment", "HEAD", version="v0.1.1")
    out["refused"] = False
except Exception:
    out["refused"] = True
try:
    api.assign(repo, "segment", "prod")
    out["refused_args"] = False
except Exception:
    out["refused_args"] = True
out["registry"] = api.show(repo)
out["deprecate"] = said(api.deprecate(repo, "segment", message="retired"))
out["registry_after"] = api.show(repo, deprecated=True)
out["events"] = sorted((e["event"], e["artifact"], e["version"] or "", e["stage"] or "", e["ref"])
                       for e in api.history(repo))
dump(out)
