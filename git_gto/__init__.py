"""git-gto: a Git-native artifact registry kept in annotated tags."""

__version__ = "0.1.0"
