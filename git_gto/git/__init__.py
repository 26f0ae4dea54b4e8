"""The git layer: the only code that reads Git's storage (with dulwich and by hand) or runs
the `git` program. Everything above it sees tag names, object ids and parsed objects."""
