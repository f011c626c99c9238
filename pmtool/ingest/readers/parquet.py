"""Parquet reader (in progress)."""
