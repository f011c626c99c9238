"""OCEL reader (in progress)."""
