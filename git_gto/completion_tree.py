"""The commands as TAB completion sees them, for completion_fast (no click at start-up).

Written by `python -m git_gto.completion_protocol` from the click commands of cli.py;
tests/test_completion_fast.py fails when it differs from them. A command is
(parsed as completion_fast parses it, its parameters); a parameter is (kind, name, opts,
secondary opts, is a flag, multiple, nargs, hidden, help, how its values complete);
one that several commands have is named once below.
"""

CLICK_DEFAULT_HELP = ('option', '_click_default_help', ('-h', '--help'), (), True, False, 1, False, 'Show this message and exit.', 'none')
REPO = ('option', 'repo', ('-r', '--repo'), (), False, False, 1, False, 'Repository: a local path, or a URL (read through a cached mirror; changes are pushed to it).', 'dir')
NAME = ('argument', 'name', ('name',), (), False, False, 1, False, None, 'artifacts')
ALL_COMMITS = ('option', 'all_commits', ('-A', '--all-commits'), (), True, False, 1, False, 'Also read artifacts.yaml in every commit of every branch.', 'none')
AS_JSON = ('option', 'as_json', ('--json',), (), True, False, 1, False, 'Print JSON.', 'none')
PLAIN = ('option', 'plain', ('--plain',), (), True, False, 1, False, 'Print a plain table for grep and awk.', 'none')
MESSAGE = ('option', 'message', ('-m', '--message'), (), False, False, 1, False, 'Tag message (a default one otherwise).', 'none')
SIMPLE = ('option', 'simple', ('--simple',), (), False, False, 1, False, "Tag form: 'true' without the #N counter, 'false' with it, 'auto' the usual one.", ('choice', ('auto', 'true', 'false'), True))
FORCE = ('option', 'force', ('--force',), (), True, False, 1, False, 'Create the tag even if a check says no.', 'none')
PUSH = ('option', 'push', ('--push',), (), True, False, 1, False, 'Push the tag(s) to the remote in one atomic `git push`.', 'none')
REMOTE = ('option', 'remote', ('--remote',), (), False, False, 1, False, "The remote --push pushes to (default: as git push chooses, else 'origin').", 'none')
SIGN = ('option', 'sign', ('-s', '--sign'), ('--no-sign',), True, False, 1, False, 'Sign the tag(s) as `git tag -s` does (gpg.format, user.signingKey); default: tag.gpgSign.', 'none')

