"""The warehouse file: opening it with its DuckDB settings, its schema and upgrades, finding runs,
and SQL in other engines' dialects."""
