"""Helpers every layer may use: the error type, SQL quoting, progress reporting, the buffer
vocabulary and writing outputs all at once."""
