"""Results on disk: the analysis folder, the library (SQLite), landmark tables, export formats."""
