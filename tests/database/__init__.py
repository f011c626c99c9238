"""Tests against a real PostgreSQL server (see pg_server.py)."""
