"""Use cases: one function per command, run in one unit of work, audited."""
