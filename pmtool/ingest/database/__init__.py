"""Event logs straight from a case database (PostgreSQL): extraction profiles, read-only extraction, checks.

:func:`pmtool.ingest.database.extract.ingest_database` is the entry point; ``docs/database.md`` describes
the extraction profiles and the shipped profile for a SORMAS-like schema.
"""
