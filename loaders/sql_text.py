"""Quoting values into SQL text for the statements loaders build (paths, names)."""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def one_line(err: BaseException) -> str:
    """An exception message folded onto one line."""
    return " ".join(str(err).split())