GROUP = (True, (
    ('option', 'version', ('--version',), (), True, False, 1, False, 'Show the version and exit.', 'none'),
    ('option', 'verbose', ('-v', '--verbose'), (), True, False, 1, False, 'Explain what is being done (on stderr).', 'none'),
    ('option', 'traceback', ('--traceback', '--tb'), (), True, False, 1, True, None, 'none'),
    CLICK_DEFAULT_HELP,
))
LISTED = (  # what `git gto <TAB>` lists, with the help shown next to each
    ('show', 'Show the registry, the versions of an...'),
    ('history', 'Show the journal of registrations,...'),
    ('check-ref', 'Tell which registry event a tag (REF or...'),
    ('at', 'Show the versions registered on REV...'),
    ('stages', 'List stages: those allowed by .gto if it...'),
    ('describe', 'Print the annotation of NAME (or...'),
    ('doctor', 'Print the version and configuration, and...'),
    ('verify', "Judge TAGs (or --all) by the registry's..."),
    ('status', 'Show the registry tags that differ from...'),
    ('register', 'Register a version of artifact NAME at REF...'),
    ('assign', 'Assign STAGE to a version of NAME: the one...'),
    ('deprecate', 'Deprecate an artifact, deregister a...'),
    ('fetch', 'Fetch the registry tags of REMOTE...'),
    ('annotate', 'Add or update the annotation of artifact...'),
    ('remove', 'Remove the annotation of artifact NAME...'),
    ('hook', 'Judge pushed registry events on the server...'),
    ('completion', 'Print the completion script for SHELL...'),
)
COMMANDS = {
    'show': (True, (
        REPO,
        NAME,
        ('option', 'all_branches', ('-a', '--all-branches'), (), True, False, 1, False, 'Also read artifacts.yaml at the head of every branch.', 'none'),
        ALL_COMMITS,
        AS_JSON,
        PLAIN,
        ('option', 'show_name', ('--name',), (), True, False, 1, False, 'Print only the artifact names.', 'none'),
        ('option', 'show_version', ('--version',), (), True, False, 1, False, 'Print only the versions.', 'none'),
        ('option', 'show_stage', ('--stage',), (), True, False, 1, False, 'Print only the stages.', 'none'),
        ('option', 'show_ref', ('--ref',), (), True, False, 1, False, "Print only the versions' tags (or commits).", 'none'),
        ('option', 'registered_only', ('--ro', '--registered-only'), (), True, False, 1, False, 'Leave out versions that were never registered.', 'none'),
        ('option', 'deprecated', ('-d', '--deprecated'), (), True, False, 1, False, 'Include deprecated artifacts and deregistered versions.', 'none'),
        ('option', 'assignments_per_version', ('--av', '--assignments-per-version'), (), False, False, 1, False, 'Show the first N stages activated on each version; -1 for all.', 'none'),
        ('option', 'versions_per_stage', ('--vs', '--versions-per-stage'), (), False, False, 1, False, 'Show N versions in each stage; -1 for all (applied after --av).', 'none'),
        ('option', 'sort', ('--sort',), (), False, False, 1, False, 'Which version a stage shows first: the latest assigned, or the greatest.', ('choice', ('timestamp', 'semver'), True)),
        ('option', 'verify', ('--verify',), (), True, False, 1, False, 'With NAME: add who signed each event and whether it verifies.', 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'history': (True, (
        REPO,
        NAME,
        ('option', 'all_branches', ('-a', '--all-branches'), (), True, False, 1, False, 'Also read artifacts.yaml at the head of every branch.', 'none'),
        ALL_COMMITS,
        AS_JSON,
        PLAIN,
        ('option', 'ascending', ('--ascending', '--asc'), (), True, False, 1, False, 'Oldest event first.', 'none'),
        ('option', 'since', ('--since',), (), False, False, 1, False, 'Only events at or after DATE.', 'none'),
        ('option', 'until', ('--until',), (), False, False, 1, False, 'Only events at or before DATE.', 'none'),
        ('option', 'events', ('--event',), (), False, True, 1, False, 'Only events of this kind (repeatable).', ('choice', ('registration', 'deregistration', 'assignment', 'unassignment', 'deprecation'), True)),
        ('option', 'stage', ('--stage',), (), False, False, 1, False, 'Only assignments and unassignments of STAGE.', 'stages'),
        ('option', 'author', ('--author',), (), False, False, 1, False, 'Only events whose tagger ("Name <email>") matches the regular expression.', 'none'),
        ('option', 'verify', ('--verify',), (), True, False, 1, False, 'Add who signed each event and whether it verifies.', 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'check-ref': (True, (
        REPO,
        ('argument', 'ref', ('ref',), (), False, False, 1, False, None, 'tags'),
        AS_JSON,
        ('option', 'show_name', ('--name',), (), True, False, 1, False, 'Print only the artifact name.', 'none'),
        ('option', 'show_version', ('--version',), (), True, False, 1, False, 'Print only the version.', 'none'),
        ('option', 'show_event', ('--event',), (), True, False, 1, False, 'Print only the event kind.', 'none'),
        ('option', 'show_stage', ('--stage',), (), True, False, 1, False, 'Print only the stage.', 'none'),
        ('option', 'verify', ('--verify',), (), True, False, 1, False, "Also check the tag's signature; exit 1 when it is unsigned or does not verify.", 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'at': (True, (
        REPO,
        ('argument', 'rev', ('rev',), (), False, False, 1, False, None, 'refs'),
        ('option', 'contains', ('--contains',), (), True, False, 1, False, 'Versions whose commit contains REV (REV or a descendant), not only those on REV.', 'none'),
        AS_JSON,
        PLAIN,
        CLICK_DEFAULT_HELP,
    )),
    'stages': (True, (
        REPO,
        ('option', 'allowed', ('--allowed',), (), True, False, 1, False, 'Only the stages allowed by .gto (nothing if unrestricted).', 'none'),
        ('option', 'used', ('--used',), (), True, False, 1, False, 'Only the stages some version is in now.', 'none'),
        AS_JSON,
        CLICK_DEFAULT_HELP,
    )),
    'describe': (True, (
        REPO,
        NAME,
        ('option', 'rev', ('--rev',), (), False, False, 1, False, 'Read artifacts.yaml as committed at REV (default: the work tree).', 'refs'),
        ('option', 'show_type', ('--type',), (), True, False, 1, False, 'Print only the type.', 'none'),
        ('option', 'show_path', ('--path',), (), True, False, 1, False, 'Print only the path.', 'none'),
        ('option', 'show_description', ('--description',), (), True, False, 1, False, 'Print only the description.', 'none'),
        ('option', 'show_custom', ('--custom',), (), True, False, 1, False, 'Print only the custom metadata.', 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'doctor': (True, (
        REPO,
        ALL_COMMITS,
        CLICK_DEFAULT_HELP,
    )),
    'verify': (True, (
        ('argument', 'tags', ('tags',), (), False, False, -1, False, None, 'tags'),
        ('option', 'all_tags', ('--all',), (), True, False, 1, False, 'Judge every tag that looks like a registry event.', 'none'),
        ('option', 'policy_ref', ('--policy-ref',), (), False, False, 1, False, 'Read the policy at REF (default: gto.policyRef, else the default branch).', 'none'),
        AS_JSON,
        ('option', 'repo', ('-r', '--repo'), (), False, False, 1, False, 'The repository.', 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'status': (True, (
        REPO,
        ('argument', 'remote', ('remote',), (), False, False, 1, False, None, 'none'),
        AS_JSON,
        PLAIN,
        CLICK_DEFAULT_HELP,
    )),
    'register': (True, (
        REPO,
        NAME,
        ('argument', 'ref', ('ref',), (), False, False, 1, False, None, 'refs'),
        ('option', 'version', ('--version', '--ver'), (), False, False, 1, False, 'Version to register (vX.Y.Z); the next patch version otherwise.', 'none'),
        MESSAGE,
        SIMPLE,
        FORCE,
        ('option', 'bump_major', ('--bump-major',), (), True, False, 1, False, 'Register the next major version.', 'none'),
        ('option', 'bump_minor', ('--bump-minor',), (), True, False, 1, False, 'Register the next minor version.', 'none'),
        ('option', 'bump_patch', ('--bump-patch',), (), True, False, 1, False, 'Register the next patch version (the default).', 'none'),
        PUSH,
        REMOTE,
        SIGN,
        CLICK_DEFAULT_HELP,
    )),
    'assign': (True, (
        REPO,
        NAME,
        ('argument', 'ref', ('ref',), (), False, False, 1, False, None, 'refs'),
        ('option', 'version', ('--version',), (), False, False, 1, False, 'With REF: the version to register there if it has none. Without REF: the registered version to assign.', 'versions'),
        ('option', 'stage', ('--stage',), (), False, False, 1, False, 'The stage to assign.', 'stages'),
        MESSAGE,
        SIMPLE,
        FORCE,
        PUSH,
        REMOTE,
        SIGN,
        ('option', 'skip_registration', ('--sr', '--skip-registration'), (), True, False, 1, False, 'Do not register a version at REF; assign the commit itself.', 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'deprecate': (True, (
        REPO,
        NAME,
        ('argument', 'version', ('version',), (), False, False, 1, False, None, 'versions'),
        ('argument', 'stage', ('stage',), (), False, False, 1, False, None, 'stages'),
        ('option', 'ref', ('--ref',), (), False, False, 1, False, 'Commit to put the deprecation tag on (NAME alone only).', 'refs'),
        MESSAGE,
        SIMPLE,
        FORCE,
        ('option', 'delete', ('-d', '--delete'), (), True, False, 1, False, 'Delete the tags instead of adding one.', 'none'),
        PUSH,
        REMOTE,
        SIGN,
        CLICK_DEFAULT_HELP,
    )),
    'fetch': (True, (
        REPO,
        ('argument', 'remote', ('remote',), (), False, False, 1, False, None, 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'annotate': (True, (
        REPO,
        NAME,
        ('option', 'type_', ('--type',), (), False, False, 1, False, 'Artifact type, e.g. model or dataset.', 'none'),
        ('option', 'path', ('--path',), (), False, False, 1, False, 'Where the artifact lives (a path in the repository, or a URL).', 'none'),
        ('option', 'must_exist', ('-e', '--must-exist', '--must_exist'), (), True, False, 1, False, 'The path is committed to Git (the artifact is not virtual).', 'none'),
        ('option', 'allow_same_path', ('--allow-same-path',), (), True, False, 1, False, 'Allow a path that another artifact uses.', 'none'),
        ('option', 'labels', ('--label',), (), False, True, 1, False, 'A label to add (repeatable).', 'none'),
        ('option', 'description', ('-d', '--description'), (), False, False, 1, False, 'A description.', 'none'),
        ('option', 'custom', ('-c', '--custom'), (), False, False, 1, False, 'Custom metadata (a string).', 'none'),
        ('option', 'commit', ('--commit',), (), True, False, 1, False, 'Commit artifacts.yaml (alone) afterwards.', 'none'),
        ('option', 'push', ('--push',), (), True, False, 1, False, 'Commit and push the commit to the remote.', 'none'),
        REMOTE,
        ('option', 'branch', ('-b', '--branch'), (), False, False, 1, False, 'Branch to commit to (with a remote --repo).', 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'remove': (True, (
        REPO,
        NAME,
        ('option', 'commit', ('--commit',), (), True, False, 1, False, 'Commit artifacts.yaml (alone) afterwards.', 'none'),
        ('option', 'push', ('--push',), (), True, False, 1, False, 'Commit and push the commit to the remote.', 'none'),
        REMOTE,
        ('option', 'branch', ('-b', '--branch'), (), False, False, 1, False, 'Branch to commit to (with a remote --repo).', 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'hook': (False, (
        CLICK_DEFAULT_HELP,
    )),
    'completion': (True, (
        ('argument', 'shell', ('shell',), (), False, False, 1, False, None, ('choice', ('bash', 'fish', 'zsh'), True)),
        CLICK_DEFAULT_HELP,
    )),
    'parse-tag': (True, (
        ('argument', 'name', ('name',), (), False, False, 1, False, None, 'none'),
        ('option', 'key', ('--key',), (), False, False, 1, False, 'Print one key of the result.', 'none'),
        CLICK_DEFAULT_HELP,
    )),
    'print-state': (True, (
        REPO,
        CLICK_DEFAULT_HELP,
    )),
}
COMMANDS['promote'] = COMMANDS['assign']  # an alias
