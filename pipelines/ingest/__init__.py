"""Bringing files in: read (CSV/xlsx, encodings, header row, profiles), protect personal data, validate,
quarantine, and store each row as a version with the import that brought it (undo, atomic imports)."""
