"""One module a command: parse options, call `git_gto.api`, print the result."""
