"""The one exception type the CLI turns into a one-line message and a non-zero exit."""


class GsdbError(Exception):
    """A user-facing failure: its message is one line that names the file (or object) and the problem."""
