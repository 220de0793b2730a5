"""The one exception type the CLI turns into a one-line message and a non-zero exit."""


class GsdbError(Exception):
    """A user-facing failure: its message is one line that names the file (or object) and the problem."""


class GsdbWarning(UserWarning):
    """Something the user should know that did not stop the work (through Python's warnings, unless
    the warehouse was opened with its own `warn`)."""
