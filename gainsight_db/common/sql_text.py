"""Quoting values into SQL text for the statements loaders build (paths, names)."""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Parts of DuckDB's messages that speak of its own options or echo generated SQL, not of the input.
_ADVICE = ("Possible fixes", "Possible solutions", "\nLINE ")


def one_line(err: BaseException) -> str:
    """An exception message folded onto one line, without DuckDB's advice or SQL echo."""
    text = str(err)
    for marker in _ADVICE:
        text = text.split(marker)[0]
    return " ".join(text.split()).rstrip(" :")
